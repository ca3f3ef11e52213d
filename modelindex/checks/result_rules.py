"""Rules across models' results: a set of numbers that two different checkpoints share."""

from __future__ import annotations

from collections.abc import Iterator

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Related, Severity, hit_on
from modelindex.checks.registry import Scope, rule
from modelindex.checks.source_rules import metric_key
from modelindex.dataset_names import dataset_key
from modelindex.fields import result_field
from modelindex.links import config_file
from modelindex.schema import Model

# Two numbers agree by chance now and then (thirty MPII models share a 0.88-0.90 band); three
# to the last digit do not. Two are enough between entries of one file, where copies are made.
MINIMUM_METRICS = 3
MINIMUM_METRICS_IN_ONE_FILE = 2


def _different_checkpoints(model: Model, other: Model) -> bool:
    """Both say which checkpoint and which config they are, and neither is the other's."""
    if not (model.weights and other.weights and model.config and other.config):
        return False
    return model.weights != other.weights and config_file(model) != config_file(other)


@rule("R001", "results-copied", Severity.ERROR, Scope.INDEX)
def results_copied(context: Context) -> Iterator[Hit]:
    """Two different checkpoints give the same set of metrics on one dataset, to the last digit.

    The two models have different Weights and different configs.

    mmaction2's MViT-B and MViT-L entries give MViT-S's Top-1 and Top-5, and an mmpose UBody
    model carries the COCO-WholeBody model's ten metrics: the result was copied with the
    entry. A result needs three metrics to be compared, or two between entries of one file;
    the later model is reported, with the first as evidence. A checkpoint evaluated twice is
    one model, not a copy.
    """
    first: dict[tuple[str, tuple[tuple[str, float], ...]], tuple[Model, int]] = {}
    seen_results: set[int] = set()
    for model in context.index.models:
        if id(model.results) in seen_results:
            continue  # results a collection gives all its models
        seen_results.add(id(model.results))
        for position, result in enumerate(model.results):
            numbers = tuple(
                sorted(
                    (metric_key(name), float(value))
                    for name, value in result.metrics.items()
                    if value is not None
                )
            )
            if len(numbers) < MINIMUM_METRICS_IN_ONE_FILE:
                continue
            key = (dataset_key(result.dataset), numbers)
            if key not in first:
                first[key] = (model, position)
                continue
            original, original_position = first[key]
            if original.name == model.name or not _different_checkpoints(model, original):
                continue
            one_file = original.source.path == model.source.path
            if len(numbers) < MINIMUM_METRICS and not one_file:
                continue
            field = result_field(position, "Metrics")
            evidence = original.location(result_field(original_position, "Metrics"))
            yield hit_on(
                model,
                field,
                f"Results[{position}] repeats {original.name}'s {len(numbers)} metrics on "
                f"{result.dataset or 'its dataset'} to the last digit, with another checkpoint",
                related=(Related(evidence, f"{original.name}'s result"),),
            )
