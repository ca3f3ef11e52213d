"""The patterns of OpenMMLab zoos that are not errors, and those that still are, each on a
small zoo written for it."""

from __future__ import annotations

from pathlib import Path

import modelindex
from modelindex.checks import Report, Settings, validate
from modelindex.links import entry_links


def _check(path: Path) -> Report:
    return validate(
        modelindex.load(path), Settings(measurements=path.parent / "no-measurements.json")
    )


def _codes(report: Report) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.model, f.location.line) for f in report.findings]


W = "https://download.example.org/{}-0123abcd.pth"


def _entry(name: str, weights: str, task: str, dataset: str, **extra: str) -> str:
    lines = [f"- Name: {name}", "  In Collection: Net", f"  Weights: {weights}"]
    lines += [f"  {key.title()}: {value}" for key, value in extra.items()]
    lines += [
        "  Results:",
        f"  - Task: {task}",
        f"    Dataset: {dataset}",
        "    Metrics: {PSNR: 30.1}",
    ]
    return "\n".join(lines)


def _zoo(write, *entries: str, collections: str = "- Name: Net\n") -> Path:
    return write("model-index.yml", f"Collections:\n{collections}Models:\n" + "\n".join(entries))


def test_a_collection_declared_again_alike_is_no_duplicate_but_one_that_differs_is(write) -> None:
    paper = "  Paper: {URL: 'https://arxiv.org/abs/1', Title: A}\n"
    write("a.yml", f"Collections:\n- Name: Pose\n{paper}  README: a/README.md\n")
    write("b.yml", f"Collections:\n- Name: Pose\n{paper}  README: b/README.md\n")
    write("c.yml", "Collections:\n- Name: Pose\n  Paper: {URL: 'https://arxiv.org/abs/2'}\n")
    index = write("model-index.yml", "Import: [a.yml, b.yml, c.yml]\n")
    found = [(f.code, Path(f.location.path).name, f.message) for f in _check(index).findings]
    assert [(code, path) for code, path, _ in found] == [("S004", "c.yml")]
    assert "declared twice with other content" in found[0][2]


def test_one_model_declared_twice_is_one_finding_not_shared_weights_too(write) -> None:
    entry = _entry("net_coco", W.format("net_coco"), "Pose", "COCO")
    path = _zoo(write, entry, entry)
    assert _codes(_check(path)) == [("S004", "net_coco", 11)]


def test_a_model_declared_twice_as_another_network_keeps_its_shared_weights(write) -> None:
    first = _entry("net", W.format("net"), "Pose", "COCO") + "\n  Metadata: {Parameters: 2.7M}"
    second = _entry("net", W.format("net"), "Pose", "COCO") + "\n  Metadata: {Parameters: 42M}"
    codes = {code for code, *_ in _codes(_check(_zoo(write, first, second)))}
    assert {"S004", "U003"} <= codes


def test_one_checkpoint_on_other_tasks_or_datasets_is_not_shared_weights(write) -> None:
    url = W.format("vlm_retrieval_msrvtt")
    path = _zoo(
        write,
        _entry("vlm_retrieval_msrvtt", url, "Video Retrieval", "MSRVTT"),
        _entry("vlm_mcqa_msrvtt", url, "Multiple-Choice QA", "MSRVTT-MC"),
        _entry("tracker_mot17", W.format("tracker"), "MOT", "MOT17"),
        _entry("tracker_mot20", W.format("tracker"), "MOT", "MOT20"),
    )
    assert _codes(_check(path)) == []


def test_a_file_named_after_neither_model_evaluated_under_other_configs_is_shared_on_purpose(
    write,
) -> None:
    blind = W.format("denoise-blind")
    write("a/sigma15.py", "")
    write("a/sigma25.py", "")
    path = _zoo(
        write,
        _entry("denoise-sigma15", blind, "Denoising", "Set12", config="a/sigma15.py"),
        _entry("denoise-sigma25", blind, "Denoising", "Set12", config="a/sigma25.py"),
    )
    assert _codes(_check(path)) == []


