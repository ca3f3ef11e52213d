"""Number rules: checkpoint size against parameters, resolution variants, unit slips, outliers."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterator

from modelindex.checks.context import Context
from modelindex.checks.findings import Applicability, Hit, Related, Severity, hit_on, value_repair
from modelindex.checks.registry import Scope, rule
from modelindex.checks.structure_rules import top_k
from modelindex.dataset_names import dataset_key
from modelindex.fields import FILE_SIZE, FLOPS, PARAMETERS, normalize_key, result_field
from modelindex.file_size import (
    EXTRA_HEAD_BYTES,
    bytes_per_parameter,
    fits,
    size_fits_parameters,
    within,
)
from modelindex.metric_semantics import Scale, metric_semantics, plain_key, scale_of
from modelindex.readers.hf_cards import DIALECT as HUB_DIALECT
from modelindex.schema import Model


def _size_hit(model: Model, ratio: float, message: str, fix: str | None = None) -> Hit:
    parameters = model.metadata.parameters
    return hit_on(
        model,
        FILE_SIZE,
        f"File Size {model.metadata.file_size} B is {ratio:.2f} bytes per parameter "
        f"for Parameters {parameters}: {message}",
        related=(Related(model.location(PARAMETERS), f"Parameters {parameters}"),),
        fix=fix,
    )


@rule("N001", "file-size-vs-parameters", Severity.ERROR, Scope.ENTRY)
def file_size_vs_parameters(entry: Model, context: Context) -> Iterator[Hit]:
    """File Size does not hold Parameters weights in fp32 or fp16.

    A saved state dict takes about 4 bytes per parameter in fp32 (3.96-4.15 with buffers and
    pickle overhead) and 2 in fp16. Anything else far from both means that File Size or
    Parameters belongs to another model: tresnet_xl_448's card gives 2.97 bytes per parameter
    because its File Size is tresnet_l_448's. A moderate excess is N002, not this rule.
    """
    ratio = bytes_per_parameter(entry) if isinstance(entry, Model) else None
    if ratio is None or size_fits_parameters(entry) or fits(entry, EXTRA_HEAD_BYTES):  # type: ignore[arg-type]
        return
    implied = entry.metadata.file_size / 4.0 / 1e6  # type: ignore[operator]
    yield _size_hit(
        entry,
        ratio,
        "fp32 weights take about 4.0 and fp16 about 2.0",
        fix=f"one of the two belongs to another model; as fp32 this file holds "
        f"about {implied:.2f} M parameters",
    )


@rule("N002", "file-size-excess", Severity.WARNING, Scope.ENTRY)
def file_size_excess(entry: Model, context: Context) -> Iterator[Hit]:
    """File Size is moderately larger than fp32 weights of Parameters need (4.15-4.75 B each).

    A checkpoint may carry weights that the declared count leaves out, such as an auxiliary
    classifier (inception_v3: 4.57 bytes per parameter); or Parameters is a few percent low.
    """
    ratio = bytes_per_parameter(entry) if isinstance(entry, Model) else None
    if ratio is not None and within(ratio, EXTRA_HEAD_BYTES) and not size_fits_parameters(entry):  # type: ignore[arg-type]
        yield _size_hit(
            entry,
            ratio,
            "more than fp32 weights need; an extra head in the checkpoint, or Parameters low",
        )


# --- resolution variants --------------------------------------------------------------------

# tresnet_m_448 is tresnet_m evaluated at 448 px; vit_base_patch16_384 is vit_base_patch16 at 384.
_SIZE_SUFFIX = re.compile(r"^(?P<base>.+?)[_-](?P<size>\d{2,4})$")
# FLOPs of one architecture grow with the input area; attention grows faster than the area,
# and a head's fixed cost slower, so the ratio may move this far from the area ratio.
AREA_SCALING_BOUNDS = (0.85, 1.35)
# A finding names this many of the other models involved, so that its size stays bounded.
LISTED_OTHERS = 3
# Parameters of resolution variants may differ by position embeddings (ViT: 0.3%).
VARIANT_PARAMETER_TOLERANCE = 0.02


def architecture_name(model: Model) -> str | None:
    """The name without an image-size suffix that repeats the model's own Image Size."""
    if model.name is None:
        return None
    match = _SIZE_SUFFIX.match(model.name)
    if match and model.metadata.image_size == int(match.group("size")):
        return match.group("base")
    return model.name


