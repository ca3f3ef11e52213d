"""How many bytes a checkpoint takes, from its declared Parameters.

The offline rules know only the declared count; what a measured state dict weighs is in
:mod:`modelindex.measurements.compare`.
"""

from __future__ import annotations

from modelindex.schema import Model

# Bytes per declared parameter of a saved state dict, measured over timm's 272 checkpoints:
# fp32 weights take 4 bytes each, plus BatchNorm buffers and pickle overhead (small models
# highest); fp16 weights take 2.
FP32_BYTES = (3.96, 4.15)
FP16_BYTES = (1.96, 2.10)
# More than fp32 needs, but by a margin an extra head explains (inception_v3's auxiliary
# classifier: 4.57 bytes per parameter).
EXTRA_HEAD_BYTES = (4.15, 4.75)


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
