"""Dataset names as zoos write them: 'Kinetics-400', 'kinetics400', 'K400', 'SthV2'."""

from __future__ import annotations

import re

_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_NOT_DIGIT = re.compile(r"\D")
_VERSION = re.compile(r"v\d{1,3}$")
# Placeholders zoos write where a result has no dataset.
_NO_DATASET = {"", "unknown", "none", "na", "null", "tbd"}


def dataset_key(name: str | None) -> str:
    """The name without case or punctuation: 'Kinetics-400' -> 'kinetics400'. '-' gives ''."""
    key = _NOT_ALPHANUMERIC.sub("", (name or "").lower())
    return "" if key in _NO_DATASET else key


def same_dataset(key: str, other: str) -> bool:
    """Keys of one dataset: equal, or one the abbreviation of the other ('sthv1' and
    'somethingsomethingv1', 'k400' and 'kinetics400': same first letter, same digits, letters
    in order). A name that begins another ('coco', 'cocowholebody') is another dataset."""
    if not key or not other:
        return False
    if key == other:
        return True
    # 'COCO-WholeBody v1.0' is COCO-WholeBody where the other name gives no version.
    versioned = [bool(_VERSION.search(name)) for name in (key, other)]
    if versioned[0] != versioned[1]:
        bare = _VERSION.sub("", key if versioned[0] else other)
        if bare and bare == (other if versioned[0] else key):
            return True
    short, long = sorted((key, other), key=len)
    if len(short) < 3 or long.startswith(short) or short[0] != long[0]:
        return False
    if _NOT_DIGIT.sub("", short) != _NOT_DIGIT.sub("", long):
        return False
    letters = iter(long)
    return all(character in letters for character in short)


# One name for each dataset that zoos spell several ways, by dataset_key. A name that is not
# here is shown as written; two of its spellings still compare equal through dataset_key.
_CANONICAL_SPELLINGS = {
    "ImageNet-1k": ("imagenet", "imagenet1k", "in1k", "ilsvrc2012", "ilsvrc12", "imagenet2012"),
    "ImageNet-21k": ("imagenet21k", "imagenet22k", "in21k", "in22k"),
    "COCO": ("coco", "mscoco", "coco2017", "cocoval2017", "coco2017val", "cocoval"),
    "COCO test-dev": ("cocotestdev", "cocotestdev2017", "coco2017testdev"),
    "CIFAR-10": ("cifar10",),
    "CIFAR-100": ("cifar100",),
    "CUB-200-2011": ("cub", "cub200", "cub2002011"),
    "Kinetics-400": ("kinetics400", "k400"),
    "Kinetics-600": ("kinetics600", "k600"),
    "Kinetics-700": ("kinetics700", "k700"),
    "Something-Something V1": ("somethingsomethingv1", "sthv1"),
    "Something-Something V2": ("somethingsomethingv2", "sthv2", "ssv2"),
    "ADE20K": ("ade20k",),
    "Cityscapes": ("cityscapes",),
}
_CANONICAL = {key: name for name, keys in _CANONICAL_SPELLINGS.items() for key in keys}


def dataset_name(name: str | None) -> str | None:
    """The one name of a dataset that zoos spell several ways ('imagenet-1k', 'ImageNet' and
    'IN1k' are 'ImageNet-1k'); any other name as written, its spaces collapsed; None for none."""
    if name is None:
        return None
    key = dataset_key(name)
    if not key:
        return None
    return _CANONICAL.get(key) or " ".join(str(name).split())


def dataset_identity(name: str | None) -> str:
    """What two spellings of one dataset share: compare these, never the names."""
    return dataset_key(dataset_name(name))


__all__ = ["dataset_identity", "dataset_key", "dataset_name", "same_dataset"]
