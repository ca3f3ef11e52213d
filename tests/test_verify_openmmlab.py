"""The mmpretrain backend: mmpretrain's own model code, built from its own configs.

Skipped when mmpretrain is not installed, unless MODELINDEX_REQUIRE_OPENMMLAB=1 (as in
.ci/run), where a missing library fails them instead. Install:
``pip install '.[verify,verify-openmmlab]' && pip install --no-deps mmpretrain==1.2.0``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import modelindex
from modelindex.measurements.cache import MeasurementCache
from modelindex.measurements.references import references_for
from modelindex.verify import run
from modelindex.verify.openmmlab_harness import measure_openmmlab
from modelindex.verify.openmmlab_zoo import OpenMMLabZoo, installed_zoo
from modelindex.verify.torch_env import VerifyUnavailable, import_mmpretrain_models, import_torch
from tests.conftest import FIXTURES

REQUIRED = os.environ.get("MODELINDEX_REQUIRE_OPENMMLAB") == "1"
ZOO = FIXTURES / "mmpretrain-1.2.0"


@pytest.fixture(scope="module")
def zoo() -> OpenMMLabZoo:
    found = installed_zoo()
    if found is None:
        if REQUIRED:
            pytest.fail("mmpretrain is not installed, and MODELINDEX_REQUIRE_OPENMMLAB=1")
        pytest.skip("mmpretrain is not installed")
    return found


@pytest.fixture(scope="module")
def libraries(zoo: OpenMMLabZoo):
    try:
        return import_torch(), import_mmpretrain_models()
    except VerifyUnavailable as error:
        if REQUIRED:
            raise
        pytest.skip(str(error))


def _measure(name: str, zoo: OpenMMLabZoo, libraries):
    card = modelindex.load(zoo.root / "model-index.yml")[name]
    reference = references_for(card)[0]
    config = zoo.config_for(reference)
    assert config is not None
    return measure_openmmlab(reference, zoo.root, config, *libraries, zoo.version)


def test_its_zoo_is_read_from_its_own_wheel(zoo: OpenMMLabZoo) -> None:
    assert len(zoo.configs) >= 500
    assert zoo.configs["resnet50_8xb32_in1k"] == "configs/resnet/resnet50_8xb32_in1k.py"


def test_a_model_built_on_meta_is_counted_exactly(zoo, libraries) -> None:
    measured = _measure("repvgg-B0_8xb32_in1k", zoo, libraries)
    assert measured.parameters == 15_817_960
    assert measured.library == "mmpretrain" and measured.reference.endswith(
        "repvgg-B0_8xb32_in1k.py"
    )
    # Re-parameterized, RepVGG fuses its three branches into one convolution.
    assert measured.deploy_parameters is not None and measured.deploy_parameters < 15_817_960


def test_a_model_that_reads_values_while_it_initialises_is_built_all_the_same(
    zoo, libraries
) -> None:
    # mmpretrain's ResNet calls Tensor.item() on its drop-path schedule, which meta refuses.
    measured = _measure("resnet50_8xb32_in1k", zoo, libraries)
    assert measured.parameters == 25_557_032
    # mmpretrain's table gives 4.12 G: the mmcv-style count.
    assert abs(measured.mmcv_flops - 4.12e9) <= 0.005e9


def test_the_input_size_is_the_test_pipelines(zoo, libraries) -> None:
    measured = _measure("vit-base-p16_in21k-pre_3rdparty_in1k-384px", zoo, libraries)
    assert (measured.input_size, measured.input_size_from) == (
        "384x384",
        "the config's test pipeline",
    )


def test_a_forward_pass_that_fails_on_meta_runs_on_the_cpu(zoo, libraries) -> None:
    # T2T-ViT makes a CPU tensor in its forward pass, which meta tensors cannot meet.
    measured = _measure("t2t-vit-t-14_8xb64_in1k", zoo, libraries)
    assert measured.parameters == 21_465_422 and measured.macs > 4e9


def test_a_model_that_would_download_a_teacher_is_refused_the_network(zoo, tmp_path) -> None:
    index = modelindex.load(zoo.root / "model-index.yml")
    cache = MeasurementCache(tmp_path / "m.json")
    [outcome] = run.verify(index, cache, only="milan_vit-base-p16_16xb256-amp-coslr-400e_in1k")
    assert outcome.status == "failed"
    assert "without the network" in (outcome.reason or "")
    # Every later run would be refused the same: the failure is remembered.
    assert sorted(r["status"] for r in cache.unmeasurable.values()) == ["failed", "not verifiable"]


def test_both_backends_measure_and_a_rerun_starts_no_worker(
    zoo, tmp_path: Path, monkeypatch
) -> None:
    copy = tmp_path / "zoo"
    shutil.copytree(ZOO, copy, ignore=shutil.ignore_patterns("measurements.json"))
    index = modelindex.load(copy)
    cache = MeasurementCache(tmp_path / "m.json")
    outcomes = run.verify(index, cache, only="res*34_8xb32_in1k")
    [resnet34] = outcomes
    assert resnet34.measurement.library == "mmpretrain"
    assert [other.measurement.library for other in resnet34.others] == ["timm"]

    def no_worker(*_args: object) -> None:
        raise AssertionError("a cached rerun measured a model")

    monkeypatch.setattr(run, "_measure_one", no_worker)
    again = run.verify(index, cache, only="res*34_8xb32_in1k")
    assert [o.status for o in again] == ["cached"]
