"""Declared numbers against measured ones; no torch needed (validate uses this too)."""

from __future__ import annotations

from typing import Any

from modelindex.file_size import checkpoint_precision, size_fits_parameters, state_dict_sizes
from modelindex.schema import Model

# A declared count with no stated rounding may be rounded to about three significant digits.
UNROUNDED_TOLERANCE = 0.005
# No model has a quadrillion parameters: a larger measured count is no measurement (and would
# overflow the float arithmetic below).
MAX_MEASURED_PARAMETERS = 10**15


def parameter_tolerance(model: Model, measured: int) -> float:
    """How far declared Parameters may sit from the measured count: the declared rounding,
    or 0.5% of the measured count when the source states none."""
    half_step = model.rounding.get("Parameters")
    return half_step * (1 + 1e-6) if half_step else measured * UNROUNDED_TOLERANCE


def parameters_agree(model: Model, measurement: dict[str, Any]) -> bool | None:
    declared, measured = model.metadata.parameters, measurement.get("parameters")
    if declared is None or not isinstance(measured, int) or measured <= 0:
        return None
    if measured > MAX_MEASURED_PARAMETERS:
        return None
    return abs(declared - measured) <= parameter_tolerance(model, measured)


def reference_drifted(model: Model, measurement: dict[str, Any]) -> bool:
    """The declared Parameters disagree with the measurement but fit the File Size, and the
    File Size does not fit today's state dict: the card describes its checkpoint, and the
    library has redefined the architecture since. The measurement then describes another
    model, and no other number may be judged by it."""
    if parameters_agree(model, measurement) is not False or not size_fits_parameters(model):
        return False
    file_size = model.metadata.file_size
    if file_size is None or state_dict_sizes(measurement) is None:
        return True
    return checkpoint_precision(file_size, measurement) not in {"fp32", "fp16"}


def verdict(model: Model, measurement: dict[str, Any] | None) -> str:
    """A word or two for the final table: verified, mismatch, reference changed, not verified."""
    if measurement is None:
        return "not verified"
    agree = parameters_agree(model, measurement)
    if agree is None:
        return "measured"
    if agree:
        return "verified"
    return "reference changed" if reference_drifted(model, measurement) else "mismatch"
