"""How many bytes a checkpoint takes, from its declared Parameters.

The offline rules know only the declared count; what a measured state dict weighs is in
:mod:`modelindex.measurements.compare`.
"""

from __future__ import annotations

from modelindex.schema import Collection, Model
from modelindex.units import read_file_size

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


def declared_size_range(model: Model | Collection) -> tuple[float, float] | None:
    """The bytes the File Size may stand for: within the rounding its digits state, and up
    to 2^20 / 10^6 times larger where 'MB' may mean MiB (as torchvision's docs write it)."""
    file_size = model.metadata.file_size
    if file_size is None:
        return None
    step = model.rounding.get("File Size", 0.0)
    written = model.count_texts.get("File Size")
    reading = read_file_size(written) if written else None
    factor = reading.binary_factor if reading is not None else 1.0
    return (file_size - step, (file_size + step) * factor)


def bytes_per_parameter_range(model: Model) -> tuple[float, float] | None:
    """The bytes per parameter that the two values allow within their stated rounding: a
    File Size of '97.8 MB' and Parameters of '25.6M' are each one of a range of numbers."""
    ratio = bytes_per_parameter(model)
    sizes = declared_size_range(model)
    if ratio is None or sizes is None:
        return None
    parameters = model.metadata.parameters
    count_step = model.rounding.get("Parameters", 0.0)
    assert parameters is not None
    fewest = parameters - count_step
    if fewest <= 0:
        return None
    return (sizes[0] / (parameters + count_step), sizes[1] / fewest)


def fits(model: Model, bounds: tuple[float, float]) -> bool:
    """Whether some bytes per parameter within the values' rounding lies within ``bounds``."""
    found = bytes_per_parameter_range(model)
    return found is not None and found[0] <= bounds[1] and bounds[0] <= found[1]


def size_fits_parameters(model: Model) -> bool | None:
    """Whether File Size is what fp32 or fp16 weights of Parameters take (None: unknown)."""
    if bytes_per_parameter_range(model) is None:
        return None
    return fits(model, FP32_BYTES) or fits(model, FP16_BYTES)
