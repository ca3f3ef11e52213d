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


__all__ = ["dataset_key", "same_dataset"]
