"""Rules on measured numbers: declared values against ``modelindex verify``'s cache.

They read the cache (``data/measurements.json`` or ``measurements`` in [tool.modelindex]) and
need no torch. A model with no cached measurement is not checked by them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Severity
from modelindex.checks.number_rules import size_fits_parameters
from modelindex.checks.registry import Scope, rule
from modelindex.schema import Model
from modelindex.verify.compare import parameters_agree
from modelindex.verify.references import reference_for


def _measured(context: Context) -> list[tuple[Model, dict[str, Any]]]:
    """Each model with a cached measurement of its reference."""
    cache = context.measurements
    if cache is None or not cache.entries:
        return []
    found = []
    for model in context.index.models:
        reference = reference_for(model) if model.name else None
        entry = cache.latest_for(model.name, reference) if reference and model.name else None
        if entry is not None:
            found.append((model, entry))
    return found


def _reference_name(entry: dict[str, Any]) -> str:
    return f"timm {entry.get('library_version', '?')} {entry.get('reference', '?')}"


@rule("V001", "parameters-differ-from-measured", Severity.ERROR, Scope.INDEX)
def parameters_differ_from_measured(context: Context) -> Iterator[Hit]:
    """Parameters differ from the count measured on the reference implementation.

    `modelindex verify` builds the model (timm by default) and counts its parameters exactly.
    The declared value must agree within its stated rounding (a README table's 11.69 M stands
    for 11,685,000-11,695,000), or within 0.5% when no rounding is stated. tresnet_m's card
    declares 41,282,200; timm builds 31,389,032. When the File Size agrees with the declared
    count instead, the reference has probably changed since: that is V004, a warning.
    """
    for model, entry in context.shared(_measured):
        if parameters_agree(model, entry) is not False or size_fits_parameters(model):
            continue
        measured = entry["parameters"]
        yield Hit(
            model.location("Parameters"),
            f"Parameters {model.metadata.parameters} differ from the {measured} that "
            f"{_reference_name(entry)} has ({model.metadata.parameters / measured:.4f} x)",
            model=model.name,
            field="Parameters",
            fix=f"Parameters: {measured}",
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
        if parameters_agree(model, entry) is not False or not size_fits_parameters(model):
            continue
        yield Hit(
            model.location("Parameters"),
            f"Parameters {model.metadata.parameters} match the File Size but not "
            f"{_reference_name(entry)}, which has {entry['parameters']}: the reference "
            "implementation has changed since the checkpoint was made",
            model=model.name,
            field="Parameters",
        )
