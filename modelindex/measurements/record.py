"""One model's measurement, as ``modelindex verify`` records it and the cache stores it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


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

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.measured_at:
            del data["measured_at"]
        return data

    @classmethod
    def from_data(cls, entry: object) -> Measurement | None:
        """The measurement that a cache entry holds; None for an incomplete or malformed one."""
        if not is_complete(entry):
            return None
        assert isinstance(entry, dict)
        return cls(
            reference=str(entry.get("reference", "?")),
            library_version=str(entry.get("library_version", "?")),
            seconds=_seconds(entry.get("seconds")),
            measured_at=str(entry.get("measured_at", "")),
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
