"""The torch harness on the meta device; skipped when the [verify] extra is not installed."""

from __future__ import annotations

import pytest

from modelindex.verify.harness import NotVerifiable, measure
from modelindex.verify.references import Reference
from modelindex.verify.torch_env import VerifyUnavailable, import_torch_and_timm

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def libraries():
    # timm is imported through the harness, which knows the torchvision workaround.
    try:
        return import_torch_and_timm()
    except VerifyUnavailable as error:
        pytest.skip(str(error))


@pytest.mark.parametrize(
    ("reference", "parameters"),
    [
        (Reference("resnet50d", 1000, 224), 25_576_264),
        (Reference("tresnet_m", 1000, 224), 31_389_032),
        (Reference("tresnet_xl_448", 1000, 448), 78_436_244),
        (Reference("resnet18", 10, 32, "cifar"), 11_173_962),
        (Reference("resnet50", 200, 448), 23_917_832),
    ],
)
def test_parameters_are_counted_exactly(libraries, reference: Reference, parameters: int) -> None:
    assert measure(reference, *libraries).parameters == parameters


def test_mmcv_style_flops_explain_mmpretrain_tables(libraries) -> None:
    # mmpretrain's table: ResNet-18 1.82 G, ResNet-50 4.12 G, CIFAR ResNet-18 0.56 G.
    for reference, table in (
        (Reference("resnet18", 1000, 224), 1.82e9),
        (Reference("resnet50", 1000, 224), 4.12e9),
        (Reference("resnet18", 10, 32, "cifar"), 0.56e9),
    ):
        measured = measure(reference, *libraries).mmcv_flops
        assert abs(measured - table) <= max(0.005e9, 0.005 * table), reference


def test_an_unknown_name_is_not_verifiable(libraries) -> None:
    with pytest.raises(NotVerifiable, match="no model named"):
        measure(Reference("no_such_net", 1000, 224), *libraries)
