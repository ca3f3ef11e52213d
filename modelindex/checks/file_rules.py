"""Rules on URLs and weight files: well-formed links, shared or borrowed checkpoints, Code pins."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import urlsplit

from modelindex.checks.context import Context
from modelindex.checks.findings import (
    Applicability,
    Hit,
    Related,
    Severity,
    hit_on,
    value_repair,
)
from modelindex.checks.naming_rules import name_parts
from modelindex.checks.number_rules import LISTED_OTHERS
from modelindex.checks.registry import Scope, rule
from modelindex.fields import CODE, FILE_SIZE, NAME, WEIGHT_SUFFIXES, WEIGHTS
from modelindex.file_size import size_fits_parameters
from modelindex.links import GITHUB_CODE, LINE_ANCHOR, entry_links, url_fault
from modelindex.schema import Collection, Model

_Entry = Model | Collection

_DOUBLED_SLASH = re.compile(r"(?<!:)//")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
# 'v1.0.0rc7', '0.24.1', 'v2.0.0-beta.1', 'release-1.2': a version, which a branch never is.
_RELEASE_TAG = re.compile(
    r"^(?:v|release[-_]?|r)?\d{1,4}(?:\.\d{1,4}){0,3}(?:[-_.]?(?:a|b|rc|alpha|beta|dev|post)\.?\d{0,4})?$",
    re.IGNORECASE,
)
# torch.hub's convention: name-<first 8+ hex digits of the sha256>.pth
_HASH_SUFFIX = re.compile(r"[-_][0-9a-f]{6,}$")


@rule("U001", "invalid-url", Severity.ERROR, Scope.ENTRY)
def invalid_url(entry: _Entry, context: Context) -> Iterator[Hit]:
    """Weights, Code or Paper is not an http(s) URL with a host, or a link does not parse.

    Example: `Weights: ftp://host/resnet50.pth`, `Code: github.com/x/y` (no scheme) or a URL
    with a space in it. Config and README may be paths relative to the repository.
    """
    for field, value, _ in entry_links(entry):
        fault = url_fault(value)
        if fault:
            yield Hit(
                entry.location(field), f"{field} {value!r} {fault}", model=entry.name, field=field
            )


@rule("U002", "malformed-url", Severity.WARNING, Scope.ENTRY)
def malformed_url(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A URL has a doubled slash in its path or a backslash.

    Such URLs come from joining a base ending in `/` with a path starting with `/`. Many hosts
    answer them with 404, and they never match the same URL written correctly.
    """
    for field, value, _ in entry_links(entry):
        after_scheme = value.find("://") + 3
        if (value.find("//", after_scheme) < 0 and "\\" not in value) or url_fault(value):
            continue
        parts = urlsplit(value)
        fault = None
        if _DOUBLED_SLASH.search(parts.path):
            fault = "has a doubled slash in its path"
        elif "\\" in value:
            fault = "contains a backslash"
        if fault:
            fixed = value.replace("\\", "/")
            fixed = parts._replace(path=re.sub(r"/{2,}", "/", urlsplit(fixed).path)).geturl()
            yield hit_on(
                entry,
                field,
                f"{field} {value!r} {fault}",
                fix=f"{field}: {fixed}",
            )


