"""The benchmarks a zoo reports: each task on each dataset, with the metrics measured there.

A zoo of any task compares on what it has: Top-1 on ImageNet-1k, box AP on COCO, PCK on MPII,
PSNR on Set5, WER on LibriSpeech. Results are grouped by task and dataset (one name per
dataset: :mod:`modelindex.dataset_names`), metrics within a benchmark by their name without
case or punctuation, and each metric knows which way is better
(:mod:`modelindex.metric_semantics`; a metric it does not know is taken as higher is better and
marked so). Models are compared, sorted and plotted within one benchmark and metric only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from modelindex.dataset_names import dataset_identity, dataset_name
from modelindex.metric_semantics import is_threshold, metric_semantics
from modelindex.schema import Model

# Bounds for a hostile zoo: a page lists at most this many benchmarks, each this many metrics.
MAX_BENCHMARKS = 200
MAX_METRICS = 24
# Benchmarks read before the commonest are kept: bounds the memory of a hostile zoo.
MAX_SEEN = 20 * MAX_BENCHMARKS
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9@]+")


@dataclass
class Metric:
    key: str
    """Its id in the page: "m0", "m1"..."""
    label: str
    lower_is_better: bool
    known: bool
    """Whether its direction is known, not assumed."""
    models: int = 0

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Benchmark:
    key: str
    """Its id in the page: "b0", "b1"..."""
    task: str | None
    dataset: str | None
    metrics: dict[str, Metric] = field(default_factory=dict)
    """By the metric's name without case or punctuation."""
    models: int = 0

    @property
    def label(self) -> str:
        return " · ".join(part for part in (self.dataset, self.task) if part) or "no dataset"

    def as_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "task": self.task,
            "dataset": self.dataset,
            "models": self.models,
            "metrics": [metric.as_data() for metric in self.metrics.values()],
        }


@dataclass
class Benchmarks:
    """Every benchmark of a zoo, commonest first, and each model's numbers on them."""

    benchmarks: list[Benchmark]
    values: list[dict[str, dict[str, float]]]
    """Per model (in the order given): benchmark key -> metric key -> value."""

    def as_data(self) -> list[dict[str, Any]]:
        return [benchmark.as_data() for benchmark in self.benchmarks]

    def best(self, limit: int = 12) -> list[tuple[Benchmark, Metric, int, float]]:
        """Of the ``limit`` commonest benchmarks, the best model on each one's commonest metric
        (in its direction): (benchmark, metric, the model's position, its value)."""
        found = []
        for benchmark in self.benchmarks[:limit]:
            metric = next(iter(benchmark.metrics.values()))
            scored = [
                (values[benchmark.key][metric.key], position)
                for position, values in enumerate(self.values)
                if metric.key in values.get(benchmark.key, {})
            ]
            if scored:
                value, position = (min if metric.lower_is_better else max)(scored)
                found.append((benchmark, metric, position, value))
        return found


def _metric_key(label: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", label.strip().lower())


def benchmarks_of(models: Iterable[Model]) -> Benchmarks:
    """Group every model's results by task and dataset, and its metrics by name."""
    found: dict[tuple[str, str], Benchmark] = {}
    per_model: list[dict[tuple[str, str], dict[str, float]]] = []
    for model in models:
        mine: dict[tuple[str, str], dict[str, float]] = {}
        for result in model.results:
            task = " ".join((result.task or "").split()) or None
            dataset = dataset_name(result.dataset)
            where = ((task or "").lower(), dataset_identity(result.dataset))
            benchmark = found.get(where)
            if benchmark is None:
                if len(found) >= MAX_SEEN:
                    continue
                benchmark = found[where] = Benchmark("", task, dataset)
            numbers = mine.setdefault(where, {})
            for entry in result.all_metrics():
                label = " ".join((entry.label or "").split())
                number = entry.number
                if not label or is_threshold(label) or number is None or not math.isfinite(number):
                    continue
                key = _metric_key(label)
                if key not in benchmark.metrics:
                    if len(benchmark.metrics) >= MAX_METRICS:
                        continue
                    semantics = metric_semantics(label)
                    lower = semantics.lower_is_better if semantics else False
                    benchmark.metrics[key] = Metric("", label, lower, semantics is not None)
                numbers.setdefault(key, number)  # a model's first value of a metric counts
        per_model.append(mine)
    # Counted once per model, then numbered commonest first: the page opens on the commonest.
    for mine in per_model:
        for where, numbers in mine.items():
            if numbers:
                found[where].models += 1
            for key in numbers:
                found[where].metrics[key].models += 1
    # The commonest are kept, not the first seen: a zoo's main benchmark may come last.
    ordered = sorted(
        (b for b in found.values() if b.metrics),
        key=lambda b: (-b.models, b.label.lower()),
    )[:MAX_BENCHMARKS]
    for position, benchmark in enumerate(ordered):
        benchmark.key = f"b{position}"
        metrics = sorted(benchmark.metrics.items(), key=lambda item: -item[1].models)
        benchmark.metrics = dict(metrics)
        for number, (_, metric) in enumerate(metrics):
            metric.key = f"m{number}"
    by_where = {where: b for where, b in found.items() if b.key}
    values = [
        {
            by_where[where].key: {
                by_where[where].metrics[key].key: number for key, number in numbers.items()
            }
            for where, numbers in mine.items()
            if where in by_where and numbers
        }
        for mine in per_model
    ]
    return Benchmarks(ordered, values)