def resolution_variants(context: Context) -> list[list[Model]]:
    """Groups of two or more models of one collection that differ only in input size."""
    groups: dict[tuple[str | None, str], list[Model]] = {}
    for model in context.index.models:
        base = architecture_name(model)
        if base is not None:
            groups.setdefault((model.in_collection, base), []).append(model)
    return [group for group in groups.values() if len(group) > 1]


def _majority(values: list[int]) -> int | None:
    """The value most models share, if more models share it than any other value."""
    ranked = Counter(values).most_common(2)
    if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return None


@rule("N003", "variant-parameters", Severity.ERROR, Scope.INDEX)
def variant_parameters(context: Context) -> Iterator[Hit]:
    """Resolution variants of one architecture declare different Parameters.

    tresnet_m and tresnet_m_448 are one network evaluated at two input sizes, in one
    collection, so their parameter counts must agree (within 2%, for position embeddings).
    When most variants agree, the others are reported; when none agree, all are.
    """
    for group in context.shared(resolution_variants):
        counted = [m for m in group if m.metadata.parameters]
        values = [m.metadata.parameters for m in counted]
        if len(counted) < 2 or max(values) <= min(values) * (1 + VARIANT_PARAMETER_TOLERANCE):  # type: ignore[type-var,operator]
            continue
        agreed = _majority(values)  # type: ignore[arg-type]
        for model in counted:
            parameters = model.metadata.parameters
            if agreed is not None and parameters == agreed:
                continue
            others = [m for m in counted if m is not model][:LISTED_OTHERS]
            yield hit_on(
                model,
                PARAMETERS,
                f"Parameters {parameters} differ from those of the same architecture at another "
                "input size: " + ", ".join(f"{m.name} {m.metadata.parameters}" for m in others),
                related=tuple(
                    Related(m.location(PARAMETERS), f"{m.name}: {m.metadata.parameters}")
                    for m in others
                ),
                fix=f"Parameters: {agreed}" if agreed is not None else None,
            )


@rule("N004", "variant-flops-scaling", Severity.ERROR, Scope.INDEX)
def variant_flops_scaling(context: Context) -> Iterator[Hit]:
    """FLOPs of resolution variants do not scale with the input area.

    One architecture at 448 px costs about (448/224)^2 = 4 times its cost at 224 px
    (the TResNet cards: 3.9995). A ratio outside 0.85-1.35 times the area ratio means one of
    the FLOPs was measured at another size or under another convention. The variant at the
    larger size is reported, next to the smaller one.
    """
    for group in context.shared(resolution_variants):
        sized = sorted(
            (m for m in group if m.metadata.flops and m.metadata.image_size),
            key=lambda m: m.metadata.image_size,  # type: ignore[arg-type,return-value]
        )
        for smaller, larger in itertools.pairwise(sized):
            small_size, large_size = smaller.metadata.image_size, larger.metadata.image_size
            if small_size == large_size:
                continue
            area_ratio = (large_size / small_size) ** 2  # type: ignore[operator]
            flops_ratio = larger.metadata.flops / smaller.metadata.flops  # type: ignore[operator]
            if within(flops_ratio / area_ratio, AREA_SCALING_BOUNDS):
                continue
            yield Hit(
                larger.location(FLOPS),
                f"FLOPs {larger.metadata.flops} at {large_size} px are {flops_ratio:.2f} times "
                f"{smaller.name}'s {smaller.metadata.flops} at {small_size} px; the input area "
                f"grows {area_ratio:.2f} times",
                model=larger.name,
                field=FLOPS,
                related=(
                    Related(smaller.location(FLOPS), f"{smaller.name}: {smaller.metadata.flops}"),
                ),
                fix=f"at {area_ratio:.2f} times, about "
                f"{smaller.metadata.flops * area_ratio:.4g} FLOPs",  # type: ignore[operator]
            )


# --- cost per parameter per pixel -----------------------------------------------------------

