"""The parts of verify that need no torch: references, the measurement cache, the V rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import Settings, validate
from modelindex.measurements.cache import MeasurementCache, cache_key
from modelindex.measurements.record import Measurement
from modelindex.measurements.references import Reference, reference_for
from modelindex.verify.report import print_outcomes
from modelindex.verify.run import Outcome
from tests.conftest import MMPRETRAIN, SEED_README_TABLE, SEEDS


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("resnet50_8xb32_in1k", Reference("resnet50", 1000, 224)),
        ("resnetv1d50_8xb32_in1k", Reference("resnet50d", 1000, 224)),
        ("resnetv1c101_8xb32_in1k", Reference("resnet101c", 1000, 224)),
        ("resnet18_8xb16_cifar10", Reference("resnet18", 10, 32, "cifar")),
        ("resnet50_8xb16_cifar100", Reference("resnet50", 100, 32, "cifar")),
        ("resnet50_8xb8_cub", Reference("resnet50", 200, 448)),
        ("wide-resnet50_3rdparty_8xb32_in1k", Reference("wide_resnet50_2", 1000, 224)),
    ],
)
def test_mmpretrain_names_map_to_timm_architectures(name: str, reference: Reference) -> None:
    assert reference_for(modelindex.load(MMPRETRAIN)[name]) == reference


def test_timm_names_are_their_own_reference_at_the_card_size() -> None:
    model = modelindex.load(SEEDS / "tresnet.md")["tresnet_xl_448"]
    assert reference_for(model) == Reference("tresnet_xl_448", 1000, 448)


# resnet18 as timm 1.0.31 builds it: 122 tensors, 46,796,608 bytes in fp32 and 23,398,384 in
# fp16, 1.814 G MACs and 1.821 G mmcv-style FLOPs at 224 px.
# torch.save writes its state dict in 46,836,043 bytes (fp32) and 23,434,315 (fp16).
RESNET18 = {
    "tensors": 122,
    "state_dict_bytes": 46_796_608,
    "state_dict_bytes_fp16": 23_398_384,
    "macs": 1_814_073_344,
    "mmcv_flops": 1_821_348_864,
}


def _entry(parameters: int, when: str = "2026-01-01T00:00:00+00:00") -> dict[str, object]:
    """A complete cache entry: resnet18's measurement with ``parameters``."""
    return {
        **RESNET18,
        "reference": "net",
        "library_version": "1.0",
        "parameters": parameters,
        "buffers": 9_620,
        "measured_at": when,
    }


def test_cache_round_trip_and_lookup_across_library_versions(tmp_path: Path) -> None:
    reference = Reference("net", 1000, 224)
    cache = MeasurementCache(tmp_path / "m.json")
    cache.put(cache_key("net", reference, "1.0"), _entry(10))
    cache.put(cache_key("net", reference, "1.1"), _entry(11, "2026-02-01T00:00:00+00:00"))
    cache.put(cache_key("net", Reference("net", 1000, 448), "1.1"), _entry(12))
    cache.save()
    reloaded = MeasurementCache(tmp_path / "m.json")
    assert reloaded.latest_for("net", reference).parameters == 11
    assert reloaded.latest_for("other", reference) is None
    assert not reloaded.changed


def test_a_corrupt_cache_is_rebuilt_with_a_warning_and_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    conflicted = '<<<<<<< HEAD\n{"format": 1, "entries": {}}\n'
    path.write_text(conflicted, encoding="utf-8")
    with pytest.warns(UserWarning, match="unreadable measurement cache"):
        cache = MeasurementCache(path)
    assert cache.entries == {}
    cache.put(cache_key("net", Reference("net", 1000, 224), "1.0"), _entry(10))
    cache.save()
    assert (tmp_path / "m.json.corrupt").read_text(encoding="utf-8") == conflicted
    assert len(MeasurementCache(path).entries) == 1


def test_malformed_and_incomplete_entries_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    good = cache_key("net", Reference("net", 1000, 224), "1.0")
    entries = {
        good: _entry(10),
        "net": _entry(11),  # not a key of the documented shape
        good.replace("1.0", "0.9"): {**_entry(12), "parameters": [1]},
        good.replace("1.0", "0.8"): {"parameters": 13},  # written before tensors were counted
    }
    path.write_text(json.dumps({"format": 1, "entries": entries}), encoding="utf-8")
    with pytest.warns(UserWarning, match="3 malformed or incomplete entries ignored"):
        cache = MeasurementCache(path)
    assert list(cache.entries) == [good]
    assert cache.latest_for("net", Reference("net", 1000, 224)).parameters == 10


