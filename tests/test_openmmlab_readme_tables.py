"""README result tables in every OpenMMLab layout: read, joined to the metafile model each row
repeats, and compared with it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import Report, Settings, validate
from modelindex.checks.source_rules import metric_key
from modelindex.table_joins import MAX_CANDIDATES
from tests.conftest import FIXTURES

OPENMMLAB = FIXTURES / "openmmlab"
# A result row, counted without the reader: a table line that links a config or a checkpoint.
_LINKED_ROW = re.compile(r"^\s*\|.*\]\(\s*<?[^()\s]*\.(?:py|pth)>?\s*\)")


def _linked_rows(zoo: Path) -> set[tuple[str, int]]:
    rows = set()
    for page in zoo.rglob("*.md"):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if _LINKED_ROW.match(line):
                rows.add((str(page), number))
    return rows


@pytest.mark.parametrize("name", ["mmpose", "mmaction2", "mmagic"])
def test_nine_in_ten_linked_rows_are_read_and_joined_to_their_metafile_model(name) -> None:
    root = OPENMMLAB / name
    zoo = modelindex.load(root, repo_root=root)
    linked = _linked_rows(root)
    joined = {(join.row.source.path, join.row.source.line) for join in zoo.joins}
    read = joined | {
        (model.source.path, model.source.line)
        for model in zoo.models
        if model.dialect == "readme-table"
    }
    assert len(linked) > 200
    assert len(read & linked) == len(linked)
    assert len(joined & linked) >= 0.9 * len(linked)


def _check(root: Path) -> Report:
    return validate(
        modelindex.load(root, repo_root=root),
        Settings(measurements=root / "no-measurements.json"),
    )


def _x001(report: Report) -> list[tuple[int | None, str | None]]:
    return [(f.location.line, f.field) for f in report.findings if f.code == "X001"]


CKPT = "https://download.example.org/pose/{}.pth"
METAFILE = """\
Collections:
- Name: HRNet
Models:
- Name: td-hm_hrnet-w32_8xb64-210e_coco-256x192
  In Collection: HRNet
  Config: configs/pose/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py
  Results:
  - Dataset: COCO
    Task: Body 2D Keypoint
    Metrics: {{AP: 0.746, AP@0.5: 0.904, AR: 0.799}}
  - Dataset: Human-Art(GT)
    Task: Body 2D Keypoint
    Metrics: {{AP: 0.655, AP@0.5: 0.872, AR: 0.693}}
  Weights: {w32}
- Name: td-hm_hrnet-w48_8xb32-210e_coco-256x192
  In Collection: HRNet
  Config: configs/pose/td-hm_hrnet-w48_8xb32-210e_coco-256x192.py
  Results:
  - Dataset: SthV1
    Task: Body 2D Keypoint
    Metrics: {{Top 1 Accuracy: 49.71, Top 1 Accuracy (efficient): 46.98}}
  Weights: {w48}
