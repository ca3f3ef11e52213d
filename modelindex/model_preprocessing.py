"""A model's preprocessing from its card and, for what the card leaves out, its config: an
OpenMMLab config, or the files a Hugging Face repository keeps beside its card.

Each OpenMMLab config is read once per process (while its files are unchanged), as data: see
:mod:`~modelindex.openmmlab.config_reader`. Reads stay inside the model's config root: the
repository root given to ``load``, else the folder of the file that declares the model.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from modelindex.fields import near_miss
from modelindex.hub_preprocessing import hub_preprocessing
from modelindex.openmmlab.config_reader import ConfigError, read_config_with_files
from modelindex.openmmlab.pipeline import PipelinePreprocessing, read_pipeline
from modelindex.preprocessing import KNOWN_INTERPOLATIONS, Preprocessing
from modelindex.schema import InheritedKeys, Model, short_repr

HUB_CARD = "hf-card"
# The card's fields, by the name Preprocessing gives them.
_CARD_FIELDS = {
    "image_size": "Image Size",
    "crop_pct": "Crop Pct",
    "interpolation": "Interpolation",
    "mean": "Mean",
    "std": "Std",
}


# Configs read in this process, by path and root: each with the files it read (and their
# modification times and sizes), so that an edit of any of them reads it again.
_READ: OrderedDict[tuple[str, str], tuple[dict[str, tuple[int, int]], Any]] = OrderedDict()
_MOST_READ = 512
# A hostile card may carry thousands of unknown keys; real ones carry a few dozen.
_MOST_KEYS = 1_000


def config_preprocessing(config: str, root: str) -> PipelinePreprocessing | ConfigError:
    """What the config at ``config`` says, or why it cannot be read."""
    key = (config, root)
    cached = _READ.get(key)
    if cached is not None and _unchanged(cached[0]):
        _READ.move_to_end(key)
        return cached[1]
    files: dict[str, tuple[int, int]] = {}
    try:
        settings, files = read_config_with_files(Path(config), Path(root))
        found: PipelinePreprocessing | ConfigError = read_pipeline(settings)
    except ConfigError as error:
        found = error
    except Exception as error:  # a config's values must never fail a listing of the zoo
        found = ConfigError(f"cannot be read as data ({type(error).__name__})", config)
    _READ[key] = (files, found)
    if len(_READ) > _MOST_READ:
        _READ.popitem(last=False)
    return found


def _unchanged(files: dict[str, tuple[int, int]]) -> bool:
    if not files:
        return False
    for path, (mtime, size) in files.items():
        try:
            status = os.stat(path)
        except OSError:
            return False
        if (status.st_mtime_ns, status.st_size) != (mtime, size):
            return False
    return True


def model_preprocessing(model: Model) -> Preprocessing:
    """The card's values with their lines; the config's for the rest, with theirs."""
    if model.reference_preprocessing is not None:
        return model.reference_preprocessing
    metadata = model.metadata
    values = {name: getattr(metadata, name) for name in _CARD_FIELDS}
    unread = _unread(model)
    if values["interpolation"] not in KNOWN_INTERPOLATIONS:
        values["interpolation"] = None
    sources = {
        name: str(model.location(display))
        for name, display in _CARD_FIELDS.items()
        if values[name] is not None and model.location(display).line
    }
    extra: dict[str, object] = {}
    problems: tuple[str, ...] = ()
    if model.dialect == HUB_CARD:
        extra, problems = _from_hub(model.source.path, values, sources)
    elif model.config_path and model.config_root and os.path.isfile(model.config_path):
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
        unread=unread,
        **extra,  # type: ignore[arg-type]
    )


def _unread(model: Model) -> tuple[str, ...]:
    """The card's preprocessing fields that it writes but that could not be read."""
    fields = tuple(_CARD_FIELDS.values())
    found = [
        f"{bad.field} {short_repr(bad.value)} does not parse"
        for bad in model.invalid
        if bad.field in fields
    ]
    method = model.metadata.interpolation
    if method and method not in KNOWN_INTERPOLATIONS:
        found.append(f"Interpolation {short_repr(method)} is no known method")
    keys = model.metadata.extra
    own = keys.own if isinstance(keys, InheritedKeys) else keys
    for key in list(own)[:_MOST_KEYS]:
        meant = near_miss(str(key), fields)
        if meant is not None:
            found.append(f"{short_repr(str(key))} is not read (a misspelling of {meant!r}?)")
    return tuple(found)


def _from_hub(
    card: str, values: dict[str, object], sources: dict[str, str]
) -> tuple[dict[str, object], tuple[str, ...]]:
    """The values of the files beside a Hub card where the card gives none."""
    found, where, problems = hub_preprocessing(card)
    extra: dict[str, object] = {}
    for name, value in found.items():
        if name in values:
            if values[name] is not None:
                continue
            values[name] = value
        else:
            extra[name] = value
        sources[name] = where[name]
    return extra, tuple(problems)


def _from_config(
    found: PipelinePreprocessing, values: dict[str, object], sources: dict[str, str]
) -> dict[str, object]:
    """The config's values where the card gives none; ``values`` and ``sources`` updated."""
    for name in ("interpolation", "mean", "std"):
        if values[name] is None and getattr(found, name) is not None:
            values[name] = getattr(found, name)
            if name in found.sources:
                default = ""
                if name in found.defaults:
                    owner = "transform" if name == "interpolation" else "data preprocessor"
                    default = f" (the {owner}'s default)"
                sources[name] = _at(found.sources[name]) + default
    extra: dict[str, object] = {
        "resize": found.resize,
        "short_edge": found.resize_size,
        "crop": found.crop_size,
        "crop_mode": found.crop_mode,
        "to_rgb": found.to_rgb,
        "normalized": found.normalized if values["mean"] is None else True,
        "steps": tuple(found.steps),
        "input_kind": found.input_kind,
    }
    for name, key in (("resize", "resize"), ("crop", "crop"), ("to_rgb", "to_rgb")):
        if key in found.sources:
            sources[name] = _at(found.sources[key])
    return extra


def _at(where: tuple[str, int]) -> str:
    return f"{where[0]}:{where[1]}"