# A family shares a collection and the dataset it was evaluated on (CIFAR variants of a ResNet
# run a stride-1 stem and cost far more per pixel than the ImageNet ones).
FAMILY_MINIMUM = 3
OUTLIER_FACTOR = 5.0
# Across architectures, FLOPs per parameter per pixel spread over about 25x in timm's zoo
# (CondConv's unused experts to dense stems); a collection 100x off the index is a slip.
INDEX_SLIP_FACTOR = 100.0
INDEX_MINIMUM = 10


def cost_density(model: Model) -> float | None:
    """FLOPs per parameter, per input pixel when Image Size is known."""
    flops, parameters = model.metadata.flops, model.metadata.parameters
    if not flops or not parameters or flops <= 0 or parameters <= 0:
        return None
    size = model.metadata.image_size
    return flops / parameters / (size * size if size else 1)


def _family_key(model: Model) -> tuple[str | None, str | None, bool]:
    dataset = (model.results[0].dataset or "").lower() if model.results else ""
    return (model.in_collection, dataset or None, bool(model.metadata.image_size))


def _families(context: Context) -> list[tuple[list[Model], dict[int, float], float]]:
    """Families with enough models, each model's cost density, and the family's median."""
    grouped: dict[tuple[str | None, str | None, bool], list[Model]] = {}
    for model in context.index.models:
        if cost_density(model) is not None:
            grouped.setdefault(_family_key(model), []).append(model)
    families = []
    for (collection, _, _), members in grouped.items():
        # Models outside any collection have nothing in common to compare.
        if collection is not None and len(members) >= FAMILY_MINIMUM:
            densities = {id(m): cost_density(m) for m in members}
            median = statistics.median(densities.values())  # type: ignore[type-var]
            families.append((members, densities, median))  # type: ignore[arg-type]
    return families


def _power_of_ten(factor: float) -> int | None:
    """1 for 10, 3 for 1000 (negative below 1): ``factor`` within 7.1-14x of a power of ten."""
    exponent = math.log10(factor)
    nearest = round(exponent)
    if nearest != 0 and abs(exponent - nearest) <= 0.15:
        return nearest
    return None


class _Range:
    """The range of a family's values without any one member, from its two extremes each side."""

    def __init__(self, values: list[int]) -> None:
        ordered = sorted(values)
        self.low, self.high = ordered[:2], ordered[-2:]

    def of_others(self, value: int) -> tuple[int, int] | None:
        if len(self.low) < 2:
            return None
        low = self.low[1] if value == self.low[0] else self.low[0]
        high = self.high[0] if value == self.high[1] else self.high[1]
        return low, high

    def excludes(self, value: int) -> bool:
        bounds = self.of_others(value)
        return bounds is not None and not bounds[0] / 2 <= value <= bounds[1] * 2


def _blamed_field(model: Model, parameters: _Range, flops: _Range) -> str:
    """Parameters or FLOPs: whichever, scaled by the slip, falls back in line with the family.

    A File Size that fits the parameters clears them. Otherwise the value lying outside the
    range of the rest of the family is the slip (resnet34's 2.18 M parameters lie below
    resnet18's 11.69 M, while its FLOPs sit between resnet18's and resnet50's).
    """
    if size_fits_parameters(model):
        return FLOPS
    declared_parameters, declared_flops = model.metadata.parameters, model.metadata.flops
    if parameters.excludes(declared_parameters) and not flops.excludes(declared_flops):  # type: ignore[arg-type]
        return PARAMETERS
    return FLOPS


def _slip_hit(model: Model, field: str, factor: float, exponent: int) -> Hit:
    """A value one or more powers of ten off the family: the corrected value is the fix."""
    value = model.metadata.parameters if field == PARAMETERS else model.metadata.flops
    # Parameters divide the density, so a density too high means Parameters too small.
    too_small = (factor > 1) == (field == PARAMETERS)
    scale = 10 ** abs(exponent)
    corrected = value * scale if too_small else value / scale  # type: ignore[operator]
    per = "per parameter per pixel" if model.metadata.image_size else "per parameter"
    other = FLOPS if field == PARAMETERS else PARAMETERS
    return hit_on(
        model,
        field,
        f"{field} {value} looks {scale}x too {'small' if too_small else 'large'}: FLOPs {per} "
        f"are {factor:.3g} times the family's median",
        related=(Related(model.location(other), f"{other}, the other side of the ratio"),),
        fix=f"{field}: {round(corrected)}",
        repair=value_repair(model, field, value, round(corrected), Applicability.UNSAFE),  # type: ignore[arg-type]
    )


