"""Rules on measured numbers: declared values against ``modelindex verify``'s cache.

They read the cache (``data/measurements.json`` or ``measurements`` in [tool.modelindex]) and
need no torch. A model with no cached measurement is not checked by them.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelindex.checks.context import Context
from modelindex.checks.findings import Applicability, Hit, Related, Severity, value_repair
from modelindex.checks.registry import Scope, rule
from modelindex.fields import FILE_SIZE, FLOPS, PARAMETERS
from modelindex.file_size import declared_size_range
from modelindex.measurements.compare import (
    checkpoint_precision,
    closest_form,
    counted_forms,
    measurement_agrees,
    reference_drifted,
    state_dict_sizes,
)
from modelindex.measurements.record import Measurement
from modelindex.schema import Model


def _measured(context: Context) -> list[tuple[Model, Measurement]]:
    """Each model with a cached measurement of its reference."""
    return context.measured.pairs


@rule("V001", "parameters-differ-from-measured", Severity.ERROR, Scope.INDEX, local=True)
def parameters_differ_from_measured(context: Context) -> Iterator[Hit]:
    """Parameters differ from the count measured on the reference implementation.

    `modelindex verify` builds the model (with its zoo's own library, mmpretrain, where it
    has it; else timm) and counts its parameters exactly. The declared value must agree within
    its stated rounding (a README table's 11.69 M stands for 11,685,000-11,695,000), or within
    0.5% when no rounding is stated, with the model as built, or as re-parameterized for
    deployment (RepVGG), or, for a self-supervised model, with its backbone alone.
    mmpretrain's resnet34_8xb32_in1k declares 2,180,000; its config builds 21,797,672. When
    the File Size agrees with the declared count instead, the reference has probably changed
    since: that is V004, a warning.
    """
    for model, entry in context.shared(_measured):
        agree = measurement_agrees(model, entry)
        if agree is not False or reference_drifted(model, entry):
            continue
        measured = entry.parameters
        others = "".join(f"; {count} {form}" for form, count in counted_forms(entry)[1:])
        _, nearest = closest_form(model, entry)
        yield Hit(
            model.location(PARAMETERS),
            f"Parameters {model.metadata.parameters} differ from the {measured} that "
            f"{entry.describe()} has ({model.metadata.parameters / measured:.4f} x{others})",
            model=model.name,
            field=PARAMETERS,
            fix=f"Parameters: {nearest}",
            repair=value_repair(
                model, PARAMETERS, model.metadata.parameters, nearest, Applicability.UNSAFE
            ),
        )


@rule("V004", "reference-drift", Severity.WARNING, Scope.INDEX)
def reference_drift(context: Context) -> Iterator[Hit]:
    """The declared Parameters fit the checkpoint but not today's reference implementation.

    The File Size holds exactly the declared count in fp32 or fp16, so the card describes the
    checkpoint it links; the library has redefined the architecture since. timm's
    vit_small_patch16_224 had 48.75 M parameters before mid-2021 and has 22 M now. The
    finding names the library version measured.
    """
    for model, entry in context.shared(_measured):
        if not reference_drifted(model, entry):
            continue
        yield Hit(
            model.location(PARAMETERS),
            f"Parameters {model.metadata.parameters} match the File Size but not "
            f"{entry.describe()}, which has {entry.parameters}: the reference "
            "implementation has changed since the checkpoint was made",
            model=model.name,
            field=PARAMETERS,
        )


def _state_dict_hits(context: Context, wanted: set[str | None]) -> Iterator[Hit]:
    """File Sizes whose fit to the measured state dict is one of ``wanted``."""
    for model, entry in context.shared(_measured):
        file_size = model.metadata.file_size
        sizes = state_dict_sizes(entry)
        if not file_size or sizes is None or reference_drifted(model, entry):
            continue
        precision = checkpoint_precision(file_size, entry, declared_size_range(model))
        if precision not in wanted:
            continue
        if precision is None:
            message = (
                f"File Size {file_size} B cannot hold the state dict of "
                f"{entry.describe()}: {sizes['fp32']} B in fp32, {sizes['fp16']} B in fp16"
            )
        else:
            message = (
                f"File Size {file_size} B is {file_size / sizes['fp32']:.3f} x the fp32 state "
                f"dict of {entry.describe()} ({sizes['fp32']} B): the checkpoint holds "
                "more than the model"
            )
        parameters = model.metadata.parameters
        yield Hit(
            model.location(FILE_SIZE),
            message,
            model=model.name,
            field=FILE_SIZE,
            related=(Related(model.location(PARAMETERS), f"Parameters {parameters}"),)
            if parameters
            else (),
        )


@rule("V002", "file-size-vs-state-dict", Severity.ERROR, Scope.INDEX, local=True)
def file_size_vs_state_dict(context: Context) -> Iterator[Hit]:
    """File Size cannot hold the measured state dict in fp32 or in fp16.

    `modelindex verify` computes the exact bytes of the reference's state dict, buffers
    included, in both precisions. A checkpoint weighs that plus about 350 bytes per tensor of
    pickle. A File Size below the fp16 size, or between the two, belongs to another model or to
    a truncated file: resnest200e's card gives 0.69 x its fp32 state dict, which is
    resnest101e's file size.
    """
    yield from _state_dict_hits(context, {None})


@rule("V005", "file-size-above-state-dict", Severity.WARNING, Scope.INDEX, local=True)
def file_size_above_state_dict(context: Context) -> Iterator[Hit]:
    """File Size exceeds the measured fp32 state dict by more than 5% and the pickle overhead.

    The checkpoint carries more than the model: an auxiliary classifier (inception_v3: 1.140 x),
    EMA weights or optimizer state; or the size is another, larger model's (efficientnet_b2a:
    1.345 x, efficientnet_b3's file).
    """
    yield from _state_dict_hits(context, {"larger"})


@rule("V003", "flops-off-convention", Severity.ERROR, Scope.INDEX)
def flops_off_convention(context: Context) -> Iterator[Hit]:
    """FLOPs are off the convention the rest of the collection follows, by more than 10%.

    The convention is inferred from the median ratio of declared FLOPs to the measured count
    over the collection (at least three models): MACs, 2 x MACs, mmcv-style, or an unnamed
    factor such as timm's 1.29 x MACs, where a model may sit up to 20% off (the operations
    such a counter leaves out weigh more in some models). A model far from it was counted
    another way, at another input size, or has a sibling's number: timm's
    vit_base_patch16_224 card declares 3.84 x its MACs where the Vision Transformer collection
    declares about 0.97 x; mmpretrain's EfficientNet-L2 cards at 475 and 800 px have each
    other's FLOPs. In a collection that no known counter explains, FLOPs that one gives
    exactly for the model are not reported; nor are those of self-supervised models (masked,
    with or without their teacher).
    """
    for outlier in context.measured.outliers():
        model, convention = outlier.model, outlier.convention
        known = convention.known is not None
        yield Hit(
            model.location(FLOPS),
            f"FLOPs {model.metadata.flops} are {outlier.ratio:.2f} x the {outlier.expected} "
            f"that the measured model has under {convention.collection}'s convention: "
            f"{convention.describe()}",
            model=model.name,
            field=FLOPS,
            fix=f"FLOPs: {outlier.expected}" if known else None,
        )
