"""A model's input preprocessing as one typed record, in the manner of timm's pretrained config."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict


class Preprocessing(BaseModel):
    """Resize to ``resize_size`` (the short side), center-crop ``crop_size``, then normalize.

    ``resize_size`` is derived as ``floor(image_size / crop_pct)``, as timm's eval transforms do.
    Unknown values stay None rather than being guessed.
    """

    model_config = ConfigDict(frozen=True)

    image_size: int | None = None
    crop_pct: float | None = None
    interpolation: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

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
            for value in (self.image_size, self.crop_pct, self.interpolation, self.mean, self.std)
        )

    @property
    def crop_size(self) -> int | None:
        return self.image_size

    @property
    def resize_size(self) -> int | None:
        if self.image_size is None or self.crop_pct is None:
            return None
        if not (0.01 <= self.crop_pct <= 1 and 0 < self.image_size <= 10**6):
            return None  # out of range: the validator reports it, preprocessing cannot use it
        # The small epsilon keeps 224 / 0.875 at 256 despite binary floating point.
        return math.floor(self.image_size / self.crop_pct + 1e-9)

    @property
    def input_size(self) -> tuple[int, int, int] | None:
        return None if self.image_size is None else (3, self.image_size, self.image_size)

    def describe(self) -> str:
        """'resize 256 (= floor(224 / 0.875)), center crop 224, bicubic'."""
        parts: list[str] = []
        if self.resize_size is not None:
            parts.append(
                f"resize {self.resize_size} (= floor({self.image_size} / {self.crop_pct:g}))"
            )
        if self.image_size is not None:
            parts.append(f"center crop {self.image_size}")
        if self.interpolation:
            parts.append(self.interpolation)
        if self.mean:
            parts.append("mean " + ", ".join(f"{v:g}" for v in self.mean))
        if self.std:
            parts.append("std " + ", ".join(f"{v:g}" for v in self.std))
        return ", ".join(parts) if parts else "unknown (no image size, crop pct or interpolation)"

    def __str__(self) -> str:
        return self.describe()