@lru_cache(maxsize=4096)
def weights_stem(url: str) -> str | None:
    """The name a weights file is called after: '.../resnet50-19c8e357.pth' -> 'resnet50'."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None  # U001 reports the URL itself
    name = path.rsplit("/", 1)[-1].lower()
    for suffix in WEIGHT_SUFFIXES:
        if name.endswith(suffix):
            return _HASH_SUFFIX.sub("", name[: -len(suffix)]) or None
    return None


def _evaluation_variants(models: list[Model]) -> bool:
    """One checkpoint evaluated at several input sizes or crops: same weights on purpose."""
    parameters = {m.metadata.parameters for m in models}
    settings = {(m.metadata.image_size, m.metadata.crop_pct) for m in models}
    return len(parameters) == 1 and None not in parameters and len(settings) == len(models)


def _shared_prefix(stem: str, model: Model) -> int:
    """How many leading characters a weights file's stem shares with the model's name."""
    name = (model.name or "").lower()
    length = 0
    while length < min(len(name), len(stem)) and name[length] == stem[length]:
        length += 1
    return length


def _owner(url: str, models: list[Model]) -> Model:
    """The model a shared file is most likely named after: the longest common name prefix."""
    stem = weights_stem(url) or ""
    return max(models, key=lambda model: _shared_prefix(stem, model))


def _evaluations(model: Model) -> set[tuple[str | None, str | None]]:
    return {(result.task, result.dataset) for result in model.results}


def _contradicts(model: Model, other: Model) -> bool:
    """Whether the two declare different networks: other Parameters, FLOPs or Architecture."""
    mine, theirs = model.metadata, other.metadata
    return any(
        ours is not None and their is not None and ours != their
        for ours, their in (
            (mine.parameters, theirs.parameters),
            (mine.flops, theirs.flops),
            (mine.architecture or None, theirs.architecture or None),
        )
    )


def _evaluated_otherwise(model: Model, owner: Model, url: str) -> bool:
    """One network evaluated twice: the same model declared again (S004 reports that), or one
    checkpoint evaluated on other tasks or datasets, or, where the file is named after neither
    model, under another config (a blind denoiser at several noise levels)."""
    if _contradicts(model, owner):
        return False
    if model.name == owner.name:
        return True
    if (
        _evaluations(model)
        and _evaluations(owner)
        and not _evaluations(model) & _evaluations(owner)
    ):
        return True
    stem = weights_stem(url) or ""
    named_after_owner = _shared_prefix(stem, owner) > _shared_prefix(stem, model)
    return not named_after_owner and model.config is not None and model.config != owner.config


@rule("U003", "shared-weights", Severity.ERROR, Scope.INDEX)
def shared_weights(context: Context) -> Iterator[Hit]:
    """Several models give the same Weights URL.

    Usually a card copied from a sibling and not updated: resnest200e's Weights are
    resnest101e's file. The model the file is named after is taken as its owner and the
    others are reported. Not reported, where the models declare no other Parameters, FLOPs or
    Architecture: one checkpoint evaluated at several input sizes or crops (timm's
    efficientnet_b3 and efficientnet_b3a), on other tasks or datasets (a retrieval checkpoint
    evaluated on multiple-choice QA, a tracker on two test sets), or under other configs when
    the file is named after none of them (a blind denoiser at three noise levels); a model
    declared twice (S004 reports it); a value that is no URL (U001 reports it); and URLs on
    the `shared-weights` allow-list in `[tool.modelindex]`.

    Where the model's README row gives a URL of its own (named after the model, and no other
    model's), that URL is the unsafe fix: mmaction2's TSN Swin 32xb8 metafile entry has the
    8xb32 model's checkpoint, and its README row its own.
    """
    by_url: dict[str, list[Model]] = {}
    for model in context.index.models:
        # Weights inherited from a collection are the collection's, not a copy.
        if model.weights and not model.is_inherited(WEIGHTS) and not url_fault(model.weights):
            by_url.setdefault(model.weights, []).append(model)
    rows = _rows_of(context)
    for url, models in by_url.items():
        if len(models) < 2 or url in context.settings.shared_weights:
            continue
        if _evaluation_variants(models):
            continue
        owner = _owner(url, models)
        for model in models:
            if model is owner or _evaluated_otherwise(model, owner, url):
                continue
            same_architecture = model.metadata.parameters == owner.metadata.parameters
            if same_architecture and _evaluation_variants([owner, model]):
                continue
            own = _own_url_in_table(model, url, by_url, rows)
            yield Hit(
                model.location(WEIGHTS),
                f"Weights duplicate {owner.name}'s ({url})",
                model=model.name,
                field=WEIGHTS,
                related=(Related(owner.location(WEIGHTS), f"{owner.name}'s Weights"),),
                fix=f"Weights: {own.weights}, as {own.source} gives it"
                if own
                else f"give {model.name} its own checkpoint URL, or add the URL to "
                "shared-weights in [tool.modelindex] if the sharing is deliberate",
                repair=value_repair(model, WEIGHTS, url, own.weights, Applicability.UNSAFE)
                if own and own.weights
                else None,
            )


def _rows_of(context: Context) -> dict[int, list[Model]]:
    """The README rows joined to one declared model each, by that model."""
    rows: dict[int, list[Model]] = {}
    for join in context.index.joins:
        if join.compared and len(join.candidates) == 1:
            rows.setdefault(id(join.candidates[0]), []).append(join.row)
    return rows


def _own_url_in_table(
    model: Model, copied: str, by_url: dict[str, list[Model]], rows: dict[int, list[Model]]
) -> Model | None:
    """The README row that gives ``model`` a checkpoint of its own, where one does: a URL
    other than the copied one, declared by no other model, whose file is named after it."""
    for row in rows.get(id(model), []):
        url = row.weights
        if not url or url == copied or url in by_url or url_fault(url) or not model.name:
            continue
        if model.name in urlsplit(url).path.rsplit("/", 1)[-1]:
            return row
    return None


def _model_named_in(stem: str, names: set[str]) -> str | None:
    """The longest leading part of a weights file's stem, cut at '_' or '-', that names a
    model of the index."""
    pieces = re.split(r"(?<=.)(?=[_-])", stem)
    for end in range(len(pieces), 0, -1):
        candidate = "".join(pieces[:end])
        if candidate in names:
            return candidate
    return None


@rule("U004", "weights-of-other-model", Severity.ERROR, Scope.INDEX)
def weights_of_other_model(context: Context) -> Iterator[Hit]:
    """The Weights file is named after another model of the index.

    tresnet_xl_448's card points at `tresnet_l_448-940d0cd1.pth`. A file named after a model
    whose name the model's own name contains or extends is fine: timm's tv_resnet34 loads
    torchvision's `resnet34-333f7ec4.pth`, and efficientnet_b3a the `efficientnet_b3` file.
    Nor is a checkpoint that the model it is named after shares with this one, evaluated on
    another task or dataset (see U003).
    """
    names = context.model_names
    for model in context.index.models:
        if not model.weights or not model.name:
            continue
        stem = weights_stem(model.weights)
        if stem is None:
            continue
        own = model.name.lower()
        named = _model_named_in(stem, names)
        if named is None or named == own or own.startswith(named) or own.endswith(named):
            continue
        other = context.index[named]
        if other.weights == model.weights and _evaluated_otherwise(model, other, model.weights):
            continue  # U003 explains why this sharing is deliberate
        yield Hit(
            model.location(WEIGHTS),
            f"Weights file {model.weights.rsplit('/', 1)[-1]!r} is named after {named}",
            model=model.name,
            field=WEIGHTS,
            related=(Related(other.location(NAME), f"{named} is declared here"),),
        )


# What a name says of the network's size, by family: 'small' or 'base', 'r50' or 'r101',
# HRNet's 'w32' or 'w48'. Two different values of one family are two different networks.
_SIZE_WORDS = frozenset({"nano", "tiny", "small", "base", "large", "huge", "giant"})
_DEPTH = re.compile(r"^(?:r|res|resnet|resnext)(\d{2,3})$")
_WIDTH = re.compile(r"^w(\d{2,3})$")
# Names of more parts than this are not looked at (bounded work on hostile input).
_MAX_NAME_PARTS = 64


def network_size(name: str) -> dict[str, set[str]]:
    """{'size': {'small'}, 'depth': {'50'}} for 'vit-small_r50_...'."""
    found: dict[str, set[str]] = {}
    for part in name_parts(name, _MAX_NAME_PARTS):
        if part in _SIZE_WORDS:
            found.setdefault("size", set()).add(part)
        elif depth := _DEPTH.match(part):
            found.setdefault("depth", set()).add(depth.group(1))
        elif width := _WIDTH.match(part):
            found.setdefault("width", set()).add(width.group(1))
    return found


@rule("U009", "weights-of-other-network", Severity.ERROR, Scope.ENTRY, local=False)
def weights_of_other_network(entry: _Entry, context: Context) -> Iterator[Hit]:
    """The Weights file's name says another size of network than the model's name does.

    mmaction2's `vit-small-p16_videomaev2-...` entry points at `vit-base-p16_videomaev2-...
    .pth`; an R-50 entry at an `..._r101_...` file. Compared are the size words (tiny, small,
    base, large, huge), depths (r50, res101, resnet152) and HRNet widths (w32, w48), each only
    where both names state one. A file named after another model of the index is U004's.
    """
    if not isinstance(entry, Model) or not entry.weights or not entry.name:
        return
    own = network_size(entry.name)
    if not own or entry.is_inherited(WEIGHTS):
        return
    stem = weights_stem(entry.weights)
    if stem is None:
        return
    files = network_size(stem)
    for family, values in own.items():
        other = files.get(family)
        if other and not values & other:
            if _model_named_in(stem, context.model_names) not in {None, entry.name}:
                return  # named after another model of the index: U004 says which
            yield hit_on(
                entry,
                WEIGHTS,
                f"Weights file {entry.weights.rsplit('/', 1)[-1]!r} is for "
                f"{family} {'/'.join(sorted(other))}, the name says {'/'.join(sorted(values))}",
            )
            return


@rule("U005", "repeated-file-size", Severity.ERROR, Scope.INDEX)
def repeated_file_size(context: Context) -> Iterator[Hit]:
    """Models with different Parameters declare the same File Size.

    Two checkpoints of different networks are never the same size to the byte: one File Size
    was copied. The parameter count that most models with this size share is taken as the
    owner (or the one that fits the size); models with another count are reported.
    """
    by_size: dict[int, list[Model]] = {}
    for model in context.index.models:
        # A rounded size ('44.7 MB') is shared by many files: only a byte count names one.
        exact = "File Size" not in model.rounding
        if model.metadata.file_size and model.metadata.parameters and exact:
            by_size.setdefault(model.metadata.file_size, []).append(model)
    for size, models in by_size.items():
        counts = Counter(m.metadata.parameters for m in models)
        if len(counts) < 2:
            continue
        ranked = counts.most_common()
        owner_count = ranked[0][0] if ranked[0][1] > ranked[1][1] else None
        if owner_count is None:
            fitting = {m.metadata.parameters for m in models if size_fits_parameters(m)}
            owner_count = fitting.pop() if len(fitting) == 1 else None
        # One example model per other parameter count: enough evidence, bounded in size.
        example_by_count = {m.metadata.parameters: m for m in reversed(models)}
        examples = list(itertools.islice(example_by_count.items(), LISTED_OTHERS + 1))
        for model in models:
            if model.metadata.parameters == owner_count:
                continue
            others = [m for count, m in examples if count != model.metadata.parameters]
            others = others[:LISTED_OTHERS]
            yield Hit(
                model.location(FILE_SIZE),
                f"File Size {size} is also declared by "
                + ", ".join(f"{m.name} ({m.metadata.parameters} parameters)" for m in others)
                + f", but this model has {model.metadata.parameters} parameters",
                model=model.name,
                field=FILE_SIZE,
                related=tuple(
                    Related(m.location(FILE_SIZE), f"{m.name}'s File Size") for m in others
                ),
            )


def _code_links(context: Context) -> Iterator[tuple[_Entry, re.Match[str]]]:
    """Each entry's own GitHub Code link; inherited links are checked on the collection."""
    for entry in [*context.index.collections, *context.index.models]:
        if not entry.code or (isinstance(entry, Model) and entry.is_inherited(CODE)):
            continue
        match = GITHUB_CODE.match(entry.code)
        if match:
            yield entry, match


@rule("U006", "code-not-pinned", Severity.WARNING, Scope.INDEX)
def code_not_pinned(context: Context) -> Iterator[Hit]:
    """A GitHub Code URL points at a branch, not at a commit or a release tag.

    A branch (`main`, `master`, `dev`) moves, so the linked lines drift away from the model.
    A release tag (`v1.0.0rc7`, `0.24.1`) names one revision, as a commit does. Press `y` on a
    GitHub file page for the permanent link.
    """
    for entry, match in _code_links(context):
        ref = match.group("ref")
        if not _COMMIT.match(ref) and not _RELEASE_TAG.match(ref):
            yield hit_on(
                entry,
                CODE,
                f"Code points at the branch {ref!r}, not at a commit or a release tag",
                fix="link to a commit: https://github.com/"
                f"{match.group('repo')}/blob/<commit>/{match.group('file')}",
            )


@rule("U007", "code-without-anchor", Severity.WARNING, Scope.INDEX)
def code_without_anchor(context: Context) -> Iterator[Hit]:
    """A GitHub Code URL to a file has no line anchor (`#L123`) at the model's definition."""
    for entry, match in _code_links(context):
        anchor = match.group("anchor")
        is_file = "/blob/" in (entry.code or "")
        if is_file and not (anchor and LINE_ANCHOR.match(anchor)):
            yield hit_on(
                entry,
                CODE,
                "Code has no line anchor" + (f" (#{anchor})" if anchor else ""),
                fix="append #L<line> of the function or class that defines the model",
            )


