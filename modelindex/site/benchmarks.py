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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from modelindex.dataset_names import dataset_identity, dataset_key, dataset_name
from modelindex.metric_semantics import (
    MetricSemantics,
    Scale,
    condition_name,
    is_setting,
    metric_semantics,
    plain_key,
    scale_of,
)
from modelindex.schema import Model, Result

# Bounds for a hostile zoo: a page lists at most this many benchmarks, each this many metrics.
MAX_BENCHMARKS = 200
MAX_METRICS = 24
# Benchmarks read before the commonest are kept: bounds the memory of a hostile zoo.
MAX_SEEN = 20 * MAX_BENCHMARKS
_SLUG = re.compile(r"[^a-z0-9]+")
MAX_KEY = 80
# What a finding on a result names: a metric ("Results[0].Top 1 Accuracy"), or every metric of
# the result ("Results[0].Metrics", a result repeated from another model).
_RESULT_FIELD = re.compile(r"Results\[(\d{1,4})\]\.(.+)", re.DOTALL)
WHOLE_RESULT = "*"


@dataclass
class Metric:
    key: str
    """Its id in the page and the address: "m-" and its name without case or punctuation."""
    label: str
    lower_is_better: bool
    known: bool
    """Whether its direction is known, not assumed."""
    models: int = 0
    rescaled: int = 0
    """How many fractions (0.931) are shown as percentages (93.1), where models of the
    benchmark write the metric both ways."""

    def as_data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Benchmark:
    key: str
    """Its id in the page and the address: "b-" and its label as a slug."""
    task: str | None
    dataset: str | None
    setting: str | None = None
    """The dataset's config, split and arguments, where a card names them ("en, test")."""
    metrics: dict[str, Metric] = field(default_factory=dict)
    """By the metric's name without case or punctuation."""
    models: int = 0
    dataset_id: str | None = None
    """The Hub's id of the dataset, where a card gives it: it tells apart two that share a name."""
    named_apart: bool = False

    @property
    def label(self) -> str:
        dataset = f"{self.dataset} ({self.setting})" if self.setting else self.dataset
        if self.named_apart and self.dataset_id:
            dataset = f"{dataset} [{self.dataset_id}]"
        return " · ".join(part for part in (dataset, self.task) if part) or "no dataset"

    def as_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "task": self.task,
            "dataset": self.dataset,
            "setting": self.setting,
            "models": self.models,
            "metrics": [metric.as_data() for metric in self.metrics.values()],
        }


@dataclass
class Benchmarks:
    """Every benchmark of a zoo, commonest first, and each model's numbers on them."""

    benchmarks: list[Benchmark]
    values: list[dict[str, dict[str, float]]]
    """Per model (in the order given): benchmark key -> metric key -> value."""
    flags: list[dict[str, dict[str, str]]]
    """Per model: benchmark key -> metric key -> the code of an error validate reports on it."""

    def as_data(self) -> list[dict[str, Any]]:
        return [benchmark.as_data() for benchmark in self.benchmarks]

    def best(self, limit: int = 12) -> list[tuple[Benchmark, Metric, int, float]]:
        """Of the ``limit`` commonest benchmarks, the best model on each one's commonest metric
        (in its direction): (benchmark, metric, the model's position, its value). A value
        validate reports as an error is no best: a Top-1 of 813 is a typo."""
        found = []
        for benchmark in self.benchmarks[:limit]:
            metric = next(iter(benchmark.metrics.values()))
            scored = [
                (values[benchmark.key][metric.key], position)
                for position, values in enumerate(self.values)
                if metric.key in values.get(benchmark.key, {})
                and metric.key not in self.flags[position].get(benchmark.key, {})
            ]
            if scored:
                value, position = (min if metric.lower_is_better else max)(scored)
                found.append((benchmark, metric, position, value))
        return found


def _unique_key(key: str, used: set[str]) -> str:
    key = key[:MAX_KEY]
    candidate, number = key, 2
    while candidate in used:
        candidate, number = f"{key}-{number}", number + 1
    used.add(candidate)
    return candidate


def flagged_results(findings: Iterable[tuple[str | None, str]]) -> dict[tuple[int, str], str]:
    """(result position, metric key or WHOLE_RESULT) -> code, of (field, code) pairs: the
    metrics a model's findings name."""
    flagged: dict[tuple[int, str], str] = {}
    for field_name, code in findings:
        match = _RESULT_FIELD.fullmatch(field_name or "")
        if match:
            label = match.group(2)
            key = WHOLE_RESULT if label == "Metrics" else plain_key(label)
            flagged.setdefault((int(match.group(1)), key), code)
    return flagged