@rule("N005", "unit-slip", Severity.ERROR, Scope.INDEX)
def unit_slip(context: Context) -> Iterator[Hit]:
    """Parameters or FLOPs are about 10x or 1000x off the family's trend.

    Within a collection evaluated on one dataset, FLOPs per parameter per pixel stay within a
    few times of each other. A model about a power of ten away has a slipped unit: mmpretrain's
    resnet34 declares 2.18 M parameters, below resnet18's 11.69 M, while its FLOPs sit between
    resnet18's and resnet50's (21.8 M is right). A whole collection 100x or more off the rest
    of the index (FLOPs in the wrong unit everywhere) is reported too. The field blamed is the
    one whose corrected value falls back in line; a File Size that fits the parameters clears
    Parameters.
    """
    reported: set[int] = set()
    for members, densities, median in context.shared(_families):
        parameters = _Range([m.metadata.parameters for m in members])  # type: ignore[misc]
        flops = _Range([m.metadata.flops for m in members])  # type: ignore[misc]
        for model in members:
            factor = densities[id(model)] / median
            exponent = _power_of_ten(factor)
            if exponent is None:
                continue
            reported.add(id(model))
            field = _blamed_field(model, parameters, flops)
            yield _slip_hit(model, field, factor, exponent)

    densities = {
        id(m): d for m in context.index.models if (d := cost_density(m)) and m.metadata.image_size
    }
    if len(densities) < INDEX_MINIMUM:
        return
    index_median = statistics.median(densities.values())
    by_collection: dict[str | None, list[Model]] = {}
    for model in context.index.models:
        if id(model) in densities and id(model) not in reported:
            by_collection.setdefault(model.in_collection, []).append(model)
    for collection, members in by_collection.items():
        if collection is None:
            continue
        collection_median = statistics.median(densities[id(m)] for m in members)
        if 1 / INDEX_SLIP_FACTOR < collection_median / index_median < INDEX_SLIP_FACTOR:
            continue
        for model in members:
            # A File Size that fits the parameters leaves FLOPs as the suspect.
            field = FLOPS if size_fits_parameters(model) is not False else PARAMETERS
            factor = densities[id(model)] / index_median
            ratio = f"1/{1 / factor:.0f}" if factor < 1 else f"{factor:.0f}"
            yield hit_on(
                model,
                field,
                f"{field} {field.value_of(model)} is off by orders of magnitude: "
                f"FLOPs per parameter per pixel are {ratio} of the index's median, and so are "
                f"those of the rest of {model.in_collection}",
                fix=f"check the unit of {field} across {model.in_collection}",
            )


# A swap keeps each number's digits and unit letter: Parameters 3.42 M and FLOPs 15.82 G for
# a network of 15.82 M parameters and 3.42 G FLOPs. Read back, FLOPs per parameter become
# 1e6 divided by the declared ratio.
_SWAP_SCALE = 1e6
# How close the swapped reading must come to the collection's median to be the explanation.
_SWAP_FIT = 1.5


def _swapped_fits(model: Model, density: float, median: float) -> bool:
    """Whether reading Parameters and FLOPs the other way round puts the model in its family."""
    size = model.metadata.image_size
    pixels = size * size if size else 1
    ratio = density * pixels
    swapped = _SWAP_SCALE / ratio / pixels / median
    return max(swapped, 1 / swapped) <= _SWAP_FIT


