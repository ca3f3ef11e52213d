"""OpenMMLab configs read as data: inheritance, merging, the test pipeline, and the
preprocessing a model gets from its config. No config is ever run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import modelindex
from modelindex.cli import main
from modelindex.openmmlab.config_reader import ConfigError, Unknown, read_config
from modelindex.openmmlab.pipeline import read_pipeline
from tests.conftest import FIXTURES, line_of

MMPRETRAIN = FIXTURES / "mmpretrain-1.2.0"
DATASET_BASE = MMPRETRAIN / "configs" / "_base_" / "datasets" / "imagenet_bs32.py"


def test_show_prints_the_configs_preprocessing_with_its_lines(capsys) -> None:
    assert main(["show", "resnet50_8xb32_in1k", str(MMPRETRAIN)]) == 0
    out = capsys.readouterr().out
    resize_line = line_of(DATASET_BASE, "dict(type='ResizeEdge', scale=256, edge='short')")
    crop_line = line_of(DATASET_BASE, "dict(type='CenterCrop', crop_size=224)")
    mean_line = line_of(DATASET_BASE, "mean=[123.675, 116.28, 103.53]")
    std_line = line_of(DATASET_BASE, "std=[58.395, 57.12, 57.375]")
    base = os.path.normpath(DATASET_BASE)
    assert f"resize                short edge 256  ({base}:{resize_line})" in out
    assert f"crop                  224x224  ({base}:{crop_line})" in out
    assert (
        f"interpolation         bilinear  ({base}:{resize_line} (the transform's default))" in out
    )
    assert f"mean                  123.675, 116.28, 103.53  ({base}:{mean_line})" in out
    assert f"std                   58.395, 57.12, 57.375  ({base}:{std_line})" in out


def test_the_api_gives_the_configs_preprocessing_as_values_and_steps() -> None:
    preprocessing = modelindex.load(MMPRETRAIN)["resnet50_8xb32_in1k"].preprocessing
    assert (preprocessing.resize_size, preprocessing.crop_size) == (256, 224)
    assert preprocessing.interpolation == "bilinear"
    assert preprocessing.mean == (123.675, 116.28, 103.53)
    assert [step["op"] for step in preprocessing.steps] == ["resize", "crop", "normalize"]


def test_a_cards_own_values_come_first(write) -> None:
    write("configs/net.py", _CONFIG)
    card = write(
        "model-index.yml",
        "Models:\n- Name: net\n  Config: configs/net.py\n  Metadata: {Interpolation: bicubic}\n",
    )
    preprocessing = modelindex.load(card)["net"].preprocessing
    assert preprocessing.interpolation == "bicubic"
    assert preprocessing.sources["interpolation"] == f"{card}:4"
    assert preprocessing.mean == (1.0, 2.0, 3.0)


_CONFIG = """\
model = dict(data_preprocessor=dict(mean=[1, 2, 3], std=[4, 5, 6]))
test_pipeline = [
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
]
"""


def test_no_config_is_ever_run(write, tmp_path: Path) -> None:
    target = tmp_path / "ran"
    hostile = f"""\
import os
open({str(target)!r}, 'w').write('ran')
__import__('os').system('touch ' + {str(target)!r})
model = dict(data_preprocessor=dict(mean=[1, 2, 3], std=[4, 5, 6]))
for _ in range(1):
    open({str(target)!r}, 'w')
