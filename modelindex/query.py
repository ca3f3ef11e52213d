"""Flat rows of a model's main numbers, and safe filter expressions over them.

``parameters < 30e6 and top1 > 80`` is parsed with Python's ``ast`` and evaluated by walking an
allow-list of node types: names must be row fields, values must be literals, nothing is executed.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable
from typing import Any

from modelindex.dataset_names import dataset_identity, dataset_name
from modelindex.schema import Model

FIELDS: dict[str, str] = {
    "name": "model name",
    "collection": "In Collection",
    "parameters": "parameter count",
    "flops": "FLOPs",
    "file_size": "checkpoint size in bytes",
    "image_size": "input image size",
    "crop_pct": "center-crop fraction",
    "resize_size": "resize size derived from image size and crop pct",
    "interpolation": "resize interpolation",
    "top1": "first result's Top 1 Accuracy",
    "top5": "first result's Top 5 Accuracy",
    "dataset": "first result's dataset (one name for its spellings: ImageNet-1k for imagenet)",
    "task": "first result's task (its display name)",
    "task_type": "first result's task id (a Hub card's task type)",
    "dataset_type": "first result's dataset id (a Hub card's dataset type)",
    "dataset_config": "first result's dataset config (a Hub card's)",
    "split": "first result's dataset split (a Hub card's)",
    "metric": "first result's first metric",
    "value": "first result's first metric's value",
    "weights": "weights URL",
    "config": "config path or URL",
    "path": "file the model is declared in",
    "line": "line the model is declared at",
    "dialect": "source format",
}
_ALIASES = {"params": "parameters", "top_1": "top1", "top_5": "top5", "in_collection": "collection"}


class QueryError(ValueError):
    """A filter or sort field that cannot be used."""


def row_of(model: Model) -> dict[str, Any]:
    first = model.results[0] if model.results else None
    dataset = first.dataset_info if first else None
    metric = next(iter(first.all_metrics()), None) if first else None
    preprocessing = model.preprocessing
    return {
        "name": model.name,
        "collection": model.in_collection,
        "parameters": model.metadata.parameters,
        "flops": model.metadata.flops,
        "file_size": model.metadata.file_size,
        "image_size": model.metadata.image_size,
        "crop_pct": model.metadata.crop_pct,
        "resize_size": preprocessing.resize_size,
        "interpolation": model.metadata.interpolation,
        "top1": model.metric("Top 1 Accuracy"),
        "top5": model.metric("Top 5 Accuracy"),
        "dataset": dataset_name(first.dataset) if first else None,
        "task": first.task if first else None,
        "task_type": first.task_info.type if first and first.task_info else None,
        "dataset_type": dataset.type if dataset else None,
        "dataset_config": dataset.config if dataset else None,
        "split": dataset.split if dataset else None,
        "metric": metric.label if metric else None,
        "value": metric.number if metric else None,
        "weights": model.weights,
        "config": model.config,
        "path": model.source.path,
        "line": model.source.line,
        "dialect": model.dialect,
    }


def resolve_field(name: str) -> str:
    field = _ALIASES.get(name.lower(), name.lower())
    if field not in FIELDS:
        close = difflib.get_close_matches(field, list(FIELDS), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise QueryError(f"unknown field {name!r}{hint} (fields: {', '.join(FIELDS)})")
    return field


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower(), right.lower()
    return left, right


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False  # a missing value matches no comparison
        left, right = _comparable(left, right)
        try:
            return bool(op(left, right))
        except TypeError:
            return False

    return compare


def _contains(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(right, str):
        return isinstance(left, str) and left.lower() in right.lower()
    if not isinstance(right, list):
        return False  # 'top1 in 80': nothing is inside a number
    return any(_compare(operator.eq)(left, item) for item in right)


_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: _compare(operator.eq),
    ast.NotEq: _compare(operator.ne),
    ast.Lt: _compare(operator.lt),
    ast.LtE: _compare(operator.le),
    ast.Gt: _compare(operator.gt),
    ast.GtE: _compare(operator.ge),
    ast.In: _contains,
    ast.NotIn: lambda left, right: left is not None and not _contains(left, right),
}

Evaluator = Callable[[dict[str, Any]], Any]


def _compile(node: ast.AST) -> Evaluator:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand)
        return lambda row: not inner(row)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
    ):
        negative = -node.operand.value
        return lambda row: negative
    if isinstance(node, ast.Compare):
        compared = [node.left, *node.comparators]
        operands = [_compile(operand) for operand in compared]
        # Values of a field compared by identity (a dataset's spellings) are compared so on
        # both sides: 'dataset == "imagenet"' matches ImageNet-1k.
        fields = {resolve_field(o.id) for o in compared if isinstance(o, ast.Name)}
        identity = next((_IDENTITIES[f] for f in fields if f in _IDENTITIES), None)
        if identity is not None:
            operands = [_identified(operand, identity) for operand in operands]
        tests = []
        for op in node.ops:
            if type(op) not in _COMPARISONS:
                raise QueryError(f"unsupported comparison {type(op).__name__}")
            tests.append(_COMPARISONS[type(op)])

        def chained(row: dict[str, Any]) -> bool:
            values = [operand(row) for operand in operands]
            return all(test(values[i], values[i + 1]) for i, test in enumerate(tests))

        return chained
    if isinstance(node, ast.Name):
        field = resolve_field(node.id)
        return lambda row: row[field]
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        value = node.value
        return lambda row: value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_compile(item) for item in node.elts]
        return lambda row: [item(row) for item in items]
    raise QueryError(f"unsupported expression: {ast.unparse(node)!r}")


_IDENTITIES: dict[str, Callable[[str], str]] = {"dataset": dataset_identity}


def _identified(operand: Evaluator, identity: Callable[[str], str]) -> Evaluator:
    def identified(row: dict[str, Any]) -> Any:
        value = operand(row)
        if isinstance(value, str):
            return identity(value)
        if isinstance(value, list):
            return [identity(item) if isinstance(item, str) else item for item in value]
        return value

    return identified


def compile_filter(expression: str) -> Callable[[Model], bool]:
    """Compile ``expression`` into a predicate over models; raises QueryError if it is unsafe."""
    if len(expression) > 10_000:
        raise QueryError("filter is longer than 10,000 characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        evaluate = _compile(tree.body)
    except SyntaxError as error:
        raise QueryError(f"cannot parse filter {expression!r}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise QueryError("filter is nested too deeply") from None
    return lambda model: bool(evaluate(row_of(model)))


def sort_models(models: list[Model], field: str) -> list[Model]:
    """Sort by a row field; '-field' sorts descending; missing values always go last."""
    descending = field.startswith("-")
    key = resolve_field(field.lstrip("-+"))
    rows = [(row_of(model)[key], model) for model in models]
    present = [pair for pair in rows if pair[0] is not None]
    missing = [model for value, model in rows if value is None]
    try:
        present.sort(key=lambda pair: _comparable(pair[0], pair[0])[0], reverse=descending)
    except TypeError:
        present.sort(key=lambda pair: str(pair[0]), reverse=descending)
    return [model for _, model in present] + missing
