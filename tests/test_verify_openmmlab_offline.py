"""The mmpretrain backend's parts that need no torch: which references measure a model, the
input size of a config's test pipeline, the counts a card may declare, the cache of what could
not be measured, and the V rules on mmpretrain 1.2.0's own metafiles with what verify measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import modelindex
from modelindex._version import __version__
from modelindex.checks import Settings, validate
from modelindex.measurements.cache import MeasurementCache, cache_key
from modelindex.measurements.record import Measurement
from modelindex.measurements.references import (
    MMPRETRAIN,
    Reference,
    openmmlab_reference,
    references_for,
)
from modelindex.verify.openmmlab_harness import input_size
from modelindex.verify.report import agreement
from modelindex.verify.run import Outcome
from tests.conftest import FIXTURES, SEEDS

ZOO = FIXTURES / "mmpretrain-1.2.0"


def test_an_openmmlab_model_is_measured_by_mmpretrain_first_then_by_timm() -> None:
    model = modelindex.load(ZOO)["resnet50_8xb32_in1k"]
    assert references_for(model) == (
        Reference(
            "resnet50_8xb32_in1k",
            None,
            None,
            library=MMPRETRAIN,
            config="configs/resnet/resnet50_8xb32_in1k.py",
        ),
        Reference("resnet50", 1000, 224),
    )


def test_a_timm_card_is_measured_by_timm_alone() -> None:
    model = modelindex.load(SEEDS / "tresnet.md")["tresnet_xl_448"]
    assert references_for(model) == (Reference("tresnet_xl_448", 1000, 448),)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("configs/vgg/vgg11_8xb32_in1k.py", "configs/vgg/vgg11_8xb32_in1k.py"),
        (
            "https://github.com/open-mmlab/mmpretrain/blob/main/configs/vgg/vgg11_8xb32_in1k.py",
            "configs/vgg/vgg11_8xb32_in1k.py",
        ),
        ("configs/../../../etc/passwd.py", None),
        ("configs/vgg/README.md", None),
        ("myconfigs/vgg/vgg11.py", None),
    ],
)
def test_only_a_config_under_configs_makes_an_mmpretrain_reference(
    write, config: str, expected: str | None
) -> None:
    card = write("model-index.yml", f"Models:\n- Name: net\n  Config: {config}\n")
    found = openmmlab_reference(modelindex.load(card)["net"])
    assert (found.config if found else None) == expected


@pytest.mark.parametrize(
    ("config", "name", "expected"),
    [
        # ResizeEdge to 256 then a 224 crop: the crop is what the network sees.
        (
            {
                "test_pipeline": [
                    {"type": "ResizeEdge", "scale": 256, "edge": "short"},
                    {"type": "CenterCrop", "crop_size": 224},
                ]
            },
            "net",
            (224, 224, "the config's test pipeline"),
        ),
        # mmcv writes sizes as (width, height).
        (
            {"test_pipeline": [{"type": "Resize", "scale": (480, 384)}]},
            "net",
            (384, 480, "the config's test pipeline"),
        ),
        (
            {"test_dataloader": {"dataset": {"type": "CIFAR10", "pipeline": [{"type": "Pack"}]}}},
            "net",
            (32, 32, "the native size of CIFAR10"),
        ),
        ({"model": {"backbone": {"img_size": 384}}}, "net", (384, 384, "the backbone's img_size")),
        ({}, "swin-l_glip-pre_3rdparty_384px", (384, 384, "the model's name")),
        ({"test_pipeline": [{"type": "CenterCrop", "crop_size": 10**9}]}, "net", (224, 224)),
    ],
)
def test_the_input_size_is_the_test_pipelines(config: dict, name: str, expected: tuple) -> None:
    assert input_size(config, name)[: len(expected)] == expected


# What verify measured of the fixture's models (tests/fixtures/mmpretrain-1.2.0/SOURCE.md).
def _findings(code: str) -> list[tuple[str | None, str]]:
    settings = Settings(select=("V",), measurements=ZOO / "measurements.json")
    report = validate(modelindex.load(ZOO), settings)
    return [(f.model, f.message) for f in report.findings if f.code == code]


def test_the_known_errors_of_mmpretrains_metafiles_are_v001_errors() -> None:
    found = dict(_findings("V001"))
    assert sorted(found) == ["repvgg-B0_8xb32_in1k", "resnet34_8xb32_in1k"]
    assert "differ from the 21797672 that mmpretrain 1.2.0" in found["resnet34_8xb32_in1k"]
    assert "15817960" in found["repvgg-B0_8xb32_in1k"]
    assert "re-parameterized for deployment" in found["repvgg-B0_8xb32_in1k"]


def test_deployed_counts_are_not_errors() -> None:
    # RepVGG, MobileOne and LeViT declare their fused forms; their FLOPs are those forms' too.
    flagged = {model for code in ("V001", "V003") for model, _ in _findings(code)}
    assert flagged <= {"repvgg-B0_8xb32_in1k", "resnet34_8xb32_in1k"}
    assert any(m.name == "mobileone-s0_8xb32_in1k" for m in modelindex.load(ZOO).models)


def test_the_fixtures_measurements_came_from_mmpretrain_and_timm() -> None:
    entries = json.loads((ZOO / "measurements.json").read_text(encoding="utf-8"))["entries"]
    libraries = {entry["library"] for entry in entries.values()}
    assert libraries == {"mmpretrain", "timm"}


def _measurement(library: str, parameters: int, macs: int, size: str) -> Measurement:
    return Measurement(
        reference="net",
        library_version="1",
        parameters=parameters,
        buffers=0,
        tensors=1,
        state_dict_bytes=4,
        state_dict_bytes_fp16=2,
        macs=macs,
        mmcv_flops=macs,
        seconds=0.1,
        library=library,
        input_size=size,
    )


def test_two_backends_agree_or_say_how_they_differ() -> None:
    def outcome(timm: Measurement) -> Outcome:
        first = _measurement("mmpretrain", 100, 1000, "224x224")
        return Outcome(
            "net", "measured", None, first, others=(Outcome("net", "measured", None, timm),)
        )

    assert agreement(outcome(_measurement("timm", 100, 1005, "224x224"))) == (
        "mmpretrain and timm agree"
    )
    assert agreement(outcome(_measurement("timm", 101, 1000, "224x224"))) == (
        "mmpretrain and timm differ: parameters 100 (mmpretrain) vs 101 (timm)"
    )
    assert "MACs at 224x224" in agreement(outcome(_measurement("timm", 100, 2000, "224x224")))
    # At another input size, MACs say nothing of agreement.
    assert agreement(outcome(_measurement("timm", 100, 2000, "384x384"))).endswith("agree")
    assert agreement(Outcome("net", "failed")) is None


def test_what_could_not_be_measured_is_remembered_for_this_modelindex_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.json"
    reference = Reference("net", None, None, library=MMPRETRAIN, config="configs/a/net.py")
    key = cache_key("net", reference, "1.2.0")
    cache = MeasurementCache(path)
    cache.put_unmeasurable(key, "failed", "ImportError: needs transformers", "2026-11-29")
    cache.save()
    record = MeasurementCache(path).unmeasurable_record(key)
    assert record is not None and record["reason"] == "ImportError: needs transformers"
    # A newer modelindex may measure what this one could not: it tries again.
    document = json.loads(path.read_text(encoding="utf-8"))
    document["unmeasurable"][key]["modelindex"] = __version__ + ".old"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert MeasurementCache(path).unmeasurable_record(key) is None


def test_a_measurement_replaces_the_record_that_it_could_not_be_measured(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    key = cache_key("net", Reference("net", 1000, 224), "1.0")
    cache = MeasurementCache(path)
    cache.put_unmeasurable(key, "failed", "RuntimeError", "2026-11-29")
    cache.save()
    cache = MeasurementCache(path)
    cache.put(key, _measurement("timm", 100, 1000, "224x224").as_data())
    cache.save()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert key in document["entries"] and "unmeasurable" not in document


def test_older_cache_entries_read_as_timm_measurements() -> None:
    entry = _measurement("timm", 100, 1000, "").as_data()
    del entry["library"]
    assert Measurement.from_data(entry).library == "timm"
    assert Measurement.from_data(entry).deploy_parameters is None
