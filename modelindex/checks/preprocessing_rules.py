"""Rules on a card's preprocessing: its Image Size, Crop Pct and Interpolation against the
model's own config, and against the reference library's ``pretrained_cfg`` for the same
weights.

The config is an OpenMMLab config, read as data (never run) through the model's ``Config``.
timm's ``pretrained_cfg`` comes from the measurement cache, where ``modelindex verify``
records each measured architecture's pretrained tags with their weights: validate needs no
torch. A card is matched to the tag of the same weights file or Hub repository, never by its
name alone (timm's ``resnet50`` tag is not the weights of a 2021 card named resnet50).
How loud a difference is follows from how much it changes the network's input (see
:mod:`modelindex.preprocessing_agreement`); a difference from the model's own config is one
step louder than from a library that may have re-tuned its settings for the same weights.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Related, Severity
from modelindex.checks.registry import Scope, rule
from modelindex.measurements.pretrained import setting_for_weights
from modelindex.measurements.references import TIMM, references_for
from modelindex.model_preprocessing import config_preprocessing
from modelindex.openmmlab.config_reader import ConfigError
from modelindex.openmmlab.pipeline import CROPPING, PipelinePreprocessing
from modelindex.preprocessing_agreement import (
    CardEvaluation,
    Difference,
    Evaluation,
    Magnitude,
    differences,
    timm_evaluations,
)
from modelindex.schema import Location, Model

CONFIG = "config"
REFERENCE = "reference"


@dataclass(frozen=True)
class _Disagreement:
    model: Model
    difference: Difference
    against: str
    """CONFIG or REFERENCE."""
    source: str
    """"its config configs/...py", "timm 1.0.31's pretrained_cfg of resnet34.bt_in1k"."""
    where: Location
    """Where the source is: the config's line, or the measurement cache."""


def _card(model: Model) -> CardEvaluation | None:
    metadata = model.metadata
    card = CardEvaluation(metadata.image_size, metadata.crop_pct, metadata.interpolation)
    return card if any(v is not None for v in vars(card).values()) else None


def _config_evaluations(model: Model) -> list[Evaluation]:
    """How the model's own OpenMMLab config evaluates it, where its test pipeline says; and
    the size it trains at, where that differs (a card may give either, as timm's do)."""
    if not (model.config_path and model.config_root and os.path.isfile(model.config_path)):
        return []
    found = config_preprocessing(model.config_path, model.config_root)
    if isinstance(found, ConfigError) or found.input_size is None:
        return []
    height, width = found.input_size
    if height != width:
        return []  # a card's Image Size is square: it cannot say 256x192
    test = _test_evaluation(found, height)
    train = found.train_input_size
    if train is None or train[0] != train[1] or train[0] == height:
        return [test]
    trained = Evaluation(
        size=train[0],
        resize=None,
        interpolation=None,
        said={"size": "{size} px in its training pipeline"},
        where={"size": Location(*found.sources["train_size"])}
        if "train_size" in found.sources
        else None,
    )
    return [test, trained]


def _test_evaluation(found: PipelinePreprocessing, height: int) -> Evaluation:
    # A short-edge resize followed by a center crop is what a crop pct describes.
    centered = found.crop_mode == CROPPING["CenterCrop"] and found.resize_size is not None
    default = " (the transform's default)" if "interpolation" in found.defaults else ""
    # The size is the crop's, else that of a resize to a fixed size.
    size_key = "crop" if "crop" in found.sources else "resize"
    places = (("size", size_key), ("resize", "resize"), ("interpolation", "interpolation"))
    return Evaluation(
        size=height,
        resize=found.resize_size if centered else None,
        interpolation=found.interpolation,
        said={
            "size": "{size} px in its test pipeline",
            "resize": "a resize of the short edge to {resize}",
            "interpolation": "{interpolation}" + default,
        },
        where={
            value: Location(*found.sources[key]) for value, key in places if key in found.sources
        },
    )


def _timm_setting(context: Context, model: Model) -> tuple[list[Evaluation], str] | None:
    """timm's evaluations of the tag with the card's weights, and which tag that is."""
    cache = context.measurements
    if cache is None or not model.name or not model.weights:
        return None
    for reference in references_for(model):
        if reference.library != TIMM:
            continue
        measured = cache.latest_pretrained(model.name, reference)
        if measured is None or not measured.pretrained:
            return None
        setting = setting_for_weights(measured.pretrained, model.weights)
        if setting is None:
            return None
        return timm_evaluations(asdict(setting), {}), setting.describe(measured.library_version)
    return None


