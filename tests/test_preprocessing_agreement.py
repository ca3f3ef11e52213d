"""Comparing a card's evaluation settings with a config's or a library's, in pixels.

The cases are timm's own: each card's Image Size, Crop Pct and Interpolation from
../shared/corpus/timm-docs against timm 1.0.31's pretrained_cfg for the same weights file.
"""

from __future__ import annotations

import pytest

from modelindex.fields import CROP_PCT, IMAGE_SIZE, INTERPOLATION
from modelindex.measurements.pretrained import PretrainedSetting, setting_for_weights
from modelindex.preprocessing_agreement import (
    CardEvaluation,
    Evaluation,
    Magnitude,
    differences,
    timm_evaluations,
)


def _timm(**values: object) -> list[Evaluation]:
    return timm_evaluations({"crop_mode": "center", **values}, {})


def test_a_crop_pct_that_rounds_to_the_same_resize_agrees() -> None:
    # xception: 299 / 0.897 = 333.3 and 299 / 0.8975 = 333.1, both resized to 333.
    card = CardEvaluation(299, 0.897, "bicubic")
    assert differences(card, _timm(image_size=299, crop_pct=0.8975, interpolation="bicubic")) == []


def test_the_test_size_and_crop_agree_as_well_as_the_training_ones() -> None:
    # efficientnet_b3a: 320 px at crop 1.0 is timm's test_input_size and test_crop_pct.
    reference = _timm(
        image_size=288,
        crop_pct=0.875,
        interpolation="bicubic",
        test_image_size=320,
        test_crop_pct=1.0,
    )
    assert differences(CardEvaluation(320, 1.0, "bicubic"), reference) == []
    assert differences(CardEvaluation(288, 0.875, "bicubic"), reference) == []


def test_a_size_that_is_neither_is_the_largest_difference_and_names_both() -> None:
    # efficientnet_b1: the card says 240; timm evaluates those weights at 224 or 256.
    reference = _timm(
        image_size=224,
        crop_pct=0.875,
        interpolation="bicubic",
        test_image_size=256,
        test_crop_pct=1.0,
    )
    [found] = differences(CardEvaluation(240, 0.875, "bicubic"), reference)
    assert (found.field, found.magnitude) == (IMAGE_SIZE, Magnitude.SIZE)
    assert found.reference == "input_size 224 or test_input_size 256"
    assert found.fix is None  # two sizes: the card's author has to choose


def test_a_one_point_crop_difference_moves_the_border_slightly() -> None:
    # resnet101d: 256 / 0.94 = 272.3 against timm's floor(256 / 0.95) = 269.
    reference = _timm(
        image_size=256,
        crop_pct=0.95,
        test_image_size=320,
        test_crop_pct=1.0,
        interpolation="bicubic",
    )
    [found] = differences(CardEvaluation(256, 0.94, "bicubic"), reference)
    assert (found.field, found.magnitude, found.fix) == (
        CROP_PCT,
        Magnitude.SLIGHT,
        "Crop Pct: 0.95",
    )
    assert "crop_pct 0.95 (a resize to 269)" in found.reference
    assert "moves 1.6 px" in found.reference  # 128 * 3.34 / 272.3


def test_a_crop_far_from_the_reference_moves_the_border_clearly() -> None:
    # regnety_032: 0.875 resizes 224 px crops to 256; timm's 0.95 to 235.
    [found] = differences(
        CardEvaluation(224, 0.875, "bicubic"),
        _timm(image_size=224, crop_pct=0.95, interpolation="bicubic"),
    )
    assert (found.field, found.magnitude) == (CROP_PCT, Magnitude.CLEAR)
    assert "moves 9.2 px" in found.reference


@pytest.mark.parametrize(
    ("ours", "theirs", "magnitude"),
    [("bilinear", "bicubic", Magnitude.SLIGHT), ("nearest", "bicubic", Magnitude.CLEAR)],
)
def test_another_filter(ours: str, theirs: str, magnitude: Magnitude) -> None:
    [found] = differences(
        CardEvaluation(224, 0.875, ours),
        _timm(image_size=224, crop_pct=0.875, interpolation=theirs),
    )
    assert (found.field, found.magnitude, found.fix) == (
        INTERPOLATION,
        magnitude,
        f"Interpolation: {theirs}",
    )


def test_opencv_names_are_the_same_filters() -> None:
    config = Evaluation(size=224, resize=256, interpolation="linear")
    assert differences(CardEvaluation(224, 0.875, "bilinear"), [config]) == []


def test_a_squashed_reference_is_not_compared_by_crop_pct() -> None:
    # timm's "squash" resizes both sides: a center crop's resize says nothing of it.
    reference = timm_evaluations(
        {"image_size": 224, "crop_pct": 1.0, "crop_mode": "squash", "interpolation": "bicubic"}, {}
    )
    assert differences(CardEvaluation(224, 0.875, "bicubic"), reference) == []


def test_a_card_without_a_size_is_compared_at_the_reference_size() -> None:
    [found] = differences(
        CardEvaluation(None, 0.875, None), [Evaluation(size=224, resize=235, interpolation=None)]
    )
    assert found.field == CROP_PCT
    assert found.fix == "Crop Pct: 0.95"  # the shortest crop pct that resizes 224 to 235


def test_a_config_resize_gives_the_crop_pct_to_fix_with() -> None:
    [found] = differences(
        CardEvaluation(224, 0.9, "bilinear"),
        [Evaluation(size=224, resize=256, interpolation="bilinear")],
    )
    assert found.fix == "Crop Pct: 0.875"


def test_the_nearest_evaluation_is_the_one_compared() -> None:
    # Of train (224, 0.95) and test (288, 1.0), a 224 px card is held to the train crop.
    reference = _timm(image_size=224, crop_pct=0.95, test_image_size=288, test_crop_pct=1.0)
    [found] = differences(CardEvaluation(224, 0.875, None), reference)
    assert "crop_pct 0.95" in found.reference


def test_weights_are_matched_by_file_name_or_hub_repository_and_only_once() -> None:
    settings = (
        PretrainedSetting("resnet34.bt_in1k", ("resnet34-43635321.pth",), "timm/resnet34.bt_in1k"),
        PretrainedSetting("resnet34.tv_in1k", ("resnet34-b627a593.pth",), "timm/resnet34.tv_in1k"),
    )
    github = "https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-weights/"
    assert setting_for_weights(settings, github + "resnet34-43635321.pth").tag == "resnet34.bt_in1k"
    hub = "https://huggingface.co/timm/resnet34.tv_in1k/resolve/main/model.safetensors"
    assert setting_for_weights(settings, hub).tag == "resnet34.tv_in1k"
    assert setting_for_weights(settings, "https://example.org/resnet34.pth") is None
    assert setting_for_weights(settings, "https://huggingface.co/timm/resnet50.a1_in1k") is None
    twice = (*settings, PretrainedSetting("copy", ("resnet34-43635321.pth",)))
    assert setting_for_weights(twice, github + "resnet34-43635321.pth") is None


def test_a_hand_edited_record_is_read_as_far_as_it_is_sound() -> None:
    entry = {
        "tag": "x.a",
        "files": ["x.pth", 3],
        "image_size": 10**9,
        "crop_pct": "0.9",
        "interpolation": "<script>",
        "test_crop_pct": 0.95,
    }
    setting = PretrainedSetting.from_data(entry)
    assert setting == PretrainedSetting("x.a", ("x.pth",), test_crop_pct=0.95)
    assert PretrainedSetting.from_data({"files": []}) is None
