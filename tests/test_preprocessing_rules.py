"""E001-E004: a card's Image Size, Crop Pct and Interpolation against the model's own config
and against timm's pretrained_cfg for the same weights, as verify records it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import Report, Settings, validate
from modelindex.measurements.cache import cache_key
from modelindex.measurements.references import references_for
from tests.conftest import FIXTURES, line_of

MMPRETRAIN = FIXTURES / "mmpretrain-1.2.0"
CONFIG = "configs/resnet/resnet50_8xb32_in1k.py"
RELEASES = "https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-weights/"


def _openmmlab_card(tmp_path: Path, metadata: str) -> Path:
    shutil.copytree(MMPRETRAIN / "configs", tmp_path / "configs")
    card = tmp_path / "model-index.yml"
    card.write_text(
        "Models:\n"
        "  - Name: resnet50_8xb32_in1k\n"
        f"    Config: {CONFIG}\n"
        "    Metadata:\n"
        f"{metadata}"
        "    Weights: https://download.openmmlab.com/r50.pth\n",
        encoding="utf-8",
    )
    return card


def _check(path: Path, measurements: Path | None = None) -> Report:
    cache = measurements or path.parent / "no-measurements.json"
    return validate(modelindex.load(path), Settings(measurements=cache, select=("E",)))


def test_an_image_size_its_config_does_not_crop_to_is_an_error(tmp_path: Path) -> None:
    card = _openmmlab_card(tmp_path, "      Image Size: 256\n")
    [finding] = _check(card).findings
    base = tmp_path / "configs/_base_/datasets/imagenet_bs32.py"
    crop_line = line_of(base, "dict(type='CenterCrop', crop_size=224)")
    assert (finding.code, finding.severity, finding.line) == ("E001", "error", 5)
    assert finding.message == (
        f"Image Size 256 differs from its config {CONFIG}: 224 px in its test pipeline"
    )
    assert finding.fix == "Image Size: 224"
    [related] = finding.related
    assert (related.location.path, related.location.line) == (str(base), crop_line)


def test_a_crop_pct_and_filter_are_graded_by_how_much_they_move_the_pixels(
    tmp_path: Path,
) -> None:
    card = _openmmlab_card(
        tmp_path, "      Image Size: 224\n      Crop Pct: 0.9\n      Interpolation: bicubic\n"
    )
    findings = {f.code: f for f in _check(card).findings}
    assert set(findings) == {"E002", "E004"}
    crop, interpolation = findings["E002"], findings["E004"]
    # 224 / 0.9 resizes to 248; the config resizes the short edge to 256: 3.6 px at the border.
    assert (crop.field, crop.line, crop.fix) == ("Crop Pct", 6, "Crop Pct: 0.875")
    assert "a resize of the short edge to 256: the content at the crop's border moves 3.6 px" in (
        crop.message
    )
    assert (interpolation.field, interpolation.severity) == ("Interpolation", "info")
    assert interpolation.message.endswith("bilinear (the transform's default)")


def test_a_card_that_says_what_its_config_does_has_no_finding(tmp_path: Path) -> None:
    card = _openmmlab_card(
        tmp_path, "      Image Size: 224\n      Crop Pct: 0.875\n      Interpolation: bilinear\n"
    )
    assert _check(card).findings == []


def _timm_card(tmp_path: Path, weights: str, metadata: str) -> Path:
    card = tmp_path / "zoo" / "model-index.yml"
    card.parent.mkdir()
    card.write_text(
        "Models:\n"
        "  - Name: resnet34\n"
        "    Metadata:\n"
        f"{metadata}"
        f"    Weights: {weights}\n"
        "    Results:\n"
        "      - Task: Image Classification\n"
        "        Dataset: ImageNet\n"
        "        Metrics: {Top 1 Accuracy: 75.1}\n",
        encoding="utf-8",
    )
    return card


# timm 1.0.31's resnet34 tags as verify records them (two of seven).
_RESNET34_TAGS = [
    {
        "tag": "resnet34.bt_in1k",
        "files": ["resnet34-43635321.pth"],
        "hub_id": "timm/resnet34.bt_in1k",
        "image_size": 224,
        "crop_pct": 0.875,
        "interpolation": "bicubic",
        "crop_mode": "center",
        "test_image_size": 288,
        "test_crop_pct": 0.95,
    },
    {
        "tag": "resnet34.tv_in1k",
        "files": ["resnet34-b627a593.pth"],
        "hub_id": "timm/resnet34.tv_in1k",
        "image_size": 224,
        "crop_pct": 0.875,
        "interpolation": "bilinear",
        "crop_mode": "center",
    },
]


def _measurements(card: Path, pretrained: list[dict[str, object]] | None) -> Path:
    [reference] = references_for(modelindex.load(card)["resnet34"])
    entry: dict[str, object] = {
        "reference": "resnet34",
        "library_version": "1.0.31",
        "parameters": 21_797_672,
        "buffers": 0,
        "tensors": 110,
        "state_dict_bytes": 87_300_000,
        "state_dict_bytes_fp16": 43_700_000,
        "macs": 3_600_000_000,
        "mmcv_flops": 3_600_000_000,
        "seconds": 0.5,
    }
    if pretrained is not None:
        entry["pretrained"] = pretrained
    path = card.parent.parent / "measurements.json"
    key = cache_key("resnet34", reference, "1.0.31")
    path.write_text(json.dumps({"format": 1, "entries": {key: entry}}), encoding="utf-8")
    return path


def test_timms_settings_for_the_same_weights_file(tmp_path: Path) -> None:
    card = _timm_card(
        tmp_path,
        RELEASES + "resnet34-43635321.pth",
        "      Image Size: 224\n      Crop Pct: 0.875\n      Interpolation: bilinear\n",
    )
    measurements = _measurements(card, _RESNET34_TAGS)
    [finding] = _check(card, measurements).findings
    assert (finding.code, finding.severity, finding.field) == ("E004", "info", "Interpolation")
    assert finding.message == (
        "Interpolation bilinear differs from timm 1.0.31's pretrained_cfg of resnet34.bt_in1k: "
        "interpolation bicubic"
    )
    assert finding.related[0].location.path == str(measurements)
    assert finding.fix is None  # timm's current setting is no repair of the card's own


def test_the_comparison_with_timm_does_not_depend_on_the_measured_size(tmp_path: Path) -> None:
    # verify measured the card at 224 px; the card now says 256: the tags are the same.
    card = _timm_card(tmp_path, RELEASES + "resnet34-43635321.pth", "      Image Size: 224\n")
    measurements = _measurements(card, _RESNET34_TAGS)
    card.write_text(card.read_text().replace("Image Size: 224", "Image Size: 256"))
    [finding] = _check(card, measurements).findings
    assert finding.code == "E003" and "input_size 224 or test_input_size 288" in finding.message


def test_a_url_that_does_not_parse_costs_only_its_own_model(tmp_path: Path) -> None:
    card = _timm_card(
        tmp_path, RELEASES + "resnet34-43635321.pth", "      Interpolation: nearest\n"
    )
    measurements = _measurements(card, _RESNET34_TAGS)
    text = card.read_text()
    # The same model again, measured as well, with a Weights URL that urllib refuses.
    broken = text.replace(RELEASES + "resnet34-43635321.pth", "https://[::1")
    card.write_text(text + broken.split("Models:\n", 1)[1])
    findings = _check(card, measurements).findings
    assert [(f.code, f.line) for f in findings] == [("E003", 4)]


def test_a_size_timm_uses_for_neither_training_nor_test_is_a_warning(tmp_path: Path) -> None:
    card = _timm_card(
        tmp_path, RELEASES + "resnet34-43635321.pth", "      Image Size: 256\n      Crop Pct: 1\n"
    )
    [finding] = _check(card, _measurements(card, _RESNET34_TAGS)).findings
    assert (finding.code, finding.severity) == ("E003", "warning")
    assert finding.message.endswith("input_size 224 or test_input_size 288")


def test_another_tags_weights_are_held_to_that_tags_settings(tmp_path: Path) -> None:
    # torchvision's resnet34 weights: timm evaluates them with bilinear resizing.
    card = _timm_card(
        tmp_path,
        "https://download.pytorch.org/models/resnet34-b627a593.pth",
        "      Image Size: 224\n      Crop Pct: 0.875\n      Interpolation: bilinear\n",
    )
    assert _check(card, _measurements(card, _RESNET34_TAGS)).findings == []


@pytest.mark.parametrize(
    "weights", [RELEASES + "resnet34-unknown.pth", "https://huggingface.co/timm/resnet50.a1_in1k"]
)
def test_weights_timm_does_not_publish_are_not_compared(tmp_path: Path, weights: str) -> None:
    card = _timm_card(tmp_path, weights, "      Image Size: 256\n")
    assert _check(card, _measurements(card, _RESNET34_TAGS)).findings == []


def test_a_cache_written_before_the_settings_were_recorded_says_nothing(tmp_path: Path) -> None:
    card = _timm_card(tmp_path, RELEASES + "resnet34-43635321.pth", "      Image Size: 256\n")
    assert _check(card, _measurements(card, None)).findings == []


# mmaction2's TSM on MobileNetV2: trained at 224 px, tested on three 256 px crops. Its
# README's resolution column says 224x224: the training size, which cards may give too.
_TRAINED_SMALLER = """\
train_pipeline = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
]
test_pipeline = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='ThreeCrop', crop_size=256),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(data_preprocessor=dict(type='ActionDataPreprocessor'))
"""


@pytest.mark.parametrize(("size", "codes"), [(224, []), (256, []), (200, ["E001"])])
def test_a_card_may_give_the_training_size_or_the_test_size(
    write, size: int, codes: list[str]
) -> None:
    config = write("configs/tsm.py", _TRAINED_SMALLER)
    card = write(
        "model-index.yml",
        f"Models:\n  - Name: tsm\n    Config: configs/tsm.py\n    Metadata: {{Image Size: {size}}}\n",
    )
    findings = _check(card).findings
    assert [f.code for f in findings] == codes
    if findings:
        [finding] = findings
        assert finding.message.endswith(
            "256 px in its test pipeline or 224 px in its training pipeline"
        )
        assert finding.fix is None  # two sizes: the card's author has to choose
        assert [(r.location.path, r.location.line) for r in finding.related] == [
            (str(config), 8),
            (str(config), 4),
        ]


@pytest.mark.parametrize(
    "train",
    [
        # A resize that keeps the ratio ends at no fixed size: the last known one is not it.
        "train_pipeline = [dict(type='RandomCrop', crop_size=200),"
        " dict(type='Resize', scale=(256, 256), keep_ratio=True)]\n",
        # No training dataloader: the top-level train_pipeline is the training pipeline.
        "train_pipeline = [dict(type='RandomResizedCrop', scale=192)]\n",
    ],
)
def test_the_training_size_is_read_where_it_is_fixed(write, train: str) -> None:
    write(
        "configs/net.py",
        train
        + "test_pipeline = [dict(type='ResizeEdge', scale=256), dict(type='CenterCrop', crop_size=224)]\n",
    )
    card = write(
        "model-index.yml",
        "Models:\n  - Name: net\n    Config: configs/net.py\n    Metadata: {Image Size: 192}\n",
    )
    codes = [f.code for f in _check(card).findings]
    assert codes == ([] if "RandomResizedCrop" in train else ["E001"])


def test_an_unreadable_config_is_no_finding(tmp_path: Path) -> None:
    card = _openmmlab_card(tmp_path, "      Image Size: 256\n")
    os.remove(tmp_path / "configs/_base_/datasets/imagenet_bs32.py")
    assert _check(card).findings == []
