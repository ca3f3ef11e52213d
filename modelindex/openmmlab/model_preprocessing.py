"""A model's preprocessing from its card and, for what the card leaves out, its config.

Each config is read once per process (while its file is unchanged), as data: see
:mod:`~modelindex.openmmlab.config_reader`. Reads stay inside the model's config root: the
repository root given to ``load``, else the folder of the file that declares the model.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from modelindex.openmmlab.config_reader import ConfigError, read_config
from modelindex.openmmlab.pipeline import PipelinePreprocessing, read_pipeline
from modelindex.preprocessing import Preprocessing

# The card's fields, by the name Preprocessing gives them.
_CARD_FIELDS = {
    "image_size": "Image Size",
    "crop_pct": "Crop Pct",
    "interpolation": "Interpolation",
    "mean": "Mean",
    "std": "Std",
}


def config_preprocessing(config: str, root: str) -> PipelinePreprocessing | ConfigError:
    """What the config at ``config`` says, or why it cannot be read."""
    try:
        status = os.stat(config)
    except OSError as error:
        return ConfigError(f"cannot be read: {error.strerror}", config)
    return _read(config, root, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=512)
def _read(config: str, root: str, _mtime: int, _size: int) -> PipelinePreprocessing | ConfigError:
    try:
        return read_pipeline(read_config(Path(config), Path(root)))
    except ConfigError as error:
        return error


def model_preprocessing(model: object) -> Preprocessing:
    """The card's values with their lines; the config's for the rest, with theirs."""
    from modelindex.schema import Model

    assert isinstance(model, Model)
    if model.reference_preprocessing is not None:
        return model.reference_preprocessing
    metadata = model.metadata
    values = {name: getattr(metadata, name) for name in _CARD_FIELDS}
    sources = {
        name: str(model.location(display))
        for name, display in _CARD_FIELDS.items()
        if values[name] is not None and model.location(display).line
    }
    extra: dict[str, object] = {}
    problems: tuple[str, ...] = ()
    if model.config_path and model.config_root and os.path.isfile(model.config_path):
        found = config_preprocessing(model.config_path, model.config_root)
        if isinstance(found, ConfigError):
            problems = (str(found),)
        else:
            extra, problems = _from_config(found, values, sources), tuple(found.problems)
    return Preprocessing(
        image_size=values["image_size"],
        crop_pct=values["crop_pct"],
        interpolation=values["interpolation"],
        mean=tuple(values["mean"]) if values["mean"] else None,
        std=tuple(values["std"]) if values["std"] else None,
        sources=sources,
        problems=problems,
        **extra,  # type: ignore[arg-type]
    )


def _from_config(
    found: PipelinePreprocessing, values: dict[str, object], sources: dict[str, str]
) -> dict[str, object]:
    """The config's values where the card gives none; ``values`` and ``sources`` updated."""
    for name in ("interpolation", "mean", "std"):
        if values[name] is None and getattr(found, name) is not None:
            values[name] = getattr(found, name)
            if name in found.sources:
                default = " (the transform's default)" if name in found.defaults else ""
                sources[name] = _at(found.sources[name]) + default
    extra: dict[str, object] = {
        "resize": found.resize,
        "short_edge": found.resize_size,
        "crop": found.crop_size,
        "crop_mode": found.crop_mode,
        "to_rgb": found.to_rgb,
        "normalized": found.normalized if values["mean"] is None else True,
        "steps": tuple(found.steps),
    }
    for name, key in (("resize", "resize"), ("crop", "crop"), ("to_rgb", "to_rgb")):
        if key in found.sources:
            sources[name] = _at(found.sources[key])
    return extra


def _at(where: tuple[str, int]) -> str:
    return f"{where[0]}:{where[1]}"