def test_a_sibling_checkpoint_on_the_same_dataset_is_still_shared_weights(write) -> None:
    url = W.format("net_r101_coco-256x192")
    write("a/256.py", "")
    write("a/384.py", "")
    path = _zoo(
        write,
        _entry("net_r101_coco-256x192", url, "Pose", "COCO", config="a/256.py"),
        _entry("net_r101_coco-384x288", url, "Pose", "COCO", config="a/384.py"),
    )
    assert [code for code, *_ in _codes(_check(path))] == ["U003", "U004"]


def test_a_placeholder_is_an_invalid_url_and_not_shared_weights(write) -> None:
    path = _zoo(
        write,
        _entry("gan-a", "<>", "Generation", "FFHQ"),
        _entry("gan-b", "<>", "Generation", "FFHQ"),
    )
    assert [code for code, *_ in _codes(_check(path))] == ["U001", "U001"]


def test_weights_written_as_a_list_are_each_a_checkpoint(write) -> None:
    stages = [W.format("bsn_tem"), W.format("bsn_pem")]
    entry = _entry("bsn", "", "Localization", "ActivityNet").replace(
        "  Weights: \n", "  Weights:\n" + "".join(f"  - {url}\n" for url in stages)
    )
    path = _zoo(write, entry)
    index = modelindex.load(path)
    model = index["bsn"]
    assert (model.weights, model.more_weights) == (stages[0], stages[1:])
    assert [value for field, value, _ in entry_links(model) if field == "Weights"] == stages
    assert _codes(_check(path)) == []


def test_an_unusual_modality_or_task_has_its_own_accuracy_floor(write) -> None:
    def video(name: str, top1: float, modality: str = "RGB") -> str:
        return "\n".join(
            [
                f"- Name: {name}",
                "  In Collection: Net",
                f"  Weights: {W.format(name)}",
                f"  Modality: {modality}",
                "  Results:",
                "  - {Task: Action Recognition, Dataset: Kinetics-400, "
                f"Metrics: {{Top 1 Accuracy: {top1}}}}}",
            ]
        )

    rgb = [video(f"rgb{i}", 70 + i) for i in range(6)]
    path = _zoo(write, *rgb, video("audio", 13.7, "Audio"))
    assert _codes(_check(path)) == []
    path = _zoo(write, *rgb, video("typo", 7.3))
    assert [code for code, *_ in _codes(_check(path))] == ["N007"]


def test_no_weights_is_expected_of_a_recipe_and_no_results_of_a_pretraining_checkpoint(
    write,
) -> None:
    recipe = "- Name: dreambooth-lora\n  In Collection: Net\n  Results:\n  - {Task: T2I}"
    pretraining = f"- Name: vit-b_clip-pre_k710\n  In Collection: Net\n  Weights: {W.format('p')}"
    unevaluated = f"- Name: vit-b_k400\n  In Collection: Net\n  Weights: {W.format('v')}"
    unreleased = "- Name: vit-s_k400\n  In Collection: Net\n  Results:\n  - {Metrics: {Top 1: 8}}"
    found = _codes(_check(_zoo(write, recipe, pretraining, unevaluated, unreleased)))
    assert [(code, model) for code, model, _ in found] == [
        ("S002", "vit-b_k400"),
        ("S002", "vit-s_k400"),
    ]


def test_empty_metrics_are_an_error_but_no_metrics_key_is_not(write) -> None:
    path = write(
        "model-index.yml",
        "Models:\n"
        f"- Name: a\n  Weights: {W.format('a')}\n  Results:\n  - Task: T2I\n    Metrics: {{}}\n"
        f"- Name: b\n  Weights: {W.format('b')}\n  Results:\n  - Task: T2I\n",
    )
    found = [(f.code, f.model, f.location.line, f.message) for f in _check(path).findings]
    assert found == [("S013", "a", 6, "Results[0] (T2I) has no metric")]


