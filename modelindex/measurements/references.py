"""Which reference implementations measure a zoo model, at which input size and class count.

A model from an OpenMMLab metafile (one whose ``Config`` is a ``configs/....py`` file) is
measured first by its zoo's own code, mmpretrain: by its name where mmpretrain has a model of
that name, else by its config, at the input size of the config's test pipeline.

timm measures every model too: a card's name is a timm name (old names go through timm's own
deprecation map), and ``data/references.yml`` maps the names of other zoos, such as
mmpretrain's ``resnetv1d50_8xb32_in1k``, to a timm architecture and its variant (a CIFAR stem,
a size). This module needs no torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from modelindex.bundled import bundled_path
from modelindex.dataset_names import dataset_name
from modelindex.schema import Model

DEFAULT_IMAGE_SIZE = 224
# Class counts by the dataset of a model's first result, by its one name (dataset_names):
# "CIFAR-10", "cifar 10" and "cifar_10" are one dataset. Any other dataset (ImageNet-21k, say)
# is measured with the library's own default for the model.
DATASET_CLASSES = {"ImageNet-1k": 1000, "CIFAR-10": 10, "CIFAR-100": 100, "CUB-200-2011": 200}


TIMM = "timm"
MMPRETRAIN = "mmpretrain"
# A config as OpenMMLab metafiles write it: relative to the repository root, or a URL into it.
_OPENMMLAB_CONFIG = re.compile(r"(?:^|/)(configs/(?:[\w.+-]+/)*[\w.+-]+\.py)")


@dataclass(frozen=True)
class Reference:
    """What to build: a model of a reference library, and how to adapt it to the zoo model."""

    model_id: str
    num_classes: int | None
    """None: the library's default for the model (for mmpretrain, its config's)."""
    image_size: int | None
    """None: the input size of the config's test pipeline (mmpretrain)."""
    stem: str | None = None
    library: str = TIMM
    config: str | None = None
    """mmpretrain: the card's config (``configs/...py``), used where the name is not the
    library's."""

    @property
    def built(self) -> str:
        """What is built, as the cache keys it: the model id, and the card's config."""
        return f"{self.model_id} {self.config}" if self.config else self.model_id

    @property
    def size(self) -> str:
        return f"{self.image_size} px" if self.image_size else "test-pipeline size"

    def describe(self) -> str:
        extras = f", {self.stem} stem" if self.stem else ""
        classes = f"{self.num_classes} classes" if self.num_classes else "default classes"
        return f"{self.library} {self.model_id} ({classes}, {self.size}{extras})"


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
    dataset = dataset_name(model.results[0].dataset) if model.results else None
    return DATASET_CLASSES.get(dataset or "")


def references_for(model: Model) -> tuple[Reference, ...]:
    """The references that may measure ``model``, its zoo's own library first."""
    timm = reference_for(model)
    if timm is None:
        return ()
    own = openmmlab_reference(model)
    return (own, timm) if own else (timm,)


def openmmlab_reference(model: Model) -> Reference | None:
    """mmpretrain's build of ``model``, for a model whose Config is an OpenMMLab config."""
    config = _OPENMMLAB_CONFIG.search(model.config or "")
    if not model.name or not config or "/../" in config.group(1):
        return None
    return Reference(model.name, None, None, library=MMPRETRAIN, config=config.group(1))


def reference_for(model: Model, mappings: tuple[_Mapping, ...] | None = None) -> Reference | None:
    """The timm reference for ``model``, or None for a model with no name (timm decides later
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
