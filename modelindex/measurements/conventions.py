"""Which FLOPs convention a collection's cards follow, inferred from declared/measured ratios.

Zoos count FLOPs differently: timm's TResNet cards give multiply-accumulates, mmpretrain's
tables the mmcv-style count (MACs plus BatchNorm and ReLU outputs), most other timm cards about
1.29 x MACs, which no known counter gives. A collection's convention is the median ratio of its
models' declared FLOPs to the measured count; it is named when a known convention fits that
median within 1%. A model whose own ratio is far from its collection's has FLOPs measured some
other way, at another size, or copied. No torch needed: this reads measurements.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from modelindex.measurements.compare import as_declared, reference_drifted
from modelindex.measurements.record import Measurement
from modelindex.schema import Model

if TYPE_CHECKING:
    from modelindex.measurements.cache import MeasurementCache

# How close a collection's median ratio must come to a known convention to be named by it.
CONVENTION_FIT = 0.01
# How far a model's ratio may sit from its collection's. Within timm's consistent collections
# the ratios spread by up to 5% around the median (EfficientNet 1.27-1.34 x MACs).
OUTLIER_TOLERANCE = 0.10
# Where no known counter explains a collection's FLOPs, its counter left some operations out
# (attention products, a token-to-token stem) whose share varies with a model's depth or
# window: mmpretrain's T2T-ViT-t-14 and SwinV2-B w24 cards sit 10-11% off their collections'
# medians for that reason alone. Only a difference this large is a wrong number there.
UNKNOWN_CONVENTION_TOLERANCE = 0.20
# A median of fewer models cannot tell which of them is the odd one.
MIN_MODELS_FOR_OUTLIERS = 3


@dataclass(frozen=True)
class KnownConvention:
    name: str
    basis: str
    """The measurement it is computed from: "macs" or "mmcv_flops"."""
    factor: float


KNOWN_CONVENTIONS = (
    KnownConvention("MACs", "macs", 1.0),
    KnownConvention("FLOPs = 2 x MACs", "macs", 2.0),
    KnownConvention("mmcv-style FLOPs (MACs + 2 x BatchNorm + ReLU outputs)", "mmcv_flops", 1.0),
)


def _factor(ratio: float) -> str:
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"


@dataclass(frozen=True)
class Convention:
    collection: str
    known: KnownConvention | None
    ratio: float
    """The median of declared FLOPs / the basis measurement (MACs when none is known)."""
    models: int
    spread: tuple[float, float]
    """The lowest and highest ratio to measured MACs in the collection."""
    consistent: bool = True
    """False when most models sit off the median: the collection follows no one convention."""

    @property
    def basis(self) -> str:
        return self.known.basis if self.known else "macs"

    def describe(self) -> str:
        if not self.consistent:
            low, high = self.spread
            return f"none: the cards give {_factor(low)} to {_factor(high)} x MACs"
        if self.known:
            return self.known.name
        return f"no known convention (≈{_factor(self.ratio)} x MACs)"

    def expected_flops(self, measurement: Measurement) -> int:
        """What the collection's convention gives for this measurement."""
        factor = self.known.factor if self.known else self.ratio
        return round(factor * getattr(measurement, self.basis))


@dataclass(frozen=True)
class FlopsOutlier:
    model: Model
    convention: Convention
    ratio: float
    """The model's declared FLOPs over its expected FLOPs under the collection's convention."""
    expected: int


def _ratio(model: Model, measurement: Measurement, basis: str) -> float | None:
    declared, measured = model.metadata.flops, getattr(measurement, basis)
    if not declared or declared <= 0 or measured <= 0:
        return None
    return declared / measured


def _comparable(
    pairs: Iterable[tuple[Model, Measurement]],
) -> dict[str, list[tuple[Model, Measurement]]]:
    """Pairs by collection, leaving out models the measurement does not describe (drift) and
    self-supervised models."""
    groups: dict[str, list[tuple[Model, Measurement]]] = {}
    for model, measured in pairs:
        measurement = as_declared(model, measured)
        if (
            model.in_collection
            # A self-supervised model's forward pass masks tokens at random, runs a target
            # generator or not: no one count is its FLOPs, and its cards count it every way.
            and measurement.part_parameters is None
            and _ratio(model, measurement, "macs") is not None
            and not reference_drifted(model, measurement)
        ):
            groups.setdefault(model.in_collection, []).append((model, measurement))
    return groups


def _ratios(members: list[tuple[Model, Measurement]], basis: str) -> list[float]:
    return [
        ratio
        for model, measurement in members
        if (ratio := _ratio(model, measurement, basis)) is not None
    ]


def _off(
    model: Model,
    measurement: Measurement,
    basis: str,
    median: float,
    tolerance: float = OUTLIER_TOLERANCE,
) -> bool:
    ratio = _ratio(model, measurement, basis)
    return ratio is not None and abs(ratio / median - 1) > tolerance