@rule("N008", "parameters-flops-swapped", Severity.ERROR, Scope.INDEX)
def parameters_flops_swapped(context: Context) -> Iterator[Hit]:
    """Parameters and FLOPs hold each other's value.

    RepVGG-B0's metafile declares FLOPs 15.82 G and Parameters 3.42 M; the network has 15.82 M
    parameters and costs 3.42 G FLOPs. The declared pair spends 20 times its collection's
    FLOPs per parameter; read the other way round, it fits the collection. Reported only
    where that reading fits within 1.5x of the collection's median, and instead of N006.
    """
    for members, densities, median in context.shared(_families):
        if len(members) < FAMILY_MINIMUM + 1:
            continue
        for model in members:
            factor = densities[id(model)] / median
            if max(factor, 1 / factor) < OUTLIER_FACTOR:
                continue
            if not _swapped_fits(model, densities[id(model)], median):
                continue
            parameters, flops = model.metadata.parameters, model.metadata.flops
            yield hit_on(
                model,
                PARAMETERS,
                f"Parameters {parameters} and FLOPs {flops} look swapped: read the other way "
                f"round ({(flops or 0) / 1e3:.4g} parameters, {(parameters or 0) * 1e3:.4g} "
                f"FLOPs) they fit {model.in_collection}, as declared they are {factor:.3g} times "
                "its median cost per parameter",
                related=(Related(model.location(FLOPS), FLOPS),),
            )


@rule("N006", "collection-outlier", Severity.WARNING, Scope.INDEX)
def collection_outlier(context: Context) -> Iterator[Hit]:
    """FLOPs per parameter per pixel stand out within the collection (5x off its median).

    Architectures of one collection spend their parameters alike: timm's EfficientNets differ
    by at most 4.8x (EdgeTPU variants use dense convolutions). A model further out has
    FLOPs measured at another size, under another convention, or for another model.
    Clean powers of ten are reported as unit slips (N005) instead.
    """
    for members, densities, median in context.shared(_families):
        if len(members) < FAMILY_MINIMUM + 1:
            continue
        for model in members:
            factor = densities[id(model)] / median
            if max(factor, 1 / factor) < OUTLIER_FACTOR or _power_of_ten(factor) is not None:
                continue
            if _swapped_fits(model, densities[id(model)], median):
                continue  # N008
            yield hit_on(
                model,
                FLOPS,
                f"FLOPs {model.metadata.flops} for Parameters {model.metadata.parameters} at "
                f"{model.metadata.image_size or '?'} px are {factor:.3g} times the collection's "
                "median cost per parameter per pixel",
                related=(Related(model.location(PARAMETERS), PARAMETERS),),
            )


# --- accuracy --------------------------------------------------------------------------------

ACCURACY_FLOOR_FACTOR = 5.0
ACCURACY_MINIMUM = 5


@rule("N007", "implausible-accuracy", Severity.ERROR, Scope.INDEX)
def implausible_accuracy(context: Context) -> Iterator[Hit]:
    """A Top-1 or Top-5 accuracy is less than a fifth of the index's median on that dataset.

    A published ImageNet model with 1.0% Top-1 accuracy does not exist: the value is an error
    rate, a fraction of one, or another metric. timm's inception_v4 card gives Top 1 Accuracy
    1.01% next to Top 5 Accuracy 16.85%. Models are compared only with those evaluated on
    the same dataset, for the same task and with the same input modality: an audio-only
    Kinetics-400 classifier scores far below the RGB ones, and rightly so.
    """
    # Results that models inherit from their collection are one list shared by them all: read
    # once and weighed by the number of models that carry it, they sway the median as much as
    # copies would, and cost no time per model.
    carriers: dict[int, list[Model]] = {}
    for model in context.index.models:
        carriers.setdefault(id(model.results), []).append(model)
    values: dict[tuple[int, str, str], list[tuple[Model, int, str, float, int]]] = {}
    for models in carriers.values():
        model = models[0]
        for position, result in enumerate(model.results):
            for k in (1, 5):
                found = top_k(result.metrics, k)
                if found is not None:
                    key = (k, (result.dataset or "").lower(), _setting(model, result.task))
                    entry = (model, position, found[0], found[1], len(models))
                    values.setdefault(key, []).append(entry)
    for (_, dataset, _), entries in values.items():
        count = sum(weight for *_, weight in entries)
        if count < ACCURACY_MINIMUM:
            continue
        median = _weighted_median([(value, weight) for *_, value, weight in entries], count)
        for model, position, metric, value, _ in entries:
            if value * ACCURACY_FLOOR_FACTOR >= median:
                continue
            field = result_field(position, metric)
            yield hit_on(
                model,
                field,
                f"{metric} {value:g} on {dataset or 'its dataset'} is implausibly low: the "
                f"median of {count} models is {median:.2f}",
                fix="an error rate, a fraction or another metric was written as the accuracy",
            )