# A benchmark's identity: task, dataset, and the dataset's config, split and arguments.
Where = tuple[str, str, str, str, str]
# Fewest values on each scale for a metric to be put on one: two, and a tenth of them.
MIN_HABIT, MIN_HABIT_SHARE = 2, 0.1
# A setting longer than this is cut: it is a label, and its identity is kept whole.
MAX_SETTING = 60


def _setting(result: Result) -> tuple[str, str, str]:
    """A Hub result's dataset config, split and arguments; a part that only repeats the
    dataset's name ("conll2003" of conll2003) says nothing and is left out."""
    info = result.dataset_info
    if info is None:
        return "", "", ""
    args = info.args
    if isinstance(args, dict):
        args = ", ".join(f"{key}={value}" for key, value in list(args.items())[:8])
    named = {dataset_key(result.dataset), dataset_key(info.type)}
    parts = (" ".join(str(part or "").split()) for part in (info.config, info.split, args))
    return tuple(part if dataset_key(part) not in named else "" for part in parts)  # type: ignore[return-value]


def _conditions(result: Result) -> str:
    """The conditions among a result's "metrics" ("$\\sigma$: 15" is "sigma=15")."""
    return ", ".join(
        f"{name}={entry.number:g}"
        for entry in result.all_metrics()[:MAX_METRICS]
        if (name := condition_name(entry.label)) and entry.number is not None
    )


def _benchmark_of(result: Result) -> Where | None:
    """What a result was measured on; None where it names no dataset. A Hub card's dataset is
    known by its id (``type``), and its config, split and arguments are part of it: WER on
    Common Voice in German is no rival to WER in English. So are the conditions a card writes
    among the metrics: PSNR at noise sigma 15 is no rival to PSNR at sigma 50."""
    info = result.dataset_info
    dataset = dataset_identity(info.type if info and info.type else result.dataset)
    if not dataset:
        return None
    task_info = result.task_info
    task = task_info.type if task_info and task_info.type else result.task
    config, split, args = _setting(result)
    return (
        plain_key(task or ""),
        dataset,
        config,
        split,
        ", ".join(filter(None, (args, _conditions(result)))),
    )


def _new_benchmark(result: Result) -> Benchmark:
    info = result.dataset_info
    setting = ", ".join(part for part in (*_setting(result), _conditions(result)) if part)
    if len(setting) > MAX_SETTING:
        setting = setting[: MAX_SETTING - 1] + "…"
    return Benchmark(
        "",
        " ".join((result.task or "").split()) or None,
        dataset_name(result.dataset or (info.type if info else None)),
        setting or None,
        dataset_id=" ".join((info.type or "").split())[:MAX_SETTING] or None if info else None,
    )


def _scale_by_habit(value: float, semantics: MetricSemantics, habit: set[Scale]) -> Scale | None:
    """The scale ``value`` is on: as it shows, else the one of its model's other values."""
    shown = scale_of(value, semantics)
    return shown if shown is not None or len(habit) != 1 else next(iter(habit))


def _one_scale(
    found: dict[Where, Benchmark],
    semantics_of: dict[tuple[Where, str], MetricSemantics],
    per_model: list[dict[Where, dict[str, float]]],
    per_model_flags: list[dict[Where, dict[str, str]]],
) -> None:
    """Each proportion on one scale within a benchmark: where some models write WER as 0.12
    and others as 12.0, the fractions are shown as percentages, so that sorting and plotting
    compare like with like. A value that could be on either scale (a WER of 0.6) follows the
    model's other proportions there (its CER of 0.19), else is left as written; one validate
    reports as an error is left too: timm's "Top-1 0.95" is no 95 % model."""
    # Each model's habit on each benchmark, from its values whose scale shows, before any is
    # changed.
    habits: list[dict[Where, set[Scale]]] = []
    for numbers in per_model:
        habit: dict[Where, set[Scale]] = {}
        for where, values in numbers.items():
            for key, value in values.items():
                semantics = semantics_of.get((where, key))
                scale = scale_of(value, semantics) if semantics else None
                if scale is not None:
                    habit.setdefault(where, set()).add(scale)
        habits.append(habit)
    for (where, key), semantics in semantics_of.items():
        sound = [
            (numbers, habit)
            for numbers, flags, habit in zip(per_model, per_model_flags, habits, strict=True)
            if key in numbers.get(where, {}) and key not in flags.get(where, {})
        ]
        effective = [
            _scale_by_habit(numbers[where][key], semantics, habit.get(where, set()))
            for numbers, habit in sound
        ]
        scales = Counter(effective)
        # Two habits, each of several models: a value or two on the other scale among many is
        # more likely an error than a habit, and is left for validate to report.
        fewer = min(scales[Scale.FRACTION], scales[Scale.PERCENT])
        if fewer < max(MIN_HABIT, len(sound) * MIN_HABIT_SHARE):
            continue
        for (numbers, _), scale in zip(sound, effective, strict=True):
            if scale is Scale.FRACTION:
                numbers[where][key] = round(numbers[where][key] * 100, 10)
                found[where].metrics[key].rescaled += 1


