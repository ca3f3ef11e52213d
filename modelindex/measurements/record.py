"""One model's measurement, as ``modelindex verify`` records it and the cache stores it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from modelindex.measurements.pretrained import PretrainedSetting, settings_from_data


@dataclass(frozen=True)
class Measurement:
    reference: str
    """The model id the library built (after its own renames)."""
    library_version: str
    parameters: int
    buffers: int
    tensors: int
    """Entries of the state dict; each costs a few hundred bytes of pickle in a checkpoint."""
    state_dict_bytes: int
    state_dict_bytes_fp16: int
    """The same state dict with its floating-point tensors in half precision."""
    macs: int
    mmcv_flops: int
    seconds: float
    measured_at: str = ""
    """When it was measured (ISO 8601, UTC); of two measurements, the later counts."""
    library: str = "timm"
    """The reference library (entries written before mmpretrain was one are all timm's)."""
    input_size: str = ""
    """Height x width of the input measured at ("384x384"); empty in older entries."""
    input_size_from: str = ""
    """Where that size came from: the config's test pipeline, the model's name..."""
    deploy_parameters: int | None = None
    """Parameters once re-parameterized for deployment (fused branches and BatchNorms), for
    a model that can be."""
    part_parameters: tuple[int, ...] | None = None
    """Parameters of each part of a self-supervised model, its backbone first."""
    without_distillation_parameters: int | None = None
    """Parameters without the distillation head, for a model that has one."""
    deploy_macs: int | None = None
    deploy_mmcv_flops: int | None = None
    """MACs and mmcv-style FLOPs of the model re-parameterized for deployment."""
    pretrained: tuple[PretrainedSetting, ...] | None = None
    """timm's pretrained tags of the architecture, with their weights and preprocessing; None
    in entries written before they were recorded, and in mmpretrain's."""

    def describe(self) -> str:
        """The library, its version and the model it built: "mmpretrain 1.2.0 configs/..."."""
        return f"{self.library} {self.library_version} {self.reference}"

    def as_data(self) -> dict[str, Any]:
        data = {name: value for name, value in asdict(self).items() if value not in ("", None)}
        if self.pretrained is not None:
            data["pretrained"] = [setting.as_data() for setting in self.pretrained]
        return data

    @classmethod
    def from_data(cls, entry: object) -> Measurement | None:
        """The measurement that a cache entry holds; None for an incomplete or malformed one."""
        if not is_complete(entry):
            return None
        assert isinstance(entry, dict)
        return cls(
            # Bounded: they reach every message that names the measurement.
            reference=str(entry.get("reference", "?"))[:200],
            library_version=str(entry.get("library_version", "?"))[:40],
            seconds=_seconds(entry.get("seconds")),
            measured_at=str(entry.get("measured_at", "")),
            library=str(entry.get("library", "timm")),
            input_size=str(entry.get("input_size", "")),
            input_size_from=str(entry.get("input_size_from", "")),
            deploy_parameters=_count(entry.get("deploy_parameters")),
            part_parameters=_counts(entry.get("part_parameters")),
            without_distillation_parameters=_count(entry.get("without_distillation_parameters")),
            deploy_macs=_count(entry.get("deploy_macs")),
            deploy_mmcv_flops=_count(entry.get("deploy_mmcv_flops")),
            pretrained=settings_from_data(entry.get("pretrained")),
            **{name: entry[name] for name in COUNTS},
        )


COUNTS = tuple(
    field.name
    for field in fields(Measurement)
    if field.type == "int"  # annotations are strings here: from __future__ import annotations
)
"""The measured counts, every one a non-negative integer in a complete entry."""


def is_complete(entry: object) -> bool:
    """Whether ``entry`` holds every measured count, each a non-negative integer."""
    return isinstance(entry, dict) and all(
        isinstance(entry.get(name), int)
        and not isinstance(entry.get(name), bool)
        and entry[name] >= 0
        for name in COUNTS
    )


def _seconds(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _counts(value: object) -> tuple[int, ...] | None:
    """Optional counts: a short list of non-negative integers, else None."""
    if not isinstance(value, list | tuple) or not 0 < len(value) <= 16:
        return None
    counts = tuple(_count(item) for item in value)
    return None if None in counts else counts  # type: ignore[return-value]


def _count(value: object) -> int | None:
    """An optional count: a non-negative integer, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
