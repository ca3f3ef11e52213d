"""What the website shows of a zoo: per model, its numbers, links and verification status.

Built once per site from the index, validate's report and the measurement cache; the templates
only lay it out. Nothing here is HTML: the templates escape every value they print.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from modelindex.checks import Report, Severity
from modelindex.index import Index
from modelindex.measurements.cache import MeasurementCache
from modelindex.measurements.compare import Verdict, verdict
from modelindex.measurements.conventions import Convention, MeasuredZoo
from modelindex.measurements.record import Measurement
from modelindex.query import FIELDS, row_of
from modelindex.schema import Location, Model
from modelindex.site.benchmarks import Benchmarks, benchmarks_of, flagged_results
from modelindex.site.safe_markdown import card_id

# Findings that say a measured number disagrees with the card: they make a "mismatch" badge.
MISMATCH_CODES = ("V001", "V002", "V003")
SAFE_SCHEMES = {"http", "https"}
# The comparison table's columns, by row key: a model's name, measured MACs and badge are the
# site's own; the others are those of ``row_of``.
COLUMNS = (
    ("name", "Model"),
    ("collection", "Collection"),
    ("dataset", "Dataset"),
    ("parameters", "Parameters"),
    ("macs", "MACs"),
    ("top1", "Top-1"),
    ("top5", "Top-5"),
    ("image_size", "Image size"),
    ("crop_pct", "Crop pct"),
    ("interpolation", "Interpolation"),
    ("status", "Status"),
)
SHOWN_FIELDS = tuple(key for key, _ in COLUMNS if key in FIELDS and key != "name")
_TEXT_FIELDS = frozenset({"collection", "dataset", "interpolation"})


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else None: a card's ``javascript:`` or
    ``data:`` link is shown as text, never as a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None


def slug(text: str) -> str:
    """A file or anchor name: lower case letters, digits, '-' and '_' only."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "collection"


@dataclass
class Status:
    badge: Verdict
    """verified, mismatch or not verified: the site's coarser reading of the verdicts"""
    messages: list[str] = field(default_factory=list)


@dataclass
class ModelView:
    model: Model
    anchor: str
    collection: str | None
    page: str
    """The page (a docs-relative .md path) whose section describes this model."""
    status: Status
    macs: int | None
    """Measured MACs, or the declared FLOPs converted by the collection's convention."""
    convention: str | None
    links: list[tuple[str, str | None, str]]
    """(label, safe URL or None, text) for Weights, Config, Code and Paper."""
    flagged: dict[tuple[int, str], str] = field(default_factory=dict)
    """The results' metrics validate reports an error on (``flagged_results``)."""

    @property
    def name(self) -> str:
        return self.model.name or "?"

    def row(self) -> dict[str, Any]:
        """The model as one row of the comparison table and the plots (JSON-ready): the row
        that ``modelindex list`` prints (``row_of``) in the columns the site shows, where a
        missing text is "", and the site's own columns (where the model's section is, measured
        MACs, the verification badge). Not the file it was read from: a published site must not
        reveal the folders of the machine that built it."""
        listed = row_of(self.model)
        row: dict[str, Any] = {"name": self.name, "anchor": self.anchor, "page": self.page}
        for key in SHOWN_FIELDS:
            value = listed[key]
            row[key] = "" if value is None and key in _TEXT_FIELDS else value
        return row | {"macs": self.macs, "status": self.status.badge}


@dataclass
class SiteData:
    index: Index
    report: Report
    models: list[ModelView]
    conventions: dict[str, Convention]
    pages: dict[str, list[ModelView]]
    """Models by the page that describes them."""

    @property
    def verified(self) -> int:
        return sum(view.status.badge is Verdict.VERIFIED for view in self.models)

    def findings_by_rule(self) -> list[tuple[str, list[Any]]]:
        grouped: dict[str, list[Any]] = {}
        for finding in self.report.findings:
            grouped.setdefault(finding.code, []).append(finding)
        return sorted(grouped.items())


def _status(model: Model, measured: Measurement | None, findings: list[Any]) -> Status:
    mismatches = [f.message for f in findings if f.code in MISMATCH_CODES]
    if mismatches:
        return Status(Verdict.MISMATCH, mismatches)
    if verdict(model, measured) is Verdict.VERIFIED:
        return Status(Verdict.VERIFIED)
    return Status(Verdict.NOT_VERIFIED)


def _macs(model: Model, measured: Measurement | None, convention: Convention | None) -> int | None:
    if measured is not None and measured.macs > 0:
        return measured.macs
    flops = model.metadata.flops
    if flops and convention is not None and convention.known is not None:
        return round(flops / convention.known.factor)
    return None