def benchmarks_of(
    models: Iterable[Model], flagged: Sequence[Mapping[tuple[int, str], str]] = ()
) -> Benchmarks:
    """Group every model's results by task and dataset, and its metrics by name. ``flagged``
    gives, per model in the same order, the metrics validate reports errors on
    (:func:`flagged_results`)."""
    found: dict[Where, Benchmark] = {}
    semantics_of: dict[tuple[Where, str], MetricSemantics] = {}
    per_model: list[dict[Where, dict[str, float]]] = []
    per_model_flags: list[dict[Where, dict[str, str]]] = []
    for position, model in enumerate(models):
        mine: dict[Where, dict[str, float]] = {}
        flags = flagged[position] if position < len(flagged) else {}
        my_flags: dict[Where, dict[str, str]] = {}
        for number_of_result, result in enumerate(model.results):
            where = _benchmark_of(result)
            if where is None:
                continue  # no dataset: nothing another model's number could compare with
            benchmark = found.get(where)
            if benchmark is None:
                if len(found) >= MAX_SEEN:
                    continue
                benchmark = found[where] = _new_benchmark(result)
            numbers = mine.setdefault(where, {})
            for entry in result.all_metrics():
                label = " ".join((entry.label or "").split())
                number = entry.number
                if not label or is_setting(label) or number is None or not math.isfinite(number):
                    continue
                key = plain_key(label)
                if key not in benchmark.metrics:
                    if len(benchmark.metrics) >= MAX_METRICS:
                        continue
                    semantics = metric_semantics(label)
                    lower = semantics.lower_is_better if semantics else False
                    benchmark.metrics[key] = Metric("", label, lower, semantics is not None)
                    if semantics is not None:
                        semantics_of[(where, key)] = semantics
                if key in numbers:
                    continue  # a model's first value of a metric counts
                numbers[key] = number
                code = flags.get((number_of_result, key)) or flags.get(
                    (number_of_result, WHOLE_RESULT)
                )
                if code:
                    my_flags.setdefault(where, {})[key] = code
        per_model.append(mine)
        per_model_flags.append(my_flags)
    _one_scale(found, semantics_of, per_model, per_model_flags)
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
    by_label: dict[str, list[Benchmark]] = {}
    for benchmark in ordered:
        by_label.setdefault(benchmark.label, []).append(benchmark)
    for same in by_label.values():
        for benchmark in same[1:] if len(same) > 1 else ():
            benchmark.named_apart = True
    # Keys made of names, not positions: a shared address still names the same benchmark and
    # metric once the zoo grows. The prefix keeps them off the names objects have ("__proto__").
    used: set[str] = set()
    for benchmark in ordered:
        benchmark.key = _unique_key(f"b-{_SLUG.sub('-', benchmark.label.lower()).strip('-')}", used)
        metrics = sorted(benchmark.metrics.items(), key=lambda item: -item[1].models)
        benchmark.metrics = dict(metrics)
        used_metrics: set[str] = set()
        for name, metric in metrics:
            metric.key = _unique_key(f"m-{name}", used_metrics)
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
    flags_by_key = [
        {
            by_where[where].key: {
                by_where[where].metrics[key].key: code for key, code in codes.items()
            }
            for where, codes in mine.items()
            if where in by_where
        }
        for mine in per_model_flags
    ]
    return Benchmarks(ordered, values, flags_by_key)
