"""Declared numbers against measured ones, and the verdict they give; no torch needed."""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from modelindex.file_size import declared_size_range, size_fits_parameters
from modelindex.measurements.record import Measurement
from modelindex.schema import Model

# A declared count with no stated rounding may be rounded to about three significant digits.
UNROUNDED_TOLERANCE = 0.005
# No model has a quadrillion parameters: a larger measured count is no measurement (and would
# overflow the float arithmetic below).
MAX_MEASURED_PARAMETERS = 10**15

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


class Verdict(StrEnum):
    """What a measurement says of a card: verify's table, the rules and the site's badges."""

    VERIFIED = "verified"
    """Parameters agree with the measured count."""
    MISMATCH = "mismatch"
    """Parameters disagree, and the reference has not changed since: the card is wrong."""
    REFERENCE_CHANGED = "reference changed"
    """Parameters disagree but fit the checkpoint: the library redefined the model since."""
    MEASURED = "measured"
    """Measured, but the card declares no Parameters to compare."""
    NOT_VERIFIED = "not verified"
    """No measurement."""


def parameter_tolerance(model: Model, measured: int) -> float:
    """How far declared Parameters may sit from the measured count: the declared rounding,
    or 0.5% of the measured count when the source states none."""
    half_step = model.rounding.get("Parameters")
    return half_step * (1 + 1e-6) if half_step else measured * UNROUNDED_TOLERANCE


def parameters_agree(model: Model, measured: int | None) -> bool | None:
    """Whether the declared Parameters agree with a measured count (None: nothing to compare)."""
    declared = model.metadata.parameters
    if declared is None or measured is None or not 0 < measured <= MAX_MEASURED_PARAMETERS:
        return None
    return abs(declared - measured) <= parameter_tolerance(model, measured)


DEPLOYED = "re-parameterized for deployment"
# A self-supervised model's pre-training adds modules to its backbone (MaskFeat's fusion
# projections, mask tokens) that zoos may leave out of the backbone's count.
PRETRAINING_ADDITIONS = 0.05
# Zoos may give a pre-trained backbone the count of the classifier fine-tuned from it: BEiT's
# ViT-B backbone has 85,666,128 parameters, mmpretrain's card 86,530,984.
FINE_TUNING_HEAD = 0.10


def counted_forms(measurement: Measurement) -> list[tuple[str, int]]:
    """The parameter counts a card may declare for a measured model, each with its form: the
    model as built; re-parameterized for deployment (RepVGG, MobileOne, LeViT fuse their
    branches and BatchNorms, and zoos give that count); without a distillation head (DeiT's
    and LeViT's second head, which some zoos do not count); the backbone alone, of a
    self-supervised model."""
    forms = [("as built", measurement.parameters)]
    if measurement.deploy_parameters:
        forms.append((DEPLOYED, measurement.deploy_parameters))
    if measurement.without_distillation_parameters:
        forms.append(("without its distillation head", measurement.without_distillation_parameters))
    if measurement.part_parameters:
        forms.append(("its backbone alone", measurement.part_parameters[0]))
    return forms


def _part_sums(parts: tuple[int, ...]) -> list[int]:
    """Every sum of the backbone's count with some of the other parts' counts."""
    backbone, others = parts[0], parts[1:]
    return [
        backbone + sum(count for bit, count in enumerate(others) if chosen >> bit & 1)
        for chosen in range(2 ** len(others))
    ]


def agreeing_form(model: Model, measurement: Measurement) -> str | None:
    """The form of the measured model whose count the declared Parameters agree with.

    Of a self-supervised model, zoos count some of its parts: the backbone, with its neck and
    head or not, with its frozen target generator or not. A count that is one of those sums
    (or up to 5% below it: what pre-training adds inside the backbone), or up to 10% above
    the backbone's (a fine-tuned classifier's head), is taken as such: the rule cannot tell
    which parts a zoo meant, and says nothing.
    """
    for form, count in counted_forms(measurement):
        if parameters_agree(model, count):
            return form
    declared = model.metadata.parameters
    if declared and measurement.part_parameters:
        tolerance = parameter_tolerance(model, declared)
        backbone = measurement.part_parameters[0]
        if backbone < declared <= backbone * (1 + FINE_TUNING_HEAD):
            return "its backbone with a classifier's head"
        for total in _part_sums(measurement.part_parameters):
            if total * (1 - PRETRAINING_ADDITIONS) <= declared <= total + tolerance:
                return "some of the self-supervised model's parts"
    return None


