"""One name per dataset, shared by `list --where`, the rules' class counts and the site."""

from __future__ import annotations

import pytest

import modelindex
from modelindex.dataset_names import dataset_identity, dataset_name
from modelindex.measurements.references import references_for
from modelindex.query import compile_filter, row_of
from tests.conftest import MMPRETRAIN, SEEDS


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("ImageNet", "ImageNet-1k"),
        ("imagenet-1k", "ImageNet-1k"),
        ("IN1k", "ImageNet-1k"),
        ("ImageNet-22K", "ImageNet-21k"),
        ("COCO 2017 val", "COCO"),
        ("coco", "COCO"),
        ("COCO test-dev", "COCO test-dev"),  # another split: other numbers
        ("K400", "Kinetics-400"),
        ("cifar_100", "CIFAR-100"),
        ("MPII  Human Pose", "MPII Human Pose"),  # not a known one: as written
        ("-", None),
        (None, None),
    ],
)
def test_each_spelling_has_one_name(written: str | None, name: str | None) -> None:
    assert dataset_name(written) == name


def test_unknown_spellings_of_one_dataset_still_compare_equal() -> None:
    assert dataset_identity("MPII") == dataset_identity("mpii") != dataset_identity("LSP")


def test_list_where_finds_a_dataset_by_any_spelling() -> None:
    zoo = modelindex.load(MMPRETRAIN)  # mmpretrain writes ImageNet-1k
    for spelling in ("imagenet", "ImageNet-1k", "IN1K"):
        keep = compile_filter(f"dataset == {spelling!r}")
        assert sum(keep(model) for model in zoo) == 17  # of 24: 7 are CIFAR and CUB models
    keep = compile_filter("dataset in ['cifar10', 'CIFAR-100']")
    assert sorted(row_of(m)["dataset"] for m in zoo if keep(m)) == ["CIFAR-10"] * 5 + ["CIFAR-100"]
    assert compile_filter("dataset != 'imagenet'")(zoo["resnet50_8xb32_in1k"]) is False


def test_timm_and_mmpretrain_rows_share_the_name_and_the_class_count() -> None:
    timm_row = row_of(modelindex.load(SEEDS)["resnet50d"])
    mmpretrain_row = row_of(modelindex.load(MMPRETRAIN)["resnet50_8xb32_in1k"])
    assert timm_row["dataset"] == mmpretrain_row["dataset"] == "ImageNet-1k"
    [reference] = references_for(modelindex.load(SEEDS)["resnet50d"])
    assert reference.num_classes == 1000
