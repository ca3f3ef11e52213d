"""Whether a card's evaluation settings give the network the pixels that its config, or its
reference library, gives it; and where not, by how much.

Three things decide those pixels: the input size (a square center crop), the short edge the
image is resized to before that crop, and the resampling filter. A difference is ranked by
how much it changes what the network sees:

- another input size changes every pixel, and the resolution;
- another resize moves the content: the point at the crop's border by
  ``size / 2 * |resize - card's resize| / card's resize`` pixels, 2 px or more counting as
  clear;
- another filter changes every pixel a little (bilinear for bicubic), or clearly (nearest
  neighbour for a smoothing filter).

A card's resize is ``size / crop_pct``, which timm rounds down and other libraries round to
the nearest: a resize that either gives agrees. timm's xception card says 0.897 where timm
says 0.8975; both resize 299 px crops to 333, so they agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from modelindex.fields import CROP_PCT, IMAGE_SIZE, INTERPOLATION, FieldName
from modelindex.hub_preprocessing import square_side
from modelindex.preprocessing import resize_of
from modelindex.schema import Location

# Content that moves this many pixels at the crop's border has clearly moved; less is a
# rounding's worth of difference (timm's resnet101d: 0.94 on its card, 0.95 in timm, 1.4 px).
CLEAR_MOVE_PX = 2.0
SMOOTHING_FILTERS = frozenset({"bilinear", "bicubic", "lanczos", "area", "box", "hamming"})
# The same filter as libraries spell it (OpenCV's names, mmcv's, PIL's).
_FILTER_NAMES = {"linear": "bilinear", "cubic": "bicubic", "lanczos4": "lanczos"}
_PLAIN_WORDS = {
    "size": "{size}",
    "resize": "a resize to {resize}",
    "interpolation": "{interpolation}",
}


class Magnitude(IntEnum):
    """How much a difference changes the network's input."""

    SLIGHT = 1
    """Content moves less than 2 px, or one smoothing filter for another."""
    CLEAR = 2
    """Content moves 2 px or more, or nearest neighbour for a smoothing filter."""
    SIZE = 3
    """Another input size."""


@dataclass(frozen=True)
class CardEvaluation:
    """What a card says: Image Size, Crop Pct and Interpolation, any of them None."""

    size: int | None
    crop_pct: float | None
    interpolation: str | None


@dataclass(frozen=True)
class Evaluation:
    """One way a config or a library evaluates a model, each value with where it is written."""

    size: int | None
    resize: int | None
    """The short edge resized to before a center crop of ``size``; None where the image is
    not resized that way (squashed, padded) or that is not known."""
    interpolation: str | None
    crop_pct: float | None = None
    """The crop pct that gives ``resize``, where the source writes one."""
    said: Mapping[str, str] | None = None
    """How the source says each value, as a template of the evaluation's fields:
    {"size": "test_input_size {size}", "resize": "crop_pct {crop_pct} (a resize to {resize})"}."""
    where: Mapping[str, Location] | None = None
    """Where each value ("size", "resize", "interpolation") is written."""

    def say(self, value: str) -> str:
        """The source's words for ``value`` ("size", "resize" or "interpolation")."""
        template = (self.said or {}).get(value) or _PLAIN_WORDS[value]
        return template.format(**vars(self))

    def location(self, value: str) -> Location | None:
        return (self.where or {}).get(value)


@dataclass(frozen=True)
class Difference:
    """One card value that gives other pixels than ``evaluation``'s."""

    field: FieldName
    magnitude: Magnitude
    card: str
    reference: str
    value: str
    """Which value of the evaluation differs: "size", "resize" or "interpolation"."""
    fix: str | None = None
    compared: tuple[Evaluation, ...] = ()
    """The evaluations the card's value was held to: each with a size, for a size."""


def filter_name(interpolation: str | None) -> str | None:
    if not isinstance(interpolation, str):
        return None
    name = interpolation.strip().lower()
    return _FILTER_NAMES.get(name, name)


def timm_evaluations(values: Mapping[str, Any], where: Mapping[str, Location]) -> list[Evaluation]:
    """The train and test evaluations of a timm ``pretrained_cfg`` (as Preprocessing names
    its values: image_size, crop_pct, interpolation, crop_mode, test_image_size,
    test_crop_pct). ``where`` gives the location of each of those names."""
    centered = values.get("crop_mode") in (None, "center")
    interpolation = values.get("interpolation")
    found = []
    for prefix, size_name, crop_name in (
        ("", "input_size", "crop_pct"),
        ("test_", "test_input_size", "test_crop_pct"),
    ):
        size = values.get(f"{prefix}image_size")
        crop_pct = values.get(f"{prefix}crop_pct")
        if prefix and size is None and crop_pct is None:
            continue
        if prefix:  # timm evaluates the test size with the train crop where it has no other
            size = size if size is not None else values.get("image_size")
            crop_pct = crop_pct if crop_pct is not None else values.get("crop_pct")
            size_name = size_name if values.get("test_image_size") else "input_size"
            crop_name = crop_name if values.get("test_crop_pct") else "crop_pct"
        found.append(
            Evaluation(
                size=size,
                resize=resize_of(size, crop_pct) if centered else None,
                interpolation=interpolation,
                crop_pct=crop_pct,
                said={
                    "size": f"{size_name} {{size}}",
                    "resize": f"{crop_name} {{crop_pct}} (a resize to {{resize}})",
                    "interpolation": "interpolation {interpolation}",
                },
                where={
                    "size": where.get(f"{prefix}image_size") or where.get("image_size"),
                    "resize": where.get(f"{prefix}crop_pct") or where.get("crop_pct"),
                    "interpolation": where.get("interpolation"),
                },
            )
        )
    return found


