"""Preprocessing from the files a Hugging Face repository keeps beside its card.

- timm's ``config.json``: its ``pretrained_cfg`` (input size, crop pct, interpolation, mean,
  std, and the test size and crop where they differ).
- transformers' ``preprocessor_config.json``: ``size`` (``shortest_edge``, or ``height`` and
  ``width``), ``crop_size`` with ``do_center_crop``, ``resample`` (PIL's code),
  ``image_mean`` and ``image_std`` with ``do_normalize``. A bare integer ``size`` is read
  differently by each processor class (a short edge, or both sides), so it is not claimed.

Both are JSON, checked as JSON, then read with the YAML reader that keeps every key's line. A
file that is too large, not a regular file, or malformed is a problem of the model, named with
its line.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from typing import Any

from modelindex.located_yaml import LocatedDict, parse_yaml
from modelindex.problems import InputError

MAX_BYTES = 1_000_000
MAX_SIDE = 8192
# PIL's resampling filters, by the numbers processors write.
PIL_RESAMPLE = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
INTERPOLATIONS = frozenset(PIL_RESAMPLE.values())
# timm's crop modes: "center" resizes the short edge, "squash" both sides, "border" pads.
CROP_MODES = frozenset({"center", "squash", "border"})


def hub_preprocessing(card_path: str) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Values, their sources ("path:line") and problems from the files beside ``card_path``."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    folder = os.path.dirname(card_path) or "."
    for name, read in (("config.json", _timm), ("preprocessor_config.json", _transformers)):
        path = os.path.join(folder, name)
        document = _document(path, problems)
        if isinstance(document, LocatedDict):
            for field, (value, line) in read(document).items():
                if field not in values and value is not None:
                    values[field] = value
                    sources[field] = f"{path}:{line}" if line else path
    return values, sources, problems


def _document(path: str, problems: list[str]) -> Any:
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        problems.append(f"{path}: not a regular file")
        return None
    if status.st_size > MAX_BYTES:
        problems.append(f"{path}: larger than {MAX_BYTES} bytes")
        return None
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
        value = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(f"{path}:{error.lineno}: invalid JSON: {error.msg}")
        return None
    except (OSError, UnicodeDecodeError, RecursionError) as error:
        problems.append(f"{path}: cannot be read ({type(error).__name__})")
        return None
    try:
        # The values are JSON's (YAML 1.1 reads 9e-1 as text); YAML gives each key's line.
        located = parse_yaml(text)
    except InputError as error:
        problems.append(f"{path}:{error.line or 0}: {error.message}")
        return None
    problems.extend(
        f"{path}:{problem.line or 0}: {problem.message}" for problem in located.problems
    )
    return _with_lines(value, located.value, 0)


def _with_lines(value: Any, located: Any, depth: int) -> Any:
    """``value`` (from JSON) with the key lines of ``located`` (the same text read as YAML)."""
    if not isinstance(value, dict) or depth > 32:
        return value
    mapping = LocatedDict(getattr(located, "line", None))
    for key, item in value.items():
        inner = located.get(key) if isinstance(located, dict) else None
        mapping[key] = _with_lines(item, inner, depth + 1)
        if isinstance(located, LocatedDict):
            mapping.key_lines[key] = located.key_lines.get(key)
    return mapping


def _line(mapping: LocatedDict, key: str) -> int | None:
    return mapping.key_lines.get(key)


def square_side(size: Any) -> int | None:
    """The side of a square size: 224, or (3, 224, 224); None for anything else."""
    if isinstance(size, list | tuple) and len(size) == 3 and size[1] == size[2]:
        size = size[2]
    return size if _is_side(size) else None


def _is_side(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIDE


def fraction(value: Any) -> float | None:
    """A number in (0, 1], as a float; None for anything else."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
    return float(value) if ok else None


def _channels(value: Any) -> tuple[float, ...] | None:
    numbers = isinstance(value, list | tuple) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e300 for v in value
    )
    return tuple(float(v) for v in value) if numbers and 0 < len(value) <= 16 else None