def test_two_runs_saving_one_cache_keep_both_runs_measurements(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    first, second = MeasurementCache(path), MeasurementCache(path)
    first.put(cache_key("a", Reference("a", 1000, 224), "1.0"), _entry(1))
    second.put(cache_key("b", Reference("b", 1000, 224), "1.0"), _entry(2))
    first.save()
    second.save()
    assert sorted(key.split(" | ")[0] for key in MeasurementCache(path).entries) == ["a", "b"]
    assert path.stat().st_mode & 0o044 == 0o044  # readable by others, like any file


# timm 1.0.31's state dicts: (parameters, tensors, fp32 bytes, fp16 bytes).
TRESNET_M = (31_389_032, 434, 125_802_880, 62_901_680)
RESNET50D = (25_576_264, 332, 102_518_488, 51_259_464)
VIT_SMALL_PATCH16_224 = (22_050_664, 152, 88_202_656, 44_101_328)


def _zoo_with_cache(
    write, parameters: int, file_size: int, measured: tuple[int, int, int, int]
) -> Path:
    card = write(
        "model-index.yml",
        "Models:\n- Name: net\n"
        f"  Metadata: {{Parameters: {parameters}, File Size: {file_size}}}\n"
        "  Weights: https://example.org/net-0123abcd.pth\n"
        "  Results: [{Task: T, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 80}}]\n",
    )
    cache = MeasurementCache(card.parent / "measurements.json")
    count, tensors, fp32, fp16 = measured
    entry = {
        **_entry(count),
        "tensors": tensors,
        "state_dict_bytes": fp32,
        "state_dict_bytes_fp16": fp16,
    }
    cache.put(cache_key("net", Reference("net", 1000, 224), "1.0.31"), entry)
    cache.save()
    return card


def _v_findings(card: Path) -> list[tuple[str, str | None, str | None]]:
    settings = Settings(select=("V",), measurements=card.parent / "measurements.json")
    report = validate(modelindex.load(card), settings)
    return [(f.code, f.field, f.fix) for f in report.findings]


def test_declared_parameters_against_measured(write) -> None:
    card = _zoo_with_cache(write, 41_282_200, 125_861_314, TRESNET_M)
    assert _v_findings(card) == [("V001", "Parameters", "Parameters: 31389032")]


def test_parameters_within_half_a_percent_agree(write) -> None:
    card = _zoo_with_cache(write, 25_580_000, 102_567_109, RESNET50D)
    assert _v_findings(card) == []


def test_parameters_that_fit_the_checkpoint_but_not_the_library_are_drift(write) -> None:
    card = _zoo_with_cache(write, 48_750_000, 195_031_454, VIT_SMALL_PATCH16_224)
    [(code, field, _)] = _v_findings(card)
    assert (code, field) == ("V004", "Parameters")


def test_a_wrong_count_that_fits_a_right_file_size_is_a_mismatch_not_drift(write) -> None:
    # 25.0 M in 4.10 bytes each fits the File Size, but so does timm's own state dict: the
    # file is today's resnet50d, and the card's count is wrong.
    card = _zoo_with_cache(write, 25_000_000, 102_567_109, RESNET50D)
    assert _v_findings(card) == [("V001", "Parameters", "Parameters: 25576264")]


def test_the_committed_cache_is_valid_json_keyed_as_documented() -> None:
    document = json.loads((Path(__file__).parent.parent / "data" / "measurements.json").read_text())
    assert document["format"] == 1
    key, entry = next(iter(document["entries"].items()))
    assert key.count(" | ") == 3 and {"parameters", "macs", "mmcv_flops"} <= set(entry)


def _zoo(write, models: list[tuple[str, int, int | None, int | None]], measured: dict) -> Path:
    """A collection card of (name, Parameters, File Size, FLOPs), each measured as
    ``measured`` (with its parameters), and its cache."""
    lines = ["Collections:\n- Name: Nets\nModels:\n"]
    for name, parameters, file_size, flops in models:
        metadata = {"Parameters": parameters, "File Size": file_size, "FLOPs": flops}
        fields = ", ".join(f"{key}: {value}" for key, value in metadata.items() if value)
        lines.append(
            f"- Name: {name}\n  In Collection: Nets\n  Metadata: {{{fields}}}\n"
            f"  Weights: https://example.org/{name}-0123abcd.pth\n"
            "  Results: [{Task: T, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 70}}]\n"
        )
    card = write("model-index.yml", "".join(lines))
    cache = MeasurementCache(card.parent / "measurements.json")
    for name, parameters, _, _ in models:
        entry = {**_entry(parameters), **measured}
        cache.put(cache_key(name, Reference(name, 1000, 224), "1.0.31"), entry)
    cache.save()
    return card


@pytest.mark.parametrize(
    ("file_size", "codes"),
    [
        (46_836_043, []),  # the fp32 checkpoint torch.save writes
        (23_434_315, []),  # the fp16 one
        (46_796_608 - 1_000_000, ["V002"]),  # 2% short of the fp32 state dict
        (35_000_000, ["V002"]),  # between fp16 and fp32: another model's size
        (20_000_000, ["V002"]),  # smaller than even fp16
        (53_350_000, ["V005"]),  # 1.14 x: an auxiliary head, or a larger model
    ],
)
def test_file_size_against_the_measured_state_dict(write, file_size: int, codes: list) -> None:
    card = _zoo(write, [("net", 11_689_512, file_size, None)], RESNET18)
    assert [code for code, field, _ in _v_findings(card)] == codes
    assert all(field == "File Size" for _, field, _ in _v_findings(card))


def test_a_drifted_reference_judges_no_file_size(write) -> None:
    # 48.75 M parameters in a 195 MB file: the checkpoint is right, the library changed.
    card = _zoo(
        write, [("net", 48_750_000, 195_031_454, None)], {**RESNET18, "parameters": 11_689_512}
    )
    assert [code for code, _, _ in _v_findings(card)] == ["V004"]


def _conventions(card: Path) -> dict[str, str]:
    from modelindex.checks.context import Context

    settings = Settings(measurements=card.parent / "measurements.json")
    context = Context(modelindex.load(card), settings)
    return {name: c.describe() for name, c in context.measured.conventions.items()}


def test_flops_convention_is_inferred_and_outliers_flagged(write) -> None:
    macs = RESNET18["macs"]
    card = _zoo(
        write,
        [
            ("a", 11_689_512, None, round(1.29 * macs)),
            ("b", 11_689_512, None, round(1.29 * macs)),
            ("c", 11_689_512, None, round(1.27 * macs)),
            ("d", 11_689_512, None, round(4.1 * macs)),
        ],
        RESNET18,
    )
    assert _conventions(card) == {"Nets": "no known convention (≈1.29 x MACs)"}
    [(code, field, fix)] = _v_findings(card)
    assert (code, field, fix) == ("V003", "FLOPs", None)


@pytest.mark.parametrize(
    ("flops", "convention"),
    [
        (1_814_000_000, "MACs"),
        (3_630_000_000, "FLOPs = 2 x MACs"),
        # mmpretrain's 1.82 G for ResNet-18: 0.3% above its MACs, 0.07% below mmcv-style.
        (1_820_000_000, "mmcv-style FLOPs (MACs + 2 x BatchNorm + ReLU outputs)"),
    ],
)
def test_a_known_convention_is_named(write, flops: int, convention: str) -> None:
    card = _zoo(write, [(name, 11_689_512, None, flops) for name in "abc"], RESNET18)
    assert _conventions(card) == {"Nets": convention}
    assert _v_findings(card) == []


def test_an_off_convention_model_gets_the_conventional_value_as_fix(write) -> None:
    models = [(name, 11_689_512, None, 1_814_000_000) for name in "abc"]
    card = _zoo(write, [*models, ("d", 11_689_512, None, 3_628_000_000)], RESNET18)
    assert _v_findings(card) == [("V003", "FLOPs", f"FLOPs: {RESNET18['macs']}")]


def test_a_collection_without_one_convention_blames_no_model(write) -> None:
    # Big Transfer's cards: FLOPs between 2.5e-5 and 2.8e-4 x MACs, no two alike.
    flops = [5_000, 40_000, 200_000, 500_000]
    card = _zoo(
        write, [(f"m{i}", 11_689_512, None, value) for i, value in enumerate(flops)], RESNET18
    )
    assert _conventions(card)["Nets"].startswith("none: the cards give")
    assert _v_findings(card) == []


def test_the_final_table_names_the_convention_and_the_odd_model(write, capsys) -> None:
    models = [(name, 11_689_512, None, 1_814_000_000) for name in "abc"]
    card = _zoo(write, [*models, ("d", 11_689_512, None, 3_628_000_000)], RESNET18)
    index = modelindex.load(card)
    cache = MeasurementCache(card.parent / "measurements.json")
    outcomes = [
        Outcome(
            m.name,
            "cached",
            reference_for(m),
            Measurement.from_data({**_entry(11_689_512), **RESNET18}),
            card=m,
        )
        for m in index.models
    ]
    assert print_outcomes(index, outcomes, cache, as_json=True) == 1
    rows = json.loads(capsys.readouterr().out)
    assert {row["flops_convention"] for row in rows} == {"MACs"}
    assert [row["verdict"] for row in rows] == [*["verified"] * 3, "verified, FLOPs off convention"]
    print_outcomes(index, outcomes, cache, as_json=False)
    assert "FLOPs conventions by collection:\n  Nets (4 models): MACs" in capsys.readouterr().out
    # A run of d alone (--only d) judges it by the same convention, from the cache.
    assert print_outcomes(index, outcomes[3:], cache, as_json=True) == 1
    [row] = json.loads(capsys.readouterr().out)
    assert row["verdict"] == "verified, FLOPs off convention"


def test_two_models_of_one_name_are_each_compared_with_their_own_card(write, capsys) -> None:
    card = write(
        "model-index.yml",
        "Models:\n"
        "- Name: resnet18\n  Metadata: {Parameters: 11689512}\n"
        "  Results: [{Task: T, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 70}}]\n"
        "- Name: resnet18\n  Metadata: {Parameters: 11173962}\n"
        "  Results: [{Task: T, Dataset: CIFAR 10, Metrics: {Top 1 Accuracy: 94}}]\n",
    )
    index = modelindex.load(card)
    outcomes = [
        Outcome(
            "resnet18", "measured", reference_for(m), Measurement.from_data(_entry(count)), card=m
        )
        for m, count in zip(index.models, (11_689_512, 11_173_962), strict=True)
    ]
    cache = MeasurementCache(card.parent / "m.json")
    assert print_outcomes(index, outcomes, cache, as_json=True) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["verdict"] for row in rows] == ["verified", "verified"]
    assert rows[1]["reference"] == "timm resnet18 (10 classes, 224 px)"


