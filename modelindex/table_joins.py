"""Which declared model a README table row repeats.

OpenMMLab publishes every model twice, in a metafile and in a README table, and the two name
it differently: the row shows 'pose_hrnet_w32' or no name at all, where the metafile says
'td-hm_hrnet-w32_8xb64-210e_coco-256x192'. What the row links is what identifies it: its
checkpoint first (a URL names one file), then its config's file name, then its name. A row
that matches no declared model stands as a model of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from modelindex.links import config_file, url_identity
from modelindex.schema import Model

# One checkpoint evaluated more often than this (a denoiser at three noise levels, in grey and
# in colour, is six) is a zoo's oddity or hostile input: the row is joined, to the first,
# but not compared (each comparison costs rows x candidates).
MAX_CANDIDATES = 8


@dataclass(frozen=True, slots=True)
class Join:
    row: Model
    candidates: tuple[Model, ...]
    """The declared models the row may repeat, best first: several where one checkpoint or
    config is evaluated more than once and nothing in the row tells which evaluation it is."""
    by: str
    """What joined them: 'weights', 'config' or 'name'."""
    compared: bool = True
    """False for a second checkpoint of a declared model's config: the same model in name
    only, so its numbers and links are not the declaration's."""


def _weights_urls(model: Model) -> list[str]:
    return [url_identity(url) for url in (model.weights, *model.more_weights) if url]


def _grouped(
    models: Iterable[Model], keys: Callable[[Model], Iterable[str | None]]
) -> dict[str, list[Model]]:
    grouped: dict[str, list[Model]] = {}
    for model in models:
        for key in dict.fromkeys(keys(model)):
            if key:
                grouped.setdefault(key, []).append(model)
    return grouped


def _narrowed(row: Model, candidates: list[Model]) -> list[Model]:
    """The candidates that also share the row's config file, then its name, where some do."""
    for same in (
        lambda model: config_file(row) is not None and config_file(model) == config_file(row),
        lambda model: row.name is not None and model.name == row.name,
    ):
        narrower = [model for model in candidates if same(model)]
        if narrower:
            candidates = narrower
    return candidates


class RowJoiner:
    """Joins the rows of secondary sources to the models that primary sources declare."""

    def __init__(
        self, declared: list[Model], config_exists: Callable[[Model], bool | None]
    ) -> None:
        """``config_exists``: whether a row's config file is there, None where unknown."""
        self._config_exists = config_exists
        self._by_weights = _grouped(declared, _weights_urls)
        self._by_config = _grouped(declared, lambda model: [config_file(model)])
        self._by_name = _grouped(declared, lambda model: [model.name])

    @staticmethod
    def _joined(row: Model, candidates: list[Model], by: str, compared: bool = True) -> Join:
        if len(candidates) > MAX_CANDIDATES:
            return Join(row, (candidates[0],), by, compared=False)
        return Join(row, tuple(_narrowed(row, candidates)), by, compared)

    def _match(self, row: Model) -> Join | None:
        config = config_file(row)
        for url in _weights_urls(row):
            if url in self._by_weights:
                candidates = self._by_weights[url]
                if (
                    config in self._by_config
                    and not any(config_file(model) == config for model in candidates)
                    and self._config_exists(row)
                ):
                    # The row links another declared model's config, and that file is there:
                    # its checkpoint link is the part copied from a neighbouring row.
                    break
                if (
                    config is None
                    and row.name in self._by_name
                    and not any(model.name == row.name for model in candidates)
                ):
                    # The row is written as another declared model's name: the same.
                    break
                join = self._joined(row, candidates, "weights")
                # The checkpoint under another config that exists: another evaluation of it
                # (the official repo's test protocol), not the declared one.
                other_evaluation = (
                    config is not None
                    and not any(config_file(model) == config for model in join.candidates)
                    and self._config_exists(row) is not False
                )
                if other_evaluation and join.compared:
                    return Join(row, join.candidates, "weights", compared=False)
                return join
        if config in self._by_config:
            return self._joined(row, self._by_config[config], "config")
        if row.name in self._by_name:
            return self._joined(row, self._by_name[row.name], "name")
        return None

    def join_all(self, rows: list[Model]) -> list[Join | None]:
        """Each row's join, or None. A row that shares a config but not the checkpoint of a
        model whose checkpoint another row links is a second checkpoint of that config (a
        separate model per noise level beside the blind one, the best-IS and best-FID
        snapshots of one run): joined, but not compared."""
        joins = [self._match(row) for row in rows]
        linked = {
            id(model)
            for join in joins
            if join is not None and join.by == "weights"
            for model in join.candidates
        }
        for position, join in enumerate(joins):
            if join is None or join.by != "config" or not join.row.weights:
                continue
            if any(id(model) in linked for model in join.candidates):
                joins[position] = Join(join.row, join.candidates, join.by, compared=False)
        return joins


__all__ = ["Join", "RowJoiner"]
