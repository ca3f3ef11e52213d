"""A model's input preprocessing as one typed record, in the manner of timm's pretrained config."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict

# What a config's test pipeline feeds the network, where it is not other data (keypoints...).
INPUT_IMAGES = "images"


def resize_of(image_size: int | None, crop_pct: float | None) -> int | None:
    """The short edge timm resizes to before its center crop: ``floor(size / crop_pct)``."""
    if image_size is None or crop_pct is None:
        return None
    if not (0.01 <= crop_pct <= 1 and 0 < image_size <= 10**6):
        return None  # out of range: the validator reports it, preprocessing cannot use it
    # The small epsilon keeps 224 / 0.875 at 256 despite binary floating point.
    return math.floor(image_size / crop_pct + 1e-9)


# The interpolation names timm and torchvision accept for resizing.
KNOWN_INTERPOLATIONS = frozenset(
    {"bilinear", "bicubic", "nearest", "nearest-exact", "lanczos", "box", "hamming", "area"}
)


class Preprocessing(BaseModel):
    """Resize to ``resize_size`` (the short side), center-crop ``crop_size``, then normalize.

    ``resize_size`` is derived as ``floor(image_size / crop_pct)``, as timm's eval transforms do,
    where the card gives both; else it is the short edge the model's config resizes to. Unknown
    values stay None rather than being guessed. ``sources`` says where each value was set.
    """

    model_config = ConfigDict(frozen=True)

    image_size: int | None = None
    crop_pct: float | None = None
    interpolation: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    resize: str | None = None
    """The config's resize, as it does it: "short edge 256", "256x192", "none"."""
    short_edge: int | None = None
    """The short edge the config resizes to."""
    crop: tuple[int, int] | None = None
    """(height, width) of the config's crop."""
    crop_mode: str | None = None
    """"center crop", "three crops", "the person's box", "none"."""
    to_rgb: bool | None = None
    normalized: bool | None = None
    """False where the config's data preprocessor is known not to normalize."""
    test_image_size: int | None = None
    test_crop_pct: float | None = None
    """The size and crop the model is evaluated at, where they differ from training's (timm's
    ``test_input_size`` and ``test_crop_pct``)."""
    input_kind: str | None = None
    """What the config's test pipeline feeds the network: "images", or "keypoints", "audio
    features"... for a model that takes no images; None where that is not known."""
    steps: tuple[dict[str, Any], ...] = ()
    """The config's test-time transforms as data, in order."""
    sources: dict[str, str] = {}
    """Where each value was set: "path:line" of a card or a config."""
    problems: tuple[str, ...] = ()
    """What of the model's config could not be read."""
    unread: tuple[str, ...] = ()
    """The card's preprocessing fields that are written but could not be read, each with why.
    While there are any, nothing is derived: a resize left out for a Crop Pct that does not
    parse would be a wrong answer, not a partial one."""

    @classmethod
    def from_values(
        cls,
        image_size: int | None,
        crop_pct: float | None,
        interpolation: str | None,
        mean: list[float] | None = None,
        std: list[float] | None = None,
    ) -> Preprocessing:
        return cls(
            image_size=image_size,
            crop_pct=crop_pct,
            interpolation=interpolation,
            mean=tuple(mean) if mean else None,
            std=tuple(std) if std else None,
        )

    @property
    def is_known(self) -> bool:
        """Whether anything of it is known."""
        return any(
            value is not None
            for value in (
                self.image_size,
                self.crop_pct,
                self.interpolation,
                self.mean,
                self.std,
                self.resize,
            )
        )

    @property
    def crop_size(self) -> int | None:
        if self.image_size is not None:
            return self.image_size
        if self.crop is not None and self.crop[0] == self.crop[1]:
            return self.crop[0]
        return None

    @property
    def resize_size(self) -> int | None:
        if self.unread:
            return None
        if self.image_size is None or self.crop_pct is None:
            return self.short_edge
        return resize_of(self.image_size, self.crop_pct)

    def torchvision_transforms(self) -> Any:
        """These steps as a ``torchvision.transforms.Compose``; needs torchvision (raises
        ImportError without it, ValueError for a step torchvision cannot express)."""
        from modelindex.torchvision_transforms import build_transforms

        if self.unread:
            raise ValueError("not derived: " + "; ".join(self.unread))

        return build_transforms(self)

    @property
    def input_size(self) -> tuple[int, int, int] | None:
        return None if self.image_size is None else (3, self.image_size, self.image_size)

    def describe(self) -> str:
        """'resize 256 (= floor(224 / 0.875)), center crop 224, bicubic'."""
        if self.unread:
            return "not derived: " + "; ".join(self.unread)
        parts: list[str] = []
        if self.input_kind is not None and self.input_kind != INPUT_IMAGES:
            parts.append(f"no image input: it takes {self.input_kind}")
        if self.image_size is not None and self.crop_pct is not None and self.resize_size:
            parts.append(
                f"resize {self.resize_size} (= floor({self.image_size} / {self.crop_pct:g}))"
            )
        elif self.resize is not None:
            parts.append(f"resize {self.resize}")
        elif self.crop_pct is not None:
            parts.append(f"crop pct {self.crop_pct:g}")
        if self.image_size is not None and self.crop_mode == "squash":
            parts.append(f"both sides resized, then center crop {self.image_size}")
        elif self.image_size is not None:
            parts.append(f"center crop {self.image_size}")
        elif self.crop_mode is not None:
            size = f" {self.crop[0]}x{self.crop[1]}" if self.crop else ""
            parts.append(f"{self.crop_mode}{size}" if self.crop_mode != "none" else "no crop")
        if self.interpolation:
            parts.append(self.interpolation)
        if self.mean:
            parts.append("mean " + ", ".join(f"{v:g}" for v in self.mean))
        if self.std:
            parts.append("std " + ", ".join(f"{v:g}" for v in self.std))
        if self.normalized is False:
            parts.append("no normalization")
        if self.test_image_size or self.test_crop_pct:
            test = [f"{self.test_image_size}" if self.test_image_size else ""]
            if self.test_crop_pct:
                test.append(f"crop pct {self.test_crop_pct:g}")
            parts.append("tested at " + " ".join(part for part in test if part))
        return ", ".join(parts) if parts else "unknown (no image size, crop pct or interpolation)"

    def __str__(self) -> str:
        return self.describe()