def _setting(model: Model, task: str | None) -> str:
    """The task and input modality (OpenMMLab's `Modality: Audio`) a result was obtained in."""
    modality = next(
        (
            value
            for extra in (model.extra, model.metadata.extra)
            for key, value in extra.items()
            if normalize_key(key) == "modality" and isinstance(value, str)
        ),
        "",
    )
    return f"{(task or '').lower()}|{modality.lower()}"


def _weighted_median(weighted: list[tuple[float, int]], count: int) -> float:
    """The median of ``count`` values, each given once with the number of times it occurs."""
    ordered = sorted(weighted)
    middle = {(count - 1) // 2, count // 2}
    picked: list[float] = []
    seen = 0
    for value, weight in ordered:
        picked += [value] * sum(seen <= place < seen + weight for place in middle)
        seen += weight
    return sum(picked) / len(picked)


# How far a rescaled value may sit outside the range of its siblings and still be one of them:
# an error rate written as the accuracy (Top-1 1.0 among 80s) is N007's, not a scale.
_RESCALED_MARGIN = 10.0
# A scale is a group's when at least this many of its values show it.
_MIN_ON_COMMON_SCALE = 2


@rule("N009", "metric-scale-differs", Severity.ERROR, Scope.INDEX)
def metric_scale_differs(context: Context) -> Iterator[Hit]:
    """A metric is on another scale than the same metric of the rest of its collection or card.

    `Top 1 Accuracy: 0.76` where the collection's other models write 76.1 and 77.3 is a
    fraction in a percentage field: every comparison, table and plot takes it for 0.76 %.
    Metrics are compared within a collection (else within a card) and one dataset, and only
    values that show their scale count, as in H007 (which checks Hub cards). The value is
    reported when at least two others are on the other scale, none on its own, and it lies
    within their range once rescaled: an accuracy of 1.0 among 80s is no fraction of one.
    """
    groups: dict[tuple[str, str, str], list[tuple[Model, int, str, float, Scale]]] = {}
    seen: set[int] = set()
    for model in context.index.models:
        if model.dialect == HUB_DIALECT or id(model.results) in seen:
            continue
        seen.add(id(model.results))
        owner = f"c:{model.in_collection}" if model.in_collection else f"f:{model.source.path}"
        for position, result in enumerate(model.results):
            dataset = dataset_key(result.dataset or "")
            for name, value in result.metrics.items():
                semantics = metric_semantics(name)
                scale = scale_of(value, semantics) if semantics and value is not None else None
                if scale is None:
                    continue
                key = (owner, f"{semantics.kind}|{plain_key(name)}", dataset)  # type: ignore[union-attr]
                groups.setdefault(key, []).append((model, position, name, value, scale))
    for members in groups.values():
        by_scale = {scale: [member for member in members if member[4] is scale] for scale in Scale}
        for scale, alone in by_scale.items():
            others = by_scale[Scale.PERCENT if scale is Scale.FRACTION else Scale.FRACTION]
            if len(alone) != 1 or len(others) < _MIN_ON_COMMON_SCALE:
                continue
            model, position, name, value, _ = alone[0]
            rescaled = value * 100 if scale is Scale.FRACTION else value / 100
            low = min(other[3] for other in others)
            high = max(other[3] for other in others)
            margin = _RESCALED_MARGIN if scale is Scale.FRACTION else _RESCALED_MARGIN / 100
            if not low - margin <= rescaled <= high + margin:
                continue
            where = "collection " + str(model.in_collection) if model.in_collection else "card"
            sample = ", ".join(f"{other[3]:g}" for other in others[:3])
            yield hit_on(
                model,
                result_field(position, name),
                f"{name} {value:g} is on a {scale} scale, but the rest of its {where} write "
                f"it on a {Scale.PERCENT if scale is Scale.FRACTION else Scale.FRACTION} "
                f"scale ({sample})",
                fix=f"on their scale it reads {rescaled:g}; or it is another metric's value",
            )
