"""Rules on what a model's name says: OpenMMLab names a model after its config, and the config's
name spells the recipe ('tsn_r50_8xb32-1x1x8-100e_kinetics400-rgb': 8 GPUs x 32 per GPU, 100
epochs, Kinetics-400). A field that contradicts the name was usually copied from a sibling.

Each rule learns the zoo's own vocabulary (which datasets its names mention, whether its names
follow their configs) instead of a list, and stays silent where the zoo does not follow the
convention it relies on.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from itertools import pairwise

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Related, Severity, hit_on
from modelindex.checks.registry import Scope, rule
from modelindex.dataset_names import dataset_key, same_dataset
from modelindex.fields import BATCH_SIZE, CONFIG, EPOCHS, IN_COLLECTION, NAME, result_field
from modelindex.links import config_file, file_name
from modelindex.schema import Model

_PART = re.compile(r"[_\-.]+")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
# Names longer than this are not split into every run of parts (bounded work per model).
_MAX_PARTS = 40
# A run of up to this many parts may spell a dataset: 'coco', 'coco-wholebody', 'ap-10k'.
_MAX_RUN = 3
# The share of a zoo's models with a Config whose Name is the config's file name, from which
# the zoo is taken to name its models after their configs.
_NAMED_AFTER_CONFIG = 0.8


def name_parts(name: str | None, limit: int | None = _MAX_PARTS) -> list[str]:
    """'tsn_r50_8xb32-100e' -> ['tsn', 'r50', '8xb32', '100e'], lower case, the first
    ``limit`` parts (bounded work on hostile names)."""
    return [part for part in _PART.split((name or "").lower()) if part][:limit]


def _runs(parts: list[str]) -> Iterator[tuple[int, str]]:
    """(end position, joined) for each run of 1 to 3 consecutive parts."""
    for start in range(len(parts)):
        for end in range(start + 1, min(start + _MAX_RUN, len(parts)) + 1):
            yield end, "".join(parts[start:end])


def _result_datasets(model: Model) -> list[tuple[int, str]]:
    return [
        (position, key)
        for position, result in enumerate(model.results)
        if (key := dataset_key(result.dataset))
    ]


def _named_datasets(context: Context) -> dict[str, str]:
    """The datasets the zoo's names mention: key -> the label results use ('kinetics400' ->
    'Kinetics-400'). A dataset counts where at least one model evaluated on it says so in its
    name; a dataset no name mentions ('Set5') is not part of the naming convention."""
    labels: dict[str, str] = {}
    for model in context.index.models:
        for result in model.results:
            key = dataset_key(result.dataset)
            if key and len(key) >= 3:
                labels.setdefault(key, result.dataset or key)
    mentioned: dict[str, str] = {}
    for model in context.index.models:
        runs = {joined for _, joined in _runs(name_parts(model.name))}
        for _, key in _result_datasets(model):
            if key in runs and key in labels:
                mentioned[key] = labels[key]
    return mentioned


def _compatible(named: str, result: str) -> bool:
    """One dataset, or one a part of the other: 'imagenet' and 'imagenet1k', 'coco' and
    'cocowholebody' (a whole-body model named '..._coco-ubody-wholebody')."""
    return same_dataset(named, result) or named.startswith(result) or result.startswith(named)


@rule("S014", "dataset-contradicts-name", Severity.ERROR, Scope.INDEX)
def dataset_contradicts_name(context: Context) -> Iterator[Hit]:
    """A model's results are on another dataset than the one its name spells.

    OpenMMLab's names end with the dataset a model is trained and evaluated on, and the zoo's
    other models show which datasets its names spell. A model called `..._coco-640x640` whose
    only results say CrowdPose, or `..._sthv2-rgb` whose results say Kinetics-400, carries a
    label copied from a sibling. Silent where any result is on a dataset the name mentions
    (a model evaluated on its own dataset and others), and for datasets no name in the zoo
    spells.
    """
    if not any(_config_stem(model) for model in context.index.models):
        return  # a zoo that does not name models after configs has no such convention
    vocabulary = context.shared(_named_datasets)
    if not vocabulary:
        return
    for model in context.index.models:
        results = _result_datasets(model)
        if not results or not _config_stem(model):
            continue  # a zoo that does not name models after configs has no such convention
        mentioned = [(end, key) for end, key in _runs(name_parts(model.name)) if key in vocabulary]
        if not mentioned:
            continue
        keys = {key for _, key in mentioned}
        if any(_compatible(key, result) for key in keys for _, result in results):
            continue
        if not all(result in vocabulary for _, result in results):
            continue  # evaluated on a dataset the zoo does not name models after
        # The last dataset a name spells is the one it is trained on ('..._k710-pre_k700').
        said = vocabulary[max(mentioned)[1]]
        position, _ = results[0]
        field = result_field(position, "Dataset")
        yield hit_on(
            model,
            field,
            f"Dataset {model.results[position].dataset} contradicts the name, which says {said}",
        )


def _collection_key(name: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", name.lower())


@rule("S015", "collection-contradicts-name", Severity.ERROR, Scope.INDEX)
def collection_contradicts_name(context: Context) -> Iterator[Hit]:
    """A model's collection is a prefix of another declared collection that its name begins with.

    `uniformerv2-base-p16_...` with `In Collection: UniFormer`, where the zoo also declares
    `UniFormerV2`: the entry was copied from the older method's metafile. The model then takes
    the wrong paper, code and architecture by inheritance. The name's first parts are what
    is compared ('uniformerv2', 'uniformer-v2').
    """
    keys = {_collection_key(name): name for name in context.collection_names if name}
    # Only a collection whose name begins another's can be the wrong one of the two.
    # Sorted, the names a key begins follow it at once.
    ordered = sorted(keys)
    shorter = {key for key, after in pairwise(ordered) if after.startswith(key)}
    if not shorter:
        return
    for model in context.index.models:
        if not model.in_collection or model.is_inherited(IN_COLLECTION):
            continue
        own = _collection_key(model.in_collection)
        if own not in shorter:
            continue
        parts = name_parts(model.name)[:_MAX_RUN]
        # The name's leading runs of parts, longest first: bounded lookups, not a scan.
        leading = ["".join(parts[:end]) for end in range(len(parts), 0, -1)]
        better = next(
            (
                keys[run]
                for run in leading
                if run in keys and len(run) > len(own) and run.startswith(own) and own
            ),
            None,
        )
        if better is not None:
            yield hit_on(
                model,
                IN_COLLECTION,
                f"In Collection {model.in_collection}, but the name says {better}, "
                "which the zoo declares",
                fix=f"In Collection: {better}",
            )


def _config_stem(model: Model) -> str | None:
    if not model.config or "://" in model.config:
        return None
    stem = config_file(model) or ""
    return stem[: -len(".py")] if stem.endswith(".py") else stem


def _named_after_configs(context: Context) -> bool:
    with_config = [model for model in context.index.models if _config_stem(model)]
    same = sum(model.name == _config_stem(model) for model in with_config)
    return bool(with_config) and same >= _NAMED_AFTER_CONFIG * len(with_config)


def _recipe(name: str, vocabulary: dict[str, str]) -> dict[str, set[str]]:
    """What a name spells of its recipe: GPUs x batch ('8xb32'), epochs ('100e'), datasets."""
    parts = name_parts(name)
    spelled: dict[str, set[str]] = {}
    for part in parts:
        if _GPUS_BY_BATCH.match(part):
            spelled.setdefault("batch", set()).add(part)
        elif _EPOCHS.match(part):
            spelled.setdefault("epochs", set()).add(part)
    datasets = {key for _, key in _runs(parts) if key in vocabulary}
    if datasets:
        spelled["dataset"] = datasets
    return spelled


def _contradiction(name: str, other: str, vocabulary: dict[str, str]) -> str | None:
    """'16xb16 where the config says 32xb16': the first recipe part on which two names differ."""
    ours, theirs = _recipe(name, vocabulary), _recipe(other, vocabulary)
    for part in ("dataset", "batch", "epochs"):
        mine, its = ours.get(part), theirs.get(part)
        if not mine or not its:
            continue
        if part == "dataset":
            if any(_compatible(a, b) for a in mine for b in its):
                continue
            mine, its = {vocabulary[key] for key in mine}, {vocabulary[key] for key in its}
        elif mine & its:
            continue
        return f"{'/'.join(sorted(mine))} where the config says {'/'.join(sorted(its))}"
    return None


@rule("S016", "config-of-other-model", Severity.ERROR, Scope.INDEX)
def config_of_other_model(context: Context) -> Iterator[Hit]:
    """A model's Config is another model's, with another dataset or recipe than its name's.

    In a zoo that names each model after its config, the SthV2 model
    `mvit-small-p244_k400-pre_16xb16-u16-100e_sthv2-rgb` pointing at
    `mvit-small-p244_32xb16-16x4x1-200e_kinetics400-rgb.py` uses the Kinetics-400 recipe: the
    path was copied from the sibling entry. Reported only where the two names contradict each
    other (dataset, GPUs x batch, epochs): a converted checkpoint run under a trained model's
    config (`deit-base_3rdparty_in1k` with `deit-base_16xb64_in1k.py`) is normal, and so is
    another evaluation of the same checkpoint.
    """
    if not context.shared(_named_after_configs):
        return
    vocabulary = context.shared(_named_datasets)
    by_name = {model.name: model for model in context.index.models if model.name}
    for model in context.index.models:
        stem = _config_stem(model)
        if not stem or not model.name or model.is_inherited(CONFIG):
            continue
        owner = by_name.get(stem)
        if owner is None or owner is model or model.name.startswith(stem):
            continue
        if model.weights and model.weights == owner.weights:
            continue
        contradiction = _contradiction(model.name, stem, vocabulary)
        if contradiction is None:
            continue
        yield hit_on(
            model,
            CONFIG,
            f"Config {file_name(model.config or '')} is the config of {owner.name}, another "
            f"checkpoint: the name says {contradiction}",
            related=(Related(owner.location(NAME), f"{owner.name}"),),
        )


@rule("S017", "name-differs-from-config", Severity.ERROR, Scope.INDEX)
def name_differs_from_config(context: Context) -> Iterator[Hit]:
    """A model's Name differs from its config's file name by one mistyped part.

    The zoo must name its models after their configs, as OpenMMLab's do.

    `td-reg_res50_8x64e-210e_wflw-256x256` for the config `td-reg_res50_8xb64-210e_wflw-
    256x256.py`, or a Name that keeps the `.py`: a typo that makes `mim download NAME` fail.
    A name that differs in more than one part, or in a part unlike the config's
    (`deit-tiny_3rdparty_in1k` for `deit-tiny_4xb256_in1k.py`, a converted checkpoint), is a
    name of its own, and is not reported.
    """
    if not context.shared(_named_after_configs):
        return
    names = {model.name for model in context.index.models}
    for model in context.index.models:
        stem = _config_stem(model)
        if not stem or not model.name or model.name == stem or stem in names:
            continue
        kept_suffix = model.name.endswith(".py")
        name = model.name[: -len(".py")] if kept_suffix else model.name
        ours, theirs = _PART.split(name), _PART.split(stem)
        if len(ours) != len(theirs):
            continue
        differing = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
        if len(differing) > 1 or not (differing or kept_suffix):
            continue
        # A typo is a small edit ('8x64e' for '8xb64'); a word in place of the recipe
        # ('deit-tiny_3rdparty_in1k' for 'deit-tiny_4xb256_in1k') names a converted
        # checkpoint run under that config, on purpose.
        if differing and not kept_suffix and _similarity(*differing[0]) < _TYPO_SIMILARITY:
            continue
        yield hit_on(
            model,
            NAME,
            f"Name {model.name} differs from its config's file name {stem}",
            fix=f"Name: {stem}",
        )


# How alike a part of a name and the config's part must be to be the same part mistyped.
_TYPO_SIMILARITY = 0.6


# A part of a recipe is short ('8xb64', '2048x100'); a longer one is not compared (difflib's
# cost grows with the cube of the length).
_MAX_PART = 32


def _similarity(part: str, other: str) -> float:
    if max(len(part), len(other)) > _MAX_PART:
        return 0.0
    return difflib.SequenceMatcher(None, part, other).ratio()


# '8xb32': 8 GPUs x 32 samples each; '100e': 100 epochs. Parts of an OpenMMLab config name.
_GPUS_BY_BATCH = re.compile(r"^(\d{1,3})xb(\d{1,4})$")
_EPOCHS = re.compile(r"^(\d{1,4})e$")


def _spelled(model: Model) -> tuple[set[int], int | None]:
    """The batch sizes the name allows (per GPU and in all) and the epochs it says."""
    batch: set[int] = set()
    epochs: set[int] = set()
    for part in name_parts(model.name):
        if match := _GPUS_BY_BATCH.match(part):
            gpus, per_gpu = int(match.group(1)), int(match.group(2))
            batch |= {per_gpu, gpus * per_gpu}
        elif match := _EPOCHS.match(part):
            epochs.add(int(match.group(1)))
    return batch, (epochs.pop() if len(epochs) == 1 else None)


@rule("S018", "metadata-contradicts-name", Severity.ERROR, Scope.INDEX)
def metadata_contradicts_name(context: Context) -> Iterator[Hit]:
    """Epochs or Batch Size contradict what the model's name spells.

    `tsn_..._32xb8-1x1x8-50e_...` trains 32 GPUs x 8 samples for 50 epochs; metadata saying
    Batch Size 32 and Epochs 100 belong to the `8xb32-100e` sibling they were copied from.
    Batch Size may be per GPU or in all, as zoos differ; only a value that is neither is
    reported, and only in a zoo where most names agree with their metadata.
    """
    # The recipe is spelled by names that follow their configs ('..._8xb32-100e_...').
    checked = [
        (model, *_spelled(model))
        for model in context.index.models
        if model.config
        and (
            (model.metadata.epochs is not None and not model.is_inherited(EPOCHS))
            or (model.metadata.batch_size is not None and not model.is_inherited(BATCH_SIZE))
        )
    ]
    contradictions: list[tuple[Model, str, str]] = []
    agreeing = 0
    for model, batch, epochs in checked:
        said: list[tuple[str, str]] = []
        declared_epochs, declared_batch = model.metadata.epochs, model.metadata.batch_size
        if model.is_inherited(EPOCHS):
            declared_epochs = None
        if model.is_inherited(BATCH_SIZE):
            declared_batch = None
        if epochs is not None and declared_epochs is not None and declared_epochs != epochs:
            said.append((EPOCHS, f"{epochs} epochs"))
        if batch and declared_batch is not None and declared_batch not in batch:
            said.append((BATCH_SIZE, f"a batch of {' or '.join(map(str, sorted(batch)))}"))
        if not (epochs is not None or batch):
            continue
        if said:
            contradictions += [(model, field, text) for field, text in said]
        else:
            agreeing += 1
    # A zoo whose names do not follow this convention says nothing here.
    if agreeing < 2 * len({id(model) for model, _, _ in contradictions}):
        return
    for model, field, text in contradictions:
        value = EPOCHS.value_of(model) if field == EPOCHS else BATCH_SIZE.value_of(model)
        yield hit_on(
            model,
            field,
            f"{field} {value} contradicts the name, which says {text}",
        )
