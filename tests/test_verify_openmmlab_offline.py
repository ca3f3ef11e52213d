"""The mmpretrain backend's parts that need no torch: which references measure a model, the
input size of a config's test pipeline, the counts a card may declare, the cache of what could
not be measured, and the V rules on mmpretrain 1.2.0's own metafiles with what verify measured.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

import modelindex
from modelindex._version import __version__
from modelindex.checks import Settings, validate
from modelindex.measurements.cache import MeasurementCache, cache_key
from modelindex.measurements.compare import agreeing_form
from modelindex.measurements.record import Measurement
from modelindex.measurements.references import (
    MMPRETRAIN,
    Reference,
    openmmlab_reference,
    references_for,
)
from modelindex.verify import run
from modelindex.verify.openmmlab_harness import input_size
from modelindex.verify.openmmlab_zoo import OpenMMLabZoo
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
    reason = "ImportError: needs transformers"
    cache.put_unmeasurable(key, "failed", reason, "2026-11-29", "torch 2.13.0, no transformers")
    cache.save()
    record = MeasurementCache(path).unmeasurable_record(key, "torch 2.13.0, no transformers")
    assert record is not None and record["reason"] == reason
    # With transformers installed since, or another torch, the model is tried again.
    assert MeasurementCache(path).unmeasurable_record(key, "torch 2.13.0, transformers 4.4") is None
    # And so with a newer modelindex, which may measure what this one could not.
    document = json.loads(path.read_text(encoding="utf-8"))
    document["unmeasurable"][key]["modelindex"] = __version__ + ".old"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert MeasurementCache(path).unmeasurable_record(key, "torch 2.13.0, no transformers") is None


def test_a_malformed_record_of_what_could_not_be_measured_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    key = cache_key("net", Reference("net", 1000, 224), "1.0")
    record = {"status": "failed", "modelindex": __version__}  # no reason, no environment
    document = {"format": 1, "entries": {}, "unmeasurable": {key: record}}
    path.write_text(json.dumps(document), encoding="utf-8")
    assert MeasurementCache(path).unmeasurable == {}


def test_a_measurement_replaces_the_record_that_it_could_not_be_measured(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    key = cache_key("net", Reference("net", 1000, 224), "1.0")
    cache = MeasurementCache(path)
    cache.put_unmeasurable(key, "failed", "RuntimeError", "2026-11-29", "torch 2.13.0")
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


def _zoo_copy(tmp_path: Path, name: str, parameters: int) -> Path:
    """The fixture zoo with ``name`` declaring ``parameters``, and its measurements."""
    copy = tmp_path / "zoo"
    shutil.copytree(ZOO, copy)
    for metafile in copy.glob("configs/*/metafile.yml"):
        text = metafile.read_text(encoding="utf-8")
        if f"Name: {name}\n" in text:
            head, tail = text.split(f"Name: {name}\n", 1)
            tail = re.sub(r"Parameters: \d+", f"Parameters: {parameters}", tail, count=1)
            metafile.write_text(f"{head}Name: {name}\n{tail}", encoding="utf-8")
    return copy


def test_a_typo_in_a_deployed_count_gets_the_deployed_fix_and_no_flops_finding(
    tmp_path: Path,
) -> None:
    # repvgg-A0 declares 8,309,384, its deployed count; a typo leaves it 1.2% off.
    copy = _zoo_copy(tmp_path, "repvgg-A0_8xb32_in1k", 8_409_384)
    settings = Settings(select=("V",), measurements=copy / "measurements.json")
    found = [
        (f.code, f.fix)
        for f in validate(modelindex.load(copy), settings).findings
        if f.model == "repvgg-A0_8xb32_in1k"
    ]
    assert found == [("V001", "Parameters: 8309384")]


def _self_supervised(parameters: int) -> tuple[modelindex.Model, Measurement]:
    card = modelindex.load(SEEDS / "tresnet.md")["tresnet_m"]
    card = card.model_copy(
        update={"metadata": card.metadata.model_copy(update={"parameters": parameters})}
    )
    # BYOL's parts: a ResNet-50 backbone, its projector, the momentum copy of both.
    measured = dataclasses.replace(
        _measurement("mmpretrain", 23_508_032 * 2 + 4_200_000 * 2 + 1_000_000, 1, ""),
        part_parameters=(23_508_032, 27_708_032, 4_200_000, 1_000_000),
    )
    return card, measured


@pytest.mark.parametrize(
    ("parameters", "agrees"),
    [
        (23_508_032, True),  # the backbone
        (23_508_032 + 4_200_000, True),  # with its projector
        (23_508_032 + 27_708_032 + 4_200_000 + 1_000_000, True),  # the whole
        (22_900_000, True),  # less what pre-training adds inside the backbone
        (25_557_032, True),  # with the head of the classifier fine-tuned from it
        (47_016_064, False),  # twice the backbone: no parts sum to it
        (2_350_803, False),  # 10 x too small
    ],
)
def test_a_self_supervised_count_agrees_when_it_sums_some_parts(
    parameters: int, agrees: bool
) -> None:
    card, measured = _self_supervised(parameters)
    assert (agreeing_form(card, measured) is not None) is agrees


def test_the_cards_config_comes_first_and_the_name_second(tmp_path: Path) -> None:
    root = tmp_path / ".mim"
    for config in ("configs/a/net.py", "configs/b/other.py"):
        (root / config).parent.mkdir(parents=True, exist_ok=True)
        (root / config).write_text("model = dict()\n", encoding="utf-8")
    zoo = OpenMMLabZoo("mmpretrain", "1.2.0", root, {"net": "configs/a/net.py"})
    by_config = Reference("net", None, None, library=MMPRETRAIN, config="configs/b/other.py")
    assert zoo.config_for(by_config) == "configs/b/other.py"
    stale = Reference("net", None, None, library=MMPRETRAIN, config="configs/old/net_b32.py")
    assert zoo.config_for(stale) == "configs/a/net.py"


def test_an_editable_install_whose_configs_are_a_link_is_read(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout" / "configs" / "a"
    checkout.mkdir(parents=True)
    (checkout / "net.py").write_text("model = dict()\n", encoding="utf-8")
    root = tmp_path / "site" / "mmpretrain" / ".mim"
    root.mkdir(parents=True)
    (root / "configs").symlink_to(tmp_path / "checkout" / "configs")
    zoo = OpenMMLabZoo("mmpretrain", "1.2.0", root, {})
    reference = Reference("net", None, None, library=MMPRETRAIN, config="configs/a/net.py")
    assert zoo.config_for(reference) == "configs/a/net.py"


def test_a_changed_config_is_measured_anew() -> None:
    first = Reference("net", None, None, library=MMPRETRAIN, config="configs/a/r18.py")
    second = dataclasses.replace(first, config="configs/a/r50.py")
    assert cache_key("net", first, "1.2.0") != cache_key("net", second, "1.2.0")


def test_a_build_is_refused_every_kind_of_network_access() -> None:
    import socket

    with run._offline():
        for call in (
            lambda: socket.gethostbyname("example.org"),
            lambda: socket.getaddrinfo("example.org", 443),
            lambda: socket.create_connection(("127.0.0.1", 9)),
        ):
            with pytest.raises(run.NetworkRefused):
                call()
    assert socket.getaddrinfo is not None and socket.gethostbyname("localhost")


def test_what_a_rerun_may_measure_is_not_remembered_but_a_refused_network_is() -> None:
    import urllib.error

    out_of_memory = RuntimeError("[enforce fail] DefaultCPUAllocator: can't allocate memory")
    assert run._out_of_memory(out_of_memory)
    refused = urllib.error.URLError(run.NetworkRefused("no network"))
    assert run._refused_the_network(refused)
    assert not run._refused_the_network(urllib.error.URLError("timed out"))
