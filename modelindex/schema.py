"""The typed schema of a model index, and the one place where raw values are coerced.

Cards write numbers in many ways ('0.875', '82.31%', 11.17 M, '224x224'); the annotated types
below turn them into ints, floats and lower-case strings. A value that cannot be coerced never
aborts a load: :func:`validate_leniently` drops it from the typed record and keeps it as an
:class:`InvalidValue` with its location, for the validator to report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, NamedTuple, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from modelindex.fields import (
    IN_COLLECTION,
    NAME,
    UnknownFieldError,
    field_named,
    normalize_key,
    parse_result_field,
)
from modelindex.preprocessing import Preprocessing
from modelindex.units import CountReading, read_count, read_file_size


class Location(NamedTuple):
    """Where a value was written: a file path and a 1-based line (None when unknown)."""

    path: str
    line: int | None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


# --- coercion -------------------------------------------------------------------------------

_SIZE_SEPARATORS = re.compile(r"[x\N{MULTIPLICATION SIGN}*,]")


# The longest count text a card could mean ('1,234,567,890,123 parameters'); longer is no count.
MAX_COUNT_TEXT = 100
# Far beyond any real count (a 10^18-parameter model), near enough to keep arithmetic exact.
_LARGEST_COUNT = 10**18


def _reject_bool(value: Any) -> None:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {short_repr(value)}")


def _finite(number: float, value: Any) -> float:
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {short_repr(value)}")
    return number


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"implausibly large: {short_repr(value)}") from None


def short_repr(value: Any) -> str:
    """A value as a message quotes it: a 4,000-digit number is not worth printing whole."""
    if isinstance(value, int) and abs(value) >= 10**30:
        # repr() of an int over 4,300 digits raises; its size is what matters here.
        return f"a number of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _bounded_count(number: int, value: Any) -> int:
    if abs(number) > _LARGEST_COUNT:
        raise ValueError(f"implausibly large: {short_repr(value)}")
    return number


def _count_with(read: Callable[[str], CountReading | None], value: Any) -> int | None:
    if value is None:
        return None
    _reject_bool(value)
    if isinstance(value, int):
        return _bounded_count(value, value)
    if isinstance(value, float):
        return _bounded_count(round(_finite(value, value)), value)
    if isinstance(value, str) and len(value) <= MAX_COUNT_TEXT:
        reading = read(value)
        if reading is not None:
            return _bounded_count(round(_finite(reading.value, value)), value)
    raise ValueError(f"not a number: {short_repr(value)}")


def coerce_count(value: Any) -> int | None:
    """Parameters, FLOPs: 11170000, '11,170,000', '11.17M', '2.4 GFLOPs', 11.17e6, '1.2B'."""
    return _count_with(read_count, value)


def coerce_file_size(value: Any) -> int | None:
    """File Size in bytes: 224440219, '97.8 MB', '93.3 MiB', '1.2 GB'."""
    return _count_with(read_file_size, value)


# What cards write where a number is still to come: 'NA', 'TBD', '???', 'xx.xx', 'WIP', '-'.
_PLACEHOLDER = re.compile(
    r"^(?:n/?a|none|null|nan|tbd|tba|todo|wip|coming soon|\?+|-+|[x#]+(?:[.,][x#]+)?)$",
    re.IGNORECASE,
)
# '0,931' and '94,1': a decimal comma. '1,234' could be a thousands separator.
_DECIMAL_COMMA = re.compile(r"^[+-]?(?:0,\d+|\d+,(?:\d{1,2}|\d{4,}))%?$")


def _not_a_number(text: str, what: str) -> str:
    """Why a text is not a number, in the card author's terms."""
    if _PLACEHOLDER.match(text.strip().rstrip("%").strip()):
        return f"a placeholder, not {what}"
    if _DECIMAL_COMMA.match(text.strip()):
        return f"a decimal comma (write {text.strip().replace(',', '.')})"
    return f"not {what}"


def _float_allowing_percent(value: Any, what: str, percent_divisor: float) -> float | None:
    if value is None:
        return None
    _reject_bool(value)
    if isinstance(value, (int, float)):
        return _finite(_as_float(value), value)
    if isinstance(value, str):
        text, divisor = value.strip(), 1.0
        if text.endswith("%"):
            text, divisor = text[:-1].strip(), percent_divisor
        try:
            number = float(text) / divisor
        except ValueError:
            pass
        else:
            return _finite(number, value)
        raise ValueError(f"{_not_a_number(value, what)}: {short_repr(value)}")
    raise ValueError(f"not {what}: {short_repr(value)}")


def coerce_fraction(value: Any) -> float | None:
    """Crop Pct: 0.875, '0.875', '87.5%' -> 0.875."""
    return _float_allowing_percent(value, "a fraction", percent_divisor=100.0)