def test_every_mmpretrain_readme_row_is_explained_by_mmcv_style_flops() -> None:
    # The committed measurements (timm 1.0.31) against each row of the seed README's tables.
    cache = MeasurementCache(Path(__file__).parent.parent / "data" / "measurements.json")
    rows = modelindex.load(SEED_README_TABLE).models
    assert len(rows) == 22
    wrong_parameters = []
    for model in rows:
        measured = cache.latest_for(model.name, reference_for(model))
        assert measured is not None, model.name
        declared = model.metadata.flops
        allowed = max(model.rounding["FLOPs"], 0.005 * declared)
        assert abs(measured.mmcv_flops - declared) <= allowed, model.name
        if abs(measured.parameters - model.metadata.parameters) > model.rounding["Parameters"]:
            wrong_parameters.append(model.name)
    assert wrong_parameters == ["resnet34_8xb32_in1k"]  # 2.18 M for 21.80 M


def test_flops_in_bare_giga_units_do_not_break_the_convention_rule(write) -> None:
    # FLOPs: 4 (meaning 4 G) for three models, 1 for a model measured a thousand times smaller:
    # its expected value under the collection's ratio rounds to zero FLOPs.
    card = _zoo(write, [*[(n, 11_689_512, None, 4) for n in "abc"], ("d", 11_689_512, None, 1)], {})
    cache = MeasurementCache(card.parent / "measurements.json")
    for name, macs in (*[(n, 1_000_000_000) for n in "abc"], ("d", 1_000_000)):
        cache.put(
            cache_key(name, Reference(name, 1000, 224), "1.0.31"),
            {**_entry(11_689_512), "macs": macs, "mmcv_flops": macs},
        )
    cache.save()
    assert [code for code, _, _ in _v_findings(card)] == []


def test_exact_macs_without_batchnorm_are_named_macs_not_mmcv_style(write) -> None:
    # A ViT has no BatchNorm or ReLU: its mmcv-style count equals its MACs.
    vit = {**RESNET18, "macs": 4_250_000_000, "mmcv_flops": 4_250_000_000}
    card = _zoo(write, [(name, 11_689_512, None, 4_250_000_000) for name in "abc"], vit)
    assert _conventions(card) == {"Nets": "MACs"}