@rule("U008", "code-commit-mismatch", Severity.WARNING, Scope.INDEX)
def code_commit_mismatch(context: Context) -> Iterator[Hit]:
    """A Code URL is pinned to another commit than the rest of its collection.

    Cards of one collection are meant to be read together; links to several revisions of the
    same repository mean some were not updated and may point at lines that moved.
    """
    by_collection: dict[tuple[str | None, str], list[tuple[_Entry, str]]] = {}
    for entry, match in _code_links(context):
        if not _COMMIT.match(match.group("ref")):
            continue  # a branch or tag is U006's finding
        collection = entry.name if isinstance(entry, Collection) else entry.in_collection
        by_collection.setdefault((collection, match.group("repo")), []).append(
            (entry, match.group("ref"))
        )
    for (collection, _), links in by_collection.items():
        ranked = Counter(ref for _, ref in links).most_common()
        if collection is None or len(ranked) < 2:
            continue
        # With no majority, every link is reported: nothing says which revision is meant.
        usual = ranked[0][0] if ranked[0][1] > ranked[1][1] else None
        leading = [r for r, _ in ranked[: LISTED_OTHERS + 1]]
        for entry, ref in links:
            if ref == usual:
                continue
            listed = [r[:12] for r in leading if r != ref][:LISTED_OTHERS]
            others = usual[:12] if usual else ", ".join(listed)
            yield hit_on(
                entry,
                CODE,
                f"Code is pinned to {ref[:12]}, the rest of {collection} to {others}",
                fix=f"use the commit of the rest of {collection}" if usual else None,
            )