test_pipeline = [dict(type='Resize', scale=(open({str(target)!r}, 'w').write('x'), 3))]
"""
    write("configs/net.py", hostile)
    card = write("model-index.yml", "Models:\n- Name: net\n  Config: configs/net.py\n")
    preprocessing = modelindex.load(card)["net"].preprocessing
    assert not target.exists()
    assert preprocessing.mean == (1.0, 2.0, 3.0)
    assert any("not a size" in problem for problem in preprocessing.problems)


def test_inheritance_merges_as_mmengine_does(write) -> None:
    write(
        "configs/_base_/base.py",
        "model = dict(backbone=dict(depth=50, style='pytorch'), head=dict(num_classes=1000))\n"
        "size = 224\n",
    )
    child = write(
        "configs/child.py",
        "_base_ = ['./_base_/base.py']\n"
        "model = dict(backbone=dict(depth=101), head=dict(_delete_=True, type='Linear'))\n"
        "crop = {{_base_.size}}\n",
    )
    config = read_config(child, child.parent.parent)
    assert config["model"]["backbone"] == {"depth": 101, "style": "pytorch"}
    assert config["model"]["head"] == {"type": "Linear"}
    assert config["crop"] == 224
    assert config["model"]["backbone"].where("depth") == (str(child), 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("_base_ = ['../../../../etc/passwd.py']\n", "outside the folder given"),
        ("_base_ = ['./net.py']\n", "inherits itself"),
        ("_base_ = ['./missing.py']\n", "no such config file"),
        ("model = dict(\n", "is not valid Python"),
        ("x = 1\n" * 200_000, "larger than"),
        ("x = " + "(" * 10_000 + ")" * 10_000 + "\n", "is not valid Python"),
    ],
)
def test_a_config_that_cannot_be_read_says_where(write, text: str, message: str) -> None:
    config = write("configs/net.py", text)
    with pytest.raises(ConfigError, match=message) as raised:
        read_config(config, config.parent)
    assert str(config) in str(raised.value)


def test_a_statement_not_run_makes_its_names_unknown_not_wrong(write) -> None:
    config = write(
        "configs/net.py",
        "pipeline = [dict(type='Resize', scale=224)]\n"
        "for step in pipeline:\n"
        "    step['scale'] = 384\n"
        "test_pipeline = pipeline\n",
    )
    found = read_config(config, config.parent)
    assert isinstance(found["test_pipeline"], Unknown)
    assert "for statement not run" in found["test_pipeline"].why
    assert read_pipeline(found).resize is None


def test_an_unknown_name_says_where_else_to_look() -> None:
    with pytest.raises(KeyError) as raised:
        modelindex.get("no_such_net.tag")
    message = str(raised.value)
    assert "bundled zoo" in message and "modelindex.load(PATH)" in message
    assert "install timm" in message or "timm has no pretrained tag" in message


def test_a_link_out_of_the_root_is_not_followed(write, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("secret = 'TOPSECRET'\n", encoding="utf-8")
    config = write("zoo/configs/net.py", "_base_ = ['./ext/secret.py']\n")
    (config.parent / "ext").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside the folder given"):
        read_config(config, tmp_path / "zoo")


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "+".join(["1"] * 3000) + "\n",
        "a = dict()\na['a'] = a\nb = " + "a" + "['a']" * 3000 + "\n",
        "x = -" + "-" * 100_000 + "1\n",
        "x = {([],): 1}\n",
        "x = " + "9" * 400 + " / 3\n",
        "s = '" + "a" * 900_000 + "'\nL = []\n" + "L.append(s + 'b')\n" * 20,
    ],
)
def test_hostile_configs_are_findings_not_crashes(write, text: str) -> None:
    write("configs/net.py", text)
    card = write("model-index.yml", "Models:\n- Name: net\n  Config: configs/net.py\n")
    preprocessing = modelindex.load(card)["net"].preprocessing
    assert preprocessing.mean is None and preprocessing.problems
    assert main(["list", str(card.parent)]) == 0


def _pipeline_of(write, text: str):
    config = write("configs/net.py", text)
    return read_pipeline(read_config(config, config.parent))


def test_a_change_through_another_name_makes_the_pipeline_unknown(write) -> None:
    found = _pipeline_of(
        write,
        "test_pipeline = [dict(type='ResizeEdge', scale=256), dict(type='CenterCrop', crop_size=224)]\n"
        "test_dataloader = dict(dataset=dict(pipeline=test_pipeline))\n"
        "test_pipeline.insert(0, dict(type='Resize', scale=(384, 384)))\n",
    )
    assert (found.resize, found.crop_size) == (None, None) and found.problems


def test_update_with_a_spread_mapping_is_applied(write) -> None:
    found = _pipeline_of(
        write,
        "step = dict(type='ResizeEdge', scale=256)\n"
        "step.update(**dict(scale=320, interpolation='bicubic'))\n"
        "test_pipeline = [step]\n",
    )
    assert (found.resize, found.interpolation) == ("short edge 320", "bicubic")


def test_an_unread_value_is_no_claim(write) -> None:
    found = _pipeline_of(
        write,
        "from somewhere import MODE\n"
        "test_pipeline = [dict(type='ResizeEdge', scale=256, interpolation=MODE)]\n",
    )
    assert found.interpolation is None and found.resize is None


def test_an_unknown_transform_is_no_claim_that_nothing_resizes(write) -> None:
    found = _pipeline_of(write, "test_pipeline = [dict(type='RandomResizedCrop', scale=512)]\n")
    assert (found.resize, found.crop_mode) == (None, None)
    assert "RandomResizedCrop" in found.problems[0]


def test_mmaction2s_minus_one_resizes_the_short_edge(write) -> None:
    found = _pipeline_of(write, "test_pipeline = [dict(type='Resize', scale=(-1, 256))]\n")
    assert (found.resize, found.resize_size) == ("short edge 256", 256)
