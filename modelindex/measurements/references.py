"""Which reference implementation measures a zoo model, at which input size and class count.

timm is the default reference: a card's name is a timm name (old names go through timm's own
deprecation map). ``data/references.yml`` maps the names of other zoos, such as mmpretrain's
``resnetv1d50_8xb32_in1k``, to a timm architecture and its variant (a CIFAR stem, a size).
This module needs no torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from modelindex.bundled import bundled_path
from modelindex.schema import Model

DEFAULT_IMAGE_SIZE = 224
# Class counts by the dataset of a model's first result, its name in lower case without spaces,
# hyphens or underscores ("CIFAR-10", "cifar 10" and "cifar_10" are one dataset). Any other
# dataset (ImageNet-21k, say) is measured with the library's own default for the model.
DATASET_CLASSES = {
    "imagenet": 1000,
    "imagenet1k": 1000,
    "cifar10": 10,
    "cifar100": 100,
    "cub2002011": 200,
    "cub200": 200,
    "cub": 200,
}


@dataclass(frozen=True)
class Reference:
    """What to build: a timm model id, and how to adapt it to the zoo model."""

    model_id: str
    num_classes: int | None
    """None: the library's default for the model."""
    image_size: int
    stem: str | None = None
    library: str = "timm"

    def describe(self) -> str:
        extras = f", {self.stem} stem" if self.stem else ""
        classes = f"{self.num_classes} classes" if self.num_classes else "default classes"
        size = f"{classes}, {self.image_size} px{extras}"
        return f"{self.library} {self.model_id} ({size})"


@dataclass(frozen=True)
class _Mapping:
    pattern: re.Pattern[str]
    model_id: str
    stem: str | None
    image_size: int | None


def references_path() -> Path:
    return bundled_path("data") / "references.yml"


@lru_cache(maxsize=4)
def load_mappings(path: Path | None = None) -> tuple[_Mapping, ...]:
    entries = yaml.safe_load((path or references_path()).read_text(encoding="utf-8")) or []
    return tuple(
        _Mapping(
            re.compile(entry["pattern"]),
            entry["timm"],
            entry.get("stem"),
            entry.get("image_size"),
        )
        for entry in entries
    )


def _classes(model: Model) -> int | None:
    dataset = (model.results[0].dataset or "") if model.results else ""
    return DATASET_CLASSES.get(re.sub(r"[\s_-]+", "", dataset.lower()))


def reference_for(model: Model, mappings: tuple[_Mapping, ...] | None = None) -> Reference | None:
    """The reference for ``model``, or None when its name maps to nothing (timm decides later
    whether a plain name is one of its models)."""
    if not model.name:
        return None
    for mapping in mappings if mappings is not None else load_mappings():
        match = mapping.pattern.fullmatch(model.name)
        if match:
            size = model.metadata.image_size or mapping.image_size or DEFAULT_IMAGE_SIZE
            return Reference(match.expand(mapping.model_id), _classes(model), size, mapping.stem)
    size = model.metadata.image_size or DEFAULT_IMAGE_SIZE
    return Reference(model.name, _classes(model), size)