def coerce_image_size(value: Any) -> int | None:
    """Image Size: 224, '224', '224x224', [224, 224] -> 224; a non-square size is invalid."""
    if value is None:
        return None
    _reject_bool(value)
    sides: list[Any]
    if isinstance(value, (int, float)):
        sides = [value]
    elif isinstance(value, str):
        # '3x224x224' and [3, 224, 224] name the channels first; the last two are the size.
        sides = [side.strip() for side in _SIZE_SEPARATORS.split(value.strip().lower())][-2:]
    elif isinstance(value, (list, tuple)):
        sides = list(value)[-2:]
    else:
        raise ValueError(f"not an image size: {short_repr(value)}")
    try:
        numbers = {_whole_number(side) for side in sides}
    except (ValueError, OverflowError):
        raise ValueError(f"not an image size: {short_repr(value)}") from None
    if len(numbers) != 1:
        raise ValueError(f"image size is not square: {short_repr(value)}")
    return _bounded_count(numbers.pop(), value)


def _whole_number(side: Any) -> int:
    if isinstance(side, float) and side.is_integer():
        return int(side)
    if isinstance(side, (bool, float)):
        raise ValueError(side)
    return int(str(side))


def coerce_percent(value: Any) -> float | None:
    """A metric value: 82.31, '82.31', '82.31%' -> 82.31."""
    return _float_allowing_percent(value, "a number", percent_divisor=1.0)


def coerce_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ValueError(f"expected text, got a {'mapping' if isinstance(value, dict) else 'list'}")
    return str(value)


def coerce_lower_text(value: Any) -> str | None:
    text = coerce_text(value)
    return None if text is None else text.strip().lower()


def coerce_text_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        # A list or mapping item would become the text of its whole (possibly aliased) content.
        if any(isinstance(item, (list, dict)) for item in value):
            raise ValueError("expected a list of text, found a list or mapping inside it")
        return [str(item) for item in value if item is not None]
    if isinstance(value, dict):
        raise ValueError("expected text or a list of text, got a mapping")
    return [str(value)]


Count = Annotated[int | None, BeforeValidator(coerce_count)]
FileSize = Annotated[int | None, BeforeValidator(coerce_file_size)]
Fraction = Annotated[float | None, BeforeValidator(coerce_fraction)]
ImageSize = Annotated[int | None, BeforeValidator(coerce_image_size)]
Percent = Annotated[float | None, BeforeValidator(coerce_percent)]
Text = Annotated[str | None, BeforeValidator(coerce_text)]
LowerText = Annotated[str | None, BeforeValidator(coerce_lower_text)]
TextList = Annotated[list[str], BeforeValidator(coerce_text_list)]


# --- records --------------------------------------------------------------------------------


# The reason of an InvalidValue for a metric written with no value ('Top 1 Accuracy:').
EMPTY_VALUE = "empty"


class InvalidValue(BaseModel):
    """A value that could not be coerced, kept for the validator with where it was written."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: Any
    reason: str
    location: Location


class _Record(BaseModel):
    model_config = ConfigDict(validate_default=False)

    extra: dict[str, Any] = Field(default_factory=dict)
    """Keys the schema does not know, under their original spelling."""


class Paper(_Record):
    title: Text = None
    url: Text = None


class InheritedKeys(Mapping[str, Any]):
    """A model's own metadata keys over the ones it inherits, read-only, in the order a merged
    mapping would have: its own first. The collection's keys are looked up, never copied, so
    that 20,000 models inheriting 200 keys cost 20,000 small objects, not 4 million entries.
    ``dict(...)`` gives a plain copy."""

    __slots__ = ("inherited", "own")

    def __init__(self, own: Mapping[str, Any], inherited: Mapping[str, Any]) -> None:
        self.own = own
        self.inherited = inherited

    def __getitem__(self, key: str) -> Any:
        return self.own[key] if key in self.own else self.inherited[key]

    def __iter__(self) -> Iterator[str]:
        yield from self.own
        yield from (key for key in self.inherited if key not in self.own)

    def __len__(self) -> int:
        return len(self.own) + sum(1 for key in self.inherited if key not in self.own)

    def __repr__(self) -> str:
        return repr(dict(self))


ExtraKeys = Annotated[Mapping[str, Any], PlainSerializer(dict)]


class Metadata(_Record):
    extra: ExtraKeys = Field(default_factory=dict)  # type: ignore[assignment]
    """Keys the schema does not know, the collection's included. Where a model inherits them
    they are shared with its collection (see :class:`InheritedKeys`): treat them as read-only."""
    flops: Count = None
    parameters: Count = None
    file_size: FileSize = None
    image_size: ImageSize = None
    crop_pct: Fraction = None
    interpolation: LowerText = None
    mean: list[float] | None = None
    std: list[float] | None = None
    epochs: Count = None
    batch_size: Count = None
    training_data: TextList = Field(default_factory=list)
    training_techniques: TextList = Field(default_factory=list)
    training_resources: Text = None
    architecture: TextList = Field(default_factory=list)
    tasks: TextList = Field(default_factory=list)
    id: Text = None


class TaskInfo(_Record):
    """A result's task as the Hub writes it: ``{type: automatic-speech-recognition, name: ...}``."""

    type: Text = None
    name: Text = None