def test_models_written_as_a_mapping_is_a_structure_error(write) -> None:
    by_name = write(
        "model-index.yml",
        "Models:\n  resnet50: {Weights: 'https://x.org/a.pth'}\n"
        "  resnet101: {Weights: 'https://x.org/b.pth'}\n",
    )
    index = modelindex.load(by_name)
    assert index.models == []
    assert [(p.line, p.message) for p in index.problems] == [
        (1, "Models must be a list of entries ('- Name: ...'), found a mapping")
    ]
    one = write("one/model-index.yml", "Models:\n  Name: net\n  Weights: https://x.org/n.pth\n")
    index = modelindex.load(one)
    assert index.names == ["net"] and len(index.problems) == 1


def test_a_config_path_not_in_the_repository_names_its_near_miss(write) -> None:
    for name in (
        "a/net_r50.py",
        "a/emanet.py",
        "a/x+y.py",
        "a/old-d.py",
        "new/moved.py",
        "a/v2.py",
    ):
        write(name, "")
    configs = {
        "net-py": "a/net_r50.py.py",
        "net-bare": "a/net_r50",
        "plus": "a/x%2By.py",
        "dash": "a/old--d.py",
        "double": "a/eemanet.py",
        "moved": "old/layout/moved.py",
        "other-version": "a/v1.py",
    }
    entries = [
        f"- Name: {name}\n  Weights: {W.format(name)}\n  Config: {config}"
        for name, config in configs.items()
    ]
    path = write("model-index.yml", "Models:\n" + "\n".join(entries) + "\n")
    fixes = {f.model: f.fix for f in _check(path).findings if f.code == "P001"}
    assert fixes == {
        "net-py": "Config: a/net_r50.py",
        "net-bare": "Config: a/net_r50.py",
        "plus": "Config: a/x+y.py",
        "dash": "Config: a/old-d.py",
        "double": "Config: a/emanet.py",
        "moved": "Config: new/moved.py",
        "other-version": None,
    }
    # Without a repository root (a metafile alone), nothing is said.
    alone = write("zoo/metafile.yml", "Models:\n" + "\n".join(entries) + "\n")
    assert [f for f in _check(alone).findings if f.code == "P001"] == []


def _named(name: str, dataset: str, **fields: str) -> str:
    """A metafile entry named after its config, as OpenMMLab writes them."""
    lines = [
        f"- Name: {name}",
        f"  In Collection: {fields.pop('collection', 'Net')}",
        f"  Config: configs/net/{fields.pop('config', name)}.py",
        f"  Weights: {fields.pop('weights', W.format(name))}",
    ]
    metadata = fields.pop("metadata", "")
    if metadata:
        lines.append(f"  Metadata: {{{metadata}}}")
    metrics = fields.pop("metrics", "{Top 1 Accuracy: 70.1, Top 5 Accuracy: 90.2}")
    lines += ["  Results:", f"  - {{Task: Recognition, Dataset: {dataset}, Metrics: {metrics}}}"]
    return "\n".join(lines)


def _found(report: Report, *codes: str) -> list[tuple[str, str | None]]:
    return sorted((f.code, f.model) for f in report.findings if f.code in codes)


def test_a_dataset_or_collection_that_contradicts_the_name_is_an_error(write) -> None:
    path = _zoo(
        write,
        _named("tsn_r50_8xb32-50e_kinetics400-rgb", "Kinetics-400"),
        _named("tsn_r50_8xb32-50e_sthv2-rgb", "SthV2", metrics="{Top 1 Accuracy: 35.1}"),
        _named("tsn_r101_8xb32-50e_sthv2-rgb", "Kinetics-400", metrics="{Top 1 Accuracy: 35.5}"),
        # Pre-trained on one dataset, trained on the one it is evaluated on: as named.
        _named("tsn_k710-pre_8xb32-50e_kinetics400-rgb", "Kinetics-400"),
        # Evaluated on its own dataset and another: as named.
        _named("net_coco-wholebody", "COCO-WholeBody"),
        _named("netv2-base_kinetics400", "Kinetics-400", collection="Net"),
        collections="- Name: Net\n- Name: NetV2\n",
    )
    report = _check(path)
    assert _found(report, "S014", "S015") == [
        ("S014", "tsn_r101_8xb32-50e_sthv2-rgb"),
        ("S015", "netv2-base_kinetics400"),
    ]
    [s014] = [f for f in report.findings if f.code == "S014"]
    assert s014.message == "Dataset Kinetics-400 contradicts the name, which says SthV2"


