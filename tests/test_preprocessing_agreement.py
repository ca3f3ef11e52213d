"""Comparing a card's evaluation settings with a config's or a library's, in pixels.

The cases are timm's own: each card's Image Size, Crop Pct and Interpolation from
../shared/corpus/timm-docs against timm 1.0.31's pretrained_cfg for the same weights file.
"""

from __future__ import annotations

import math

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
    # resnet101d: floor(256 / 0.94) = 272 against timm's floor(256 / 0.95) = 269.
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
    assert "moves 1.4 px" in found.reference  # 128 * (272 - 269) / 272


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


def test_a_resize_no_rounding_gives_is_reported() -> None:
    # 299 / 0.9 = 332.2: rounded down or to the nearest, 332, not 333.
    [found] = differences(CardEvaluation(299, 0.9, None), [Evaluation(299, 333, None)])
    assert found.field == CROP_PCT and found.magnitude is Magnitude.SLIGHT
    # 299 / 0.8975 = 333.15 and 299 / 0.8965 = 333.5: 333 rounds either way from them.
    for crop_pct in (0.8975, 0.8965):
        assert differences(CardEvaluation(299, crop_pct, None), [Evaluation(299, 333, None)]) == []


def test_two_pixels_is_clear_despite_floating_point() -> None:
    # floor(224 / 0.875) = 256 against 260: 112 * 4 / 256 = 1.75 px; against 261, 2.19 px.
    assert (
        differences(CardEvaluation(224, 0.875, None), [Evaluation(224, 260, None)])[0].magnitude
        is Magnitude.SLIGHT
    )
    # floor(256 / 1.0) = 256 against 260: 128 * 4 / 256 = exactly 2 px.
    [found] = differences(CardEvaluation(256, 1.0, None), [Evaluation(256, 260, None)])
    assert found.magnitude is Magnitude.CLEAR and "moves 2.0 px" in found.reference


@pytest.mark.parametrize("size", [None, 0, -224, 10**9])
def test_a_card_without_a_usable_size_is_held_to_the_evaluation_that_resizes(
    size: int | None,
) -> None:
    # A training size says nothing of a card's crop or filter: the test evaluation decides.
    test = Evaluation(size=224, resize=256, interpolation="bicubic")
    trained = Evaluation(size=192, resize=None, interpolation=None)
    found = differences(CardEvaluation(size, 0.5, "nearest"), [test, trained])
    assert [(f.field, f.magnitude) for f in found] == [
        (CROP_PCT, Magnitude.CLEAR),
        (INTERPOLATION, Magnitude.CLEAR),
    ]


@pytest.mark.parametrize("crop_pct", [0.0, -1.0, 1.5])
def test_a_crop_pct_out_of_range_is_left_to_s006(crop_pct: float) -> None:
    assert differences(CardEvaluation(224, crop_pct, None), [Evaluation(224, 256, None)]) == []


@pytest.mark.parametrize(
    ("written", "found"), [(" Bicubic ", None), ("lanczos4", "lanczos"), ("cubic", None)]
)
def test_filters_are_compared_by_what_they_are(written: str, found: str | None) -> None:
    hits = differences(CardEvaluation(224, None, "lanczos"), [Evaluation(224, 256, written)])
    if found is None:
        assert [h.field for h in hits] == [INTERPOLATION]  # bicubic is not lanczos
    else:
        assert hits == []


def test_the_nearest_evaluation_is_chosen_by_magnitude_first() -> None:
    # One evaluation differs in two slight ways, the other in one clear way: the slight wins.
    slight = Evaluation(size=224, resize=258, interpolation="bilinear")
    clear = Evaluation(size=224, resize=256, interpolation="nearest")
    found = differences(CardEvaluation(224, 0.875, "bicubic"), [clear, slight])
    assert {f.magnitude for f in found} == {Magnitude.SLIGHT} and len(found) == 2


def test_a_fix_reproduces_the_resize_rounded_down() -> None:
    for size in range(64, 641, 7):
        for resize in range(size, int(size / 0.75), 3):
            [found] = differences(
                CardEvaluation(size, size / (resize + 9), None), [Evaluation(size, resize, None)]
            ) or [None]
            if found is None:
                continue
            crop_pct = float(found.fix.removeprefix("Crop Pct: "))
            assert math.floor(size / crop_pct + 1e-9) == resize, (size, resize, found.fix)
    # Rounded to the nearest, 299 / 333 is 0.897898, which resizes to 332.
    [found] = differences(CardEvaluation(299, 0.8, None), [Evaluation(299, 333, None)])
    assert found.fix == "Crop Pct: 0.897"


def test_one_size_said_twice_is_said_once() -> None:
    # timm's fasternet tags: a test_crop_pct and no test_input_size.
    reference = _timm(image_size=224, crop_pct=0.9, test_crop_pct=1.0)
    [found] = differences(CardEvaluation(256, None, None), reference)
    assert found.reference == "input_size 224" and len(found.compared) == 1
    assert found.fix == "Image Size: 224"


@pytest.mark.parametrize(
    "url",
    [
        "https://hf.co/timm/resnet34.tv_in1k",
        "https://huggingface.co/timm/resnet34.tv_in1k/",
        "https://download.pytorch.org/models/resnet34-b627a593.pth?download=1#x",
    ],
)
def test_hub_hosts_and_decorated_urls_match(url: str) -> None:
    setting = PretrainedSetting(
        "resnet34.tv_in1k", ("resnet34-b627a593.pth",), "timm/resnet34.tv_in1k"
    )
    assert setting.names_weights(url)


@pytest.mark.parametrize("url", ["https://[::1", "http://[xyz]/a.pth", "", "not a url"])
def test_a_url_that_does_not_parse_names_no_weights(url: str) -> None:
    setting = PretrainedSetting("x.a", ("a.pth",), "timm/x.a")
    assert setting.names_weights(url) is False