def _disagreements(context: Context) -> list[_Disagreement]:
    found = []
    for model in context.index.models:
        card = _card(model)
        if card is None:
            continue
        config = _config_evaluations(model)
        if config:
            where = Location(model.config_path or "", None)
            source = f"its config {model.config}"
            found += [
                _Disagreement(model, difference, CONFIG, source, where)
                for difference in differences(card, config)
            ]
        timm = _timm_setting(context, model)
        if timm is not None and context.measurements is not None:
            where = Location(str(context.measurements.path), None)
            found += [
                _Disagreement(model, difference, REFERENCE, timm[1], where)
                for difference in differences(card, timm[0])
            ]
    return found


def _hits(context: Context, against: str, magnitudes: set[Magnitude]) -> Iterator[Hit]:
    for found in context.shared(_disagreements):
        if found.against != against or found.difference.magnitude not in magnitudes:
            continue
        difference, model, value = found.difference, found.model, found.difference.value
        related = tuple(
            Related(
                evaluation.location(value) or found.where,
                f"{found.source}: {evaluation.say(value)}",
            )
            for evaluation in difference.compared
        )
        yield Hit(
            model.location(difference.field),
            f"{difference.card} differs from {found.source}: {difference.reference}",
            model=model.name,
            field=difference.field,
            related=related,
            # timm's current value is no repair of a card that records the settings its
            # accuracy was measured with: only the zoo's own config is.
            fix=difference.fix if found.against == CONFIG else None,
        )


@rule("E001", "input-size-differs-from-config", Severity.ERROR, Scope.INDEX, local=True)
def input_size_differs_from_config(context: Context) -> Iterator[Hit]:
    """Image Size is neither the test nor the training input size of the model's own config.

    The config is what the zoo evaluated the model with: its test pipeline's crop (or fixed
    resize) is the size the network sees. Cards give that size, or the one the model trained
    at (mmaction2's TSM on MobileNetV2 trains at 224 px and tests on three 256 px crops; its
    README says 224x224), so either agrees. Any other size describes another evaluation,
    every pixel and the resolution different, whose accuracy the config cannot reproduce.
    The config's lines are given, and the size as a fix where there is one.
    """
    yield from _hits(context, CONFIG, {Magnitude.SIZE})


@rule("E002", "preprocessing-differs-from-config", Severity.WARNING, Scope.INDEX, local=True)
def preprocessing_differs_from_config(context: Context) -> Iterator[Hit]:
    """Crop Pct or Interpolation clearly changes the pixels the model's own config gives.

    The card's crop pct resizes to ``Image Size / Crop Pct`` before the crop; where the
    config's test pipeline resizes its short edge elsewhere, the content at the crop's border
    moves. 2 px or more is reported here, less as E004; so is nearest-neighbour resampling
    where the config smooths, or the reverse.
    """
    yield from _hits(context, CONFIG, {Magnitude.CLEAR})


@rule("E003", "preprocessing-differs-from-reference", Severity.WARNING, Scope.INDEX, local=True)
def preprocessing_differs_from_reference(context: Context) -> Iterator[Hit]:
    """Image Size, Crop Pct or Interpolation clearly differ from timm's for the same weights.

    `modelindex verify` records timm's `pretrained_cfg` of every tag of a measured
    architecture; the card is compared with the tag whose weights file (or Hub repository) its
    Weights URL names, at timm's training size or its `test_input_size` with
    `test_crop_pct`. An Image Size that is neither, content that moves 2 px or more at the
    crop's border, or nearest-neighbour resampling against a smoothing filter is reported:
    timm evaluates these weights otherwise, so a user who follows timm gets other numbers
    than the card. timm's efficientnet_b1 card says 240 px; timm 1.0 evaluates those weights
    at 224 or 256. A warning, not an error: a library may re-tune its settings for weights
    it already published, and the card may record the older ones.
    """
    yield from _hits(context, REFERENCE, {Magnitude.SIZE, Magnitude.CLEAR})


@rule("E004", "preprocessing-slightly-differs", Severity.INFO, Scope.INDEX, local=True)
def preprocessing_slightly_differs(context: Context) -> Iterator[Hit]:
    """Crop Pct or Interpolation change the evaluated pixels slightly from the config's or timm's.

    The content at the crop's border moves less than 2 px (timm's resnet101d card says crop
    pct 0.94 where timm says 0.95: 1.4 px), or one smoothing filter stands for another
    (bilinear for bicubic). Worth aligning, rarely worth more than a tenth of a point of
    accuracy. A crop pct that gives the same resize after rounding (0.897 and 0.8975 at
    299 px) is no difference at all and is not reported.
    """
    for against in (CONFIG, REFERENCE):
        yield from _hits(context, against, {Magnitude.SLIGHT})