def test_a_config_of_another_model_and_a_name_off_its_config_by_one_part(write) -> None:
    path = _zoo(
        write,
        _named("mvit-s_200e_kinetics400-rgb", "Kinetics-400"),
        _named("mvit-s_100e_sthv2-rgb", "SthV2", config="mvit-s_200e_kinetics400-rgb"),
        # Another evaluation of the same checkpoint may share its config.
        _named(
            "mvit-s_200e_kinetics400-rgb_infer",
            "Kinetics-400",
            config="mvit-s_200e_kinetics400-rgb",
            weights=W.format("mvit-s_200e_kinetics400-rgb"),
        ),
        # A converted checkpoint run under the config it is named after.
        _named("mvit-s_200e_kinetics400-rgb_infer2", "X", config="mvit-s_200e_kinetics400-rgb"),
        # Converted or differently trained checkpoints under a trained model's config, as
        # mmpretrain writes them: nothing in their names contradicts the config's.
        _named("deit-tiny_4xb256_in1k", "X"),
        _named("deit-tiny_3rdparty_in1k", "X", config="deit-tiny_4xb256_in1k"),
        _named("convnext-tiny_32xb128_in1k", "X"),
        _named("convnext-tiny_32xb128-noema_in1k", "X", config="convnext-tiny_32xb128_in1k"),
        _named("td-reg_res50_8x64e-210e_wflw", "WFLW", config="td-reg_res50_8xb64-210e_wflw"),
        _named("tcanet_2048x100_hacs.py", "HACS", config="tcanet_700x100_hacs"),
        # The zoo names its models after their configs: most entries do.
        *(_named(f"net_r{depth}", "X") for depth in range(10, 50)),
    )
    report = _check(path)
    assert _found(report, "S016", "S017") == [
        ("S016", "mvit-s_100e_sthv2-rgb"),
        ("S017", "tcanet_2048x100_hacs.py"),
        ("S017", "td-reg_res50_8x64e-210e_wflw"),
    ]
    fixes = {f.model: f.fix for f in report.findings if f.code == "S017"}
    assert fixes["td-reg_res50_8x64e-210e_wflw"] == "Name: td-reg_res50_8xb64-210e_wflw"


def test_epochs_or_batch_size_that_contradict_the_name(write) -> None:
    path = _zoo(
        write,
        _named("tsn_8xb32-100e_k400", "K400", metadata="Epochs: 100, Batch Size: 32"),
        _named("tsn_8xb16-50e_k400", "K400", metadata="Epochs: 50, Batch Size: 128"),
        _named("tsn_4xb8-20e_k400", "K400", metadata="Epochs: 20, Batch Size: 8"),
        # Copied from the first entry: 32 GPUs x 8, 50 epochs.
        _named("tsn_32xb8-50e_k400", "K400", metadata="Epochs: 100, Batch Size: 32"),
    )
    found = sorted((f.model, f.field) for f in _check(path).findings if f.code == "S018")
    assert found == [("tsn_32xb8-50e_k400", "Batch Size"), ("tsn_32xb8-50e_k400", "Epochs")]


def test_results_copied_to_another_checkpoint(write) -> None:
    ten = "{AP: 0.678, AR: 0.755, Foot AP: 0.543}"
    path = _zoo(
        write,
        _named("hrnet_coco-wholebody", "COCO-WholeBody", metrics=ten),
        _named("hrnet_ubody", "COCO-WholeBody", metrics=ten),
        # The same checkpoint evaluated twice is one model.
        _named(
            "hrnet_coco-wholebody_flip",
            "COCO-WholeBody",
            metrics=ten,
            weights=W.format("hrnet_coco-wholebody"),
        ),
    )
    write(
        "other/metafile.yml",
        "Models:\n"
        + _named("mvit-b", "K400", metrics="{Top 1 Accuracy: 70.1, Top 5 Accuracy: 90.2}"),
    )
    report = _check(path)
    assert _found(report, "R001") == [("R001", "hrnet_ubody")]