def closest_form(model: Model, measurement: Measurement) -> tuple[str, int]:
    """The counted form nearest the declared Parameters (the model as built when none is
    declared): what a card that disagrees most likely meant to declare."""
    declared = model.metadata.parameters
    forms = counted_forms(measurement)
    if not declared:
        return forms[0]
    return min(forms, key=lambda form: abs(form[1] - declared))


def as_declared(model: Model, measurement: Measurement) -> Measurement:
    """The measurement of the form the card declares: where its Parameters are nearest those
    of the model re-parameterized for deployment, its FLOPs are that form's too."""
    if (
        measurement.deploy_macs
        and measurement.deploy_mmcv_flops
        and closest_form(model, measurement)[0] == DEPLOYED
    ):
        return dataclasses.replace(
            measurement,
            macs=measurement.deploy_macs,
            mmcv_flops=measurement.deploy_mmcv_flops,
        )
    return measurement


def measurement_agrees(model: Model, measurement: Measurement) -> bool | None:
    """Whether the declared Parameters agree with any counted form of the measured model
    (None: nothing to compare)."""
    if parameters_agree(model, measurement.parameters) is None:
        return None
    return agreeing_form(model, measurement) is not None


def state_dict_sizes(measurement: Measurement) -> dict[str, int] | None:
    """The measured state dict's bytes by precision, or None where they are unknown (0)."""
    sizes = {"fp32": measurement.state_dict_bytes, "fp16": measurement.state_dict_bytes_fp16}
    return sizes if all(size > 0 for size in sizes.values()) else None


def pickle_overhead(measurement: Measurement) -> int:
    return PICKLE_BYTES_FIXED + PICKLE_BYTES_PER_TENSOR * measurement.tensors


def checkpoint_precision(
    file_size: int, measurement: Measurement, sizes_declared: tuple[float, float] | None = None
) -> str | None:
    """ "fp32" or "fp16" when ``file_size`` (or some size in ``sizes_declared``, the range a
    rounded size stands for) is the state dict in that precision plus pickle overhead;
    "larger" when it holds more than the fp32 state dict by more than EXCESS_SHARE; None when
    it can hold neither (smaller than fp16, or in between)."""
    low, high = sizes_declared or (file_size, file_size)
    sizes = state_dict_sizes(measurement)
    if sizes is None:
        raise ValueError("the measurement has no state-dict sizes")
    overhead = pickle_overhead(measurement)
    for precision in ("fp32", "fp16"):
        exact = sizes[precision]
        lowest, highest = exact * (1 - MISSING_SHARE), exact * (1 + EXCESS_SHARE) + overhead
        if lowest <= high and low <= highest:
            return precision
    if file_size > sizes["fp32"]:
        return "larger"
    return None


def reference_drifted(model: Model, measurement: Measurement) -> bool:
    """The declared Parameters disagree with the measurement but fit the File Size, and the
    File Size does not fit today's state dict: the card describes its checkpoint, and the
    library has redefined the architecture since. The measurement then describes another
    model, and no other number may be judged by it."""
    agree = measurement_agrees(model, measurement)
    if agree is not False or not size_fits_parameters(model):
        return False
    file_size = model.metadata.file_size
    if file_size is None or state_dict_sizes(measurement) is None:
        return True
    declared = declared_size_range(model)
    return checkpoint_precision(file_size, measurement, declared) not in {"fp32", "fp16"}


def verdict(model: Model, measurement: Measurement | None) -> Verdict:
    """What ``measurement`` says of ``model``'s declared Parameters."""
    if measurement is None:
        return Verdict.NOT_VERIFIED
    agree = measurement_agrees(model, measurement)
    if agree is None:
        return Verdict.MEASURED
    if agree:
        return Verdict.VERIFIED
    return Verdict.REFERENCE_CHANGED if reference_drifted(model, measurement) else Verdict.MISMATCH
