"""Preprocessing from the files a Hugging Face repository keeps beside its card: timm's
config.json and transformers' preprocessor_config.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import modelindex
from tests.conftest import line_of

CARD = """\
---
model-index:
- name: net
  results:
  - task: {type: image-classification}
    dataset: {type: imagenet-1k, name: ImageNet}
    metrics: [{type: accuracy, value: 81.1}]
---
# net
"""


def _preprocessing(write, files: dict[str, str]) -> modelindex.Preprocessing:
    card = write("net/README.md", CARD)
    for name, text in files.items():
        write(f"net/{name}", text)
    return modelindex.load(card)["net"].preprocessing


def test_timms_pretrained_cfg_beside_a_card(write, tmp_path: Path) -> None:
    config = {
        "architecture": "vit_base_patch16_224",
        "pretrained_cfg": {
            "input_size": [3, 224, 224],
            "crop_pct": 0.9,
            "interpolation": "bicubic",
            "mean": [0.5, 0.5, 0.5],
            "std": [0.5, 0.5, 0.5],
            "test_input_size": [3, 256, 256],
        },
    }
    found = _preprocessing(write, {"config.json": json.dumps(config, indent=2)})
    assert (found.image_size, found.crop_pct, found.interpolation) == (224, 0.9, "bicubic")
    assert (found.resize_size, found.test_image_size) == (248, 256)
    line = line_of(tmp_path / "net" / "config.json", '"crop_pct"')
    assert found.sources["crop_pct"] == f"{tmp_path / 'net' / 'config.json'}:{line}"


def test_transformers_preprocessor_config_beside_a_card(write) -> None:
    processor = {
        "do_resize": True,
        "size": {"shortest_edge": 256},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": 224, "width": 224},
        "do_normalize": True,
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
    }
    found = _preprocessing(write, {"preprocessor_config.json": json.dumps(processor, indent=2)})
    assert (found.resize, found.resize_size, found.crop_size) == ("short edge 256", 256, 224)
    assert found.interpolation == "bicubic"
    assert found.mean == (0.485, 0.456, 0.406)


def test_a_bare_integer_size_is_not_claimed(write) -> None:
    # ViT's processor resizes both sides to it, DeiT's the short edge: the class decides.
    found = _preprocessing(write, {"preprocessor_config.json": '{"size": 224, "resample": 2}'})
    assert found.resize is None and found.interpolation == "bilinear"


def test_a_bad_file_beside_a_card_is_a_problem_with_its_line(write, tmp_path: Path) -> None:
    found = _preprocessing(write, {"config.json": '{\n  "pretrained_cfg": {\n    "crop_pct": ,\n}'})
    assert found.crop_pct is None
    assert any("config.json:3" in problem for problem in found.problems)
    big = _preprocessing(write, {"config.json": " " * 1_000_001})
    assert any("larger than" in problem for problem in big.problems)
    os.remove(tmp_path / "net" / "config.json")
    os.mkfifo(tmp_path / "net" / "config.json")
    fifo = modelindex.load(tmp_path / "net" / "README.md")["net"].preprocessing
    assert any("not a regular file" in problem for problem in fifo.problems)


def test_resizes_by_a_processors_own_rule_are_not_claimed(write) -> None:
    capped = '{"size": {"shortest_edge": 800, "longest_edge": 1333}, "resample": 2}'
    assert _preprocessing(write, {"preprocessor_config.json": capped}).resize is None
    convnext = '{"size": {"shortest_edge": 224}, "crop_pct": 0.875, "resample": 3}'
    assert _preprocessing(write, {"preprocessor_config.json": convnext}).resize is None


def test_json_numbers_and_repeated_keys_are_read_as_json_reads_them(write) -> None:
    config = '{"pretrained_cfg": {"crop_pct": 0.5, "crop_pct": 9e-1, "input_size": [3, 224, 224]}}'
    found = _preprocessing(write, {"config.json": config})
    assert found.crop_pct == 0.9  # JSON's last value, where YAML 1.1 reads 9e-1 as text
    assert any("crop_pct" in problem for problem in found.problems)


def test_an_interpolation_that_is_no_filter_is_not_claimed(write) -> None:
    config = '{"pretrained_cfg": {"interpolation": "a\\u0000b", "crop_mode": "sideways"}}'
    found = _preprocessing(write, {"config.json": config})
    assert found.interpolation is None and found.crop_mode is None