class DatasetInfo(_Record):
    """A result's dataset as the Hub writes it: the id ``type`` that ``load_dataset`` takes,
    a display ``name``, and the ``config``, ``split``, ``revision`` and ``args`` it was
    evaluated with."""

    type: Text = None
    name: Text = None
    config: Text = None
    split: Text = None
    revision: Text = None
    args: Any = None


class SourceInfo(_Record):
    """Where a result comes from: ``{name: Open LLM Leaderboard, url: ...}``."""

    name: Text = None
    url: Text = None


class MetricEntry(_Record):
    """One metric of a result as written in a list, duplicates included."""

    type: Text = None
    name: Text = None
    value: Any = None
    """As written: 0.931, '94.1%', '253.91 +/- 68.63', 'NA'."""
    number: float | None = None
    """The value as a number, where it reads as one (the ± part aside)."""
    spread: float | None = None
    config: Text = None
    args: Any = None
    verified: bool | None = None
    verify_token: Text = None
    line: int | None = None

    @property
    def label(self) -> str | None:
        """What the metric is called: its name, else its type."""
        return self.name or self.type


class Result(_Record):
    task: Text = None
    """The task's name (its type where it has none)."""
    dataset: Text = None
    """The dataset's name (its type where it has none)."""
    metrics: dict[str, Percent] = Field(default_factory=dict)
    """Each metric's value by name; the first where a list names one twice."""
    spread: dict[str, Percent] = Field(default_factory=dict)
    """The ± a metric is written with ('253.91 +/- 68.63': a mean reward and its standard
    deviation), by metric; the metric itself holds the value."""
    task_info: TaskInfo | None = None
    """The task as a mapping ({type, name}), where the card writes one."""
    dataset_info: DatasetInfo | None = None
    """The dataset as a mapping ({type, name, config, split, ...}), where the card writes one."""
    metric_entries: list[MetricEntry] = Field(default_factory=list)
    """Every metric with all it declares, where the card lists them (as Hub cards do); empty
    where it writes a mapping of name to value, which ``metrics`` holds whole."""
    source: SourceInfo | None = None

    def all_metrics(self) -> list[MetricEntry]:
        """Every metric of the result, as written in a list or made from the mapping."""
        if self.metric_entries:
            return self.metric_entries
        return [
            MetricEntry(name=name, value=value, number=value, spread=self.spread.get(name))
            for name, value in self.metrics.items()
        ]


class _Entry(_Record):
    """What a collection and a model share."""

    name: Text = None
    in_collection: Text = None
    metadata: Metadata = Field(default_factory=Metadata)
    results: list[Result] = Field(default_factory=list)
    paper: Paper | None = None
    code: Text = None
    weights: Text = None
    more_weights: list[str] = Field(default_factory=list)
    """The further checkpoints of a model that needs several, where Weights is a list (the
    detector and the re-identification model of a tracker, the two stages of BSN); ``weights``
    is the first."""
    config: Text = None
    readme: Text = None
    image: Text = None
    source: Location
    dialect: str
    invalid: list[InvalidValue] = Field(default_factory=list)
    rounding: dict[str, float] = Field(default_factory=dict)
    """Half-width of a declared value's rounding, by field, where the source states it."""
    count_texts: dict[str, str] = Field(default_factory=dict)
    """Parameters, FLOPs and File Size as written, where written as text with a unit
    ('11.7 M', '2.4 GFLOPs', '97.8 MB')."""
    flops_convention: str | None = None
    """'MACs' or 'FLOPs', where the unit the card writes FLOPs in names the convention."""

    @model_validator(mode="before")
    @classmethod
    def _weights_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict):
            listed = data.get("weights")
            if (
                isinstance(listed, list)
                and listed
                and all(isinstance(url, str) and url.strip() for url in listed)
            ):
                return {**data, "weights": listed[0], "more_weights": listed[1:]}
        return data

    # Plain defaults, not default_factory: pydantic inspects a factory's signature on every
    # instantiation, which cost more than the rest of the validation of a model.
    _locations: dict[str, Location] | None = PrivateAttr(default=None)
    _parent_locations: dict[str, Location] | None = PrivateAttr(default=None)
    """The collection's locations, shared by its models, for what a model inherits."""

    def location(self, field: str | None = None) -> Location:
        """Where ``field`` was written: a declared field ('Parameters', or a constant of
        :mod:`modelindex.fields`), a result field ('Results[0].Top 1 Accuracy'), or a key of
        the entry's own that the schema does not know.

        Falls back to the entry's own location when the field is absent. A name that is none
        of these raises UnknownFieldError: a misspelt field is an error, not a silent answer.
        """
        if field is None:
            return self.source
        # A model's Name is its own, even where it has none.
        parent = self._parent_locations if field != NAME else None
        scopes = [scope for scope in (self._locations, parent) if scope]
        for locations in scopes:
            if field in locations:
                return locations[field]
        if parse_result_field(field) is None:
            try:
                declared = field_named(field)
            except UnknownFieldError:
                declared = None
            if declared is not None:
                return next((scope[declared] for scope in scopes if declared in scope), self.source)
        wanted = normalize_key(field)
        for locations in scopes:
            for key, where in locations.items():
                if normalize_key(key) == wanted:
                    return where
        if parse_result_field(field) is None:
            raise UnknownFieldError(field)
        return self.source

    def own_locations(self) -> list[Location]:
        """Where the entry's own values are written (not those it inherits)."""
        return list((self._locations or {}).values())

    def inherits_from_another_file(self) -> bool:
        """Whether it names a collection that its own file does not declare: some of its
        values come, or would come, from another file."""
        if not self.in_collection or self.is_inherited(IN_COLLECTION):
            return False
        parent = self._parent_locations
        return not parent or any(where.path != self.source.path for where in parent.values())

    @property
    def fields_with_location(self) -> dict[str, Location]:
        inherited = {k: v for k, v in (self._parent_locations or {}).items() if k != NAME}
        return {**inherited, **(self._locations or {})}

    def is_inherited(self, field: str) -> bool:
        """Whether ``field`` (as cards write it, e.g. 'Code') was taken from the collection."""
        return (
            field != NAME
            and field not in (self._locations or {})
            and field in (self._parent_locations or {})
        )