def differences(card: CardEvaluation, references: list[Evaluation]) -> list[Difference]:
    """The card's values that give other pixels than the reference evaluation nearest them;
    none where one of ``references`` gives the card's pixels, or none can be compared."""
    size = square_side(card.size)
    card = CardEvaluation(size, card.crop_pct, card.interpolation)
    if size is not None and any(r.size is not None for r in references):
        candidates = [r for r in references if r.size in (None, size)]
        if not candidates:
            return [_size_difference(size, references)]
    else:
        # An evaluation that says only a size (a training size) tells nothing of a card
        # that gives none: it cannot be the nearest.
        candidates = [r for r in references if r.resize is not None or r.interpolation]
    if not candidates:
        return []
    found = [_differences_from(card, reference) for reference in candidates]
    return min(found, key=lambda hits: (max((h.magnitude for h in hits), default=0), len(hits)))


def _size_difference(size: int, references: list[Evaluation]) -> Difference:
    sized: dict[str, Evaluation] = {}
    for reference in references:
        if reference.size is not None:
            sized.setdefault(reference.say("size"), reference)  # each way of saying it once
    sizes = {r.size for r in sized.values()}
    return Difference(
        IMAGE_SIZE,
        Magnitude.SIZE,
        f"Image Size {size}",
        " or ".join(sized),
        "size",
        fix=f"Image Size: {sizes.pop()}" if len(sizes) == 1 else None,
        compared=tuple(sized.values()),
    )


def _differences_from(card: CardEvaluation, reference: Evaluation) -> list[Difference]:
    found = []
    size = card.size or reference.size
    card_resize = resize_of(size, card.crop_pct)
    if card_resize is not None and reference.resize is not None:
        assert size is not None and card.crop_pct is not None  # resize_of needs both
        moved = _moved_px(size, card.crop_pct, reference.resize)
        if moved is not None:
            found.append(
                Difference(
                    CROP_PCT,
                    Magnitude.CLEAR if moved >= CLEAR_MOVE_PX - 1e-6 else Magnitude.SLIGHT,
                    f"Crop Pct {card.crop_pct:g} (a resize to {card_resize} before the "
                    f"{size} px crop)",
                    f"{reference.say('resize')}: the content at the crop's border moves "
                    f"{moved:.1f} px",
                    "resize",
                    fix=f"Crop Pct: {_crop_pct_for(size, reference)}",
                    compared=(reference,),
                )
            )
    ours, theirs = filter_name(card.interpolation), filter_name(reference.interpolation)
    known = SMOOTHING_FILTERS | {"nearest"}
    if ours in known and theirs in known and ours != theirs:
        clear = "nearest" in (ours, theirs)
        found.append(
            Difference(
                INTERPOLATION,
                Magnitude.CLEAR if clear else Magnitude.SLIGHT,
                f"Interpolation {ours}",
                reference.say("interpolation"),
                "interpolation",
                fix=f"Interpolation: {theirs}",
                compared=(reference,),
            )
        )
    return found


def _moved_px(size: int, crop_pct: float, resize: int) -> float | None:
    """How far the card's resize (timm's: rounded down) moves the content at the crop's
    border from where ``resize`` puts it; None where they agree: ``resize`` is the card's
    resize rounded down, as timm does, or to the nearest, as other libraries do."""
    exact = size / crop_pct
    floor = math.floor(exact + 1e-9)
    if resize in (floor, math.floor(exact + 0.5)):
        return None
    return size / 2 * abs(resize - floor) / floor


def _crop_pct_for(size: int, reference: Evaluation) -> str:
    """The crop pct that the reference writes, else the shortest whose resize, rounded down
    as timm rounds it, is the reference's: one in (size / (resize + 1), size / resize]."""
    if reference.crop_pct is not None:
        return f"{reference.crop_pct:g}"
    assert reference.resize is not None
    for digits in range(2, 9):
        scale = 10**digits
        crop_pct = math.floor(size / reference.resize * scale + 1e-9) / scale
        if resize_of(size, crop_pct) == reference.resize:
            return f"{crop_pct:g}"
    return f"{size / reference.resize:.9f}"