def _links(model: Model) -> list[tuple[str, str | None, str]]:
    links = []
    for label, value in (
        ("Weights", model.weights),
        *(("Weights", url) for url in model.more_weights),
        ("Config", model.config),
        ("Code", model.code),
        ("Paper", model.paper.url if model.paper else None),
    ):
        if value:
            text = (
                model.paper.title
                if label == "Paper" and model.paper and model.paper.title
                else value
            )
            links.append((label, safe_url(value), text))
    return links


def site_data(
    index: Index,
    report: Report,
    cache: MeasurementCache | None,
    page_of: dict[str, str],
    collection_page: str = "collections/{slug}.md",
    roots: Iterable[Path] = (),
) -> SiteData:
    """The site's data. ``page_of`` maps a source file (as the index names it) to the docs page
    that shows it; models read from any other file get a page per collection. Findings name
    their files relative to the current folder, else to the zoo's ``roots``."""
    measured = MeasuredZoo.of(index.models, cache)
    conventions = measured.conventions
    findings: dict[str | None, list[Any]] = {}
    for finding in report.findings:
        if finding.severity is not Severity.INFO:
            findings.setdefault(finding.model, []).append(finding)
    generated = _collection_pages(
        {m.in_collection for m in index.models if m.source.path not in page_of}, collection_page
    )
    views, pages = [], {}
    used_anchors: dict[str, set[str]] = {}
    named = Counter(model.name for model in index.models)
    for model in index.models:
        collection = model.in_collection
        page = page_of.get(model.source.path) or generated[collection]
        anchor = _unique(card_id(slug(model.name or "model")), used_anchors.setdefault(page, set()))
        convention = conventions.get(collection or "")
        entry = measured.measurement(model)
        view = ModelView(
            model=model,
            anchor=anchor,
            collection=collection,
            page=page,
            status=_status(model, entry, findings.get(model.name, [])),
            macs=_macs(model, entry, convention),
            convention=convention.describe() if convention else None,
            links=_links(model),
            flagged=flagged_results(
                (finding.field, finding.code)
                for finding in findings.get(model.name, [])
                if finding.severity is Severity.ERROR
                # Of models that share a name, each its own: the finding is where it wrote
                # the field.
                and (named[model.name] == 1 or _written_by(model, finding))
            ),
        )
        views.append(view)
        pages.setdefault(page, []).append(view)
    shown = _relative_report(report, [Path.cwd(), *roots])
    return SiteData(index, shown, views, conventions, pages)


def _written_by(model: Model, finding: Any) -> bool:
    """Whether ``finding`` is on a result field ``model`` itself wrote (twins in one file
    write theirs on other lines)."""
    if not (finding.field or "").startswith("Results["):
        return False
    return model.location(finding.field) == finding.location


def _collection_pages(collections: set[str | None], pattern: str) -> dict[str | None, str]:
    """A page per collection. Names that slug alike ("C++" and "C#", or a collection called
    "Other Models" beside the models with none) get -2, -3 in name order, the same every build."""
    used: set[str] = set()
    return {
        name: pattern.format(slug=_unique(slug(name or "other models"), used))
        for name in sorted(collections, key=lambda name: (name is None, name or ""))
    }


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{name}-{number}", number + 1
    used.add(candidate)
    return candidate


def shown_path(path: str, roots: Iterable[Path]) -> str:
    """``path`` relative to the first of ``roots`` that holds it, else its file name: a
    published site must not reveal the folders of the machine that built it."""
    resolved = Path(path).resolve()
    for root in roots:
        root = root.resolve()
        folder = root if root.is_dir() else root.parent
        if resolved.is_relative_to(folder):
            return resolved.relative_to(folder).as_posix() or "."
    return resolved.name


def _relative_report(report: Report, roots: list[Path]) -> Report:
    def relative(location: Location) -> Location:
        return location._replace(path=shown_path(location.path, roots))

    findings = [
        replace(
            finding,
            location=relative(finding.location),
            related=tuple(replace(r, location=relative(r.location)) for r in finding.related),
        )
        for finding in report.findings
    ]
    return replace(report, findings=findings)


def comparison_rows(views: Iterable[ModelView]) -> list[dict[str, Any]]:
    return comparison_data(views)[0]


def comparison_data(views: Iterable[ModelView]) -> tuple[list[dict[str, Any]], Benchmarks]:
    """Each model's row, with its numbers on every benchmark of the zoo (``results``: benchmark
    key -> metric key -> value); and the benchmarks, commonest first, each with its metrics
    and which way they are better."""
    views = list(views)
    found = benchmarks_of((view.model for view in views), [view.flagged for view in views])
    rows = [
        view.row() | {"results": values, "flags": flags}
        for view, values, flags in zip(views, found.values, found.flags, strict=True)
    ]
    return rows, found