class Collection(_Entry):
    pass


class Model(_Entry):
    config_path: str | None = None
    """Config resolved to a filesystem path (None for URLs); see ``load(repo_root=...)``."""
    config_root: str | None = None
    """The folder a config's ``_base_`` files must stay inside: the repository root."""
    reference_preprocessing: Preprocessing | None = None
    """A reference library's preprocessing, for a model no card lists (timm's tags)."""
    readme_path: str | None = None

    @property
    def preprocessing(self) -> Preprocessing:
        """The card's preprocessing, and its config's (an OpenMMLab config, read as data) for
        what the card leaves out; each value with the file and line that set it."""
        from modelindex.model_preprocessing import model_preprocessing

        return model_preprocessing(self)

    def metric(self, name: str, dataset: str | None = None) -> float | None:
        """The first result's value of metric ``name`` (optionally on ``dataset``)."""
        for result in self.results:
            if dataset is not None and (result.dataset or "").lower() != dataset.lower():
                continue
            if name in result.metrics:
                return result.metrics[name]
        return None


# --- lenient validation ---------------------------------------------------------------------


def _pop_path(data: dict[str, Any], loc: tuple[Any, ...]) -> tuple[bool, Any]:
    """Remove the value at a pydantic error location, at the deepest mapping key on its path.

    A bad element of a list (one entry of Mean) takes the whole list with it: a list with a
    hole in it would read as a shorter, valid value.
    """
    target: Any = data
    removal: tuple[dict[str, Any], Any] | None = None
    for step in loc:
        if isinstance(target, dict) and step in target:
            removal = (target, step)
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            break
    if removal is None:
        return False, None
    container, key = removal
    return True, container.pop(key)


RecordT = TypeVar("RecordT", bound=BaseModel)


def validate_leniently(
    record_type: type[RecordT],
    data: dict[str, Any],
    field_name: Callable[[tuple[Any, ...]], str],
    location_of: dict[str, Location],
    fallback: Location,
) -> tuple[RecordT, list[InvalidValue]]:
    """Validate ``data``; values that fail are removed and returned as InvalidValue.

    ``field_name`` turns a pydantic location (such as ('metadata', 'parameters')) into the
    model-index key as written in cards ('Parameters'), so that findings use the cards' words.
    """
    invalid: list[InvalidValue] = []
    for _ in range(64):
        try:
            return record_type.model_validate(data), invalid
        except ValidationError as error:
            progressed = False
            for detail in error.errors(include_url=False):
                loc = tuple(detail["loc"])
                removed, value = _pop_path(data, loc)
                if not removed:
                    continue
                progressed = True
                field = field_name(loc)
                reason = str(detail.get("ctx", {}).get("error", detail["msg"]))
                invalid.append(
                    InvalidValue(
                        field=field,
                        value=value,
                        reason=reason,
                        location=location_of.get(field, fallback),
                    )
                )
            if not progressed:
                raise
    raise RuntimeError("validation did not converge")  # pragma: no cover
