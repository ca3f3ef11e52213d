"""Structure rules: required fields, names, collections and values outside their range."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import lru_cache

from modelindex.checks.context import Context
from modelindex.checks.findings import (
    Applicability,
    Edit,
    EditPart,
    Hit,
    Related,
    Repair,
    Severity,
    hit_on,
    value_repair,
)
from modelindex.checks.registry import Scope, rule
from modelindex.fields import (
    BATCH_SIZE,
    CROP_PCT,
    EPOCHS,
    FILE_SIZE,
    FLOPS,
    ID,
    IMAGE_SIZE,
    IN_COLLECTION,
    INTERPOLATION,
    METADATA,
    METADATA_FIELDS,
    NAME,
    PAPER,
    PARAMETERS,
    RESULTS,
    WEIGHTS,
    UnknownFieldError,
    field_named,
    near_miss,
    one_edit_apart,
    result_field,
)
from modelindex.fields import ENTRY_FIELDS as ENTRY_FIELD_NAMES
from modelindex.metric_semantics import is_threshold
from modelindex.preprocessing import KNOWN_INTERPOLATIONS
from modelindex.readers.hf_cards import DIALECT as HUB_DIALECT
from modelindex.readers.registry import expected_fields, is_secondary, names_per_file
from modelindex.schema import EMPTY_VALUE, Collection, InheritedKeys, Model, short_repr
from modelindex.units import SHORT_SCALE, read_count

_Entry = Model | Collection

# Metrics on a 0-100 scale: accuracies, precision/recall, mAP, mIoU and the like.
_PERCENT_METRIC = re.compile(r"acc|top[\s_-]*\d|\bap\b|map|miou|\biou\b|recall|precision|\bf1\b")
# A hostile entry may carry thousands of unknown keys; real ones carry a few dozen.
_MOST_KEYS_CHECKED = 1_000
# Invalid values that a more specific rule reports.
_FIELDS_WITH_OWN_RULE = frozenset({CROP_PCT, IMAGE_SIZE})


def _kind(entry: _Entry) -> str:
    return "model" if isinstance(entry, Model) else "collection"


def _own(entry: _Entry, field: str) -> bool:
    """A model's inherited value is checked once, on its collection, not on every model."""
    return not (isinstance(entry, Model) and entry.is_inherited(field))


def _invalid(entry: _Entry, field: str) -> Iterator[Hit]:
    for bad in entry.invalid:
        if bad.field == field:
            yield Hit(
                bad.location,
                f"{field} {short_repr(bad.value)}: {bad.reason}",
                model=entry.name,
                field=field,
            )


