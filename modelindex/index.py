"""The Index: every model and collection that was loaded, looked up by name."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator

from modelindex.problems import LoadProblem
from modelindex.query import compile_filter
from modelindex.readers.registry import is_secondary
from modelindex.schema import Collection, Model
from modelindex.table_joins import Join, RowJoiner


class UnknownModelError(KeyError):
    """No model of that name; ``suggestions`` holds the nearest names."""

    def __init__(self, name: str, suggestions: list[str], where: str = "") -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        place = f" {where}" if where else ""
        super().__init__(f"no model named {name!r}{place}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class Index:
    """Models and collections from one or more sources.

    A model of a secondary source (a README table row) that repeats one a primary source
    declares is not a second model: it is kept in ``joins`` (its row in ``shadowed``) so that
    the two sources can be compared.
    """

    def __init__(
        self,
        models: list[Model],
        collections: list[Collection],
        problems: list[LoadProblem],
        files: list[str],
        repo_root: str | None = None,
    ) -> None:
        rows = [model for model in models if is_secondary(model.dialect)]
        declared_collections = {c.name for c in collections if not is_secondary(c.dialect)}
        self.models: list[Model] = []
        self.joins: list[Join] = []
        """Table rows that repeat a declared model, each with the model(s) it repeats."""
        join_of: dict[int, Join | None] = {}
        if rows:  # a zoo of cards alone joins nothing: no lookup tables to build
            joiner = RowJoiner(
                [m for m in models if not is_secondary(m.dialect)],
                lambda row: os.path.isfile(row.config_path) if row.config_path else None,
            )
            join_of = {id(row): join for row, join in zip(rows, joiner.join_all(rows), strict=True)}
        for model in models:
            join = join_of.get(id(model))
            if join is None:
                self.models.append(model)
            else:
                self.joins.append(join)
        self.collections: list[Collection] = [
            c
            for c in collections
            if not is_secondary(c.dialect) or c.name not in declared_collections
        ]
        self.problems = problems
        self.files = files
        self.repo_root = repo_root
        """The repository the Config and README paths are relative to, where one is known."""
        self._by_name: dict[str, Model] = {}
        self._records_by_name: dict[str | None, list[Model]] = {}
        for model in self.models:
            self._records_by_name.setdefault(model.name, []).append(model)
        for join in self.joins:
            self._records_by_name.setdefault(join.candidates[0].name, []).append(join.row)
        for model in self.models:
            if model.name is not None:
                self._by_name.setdefault(model.name, model)
        self._collections_by_name: dict[str, Collection] = {}
        for collection in self.collections:
            if collection.name is not None:
                self._collections_by_name.setdefault(collection.name, collection)

    @property
    def shadowed(self) -> list[Model]:
        """The table rows that repeat a declared model."""
        return [join.row for join in self.joins]

    def __len__(self) -> int:
        return len(self.models)

    def __iter__(self) -> Iterator[Model]:
        return iter(self.models)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Model:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownModelError(name, self.suggest(name)) from None

    def __repr__(self) -> str:
        return (
            f"<Index: {len(self.models)} models, {len(self.collections)} collections, "
            f"{len(self.files)} files, {len(self.problems)} problems>"
        )

    def get(self, name: str, default: Model | None = None) -> Model | None:
        return self._by_name.get(name, default)

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    def suggest(self, name: str, limit: int = 5) -> list[str]:
        """Names close to ``name``: the same name in another case, look-alikes, longer names."""
        lowered = name.lower()
        found: list[str] = [n for n in self._by_name if n.lower() == lowered]
        found += difflib.get_close_matches(name, list(self._by_name), n=3, cutoff=0.6)
        found += sorted((n for n in self._by_name if n.lower().startswith(lowered)), key=len)
        return list(dict.fromkeys(found))[:limit]

    def collection(self, name: str) -> Collection:
        try:
            return self._collections_by_name[name]
        except KeyError:
            raise KeyError(f"no collection named {name!r}") from None

    def models_in(self, collection: str) -> list[Model]:
        return [model for model in self.models if model.in_collection == collection]

    def by_collection(self) -> dict[str | None, list[Model]]:
        grouped: dict[str | None, list[Model]] = {}
        for model in self.models:
            grouped.setdefault(model.in_collection, []).append(model)
        return grouped

    def sources(self, name: str) -> list[Model]:
        """Every record of ``name``: the declared model first, then table rows repeating it."""
        # Grouped once at construction: cross-source rules ask this for every model.
        return list(self._records_by_name.get(name, []))

    def where(self, expression: str) -> list[Model]:
        """Models matching a filter such as ``'parameters < 30e6 and top1 > 80'``."""
        matches = compile_filter(expression)
        return [model for model in self.models if matches(model)]