def pretrained_cfg_values(config: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """A timm ``pretrained_cfg`` (from a repository's config.json, or timm's own) as
    Preprocessing's values, each with the key it was read from; None where it is no value."""
    interpolation = config.get("interpolation")
    crop_mode = config.get("crop_mode")
    return {
        "image_size": (square_side(config.get("input_size")), "input_size"),
        "crop_pct": (fraction(config.get("crop_pct")), "crop_pct"),
        "interpolation": (
            interpolation if interpolation in INTERPOLATIONS else None,
            "interpolation",
        ),
        "crop_mode": (crop_mode if crop_mode in CROP_MODES else None, "crop_mode"),
        "mean": (_channels(config.get("mean")), "mean"),
        "std": (_channels(config.get("std")), "std"),
        "test_image_size": (square_side(config.get("test_input_size")), "test_input_size"),
        "test_crop_pct": (fraction(config.get("test_crop_pct")), "test_crop_pct"),
    }


def _timm(document: LocatedDict) -> dict[str, tuple[Any, int | None]]:
    config = document.get("pretrained_cfg")
    if not isinstance(config, LocatedDict):
        return {}
    return {
        name: (value, _line(config, key))
        for name, (value, key) in pretrained_cfg_values(config).items()
    }


def _transformers(document: LocatedDict) -> dict[str, tuple[Any, int | None]]:
    found: dict[str, tuple[Any, int | None]] = {}
    size = document.get("size")
    steps: list[dict[str, Any]] = []
    resample = document.get("resample")
    interpolation = PIL_RESAMPLE.get(resample) if type(resample) is int else None
    if interpolation:
        found["interpolation"] = (interpolation, _line(document, "resample"))
    if document.get("do_resize", True) is False:
        found["resize"] = ("none", _line(document, "do_resize"))
    elif "crop_pct" in document or (isinstance(size, dict) and "longest_edge" in size):
        # ConvNext's processor resizes by its crop_pct and edge; DETR's caps the long edge:
        # each by its own rule, which this reader does not claim.
        pass
    elif isinstance(size, dict) and _is_side(size.get("shortest_edge")):
        edge = size["shortest_edge"]
        found["resize"] = (f"short edge {edge}", _line(document, "size"))
        found["short_edge"] = (edge, _line(document, "size"))
        steps.append(
            {"op": "resize", "edge": "short", "size": edge, "interpolation": interpolation}
        )
    elif isinstance(size, dict) and _is_side(size.get("height")) and _is_side(size.get("width")):
        found["resize"] = (f"{size['height']}x{size['width']}", _line(document, "size"))
        steps.append(
            {
                "op": "resize",
                "height": size["height"],
                "width": size["width"],
                "interpolation": interpolation,
            }
        )
    crop = document.get("crop_size")
    if document.get("do_center_crop") is False:
        found["crop_mode"] = ("none", _line(document, "do_center_crop"))
    elif document.get("do_center_crop") is True:
        sides = (crop, crop) if _is_side(crop) else None
        if isinstance(crop, dict) and _is_side(crop.get("height")) and _is_side(crop.get("width")):
            sides = (crop["height"], crop["width"])
        if sides:
            found["crop"] = (sides, _line(document, "crop_size"))
            found["crop_mode"] = ("center crop", _line(document, "crop_size"))
            steps.append(
                {"op": "crop", "mode": "center crop", "height": sides[0], "width": sides[1]}
            )
    if document.get("do_normalize") is False:
        found["normalized"] = (False, _line(document, "do_normalize"))
    else:
        for name, key in (("mean", "image_mean"), ("std", "image_std")):
            found[name] = (_channels(document.get(key)), _line(document, key))
        if found["mean"][0] and found["std"][0]:
            steps.append({"op": "normalize", "mean": found["mean"][0], "std": found["std"][0]})
    if "resize" in found and found["resize"][0] != "none" and "crop_mode" in found:
        found["steps"] = (tuple(steps), None)
    return found