def _closest_known(
    members: list[tuple[Model, Measurement]],
) -> tuple[KnownConvention | None, float | None]:
    """The known convention that fits the median best within CONVENTION_FIT, and that median.

    ResNet-50's mmcv-style count is 0.8% above its MACs, so both may fit: the closer wins, and
    on a tie (no BatchNorm or ReLU, as in ViTs) the one listed first."""
    best: tuple[float, KnownConvention | None, float | None] = (math.inf, None, None)
    for known in KNOWN_CONVENTIONS:
        ratios = _ratios(members, known.basis)
        if not ratios:
            continue
        median = statistics.median(ratios)
        miss = abs(median / known.factor - 1)
        if miss <= CONVENTION_FIT and miss < best[0]:
            best = (miss, known, median)
    return best[1], best[2]


def _infer(collection: str, members: list[tuple[Model, Measurement]]) -> Convention:
    macs_ratios = _ratios(members, "macs")  # one per member: _comparable made sure of it
    known, median = _closest_known(members)
    if known is None or median is None:
        median = statistics.median(macs_ratios)
    basis = known.basis if known else "macs"
    outliers = sum(_off(model, measurement, basis, median) for model, measurement in members)
    return Convention(
        collection,
        known,
        median,
        len(members),
        (min(macs_ratios), max(macs_ratios)),
        consistent=2 * outliers <= len(members),
    )


def infer_conventions(pairs: Iterable[tuple[Model, Measurement]]) -> dict[str, Convention]:
    """Each collection's FLOPs convention, from its models with declared and measured FLOPs."""
    return {
        collection: _infer(collection, members)
        for collection, members in _comparable(pairs).items()
    }


def flops_outliers(
    pairs: Iterable[tuple[Model, Measurement]], conventions: dict[str, Convention]
) -> Iterator[FlopsOutlier]:
    """Models whose FLOPs sit off their collection's convention by more than the tolerance."""
    for collection, members in _comparable(pairs).items():
        convention = conventions.get(collection)
        if (
            convention is None
            or not convention.consistent
            or convention.models < MIN_MODELS_FOR_OUTLIERS
        ):
            continue
        tolerance = OUTLIER_TOLERANCE if convention.known else UNKNOWN_CONVENTION_TOLERANCE
        for model, measurement in members:
            expected = convention.expected_flops(measurement)
            if (
                expected > 0
                and _off(model, measurement, convention.basis, convention.ratio, tolerance)
                and (convention.known or not _fits_a_known_convention(model, measurement))
                and not _says_macs_and_has_them(model, measurement)
            ):
                yield FlopsOutlier(model, convention, model.metadata.flops / expected, expected)  # type: ignore[operator]


def _says_macs_and_has_them(model: Model, measurement: Measurement) -> bool:
    """A card that writes its FLOPs in MACs ('4.1 GMACs') and gives the measured MACs states
    its own convention: it is not off its collection's, whatever the others count."""
    ratio = _ratio(model, measurement, "macs")
    return (
        model.flops_convention == "MACs"
        and ratio is not None
        and abs(ratio - 1) <= OUTLIER_TOLERANCE
    )


def _fits_a_known_convention(model: Model, measurement: Measurement) -> bool:
    """FLOPs that a known counter gives for the measured model at its input size, within
    CONVENTION_FIT. In a collection that no known counter explains, such a model is the one
    counted right: mmpretrain's CSPNet cards give FLOPs at 224 px, two of its three models
    are tested at 256 px, and the third, tested at 224, is the one whose FLOPs are its MACs.
    (In a collection that follows a known convention, a model on another is reported.)"""
    return any(
        (ratio := _ratio(model, measurement, known.basis)) is not None
        and abs(ratio / known.factor - 1) <= CONVENTION_FIT
        for known in KNOWN_CONVENTIONS
    )


@dataclass
class MeasuredZoo:
    """What a cache measured of a zoo's models, with each collection's FLOPs convention: the
    one reading of measurements that the rules, verify's table and the site share."""

    pairs: list[tuple[Model, Measurement]]
    conventions: dict[str, Convention]

    @classmethod
    def of(cls, models: Iterable[Model], cache: MeasurementCache | None) -> MeasuredZoo:
        pairs = cache.measured(models) if cache is not None else []
        return cls(pairs, infer_conventions(pairs))

    def measurement(self, model: Model) -> Measurement | None:
        return self._by_model.get(id(model))

    def convention(self, model: Model) -> Convention | None:
        return self.conventions.get(model.in_collection or "")

    def outliers(self) -> list[FlopsOutlier]:
        return list(flops_outliers(self.pairs, self.conventions))

    @cached_property
    def _by_model(self) -> dict[int, Measurement]:
        return {id(model): measurement for model, measurement in self.pairs}