""".format(w32=CKPT.format("w32-81c58e40"), w48=CKPT.format("w48-0e67c616"))


def _pose_zoo(write, page: str) -> Path:
    write("model-index.yml", "Import:\n- configs/pose/metafile.yml\n")
    write("configs/pose/metafile.yml", METAFILE)
    for size in ("w32_8xb64", "w48_8xb32"):
        write(f"configs/pose/td-hm_hrnet-{size}-210e_coco-256x192.py", "")
    write("configs/pose/hrnet_coco.md", textwrap.dedent(page))
    return Path(write("model-index.yml", "Import:\n- configs/pose/metafile.yml\n")).parent


def test_a_row_named_otherwise_joins_by_its_checkpoint_and_each_metric_by_what_it_measures(
    write,
) -> None:
    root = _pose_zoo(
        write,
        f"""\
        Results on COCO val2017 with detector having human AP of 56.4 on COCO val2017 dataset

        | Arch | Input Size | AP | AP<sup>50</sup> | AR | ckpt | log |
        | :--- | :---: | :---: | :---: | :---: | :---: | :---: |
        | [pose_hrnet_w32](/configs/pose/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py) | 256x192 | 0.749 | 0.904 | 0.799 | [ckpt]({CKPT.format("w32-81c58e40")}) | [log](https://x.org/a.log) |

        Results on Human-Art validation dataset with ground-truth bounding-box

        | Arch | Input Size | AP | AP<sup>50</sup> | AR | ckpt | log |
        | :--- | :---: | :---: | :---: | :---: | :---: | :---: |
        | [pose_hrnet_w32](/configs/pose/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py) | 256x192 | 0.655 | 0.872 | 0.693 | [ckpt]({CKPT.format("w32-81c58e40")}) | [log](https://x.org/a.log) |
        """,
    )
    zoo = modelindex.load(root, repo_root=root)
    [on_coco, on_human_art] = zoo.joins
    assert on_coco.by == "weights"
    assert on_coco.candidates[0].name == "td-hm_hrnet-w32_8xb64-210e_coco-256x192"
    assert on_coco.row.results[0].dataset == "COCO"
    assert on_human_art.row.results[0].dataset == "Human-Art (GT)"
    assert on_coco.row.metadata.extra["Input Size"] == "256x192"  # a setting, not a square size
    # AP 0.749 against 0.746; AP<sup>50</sup> is AP@0.5 and agrees; the Human-Art row is the
    # ground-truth-box evaluation and agrees with it.
    assert _x001(_check(root)) == [(5, "Results[0].AP")]


def test_a_row_that_annotates_its_number_is_read_but_not_compared(write) -> None:
    root = _pose_zoo(
        write,
        f"""\
        ### Something-Something V1

        | frame sampling strategy | gpus | top1 acc | FLOPs | params | config | ckpt |
        | :---: | :---: | :---: | :---: | :---: | :---: | :---: |
        | 1x1x8 | 8 | 46.98/49.71 | 43.1G | 25.1M | [config](/configs/pose/td-hm_hrnet-w48_8xb32-210e_coco-256x192.py) | [ckpt]({CKPT.format("w48-0e67c616")}) |
        """,
    )
    zoo = modelindex.load(root, repo_root=root)
    [join] = zoo.joins
    row = join.row
    assert row.results[0].metrics == {"top1 acc": 46.98}
    assert row.metadata.extra["top1 acc note"] == "/49.71"
    assert (row.metadata.flops, row.metadata.parameters) == (43_100_000_000, 25_100_000)
    assert row.metadata.extra["gpus"] == "8"  # a setting, not a metric
    assert _x001(_check(root)) == []


def test_a_checkpoint_link_that_disagrees_joins_by_config_and_is_reported(write) -> None:
    stale = CKPT.format("w32-a9ea6d77")
    root = _pose_zoo(
        write,
        f"""\
        | Train Set | Arch | AP | ckpt |
        | :--- | :--- | :---: | :---: |
        | [coco](/configs/pose/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py) | pose_hrnet_w32 | - | [ckpt]({stale}) |
        """,
    )
    [join] = modelindex.load(root, repo_root=root).joins
    assert join.by == "config"
    assert _x001(_check(root)) == [(3, "Weights")]


def test_a_split_header_reads_a_value_per_metric_and_the_dataset_it_names(write) -> None:
    page = write(
        "README.md",
        "# BasicVSR\n\n"
        "| 算法 | REDS4 (BIx4)<br>PSNR/SSIM (RGB) | AP<sup><br>(COCO) | 下载 |\n"
        "| :-: | :-: | :-: | :-: |\n"
        "| [basicvsr_reds4](./basicvsr_2xb4_reds4.py) | **31.4170/0.8909** | 0.7 |"
        " [模型](https://x.org/b.pth) \\| [日志](https://x.org/b.log) |\n",
    )
    [model] = modelindex.load(page).models
    assert model.name == "basicvsr_2xb4_reds4"
    assert model.weights == "https://x.org/b.pth"
    assert {r.dataset: r.metrics for r in model.results} == {
        "REDS4 (BIx4)": {"PSNR (RGB)": 31.417, "SSIM (RGB)": 0.8909},
        "COCO": {"AP": 0.7},
    }


def test_another_checkpoint_of_a_declared_config_is_joined_but_not_compared(write) -> None:
    # One config, two snapshots (best IS, best FID): the metafile lists one of them.
    root = _pose_zoo(
        write,
        f"""\
        | Model | Dataset | AP | Download |
        | :-: | :-: | :-: | :-: |
        | [best-is](./td-hm_hrnet-w32_8xb64-210e_coco-256x192.py) | COCO | 0.700 | [ckpt]({CKPT.format("w32-other")}) |
        | [best-fid](./td-hm_hrnet-w32_8xb64-210e_coco-256x192.py) | COCO | 0.746 | [ckpt]({CKPT.format("w32-81c58e40")}) |
        """,
    )
    joins = modelindex.load(root, repo_root=root).joins
    assert [(join.by, join.compared) for join in joins] == [("config", False), ("weights", True)]
    assert _x001(_check(root)) == []


def test_a_header_on_two_rows_is_not_a_row(write) -> None:
    page = write(
        "README.md",
        "# ABINet\n\n"
        "| Methods | | Regular Text | | Irregular Text | download |\n"
        "| :-: | :-: | :-: | :-: | :-: | :-: |\n"
        "| | | IIIT5K | SVT | IC15 | |\n"
        "| [abinet](./abinet_20e_st-an_mj.py) | ResNet | 0.9603 | 0.9397 | 0.8305 |"
        " [model](https://x.org/abinet.pth) \\| [log](https://x.org/abinet.log) |\n",
    )
    [model] = modelindex.load(page).models
    assert model.source.line == 6
    assert model.results[0].metrics == {
        "Regular Text IIIT5K": 0.9603,
        "SVT": 0.9397,
        "Irregular Text IC15": 0.8305,
    }


MMDET_METAFILE = """\
Collections:
- Name: Mask R-CNN
Models:
- Name: mask-rcnn_r50_fpn_1x_coco
  In Collection: Mask R-CNN
  Config: configs/mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py
  Results:
  - {Task: Object Detection, Dataset: COCO, Metrics: {box AP: 38.2}}
  - {Task: Instance Segmentation, Dataset: COCO, Metrics: {mask AP: 34.7}}
  Weights: https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/r50-0123abcd.pth
- Name: faster-rcnn_r50_fpn_gn+ws_1x_coco
  In Collection: Mask R-CNN
  Config: configs/mask_rcnn/faster-rcnn_r50_fpn_gn+ws_1x_coco.py
  Results:
  - {Task: Object Detection, Dataset: COCO, Metrics: {box AP: 39.7}}
  Weights: https://download.openmmlab.com/mmdetection/v2.0/gn_ws/gnws-4567cdef.pth
"""
MMDET_README = """\
# Mask R-CNN

## Results and Models

| Backbone | Style | Lr schd | Mem (GB) | Inf time (fps) | box AP | mask AP | Config | Download |
| :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: | :---: |
| R-50-FPN | pytorch | 1x | 4.4 | 16.1 | {box} | {mask}<sup>1</sup> | [config](./mask-rcnn_r50_fpn_1x_coco.py?raw=true) | [model]({ckpt}) \\| [log](https://x.org/a.log.json) |
| R-50-FPN | pytorch | 1x | 5.4 | - | 39.7 | - | [config](./faster-rcnn_r50_fpn_gn%2Bws_1x_coco.py) | [model](http://download.openmmlab.com/mmdetection/v2.0/gn_ws/gnws-4567cdef.pth?download=true) |

The results on the validation set are better with a longer schedule.
"""


def _mmdet(write, box: str = "38.2", mask: str = "34.7", ckpt: str = "") -> Path:
    write("model-index.yml", "Import:\n- configs/mask_rcnn/metafile.yml\n")
    write("configs/mask_rcnn/metafile.yml", MMDET_METAFILE)
    for config in ("mask-rcnn_r50_fpn_1x_coco.py", "faster-rcnn_r50_fpn_gn+ws_1x_coco.py"):
        write(f"configs/mask_rcnn/{config}", "")
    ckpt = ckpt or "https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/r50-0123abcd.pth"
    page = MMDET_README.format(box=box, mask=mask, ckpt=ckpt)
    return write("configs/mask_rcnn/README.md", page).parents[2]


def test_an_mmdet_table_that_agrees_with_its_metafile_says_nothing(write) -> None:
    root = _mmdet(write)
    zoo = modelindex.load(root)
    assert [(join.by, join.compared) for join in zoo.joins] == [
        ("weights", True),
        ("weights", True),  # http for https and ?download=true: one file
    ]
    mask_rcnn = zoo.joins[0].row
    assert mask_rcnn.results[0].dataset is None  # 'Results and Models' is no dataset
    assert mask_rcnn.results[0].metrics == {"box AP": 38.2, "mask AP": 34.7}  # '<sup>1</sup>'
    assert mask_rcnn.metadata.extra["Mem (GB)"] == "4.4"
    assert _x001(_check(root)) == []


def test_an_mmdet_table_that_disagrees_is_compared_metric_by_metric(write) -> None:
    root = _mmdet(write, box="37.9", mask="30.1")
    report = _check(root)
    assert _x001(report) == [(7, "Results[0].box AP"), (7, "Results[0].mask AP")]
    [box, _] = [f for f in report.findings if f.code == "X001"]
    assert box.message.startswith("box AP 37.9 here, but 38.2 in ")
    assert box.related[0].location.line == 8


def test_a_dataset_cell_loses_its_split_and_a_pretraining_row_needs_no_results(write) -> None:
    page = write(
        "README.md",
        "# DBNet\n\n"
        "### SynthText\n\n"
        "| Method | Backbone | Training set | #iters | Download |\n"
        "| :-: | :-: | :-: | :-: | :-: |\n"
        "| [dbnet_r18](./dbnet_r18_synthtext.py) | R18 | SynthText | 100,000 |"
        " [model](https://x.org/dbnet_r18_synthtext.pth) |\n\n"
        "### ICDAR2015\n\n"
        "| Method | Test set | Precision | Recall | Hmean | Download |\n"
        "| :-: | :-: | :-: | :-: | :-: | :-: |\n"
        "| [dbnet_r18](./dbnet_r18_icdar2015.py) | ICDAR2015 Test | 0.8853 | 0.7583 | 0.8169 |"
        " [model](https://x.org/dbnet_r18_icdar2015.pth) |\n",
    )
    write("dbnet_r18_synthtext.py", "")
    write("dbnet_r18_icdar2015.py", "")
    report = _check(page.parent)
    zoo = modelindex.load(page)
    assert [r.dataset for m in zoo.models for r in m.results] == ["ICDAR2015"]
    assert [f.code for f in report.findings] == []


def test_a_projects_folder_the_index_imports_nothing_from_is_out_of_its_scope(write) -> None:
    write("configs/a/metafile.yml", "Models:\n- {Name: a, Weights: 'https://x.org/a.pth'}\n")
    write("configs/b/metafile.yml", "Models:\n- {Name: b, Weights: 'https://x.org/b.pth'}\n")
    write("projects/p/metafile.yml", "Models:\n- {Name: p, Weights: 'https://x.org/p.pth'}\n")
    index = write("model-index.yml", "Import:\n- configs/a/metafile.yml\n")
    problems = [p for p in modelindex.load(index.parent).problems if p.kind == "not-imported"]
    assert [p.message.split(" ")[0] for p in problems] == ["configs/b/metafile.yml"]


def test_a_checkpoint_shared_by_too_many_models_is_joined_but_not_compared(write) -> None:
    url = "https://x.org/shared.pth"
    entries = "".join(
        f"- {{Name: m{i}, Weights: '{url}', Results: [{{Dataset: COCO, Metrics: {{AP: 0.{i:02d}}}}}]}}\n"
        for i in range(MAX_CANDIDATES + 1)
    )
    write("metafile.yml", "Models:\n" + entries)
    rows = "".join(f"| m | 0.99 | [model]({url}) |\n" for _ in range(3))
    readme = write("README.md", "| Model | AP | Download |\n|---|---|---|\n" + rows)
    zoo = modelindex.load(readme.parent)
    assert [(len(join.candidates), join.compared) for join in zoo.joins] == [(1, False)] * 3
    assert _x001(_check(readme.parent)) == []


@pytest.mark.parametrize(
    ("written", "declared"),
    [
        ("AP<sup>50</sup>", "AP@0.5"),
        ("AP<sup>M</sup>", "AP (M)"),
        ("top1 acc", "Top 1 Accuracy"),
        ("Top-1 (%)", "Top 1 Accuracy"),
        ("NME<sub>*full*</sub>", "NME full"),
        ("Hmean", "hmean-iou"),
        ("mean Top-1", "mean Top 1 Accuracy"),
    ],
)
def test_a_metric_is_matched_by_what_it_measures(written: str, declared: str) -> None:
    assert metric_key(written) == metric_key(declared)


def test_metrics_that_measure_different_things_stay_apart() -> None:
    keys = [metric_key(name) for name in ("AP", "AP@0.5", "AP@0.75", "AR", "mAP", "Top 5")]
    assert len(set(keys)) == len(keys)


def _one_model_zoo(write, readme: str, weights: str = CKPT.format("r50")) -> Path:
    write(
        "model-index.yml",
        "Models:\n"
        "- Name: net_r50_1x_coco\n"
        "  Config: net_r50_1x_coco.py\n"
        f"  Weights: {weights}\n"
        "  Results: [{Task: Detection, Dataset: COCO, Metrics: {box AP: 37.4}}]\n",
    )
    write("net_r50_1x_coco.py", "")
    return write("README.md", textwrap.dedent(readme)).parent


ROW = "| [net](./net_r50_1x_coco.py) | {ap} | [model]({url}) |"


@pytest.mark.parametrize(
    "section",
    [
        "### Dark Zurich results",  # another dataset, with a section word
        "Results on the Objects365 validation set.",  # an article before the name
        "Results on COCO test-dev2017",  # another split than the metafile's
    ],
)
def test_a_row_evaluated_elsewhere_is_not_compared_with_the_declared_dataset(
    write, section: str
) -> None:
    row = ROW.format(ap="15.2", url=CKPT.format("r50"))
    root = _one_model_zoo(
        write, f"## COCO\n\n{section}\n\n| Model | box AP | ckpt |\n|---|---|---|\n{row}\n"
    )
    assert _x001(_check(root)) == []


def test_a_test_dev_column_is_its_own_evaluation(write) -> None:
    row = "| [net](./net_r50_1x_coco.py) | 37.4 | 99.9 | [model](https://download.example.org/pose/r50.pth) |"
    root = _one_model_zoo(
        write,
        f"## COCO\n\n| Model | box AP<br>(val) | box AP<br>(test-dev) | ckpt |\n|---|---|---|---|\n{row}\n",
    )
    [join] = modelindex.load(root).joins
    assert {r.dataset: r.metrics for r in join.row.results} == {
        "COCO": {"box AP": 37.4},
        "test-dev": {"box AP": 99.9},
    }
    assert _x001(_check(root)) == []


def test_a_file_chosen_by_its_query_is_another_file(write) -> None:
    drive = "https://drive.google.com/uc?export=download&id={}"
    rows = "\n".join(
        [
            ROW.format(ap="37.4", url=drive.format("AAA").replace("export=download&", "")),
            "| [net](./net_r101_1x_coco.py) | 39.4 | [model](" + drive.format("CCC") + ") |",
        ]
    )
    root = _one_model_zoo(
        write, f"## COCO\n\n| Model | box AP | ckpt |\n|---|---|---|\n{rows}\n", drive.format("AAA")
    )
    zoo = modelindex.load(root)
    assert [join.by for join in zoo.joins] == ["weights"]  # id=AAA, however it is fetched
    assert sorted(model.name for model in zoo.models) == ["net_r101_1x_coco", "net_r50_1x_coco"]


def test_a_metric_cell_with_a_comma_is_not_a_thousand_and_a_bad_link_is_no_crash(write) -> None:
    rows = "\n".join(
        [
            ROW.format(ap="37,400", url=CKPT.format("r50")),
            "| [bad](http://[x/net.py) | 1.0 | [model](http://[x/net.pth) |",
        ]
    )
    root = _one_model_zoo(write, f"## COCO\n\n| Model | box AP | ckpt |\n|---|---|---|\n{rows}\n")
    report = _check(root)
    assert _x001(report) == []
    assert report.exit_code() != 3
    [join] = modelindex.load(root).joins
    assert join.row.results[0].metrics == {"box AP": 37.0}


def test_a_row_named_as_a_declared_model_with_its_neighbours_checkpoint(write) -> None:
    write(
        "model-index.yml",
        "Models:\n"
        "- {Name: net_1x, Weights: 'https://x.org/net_1x.pth', Results: [{Dataset: COCO, Metrics: {AP: 37.4}}]}\n"
        "- {Name: net_2x, Weights: 'https://x.org/net_2x.pth', Results: [{Dataset: COCO, Metrics: {AP: 38.4}}]}\n",
    )
    readme = write(
        "README.md",
        "## COCO\n\n| Model | AP | Download |\n|---|---|---|\n"
        "| `net_1x` | 37.4 | [model](https://x.org/net_1x.pth) |\n"
        "| `net_2x` | 38.4 | [model](https://x.org/net_1x.pth) |\n",
    )
    assert [join.by for join in modelindex.load(readme.parent).joins] == ["weights", "name"]
    assert _x001(_check(readme.parent)) == [(6, "Weights")]
