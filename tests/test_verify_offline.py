"""The parts of verify that need no torch: references, the measurement cache, the V rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import Settings, validate
from modelindex.verify.cache import MeasurementCache, cache_key
from modelindex.verify.references import Reference, reference_for
from tests.conftest import MMPRETRAIN, SEEDS


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


def _entry(parameters: int, when: str = "2026-01-01T00:00:00+00:00") -> dict[str, object]:
    return {
        "reference": "net",
        "library_version": "1.0",
        "parameters": parameters,
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
    assert reloaded.latest_for("net", reference)["parameters"] == 11
    assert reloaded.latest_for("other", reference) is None
    assert not reloaded.changed


def test_a_corrupt_cache_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.warns(UserWarning, match="unreadable measurement cache"):
        cache = MeasurementCache(path)
    assert cache.entries == {}


def _zoo_with_cache(write, parameters: int, file_size: int, measured: int) -> Path:
    card = write(
        "model-index.yml",
        "Models:\n- Name: net\n"
        f"  Metadata: {{Parameters: {parameters}, File Size: {file_size}}}\n"
        "  Weights: https://example.org/net-0123abcd.pth\n"
        "  Results: [{Task: T, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 80}}]\n",
    )
    cache = MeasurementCache(card.parent / "measurements.json")
    cache.put(cache_key("net", Reference("net", 1000, 224), "1.0.31"), _entry(measured))
    cache.save()
    return card


def _v_findings(card: Path) -> list[tuple[str, str | None, str | None]]:
    settings = Settings(select=("V",), measurements=card.parent / "measurements.json")
    report = validate(modelindex.load(card), settings)
    return [(f.code, f.field, f.fix) for f in report.findings]


def test_declared_parameters_against_measured(write) -> None:
    card = _zoo_with_cache(write, 41_282_200, 125_861_314, 31_389_032)
    assert _v_findings(card) == [("V001", "Parameters", "Parameters: 31389032")]


def test_parameters_within_half_a_percent_agree(write) -> None:
    card = _zoo_with_cache(write, 25_580_000, 102_567_109, 25_576_264)
    assert _v_findings(card) == []


def test_parameters_that_fit_the_checkpoint_but_not_the_library_are_drift(write) -> None:
    card = _zoo_with_cache(write, 48_750_000, 195_031_454, 22_050_664)
    [(code, field, _)] = _v_findings(card)
    assert (code, field) == ("V004", "Parameters")


def test_the_committed_cache_is_valid_json_keyed_as_documented() -> None:
    document = json.loads((Path(__file__).parent.parent / "data" / "measurements.json").read_text())
    assert document["format"] == 1
    key, entry = next(iter(document["entries"].items()))
    assert key.count(" | ") == 3 and {"parameters", "macs", "mmcv_flops"} <= set(entry)
