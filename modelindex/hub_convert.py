"""Between a Hub card's ``model-index`` and the Hub's ``.eval_results/*.yaml`` files.

The two hold the same evaluations in different shapes. What both can hold crosses over:

=============================  ================================
model-index                    .eval_results
=============================  ================================
``dataset.type``               ``dataset.id``
``dataset.config``             ``dataset.task_id``
``dataset.revision``           ``dataset.revision``
a metric's ``value``           ``value``
a metric's ``verifyToken``     ``verifyToken``
``source.name``, ``.url``      ``source.name``, ``.url``
=============================  ================================

Everything else has no place on the other side, and each conversion says what it dropped: the
task, the dataset's name, split and args, a metric's type, name, config, args and ``verified``,
values that are no number and thresholds one way; the date, the notes and the source's user and
org the other. Where a card names no config, the task_id is the legacy text ``args`` or the
benchmark's ``default``, and it says so. A model-index needs a task type and a metric type that
evaluation files do not have: they are asked for, not guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelindex.metric_semantics import is_threshold
from modelindex.schema import DatasetInfo, MetricEntry, Model, Result, _Record

# .eval_results needs a task within the benchmark; a model-index dataset without a config is
# the benchmark's default one.
DEFAULT_TASK = "default"


@dataclass
class Conversion:
    data: Any
    """What to write, as plain lists and mappings."""
    dropped: Counter[str] = field(default_factory=Counter)
    """How many values of each field had no place in the other format."""
    assumed: Counter[str] = field(default_factory=Counter)
    """What the other format requires and the input leaves out, filled in by convention."""
    missing: list[str] = field(default_factory=list)
    """What the other format requires that the input does not say."""

    def report(self) -> list[str]:
        lines = [f"dropped {field} ({count})" for field, count in sorted(self.dropped.items())]
        lines += [f"assumed {what} ({count})" for what, count in sorted(self.assumed.items())]
        return lines + [f"missing {what}" for what in self.missing]


def plain(value: Any) -> Any:
    """A value with every mapping and list made a plain dict and list, for YAML."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _count(dropped: Counter[str], label: str, value: Any) -> None:
    if value is not None and value != {} and value != []:
        dropped[label] += 1


def _drop(
    dropped: Counter[str], what: str, record: _Record | None, fields: tuple[str, ...]
) -> None:
    """Count the values of ``fields`` and the keys the schema does not know, as dropped."""
    if record is None:
        return
    for name in fields:
        _count(dropped, f"{what} {name}", getattr(record, name))
    for key in record.extra:
        dropped[f"{what} {key}"] += 1


def _task_id(dataset: DatasetInfo, conversion: Conversion) -> str:
    """The config, else the legacy text ``args`` (the Trainer's ``args: cola``), else the
    benchmark's default task, which is assumed, and said."""
    if dataset.config:
        return dataset.config
    if isinstance(dataset.args, str) and dataset.args.strip():
        conversion.assumed["task_id from dataset.args, where the card names no config"] += 1
        return dataset.args.strip()
    conversion.assumed[f"task_id '{DEFAULT_TASK}', where the card names no config"] += 1
    return DEFAULT_TASK


def _eval_entry(
    result: Result, metric: MetricEntry, value: Any, conversion: Conversion
) -> dict[str, Any]:
    dataset, dropped = result.dataset_info, conversion.dropped
    assert dataset is not None and dataset.type
    target: dict[str, Any] = {"id": dataset.type, "task_id": _task_id(dataset, conversion)}
    if dataset.revision:
        target["revision"] = dataset.revision
    entry: dict[str, Any] = {"dataset": target, "value": value}
    if metric.verify_token:
        entry["verifyToken"] = metric.verify_token
    source = result.source
    if source is not None and source.url:
        entry["source"] = {"url": source.url, **({"name": source.name} if source.name else {})}
    elif source is not None and source.name:
        dropped["source without a url"] += 1
    _drop(dropped, "metric", metric, ("type", "name", "config", "args", "verified"))
    return entry


def to_eval_results(models: Iterable[Model]) -> Conversion:
    """A card's model-index as the entries of one ``.eval_results`` file."""
    conversion = Conversion([])
    dropped = conversion.dropped
    for model in models:
        _count(dropped, "model name", model.name)
        for result in model.results:
            if result.dataset_info is None or not result.dataset_info.type:
                dropped["results without a dataset type"] += 1
                continue
            _drop(dropped, "task", result.task_info, ("type", "name"))
            _drop(dropped, "dataset", result.dataset_info, ("name", "split", "args"))
            _drop(dropped, "source", result.source, ())
            _drop(dropped, "result", result, ())
            # A metrics mapping ({accuracy: 0.8}) converts as well as a list.
            for metric in result.all_metrics():
                if metric.number is None:
                    dropped["metrics whose value is no number (empty, 'NA', '0,93')"] += 1
                elif is_threshold(metric.label):
                    dropped["thresholds, which are not scores"] += 1
                else:
                    if metric.spread is not None:
                        dropped["the ± spread of a value"] += 1
                    value = metric.value if metric.spread is None else metric.number
                    conversion.data.append(_eval_entry(result, metric, value, conversion))
    shared = Counter(repr(entry["dataset"]) for entry in conversion.data)
    if any(count > 1 for count in shared.values()):
        conversion.missing.append(
            f"what tells apart {sum(c for c in shared.values() if c > 1)} evaluations that share "
            "a dataset and task_id: .eval_results holds no metric name or split"
        )
    return conversion


def to_model_index(
    model: Model, task_type: str | None = None, metric_type: str | None = None
) -> Conversion:
    """One model's ``.eval_results`` entries as a card's ``model-index`` (one model)."""
    conversion = Conversion([])
    results = []
    for result in model.results:
        dataset = result.dataset_info
        if dataset is None:
            continue
        _drop(conversion.dropped, "dataset", dataset, ())
        card_dataset = {
            "type": dataset.type,
            "name": dataset.type,
            "config": dataset.config,
            "revision": dataset.revision,
        }
        metrics = []
        for metric in result.metric_entries:
            # The name modelindex gives an evaluation file's score is its task: no name of
            # the file's own, so none is written.
            metrics.append(
                {"type": metric_type, "value": metric.value, "verifyToken": metric.verify_token}
            )
            for key in metric.extra:
                conversion.dropped[key] += 1
        card_result: dict[str, Any] = {
            "task": {"type": task_type} if task_type else None,
            "dataset": {key: value for key, value in card_dataset.items() if value},
            "metrics": [{k: v for k, v in metric.items() if v is not None} for metric in metrics],
        }
        if result.source is not None and result.source.url:
            source = {"name": result.source.name, "url": result.source.url}
            card_result["source"] = {key: value for key, value in source.items() if value}
            _drop(conversion.dropped, "source", result.source, ())
        elif result.source is not None:
            conversion.dropped["sources without a url, which the Hub refuses"] += 1
        results.append({key: value for key, value in card_result.items() if value is not None})
    conversion.data = {"model-index": [{"name": model.name, "results": results}]}
    if not task_type:
        conversion.missing.append("task.type, which the Hub requires: pass --task-type")
    if not metric_type:
        conversion.missing.append("metrics[].type, which the Hub requires: pass --metric-type")
    return conversion


__all__ = ["Conversion", "plain", "to_eval_results", "to_model_index"]