def test_two_equal_metrics_in_different_files_are_chance(write) -> None:
    two = "{Mean: 0.888, Mean@0.1: 0.29}"
    write("a.yml", "Models:\n" + _named("scnet50_mpii", "MPII", metrics=two))
    write("b.yml", "Models:\n" + _named("res101_mpii", "MPII", metrics=two))
    write("c.yml", "Models:\n" + _named("mvit-s", "K400") + "\n" + _named("mvit-b", "K400"))
    index = write("model-index.yml", "Import: [a.yml, b.yml, c.yml]\n")
    assert _found(_check(index), "R001") == [("R001", "mvit-b")]


def test_a_metafile_the_index_does_not_import(write) -> None:
    write("configs/a/metafile.yml", "Models:\n" + _named("a_r18", "X"))
    write(
        "configs/b/metafile.yml", "Models:\n" + _named("b_r18", "X") + "\n" + _named("b_r50", "X")
    )
    write("configs/b/README.md", "# B\n")
    index = write("model-index.yml", "Import:\n- configs/a/metafile.yml\n")
    [finding] = [f for f in _check(index.parent).findings if f.code == "L013"]
    assert (Path(finding.location.path).name, finding.location.line) == ("model-index.yml", 1)
    assert finding.message.startswith("configs/b/metafile.yml (2 models) is not imported")
    # An index that imports nothing is a zoo of one file: nothing to say.
    write("model-index.yml", "Models:\n" + _named("c_r18", "X"))
    assert [f for f in _check(index.parent).findings if f.code == "L013"] == []


def test_parameters_and_flops_swapped_read_right_the_other_way_round(write) -> None:
    # RepVGG-B0: 15.82 M parameters and 3.42 G FLOPs, declared the other way round.
    family = [
        ("repvgg-A0", 8.31e6, 1.36e9),
        ("repvgg-A1", 12.79e6, 2.37e9),
        ("repvgg-A2", 25.5e6, 5.12e9),
        ("repvgg-B1", 51.83e6, 11.82e9),
        ("repvgg-B0", 3.42e6, 15.82e9),
    ]
    entries = [
        _named(name, "ImageNet-1k", metadata=f"Parameters: {int(p)}, FLOPs: {int(f)}")
        for name, p, f in family
    ]
    report = _check(_zoo(write, *entries))
    assert _found(report, "N008", "N006", "N005") == [("N008", "repvgg-B0")]
    [finding] = [f for f in report.findings if f.code == "N008"]
    assert "1.582e+07 parameters" in finding.message


def test_a_checkpoint_named_for_another_network(write) -> None:
    path = _zoo(
        write,
        _named("faster-rcnn_r50_fpn_1x_coco", "COCO", weights=W.format("faster-rcnn_r101_fpn_1x")),
        _named("vit-small-p16_k400", "K400", weights=W.format("vit-base-p16_k400")),
        _named("hrnet-w32_coco", "COCO", weights=W.format("hrnet-w48_coco")),
        # A distilled student names both networks; its file names one of them.
        _named("deit-small_from-r101", "IN", weights=W.format("deit-small_distilled")),
        _named("tsn_r50_k400", "K400", weights=W.format("tsn_r50_1x1x3_k400")),
    )
    found = [(f.model, f.message) for f in _check(path).findings if f.code == "U009"]
    assert [model for model, _ in found] == [
        "faster-rcnn_r50_fpn_1x_coco",
        "vit-small-p16_k400",
        "hrnet-w32_coco",
    ]
    assert found[0][1].endswith("is for depth 101, the name says 50")
