"""The schema's field vocabulary: each field's card spelling, declared once.

A :class:`FieldName` is the key as the model-index format writes it ('File Size'), and knows
where its value lives in the typed record (``metadata.file_size``). It is a ``str``, so that it
serves as is in findings, locations, fixes and the JSON output. Rules name fields by these
constants; a name that is not one of them, asked of :meth:`modelindex.schema.Model.location`,
is an error, never a silent fallback to the entry's line.

Results are addressed by position: ``result_field(0, "Top 1 Accuracy")`` is
'Results[0].Top 1 Accuracy', the one spelling that locations, findings and fixes share.
"""

from __future__ import annotations

import re
from typing import Any

_NORMALIZED_KEYS: dict[Any, str] = {}


def normalize_key(key: Any) -> str:
    """Keys are case-insensitive and '_' equals a space, as in the Papers-with-Code format."""
    try:
        return _NORMALIZED_KEYS[key]
    except (KeyError, TypeError):
        normalized = " ".join(str(key).replace("_", " ").lower().split())
    # The same few dozen keys recur in every file; the cache is bounded so hostile input with
    # millions of distinct keys cannot grow it without limit.
    if len(_NORMALIZED_KEYS) < 4096 and isinstance(key, str):
        _NORMALIZED_KEYS[key] = normalized
    return normalized


class UnknownFieldError(KeyError):
    """A field name that the schema does not declare: a typo in a rule, or in a lookup."""

    def __str__(self) -> str:
        return f"no field {self.args[0]!r} in the schema"


class FieldName(str):
    """A field as cards write it, with the attribute that holds its value."""

    attribute: str
    in_metadata: bool

    def __new__(cls, card: str, attribute: str, in_metadata: bool = False) -> FieldName:
        name = super().__new__(cls, card)
        name.attribute = attribute
        name.in_metadata = in_metadata
        return name

    def value_of(self, entry: Any) -> Any:
        """This field's typed value on a model or collection."""
        return getattr(entry.metadata if self.in_metadata else entry, self.attribute)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FieldName, (str(self), self.attribute, self.in_metadata))


NAME = FieldName("Name", "name")
IN_COLLECTION = FieldName("In Collection", "in_collection")
CODE = FieldName("Code", "code")
WEIGHTS = FieldName("Weights", "weights")
# What a weights file's name ends with, wherever a URL is told apart from a log or a config.
WEIGHT_SUFFIXES = (".pth.tar", ".pth", ".pt", ".bin", ".ckpt", ".npz", ".h5", ".safetensors")
CONFIG = FieldName("Config", "config")
README = FieldName("README", "readme")
IMAGE = FieldName("Image", "image")
PAPER = FieldName("Paper", "paper")
METADATA = FieldName("Metadata", "metadata")
RESULTS = FieldName("Results", "results")

FLOPS = FieldName("FLOPs", "flops", in_metadata=True)
PARAMETERS = FieldName("Parameters", "parameters", in_metadata=True)
FILE_SIZE = FieldName("File Size", "file_size", in_metadata=True)
IMAGE_SIZE = FieldName("Image Size", "image_size", in_metadata=True)
CROP_PCT = FieldName("Crop Pct", "crop_pct", in_metadata=True)
INTERPOLATION = FieldName("Interpolation", "interpolation", in_metadata=True)
MEAN = FieldName("Mean", "mean", in_metadata=True)
STD = FieldName("Std", "std", in_metadata=True)
EPOCHS = FieldName("Epochs", "epochs", in_metadata=True)
BATCH_SIZE = FieldName("Batch Size", "batch_size", in_metadata=True)
TRAINING_DATA = FieldName("Training Data", "training_data", in_metadata=True)
TRAINING_TECHNIQUES = FieldName("Training Techniques", "training_techniques", in_metadata=True)
TRAINING_RESOURCES = FieldName("Training Resources", "training_resources", in_metadata=True)
ARCHITECTURE = FieldName("Architecture", "architecture", in_metadata=True)
TASKS = FieldName("Tasks", "tasks", in_metadata=True)
ID = FieldName("ID", "id", in_metadata=True)

# Simple text or link fields of an entry, read from the key of the same name.
ENTRY_FIELDS = (NAME, IN_COLLECTION, CODE, WEIGHTS, CONFIG, README, IMAGE)
METADATA_FIELDS = (
    FLOPS,
    PARAMETERS,
    FILE_SIZE,
    IMAGE_SIZE,
    CROP_PCT,
    INTERPOLATION,
    MEAN,
    STD,
    EPOCHS,
    BATCH_SIZE,
    TRAINING_DATA,
    TRAINING_TECHNIQUES,
    TRAINING_RESOURCES,
    ARCHITECTURE,
    TASKS,
    ID,
)
DECLARED = (*ENTRY_FIELDS, PAPER, METADATA, RESULTS, *METADATA_FIELDS)
# The keys cards write for each field, normalised; 'Params' is what OpenMMLab's tables say.
_ALIASES = {"params": PARAMETERS}
BY_KEY: dict[str, FieldName] = {
    **{normalize_key(name): name for name in DECLARED},
    **_ALIASES,
}

_RESULT_FIELD = re.compile(r"Results\[(\d+)\](?:\.(.+))?", re.DOTALL)
RESULT_PARTS = ("Task", "Dataset", "Metrics")
"""What a result holds besides its metrics, as cards spell it."""


def field_named(name: str) -> FieldName:
    """The declared field that ``name`` spells (case and '_' aside); UnknownFieldError if none."""
    if isinstance(name, FieldName):
        return name
    try:
        return BY_KEY[normalize_key(name)]
    except KeyError:
        raise UnknownFieldError(name) from None


def result_field(position: int, part: str | None = None) -> str:
    """'Results[0]', 'Results[0].Task', 'Results[0].Top 1 Accuracy'."""
    return f"Results[{position}]" if part is None else f"Results[{position}].{part}"


def parse_result_field(field: str) -> tuple[int, str | None] | None:
    """(position, metric or part) of a result field; None for any other field."""
    match = _RESULT_FIELD.fullmatch(field)
    return (int(match[1]), match[2]) if match else None


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one character inserted, deleted, replaced, or two adjacent
    characters swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        rest = a[start + 1 :] == b[start + 1 :]
        swapped = a[start : start + 2] == b[start : start + 2][::-1]
        return rest or (swapped and a[start + 2 :] == b[start + 2 :])
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return shorter[start:] == longer[start + 1 :]


_UNIT_PREFIXES = frozenset("kmgtb")
# Shorter keys ("Epoch" for Epochs, "Task" for Tasks) are too often a word of their own.
_SHORTEST_NEAR_MISS = 6


def near_miss(key: str, known: tuple[str, ...]) -> str | None:
    """The one known name that ``key`` misspells by a single letter (case and '_' aside)."""
    written = normalize_key(key)
    if len(written) < _SHORTEST_NEAR_MISS or written in BY_KEY:
        return None
    close = [
        name
        for name in known
        if one_edit_apart(written, normalize_key(name))
        # 'GFLOPs' is FLOPs in another unit, not a slip: renaming it would rescale the value.
        and not (written[:1] in _UNIT_PREFIXES and written[1:] == normalize_key(name))
    ]
    return close[0] if len(close) == 1 else None