@rule("S001", "missing-name", Severity.ERROR, Scope.ENTRY)
def missing_name(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A model or collection has no Name.

    Without a name an entry cannot be looked up, linked to its collection or compared with
    other sources. Example: a `- In Collection: ResNet` item in `Models:` with no `Name:`.
    A name that does not parse is S011's. In a Hub card, which its repository names, an
    unnamed model is reported only where it has results: a leaderboard would list them with
    no name, while `name: ''` with `results: []` is how the Hub's Trainer writes a model it
    has nothing to say of.
    """
    if entry.name or any(bad.field == NAME for bad in entry.invalid):
        return
    if names_per_file(entry.dialect) and not entry.results:
        return
    yield Hit(entry.source, f"this {_kind(entry)} has no Name", field=NAME)


@rule("S002", "missing-field", Severity.WARNING, Scope.ENTRY)
def missing_field(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A model has no Weights or no Results.

    A model without weights cannot be used and one without results cannot be compared.
    Collections need neither. Not reported where the card says the gap is expected: no
    Weights for a model whose results carry no metric (a pipeline, a fine-tuning recipe, a
    training stage), no Results for a pre-training checkpoint (a `pre` or `pretrain` part in
    its name, or a pre-training or self-supervised task). A missing Parameters, FLOPs or File
    Size is not reported: leaving out a number nobody measured is better than guessing it.
    """
    if not isinstance(entry, Model):
        return
    expected = {
        WEIGHTS: not entry.results or any(result.metrics for result in entry.results),
        RESULTS: not _is_pretraining(entry),
    }
    missing = [
        field
        for field in expected_fields(entry.dialect)
        if not field.value_of(entry)
        and expected.get(field, True)
        and not any(bad.field == field for bad in entry.invalid)
    ]
    if missing:
        yield Hit(
            entry.source,
            f"model has no {' and no '.join(missing)}",
            model=entry.name,
            field=missing[0],
        )


_PRETRAINING_PART = re.compile(r"(?:^|[-_.])pre(?:train\w*)?(?:$|[-_.])")
_PRETRAINING_TASK = re.compile(r"pre-?train|self-supervised", re.IGNORECASE)


def _is_pretraining(model: Model) -> bool:
    """Whether the model is a checkpoint for pre-training, which is not evaluated itself."""
    name = (model.name or "").lower()
    return bool(_PRETRAINING_PART.search(name)) or any(
        _PRETRAINING_TASK.search(task) for task in model.metadata.tasks
    )


@rule("S003", "unknown-collection", Severity.ERROR, Scope.ENTRY, local=False)
def unknown_collection(entry: _Entry, context: Context) -> Iterator[Hit]:
    """`In Collection` names a collection that no loaded file declares.

    The model then inherits nothing, and it is listed apart from its siblings. Usually a typo
    or a collection renamed in one place only. Example: `In Collection: Resnet` when the card
    declares `ResNet`.
    """
    name = entry.in_collection
    if not isinstance(entry, Model) or not name or name in context.collection_names:
        return
    close = difflib.get_close_matches(name, sorted(context.collection_names), n=1, cutoff=0.6)
    lowered = [c for c in context.collection_names if c.lower() == name.lower()]
    suggestion = (lowered or close or [None])[0]
    yield hit_on(
        entry,
        IN_COLLECTION,
        f"In Collection {name!r} names no collection",
        fix=f"did you mean {suggestion!r}?" if suggestion else "declare the collection",
    )


@rule("S004", "duplicate-name", Severity.ERROR, Scope.INDEX)
def duplicate_name(context: Context) -> Iterator[Hit]:
    """Two models (or two collections) have the same Name.

    A lookup by name returns only the first one, so the other's numbers are silently lost. The
    finding is on the repeated entry and names the first. A README table row that repeats a
    model declared in a metafile is not a duplicate: that is a second source of the same model
    (see X001), nor is a row shown again in another table. A collection declared again with
    the same content, in each metafile that uses it (OpenMMLab declares a method once per
    dataset or task), is not reported: only its README may differ, as each task has its own
    page. A Hub card is a repository of its own: the same name in two cards is two models.
    """
    for entries, kind in ((context.index.models, "model"), (context.index.collections, "")):
        first: dict[tuple[str, str], _Entry] = {}
        for entry in entries:
            if not entry.name:
                continue
            # A Hub card is a repository of its own: its names are its own.
            scope = entry.source.path if names_per_file(entry.dialect) else ""
            key = (scope, entry.name)
            # A README's title is not a declaration, and a README shows one model in several
            # tables (each test set, each language): the same row twice.
            repeated_row = key in first and is_secondary(first[key].dialect)
            if is_secondary(entry.dialect) and (kind == "" or repeated_row):
                continue
            if key not in first:
                first[key] = entry
                continue
            original = first[key]
            if kind == "" and _content(entry) == _content(original):
                continue
            what = kind or "collection"
            differs = "" if kind else " with other content"
            yield hit_on(
                entry,
                NAME,
                f"{what} {entry.name!r} is declared twice{differs}; first at "
                f"{original.location(NAME)}",
                related=(Related(original.location(NAME), "first declaration"),),
                fix="rename one of them or remove the repeated entry",
            )


def _content(entry: _Entry) -> dict[str, object]:
    """What a collection declares, less where it is declared and its README."""
    return entry.model_dump(exclude={"source", "dialect", "invalid", "readme"})


@rule("S005", "id-differs-from-name", Severity.ERROR, Scope.ENTRY)
def id_differs_from_name(entry: _Entry, context: Context) -> Iterator[Hit]:
    """The metadata `ID` is not the model's `Name`.

    timm's cards repeat the name as `ID`; tools that look models up by ID then find another
    model, or none.
    """
    model_id = entry.metadata.id
    if model_id is None or entry.name is None or model_id == entry.name or not _own(entry, ID):
        return
    yield hit_on(
        entry, ID, f"ID {model_id!r} differs from Name {entry.name!r}", fix=f"ID: {entry.name}"
    )


@rule("S006", "crop-pct-range", Severity.ERROR, Scope.ENTRY)
def crop_pct_range(entry: _Entry, context: Context) -> Iterator[Hit]:
    """Crop Pct is not a fraction in (0, 1], or not a number.

    The crop is the share of the resized image kept at evaluation: 0.875 resizes 224 px
    models to 256 px and crops the centre 224 px. A value such as 87.5 or 0 is a unit slip.
    """
    yield from _invalid(entry, CROP_PCT)
    crop_pct = entry.metadata.crop_pct
    if crop_pct is None or 0 < crop_pct <= 1 or not _own(entry, CROP_PCT):
        return
    # 87.5 is a percentage; 5 is no crop anyone uses, so no guess is offered for it.
    fix = f"Crop Pct: {crop_pct / 100:g}" if 10 < crop_pct <= 100 else None
    yield hit_on(entry, CROP_PCT, f"Crop Pct {crop_pct:g} is outside (0, 1]", fix=fix)


@rule("S007", "image-size", Severity.ERROR, Scope.ENTRY)
def image_size(entry: _Entry, context: Context) -> Iterator[Hit]:
    """Image Size is not a positive whole number of pixels.

    Write one side of a square input (`224`); `224x224` and `[3, 224, 224]` are accepted,
    a non-square or fractional size is not.
    """
    yield from _invalid(entry, IMAGE_SIZE)
    size = entry.metadata.image_size
    if size is not None and size <= 0 and _own(entry, IMAGE_SIZE):
        yield hit_on(entry, IMAGE_SIZE, f"Image Size {size} is not a positive number of pixels")


@rule("S008", "unknown-interpolation", Severity.ERROR, Scope.ENTRY)
def unknown_interpolation(entry: _Entry, context: Context) -> Iterator[Hit]:
    """Interpolation is not a resampling method that image libraries know.

    Known: bilinear, bicubic, nearest, nearest-exact, lanczos, box, hamming, area.
    """
    method = entry.metadata.interpolation
    if not method or method in KNOWN_INTERPOLATIONS or not _own(entry, INTERPOLATION):
        return
    close = difflib.get_close_matches(method, sorted(KNOWN_INTERPOLATIONS), n=1, cutoff=0.6)
    yield hit_on(
        entry,
        INTERPOLATION,
        f"unknown interpolation {method!r}",
        fix=f"Interpolation: {close[0]}" if close else None,
        repair=value_repair(entry, INTERPOLATION, method, close[0], _typo_class(method, close[0]))
        if close
        else None,
    )


def _typo_class(written: str, known: str) -> Applicability:
    """A one-letter slip ('bicubicc', 'bilnear') is safe to correct; a guess further off
    ('hanning' for hamming, 'trilinear' for bilinear) may name another filter."""
    letters = "".join(character for character in written if character.isalpha())
    if letters == known.replace("-", "") or one_edit_apart(written, known):
        return Applicability.SAFE
    return Applicability.UNSAFE


@rule("S009", "metric-range", Severity.ERROR, Scope.ENTRY)
def metric_range(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A percentage metric (an accuracy, mAP, mIoU, precision, recall) is outside [0, 100].

    A threshold that a metric is computed at (MTEB's `cos_sim_accuracy_threshold`) is not a
    score, and is not checked.
    """
    if not entry.results or not _own(entry, RESULTS):
        return  # checked once, on the collection the results come from
    for position, result in enumerate(entry.results):
        for metric, value in result.metrics.items():
            field = result_field(position, metric)
            if value is None or 0 <= value <= 100 or not _own(entry, field):
                continue
            # MTEB's 'cos_sim_accuracy_threshold' is the threshold behind an accuracy.
            if _PERCENT_METRIC.search(metric.lower()) and not is_threshold(metric):
                yield hit_on(entry, field, f"{metric} {value:g} is outside [0, 100]")


def top_k(metrics: dict[str, float | None], k: int) -> tuple[str, float] | None:
    """The Top-k accuracy among a result's metrics, whatever its spelling."""
    for name, value in metrics.items():
        if value is not None and _metric_key(name) in {f"top{k}", f"top{k}accuracy", f"top{k}acc"}:
            return name, value
    return None


@lru_cache(maxsize=4096)
def _metric_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@rule("S010", "top1-above-top5", Severity.ERROR, Scope.ENTRY)
def top1_above_top5(entry: _Entry, context: Context) -> Iterator[Hit]:
    """Top-1 accuracy is higher than Top-5 accuracy on the same result.

    A true class ranked first is also in the top five, so Top-1 can never exceed Top-5;
    the two values are swapped or one is mistyped.
    """
    if not entry.results or not _own(entry, RESULTS):
        return  # checked once, on the collection the results come from
    for position, result in enumerate(entry.results):
        top1, top5 = top_k(result.metrics, 1), top_k(result.metrics, 5)
        if top1 is None or top5 is None or top1[1] <= top5[1]:
            continue
        field = result_field(position, top1[0])
        if _own(entry, field):
            yield hit_on(
                entry,
                field,
                f"{top1[0]} {top1[1]:g} is higher than {top5[0]} {top5[1]:g}",
                related=(Related(entry.location(result_field(position, top5[0])), "Top-5 value"),),
            )


@rule("S011", "invalid-value", Severity.ERROR, Scope.ENTRY)
def invalid_value(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A value does not parse: a number that is not a number, a list where text belongs.

    Example: `Parameters: 25.6 million` or `FLOPs: [1, 2]`. The value is left out of the
    typed record, so every other rule and every lookup sees the field as missing.
    """
    for bad in entry.invalid:
        if bad.field in _FIELDS_WITH_OWN_RULE:
            continue
        message = f"{bad.field} {short_repr(bad.value)} does not parse: {bad.reason}"
        if bad.reason == EMPTY_VALUE:
            message = f"{bad.field} has no value: fill it in or leave the metric out"
        yield Hit(bad.location, message, model=entry.name, field=bad.field)


_COUNTS = (PARAMETERS, FLOPS, FILE_SIZE, EPOCHS, BATCH_SIZE)


@rule("S012", "non-positive-count", Severity.ERROR, Scope.ENTRY)
def non_positive_count(entry: _Entry, context: Context) -> Iterator[Hit]:
    """Parameters, FLOPs, File Size, Epochs or Batch Size is zero or negative.

    Every model has some parameters and costs some FLOPs; a zero usually stands for "unknown",
    which is better written by leaving the field out.
    """
    for field in _COUNTS:
        value = field.value_of(entry)
        if value is not None and value <= 0 and _own(entry, field):
            yield hit_on(entry, field, f"{field} {value} is not a positive number")


@rule("S013", "empty-metrics", Severity.ERROR, Scope.ENTRY)
def empty_metrics(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A Result declares Metrics but carries none (`Metrics: {}`).

    A result without a number says nothing: it cannot be compared, plotted or checked, and it
    reads as if the model had been evaluated. Leave the Result out until there is a metric.
    One finding per model, at its first empty Result; a Result whose metrics did not parse is
    reported by S011 instead. A Result with no Metrics key at all (as Hugging Face's Trainer
    writes before any evaluation) is not reported.
    """
    if not isinstance(entry, Model) or not entry.results or entry.is_inherited(RESULTS):
        return
    written = entry.fields_with_location
    empty = [
        position
        for position, result in enumerate(entry.results)
        if not result.metrics
        and not result.metric_entries  # listed, if without a name or type (H001's)
        and result_field(position, "Metrics") in written
        and not any(bad.field.startswith(result_field(position)) for bad in entry.invalid)
    ]
    if not empty:
        return
    result = entry.results[empty[0]]
    where = " on ".join(part for part in (result.task, result.dataset) if part)
    others = f" (and {len(empty) - 1} more)" if len(empty) > 1 else ""
    yield hit_on(
        entry,
        result_field(empty[0], "Metrics"),
        f"{result_field(empty[0])}{f' ({where})' if where else ''} has no metric{others}",
    )


# The keys an entry and its Metadata may carry, as cards write them.
_ENTRY_KEYS = tuple(str(name) for name in (*ENTRY_FIELD_NAMES, PAPER, METADATA, RESULTS))
_METADATA_KEYS = tuple(str(name) for name in METADATA_FIELDS)


@rule("S019", "misspelt-key", Severity.WARNING, Scope.ENTRY)
def near_miss_key(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A key the schema does not know is one letter away from one it does: its value is not read.

    `Crop Pc: 0.875` leaves the model without a crop, and `show` without its resize step;
    `Paramters` leaves it without a parameter count. The key is kept as it is (unknown keys
    always are), and the fix renames it, unless the mapping also has the key it resembles.
    Hub cards have their own check of the same kind (H003).
    """
    if entry.dialect == HUB_DIALECT or is_secondary(entry.dialect):
        return
    metadata_keys = entry.metadata.extra
    own_metadata = metadata_keys.own if isinstance(metadata_keys, InheritedKeys) else metadata_keys
    levels = ((entry.extra, _ENTRY_KEYS), (own_metadata, _METADATA_KEYS))
    for keys, known in levels:
        for key in list(keys)[:_MOST_KEYS_CHECKED]:
            meant = near_miss(str(key), known)
            if meant is None or _declares(entry, meant):
                continue
            meant = _in_style_of(str(key), meant)
            where = entry.location(str(key))
            yield Hit(
                where,
                f"unknown key {str(key)!r} looks like {meant!r}: its value is not read",
                model=entry.name,
                fix=f"rename it to {meant!r}",
                repair=Repair((Edit(where, str(key), meant, EditPart.KEY),), Applicability.SAFE),
            )


def _in_style_of(written: str, key: str) -> str:
    """``key`` spelt as the card spells its keys: 'crop_pct' where it writes 'crop_pc'."""
    if written.islower():
        return key.lower().replace(" ", "_" if "_" in written else " ")
    return key


def _declares(entry: _Entry, key: str) -> bool:
    """Whether the entry writes ``key`` itself (in any spelling)."""
    try:
        return entry.location(key) != entry.source or entry.is_inherited(key)
    except UnknownFieldError:
        return False


@rule("S020", "unit-in-words", Severity.INFO, Scope.ENTRY)
def unit_in_words(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A count writes its scale in words: `Parameters: 25.6 million`.

    modelindex reads it, but other readers of the format take `25.6M` or a plain number. The
    fix writes the short form, which states the same number to the same precision.
    """
    for field, written in entry.count_texts.items():
        reading = read_count(written)
        if reading is None or reading.scale_word is None or not _own(entry, field):
            continue
        short = re.sub(
            rf"[ \t]*{reading.scale_word}", SHORT_SCALE[reading.scale_word], written, flags=re.I
        )
        yield hit_on(
            entry,
            field,
            f"{field} {written!r} writes its scale in words",
            fix=f"{field}: {short}",
            repair=value_repair(
                entry,
                field,
                field_named(field).value_of(entry),
                short,
                Applicability.SAFE,
            ),
        )
