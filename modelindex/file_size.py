"""How many bytes a checkpoint takes: from declared Parameters, or from a measured state dict.

The offline rules know only the declared count; ``modelindex verify`` measures the exact bytes
of the state dict in fp32 and fp16, and how many tensors it holds. Both compare a card's
File Size with what a checkpoint of that model can weigh.
"""

from __future__ import annotations

from typing import Any

from modelindex.schema import Model

# Bytes per declared parameter of a saved state dict, measured over timm's 272 checkpoints:
# fp32 weights take 4 bytes each, plus BatchNorm buffers and pickle overhead (small models
# highest); fp16 weights take 2.
FP32_BYTES = (3.96, 4.15)
FP16_BYTES = (1.96, 2.10)
# More than fp32 needs, but by a margin an extra head explains (inception_v3's auxiliary
# classifier: 4.57 bytes per parameter).
EXTRA_HEAD_BYTES = (4.15, 4.75)

# torch.save writes 320-370 bytes per tensor besides its data (zip format; 170-220 in the
# legacy format), measured on five timm models; longer key names take more. The archive's own
# records add a few KiB.
PICKLE_BYTES_PER_TENSOR = 1024
PICKLE_BYTES_FIXED = 64 * 1024
# A checkpoint may leave out small tensors the library has since added (num_batches_tracked).
MISSING_SHARE = 0.005
# Beyond this share above the state dict, a checkpoint carries something more than the model:
# timm's DLA checkpoints carry 1.2-1.9% more, inception_v3's auxiliary classifier 14%.
EXCESS_SHARE = 0.05


def within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def bytes_per_parameter(model: Model) -> float | None:
    file_size, parameters = model.metadata.file_size, model.metadata.parameters
    if not file_size or not parameters or parameters <= 0 or file_size <= 0:
        return None
    return file_size / parameters


def size_fits_parameters(model: Model) -> bool | None:
    """Whether File Size is what fp32 or fp16 weights of Parameters take (None: unknown)."""
    ratio = bytes_per_parameter(model)
    if ratio is None:
        return None
    return within(ratio, FP32_BYTES) or within(ratio, FP16_BYTES)


def state_dict_sizes(measurement: dict[str, Any]) -> dict[str, int] | None:
    """The measured state dict's bytes by precision, or None for an entry that lacks them."""
    sizes = {
        "fp32": measurement.get("state_dict_bytes"),
        "fp16": measurement.get("state_dict_bytes_fp16"),
    }
    if not all(isinstance(size, int) and size > 0 for size in sizes.values()):
        return None
    return sizes  # type: ignore[return-value]


def pickle_overhead(measurement: dict[str, Any]) -> int:
    tensors = measurement.get("tensors")
    return PICKLE_BYTES_FIXED + PICKLE_BYTES_PER_TENSOR * (
        tensors if isinstance(tensors, int) and tensors > 0 else 0
    )


def checkpoint_precision(file_size: int, measurement: dict[str, Any]) -> str | None:
    """ "fp32" or "fp16" when ``file_size`` is the state dict in that precision plus pickle
    overhead; "larger" when it holds more than the fp32 state dict by more than
    EXCESS_SHARE; None when it can hold neither (smaller than fp16, or in between)."""
    sizes = state_dict_sizes(measurement)
    if sizes is None:
        raise ValueError("the measurement has no state-dict sizes")
    overhead = pickle_overhead(measurement)
    for precision in ("fp32", "fp16"):
        exact = sizes[precision]
        if exact * (1 - MISSING_SHARE) <= file_size <= exact * (1 + EXCESS_SHARE) + overhead:
            return precision
    if file_size > sizes["fp32"]:
        return "larger"
    return None
