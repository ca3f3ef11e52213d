"""OpenMMLab configs read as data: inheritance, merging, the test pipeline, and the
preprocessing a model gets from its config. No config is ever run."""

from __future__ import annotations

import os
import time
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
        "while pipeline:\n"
        "    pipeline[0]['scale'] = 384\n"
        "test_pipeline = pipeline\n",
    )
    found = read_config(config, config.parent)
    assert isinstance(found["test_pipeline"], Unknown)
    assert "while statement not run" in found["test_pipeline"].why
    assert read_pipeline(found).resize is None
    # A for loop over the list is followed: 384, not the 224 that skipping it would give.
    config.write_text(
        "pipeline = [dict(type='Resize', scale=224)]\n"
        "for step in pipeline:\n"
        "    step['scale'] = 384\n"
        "test_pipeline = pipeline\n"
    )
    assert read_pipeline(read_config(config, config.parent)).resize == "384x384"


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


def test_plus_equals_extends_the_list_every_name_of_it_sees(write) -> None:
    # mmagic's CycleGAN configs: `test_pipeline += [key_mapping, pack_input]`.
    found = _pipeline_of(
        write,
        "steps = [dict(type='LoadImageFromFile', key='img')]\n"
        "test_pipeline = steps\n"
        "steps += [dict(type='Resize', scale=(256, 256), keep_ratio=False)]\n",
    )
    assert (found.resize, found.input_size) == ("256x256", (256, 256))
    assert not [problem for problem in found.problems if "pipeline" in problem]
    unknown = _pipeline_of(write, "test_pipeline = []\ntest_pipeline += make()\n")
    assert unknown.problems and "augassign statement not run" in unknown.problems[0]


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        # mmaction2's skeleton models read keypoints; its localization models features.
        ("dict(type='PoseDecode'), dict(type='FormatGCNInput')", "keypoints"),
        ("dict(type='LoadLocalizationFeature')", "pre-extracted video features"),
        # mmagic loads an inpainting model's input and a GAN's metric images alike: images.
        ("dict(type='LoadImageFromFile', key='gt')", "images"),
        (
            "dict(type='LoadImageFromFile', key='img'), dict(type='LoadImageFromFile', key='gt')",
            "images",
        ),
        ("dict(type='DecordInit'), dict(type='DecordDecode')", "images"),
        ("dict(type='PackInputs')", None),
    ],
)
def test_what_the_network_takes_is_read_from_its_loaders(
    write, steps: str, kind: str | None
) -> None:
    found = _pipeline_of(write, f"test_pipeline = [{steps}]\n")
    assert found.input_kind == kind
    assert found.takes_images is (kind in (None, "images"))


def test_a_model_that_takes_no_images_says_so(write) -> None:
    write("configs/gcn.py", "test_pipeline = [dict(type='PoseDecode')]\n")
    card = write("model-index.yml", "Models:\n- Name: gcn\n  Config: configs/gcn.py\n")
    described = str(modelindex.load(card)["gcn"].preprocessing)
    assert described.startswith("no image input: it takes keypoints")


def test_mmagics_data_preprocessor_normalizes_to_minus_one_one_by_default(write) -> None:
    config = write(
        "configs/gan.py",
        "model = dict(data_preprocessor=dict(type='DataPreprocessor'))\n"
        "test_pipeline = [dict(type='LoadImageFromFile', key='img')]\n",
    )
    card = write("model-index.yml", "Models:\n- Name: gan\n  Config: configs/gan.py\n")
    preprocessing = modelindex.load(card)["gan"].preprocessing
    assert (preprocessing.mean, preprocessing.std) == ((127.5,), (127.5,))
    assert preprocessing.sources["mean"] == f"{config}:1 (the data preprocessor's default)"
    scalar = _pipeline_of(
        write, "model = dict(data_preprocessor=dict(type='X', mean=0, std=255.0))\n"
    )
    assert (scalar.mean, scalar.std) == ((0.0,), (255.0,))


_TEST_SETS = """\
one = [dict(type='LoadImageFromFile', key='img'), dict(type='Resize', scale=(256, 256))]
two = [dict(type='LoadImageFromFile', key='img', channel_order='rgb'),
       dict(type='Resize', scale=(256, 256))]
test_dataloader = [dict(dataset=dict(pipeline=one)), dict(dataset=dict(pipeline=two))]
"""


def test_several_test_sets_give_one_preprocessing_only_where_they_agree(write) -> None:
    # mmagic's restoration configs test on several sets, each with its own dataloader.
    same = _pipeline_of(write, _TEST_SETS)
    assert (same.resize, same.input_size) == ("256x256", (256, 256))
    differ = _pipeline_of(
        write, _TEST_SETS.replace("scale=(256, 256))]\ntest", "scale=(128, 128))]\ntest")
    )
    assert (differ.resize, differ.input_size) == (None, None)
    assert "2 test sets preprocessed differently" in differ.problems


def test_a_loop_over_a_known_list_is_followed(write) -> None:
    # mmagic's restormer-dual: each test set's pipeline patched in a loop.
    found = _pipeline_of(
        write,
        _TEST_SETS.replace("scale=(256, 256))]\ntest", "scale=(128, 128))]\ntest")
        + "for loader in test_dataloader:\n"
        "    steps = loader['dataset']['pipeline']\n"
        "    steps[1] = dict(type='Resize', scale=(64, 64))\n",
    )
    assert found.resize == "64x64"
    assert not [problem for problem in found.problems if "pipeline" in problem]


@pytest.mark.parametrize(
    "loop",
    [
        "for loader in test_dataloader:\n    if loader:\n        break\n",
        "for loader in test_dataloader:\n    pass\nelse:\n    test_dataloader = []\n",
        "for i in range(3):\n    test_dataloader = []\n",
        "for loader in test_dataloader:\n    loader['dataset'] = make()\n",
    ],
)
def test_a_loop_that_cannot_be_followed_makes_its_names_unknown(write, loop: str) -> None:
    found = _pipeline_of(write, _TEST_SETS + loop)
    assert found.resize is None and found.problems


def test_a_loop_is_bounded(write) -> None:
    found = _pipeline_of(write, _TEST_SETS + "for i in [0] * 100000:\n    x = i\n")
    assert found.resize == "256x256"  # a loop over too many items is not run: x alone is lost
    nested = write(
        "configs/big.py",
        "a = [0] * 60\n"
        "for i in a:\n"
        "    for j in a:\n"
        "        for k in a:\n"
        "            x = [i, j, k] * 100\n",
    )
    with pytest.raises(ConfigError, match="builds more than"):
        read_config(nested, nested.parent)


@pytest.mark.parametrize(
    "wrapped",
    [
        # mmagic's CycleGAN: one transform for both domains' images.
        "dict(type='TransformBroadcaster', mapping={'img': ['img_A', 'img_B']},"
        " transforms=dict(type='Resize', scale=(256, 256), interpolation='bicubic'))",
        "dict(type='KeyMapper', mapping={'img': 'img_A'},"
        " transforms=[dict(type='Resize', scale=(256, 256), interpolation='bicubic')])",
    ],
)
def test_mmcvs_wrappers_are_read_through(write, wrapped: str) -> None:
    found = _pipeline_of(
        write,
        f"test_pipeline = [dict(type='LoadImageFromFile', key='img_A'), {wrapped},"
        " dict(type='KeyMapper', mapping={'a': 'b'})]\n",
    )
    assert (found.resize, found.interpolation) == ("256x256", "bicubic")
    assert not [problem for problem in found.problems if "pipeline" in problem or "size" in problem]


def test_a_wrapper_that_resizes_the_ground_truth_is_no_claim_on_the_input(write) -> None:
    found = _pipeline_of(
        write,
        "test_pipeline = [dict(type='LoadImageFromFile', key='img'),"
        " dict(type='KeyMapper', mapping={'img': 'gt'},"
        " transforms=[dict(type='Resize', scale=(64, 64))]), dict(type='PackInputs')]\n",
    )
    assert found.resize is None and any("KeyMapper" in p for p in found.problems)


@pytest.mark.parametrize(
    "text",
    [
        # A step the reader could not evaluate, a string, inside a wrapper too.
        "test_pipeline = [dict(type='LoadImageFromFile'), make_step(),"
        " dict(type='Resize', scale=(224, 224))]\n",
        "test_pipeline = ['Resize', dict(type='Compose', transforms=[make()])]\n",
    ],
)
def test_a_step_that_is_not_a_mapping_is_a_problem_not_a_crash(write, text: str) -> None:
    found = _pipeline_of(
        write, text + "model = dict(data_preprocessor=dict(mean=[1, 2, 3], std=[1, 2, 3]))\n"
    )
    assert found.mean == (1.0, 2.0, 3.0) and any("not" in p for p in found.problems)


def test_nested_wrappers_are_opened_no_further_than_the_steps_read(write) -> None:
    text = (
        "s = [dict(type='CenterCrop', crop_size=1)] * 64\n"
        "w0 = dict(type='Compose', transforms=s)\n"
        "w1 = dict(type='Compose', transforms=[w0] * 64)\n"
        "w2 = dict(type='Compose', transforms=[w1] * 64)\n"
        "w3 = dict(type='Compose', transforms=[w2] * 64)\n"
        "test_pipeline = [w3]\n"
    )
    started = time.perf_counter()
    found = _pipeline_of(write, text)
    assert time.perf_counter() - started < 5  # 64 ** 4 steps would take minutes
    assert found.crop_size == (1, 1)


def test_a_loop_over_a_list_changed_unseen_claims_nothing(write) -> None:
    found = _pipeline_of(
        write,
        "sizes = [224]\ncrop_sizes = sizes\nsizes[:] = [160]\n"
        "test_pipeline = [dict(type='LoadImageFromFile')]\n"
        "for s in crop_sizes:\n    test_pipeline.append(dict(type='CenterCrop', crop_size=s))\n",
    )
    assert found.crop_size is None
    config = write(
        "configs/pop.py",
        "ps = [1, 2, 3, 4]\nout = []\nfor p in ps:\n    ps.pop()\n    out.append(p)\n",
    )
    assert isinstance(read_config(config, config.parent)["out"], Unknown)


def test_plus_equals_on_an_undefined_name_is_unknown(write) -> None:
    config = write("configs/x.py", "x += [1]\n")
    assert isinstance(read_config(config, config.parent).get("x", Unknown("absent")), Unknown)


def test_a_childs_change_to_one_base_key_leaves_the_others(write) -> None:
    # mmengine copies each key of a base config: val and test no longer share the base's list.
    write(
        "configs/base.py",
        "pipe = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(256, 256))]\n"
        "val_dataloader = dict(dataset=dict(pipeline=pipe))\n"
        "test_dataloader = dict(dataset=dict(pipeline=pipe))\n",
    )
    child = write(
        "configs/child.py",
        "_base_ = ['base.py']\n"
        "val_pipeline = _base_.val_dataloader.dataset.pipeline\n"
        "test_pipeline = _base_.test_dataloader.dataset.pipeline\n"
        "val_pipeline += [dict(type='PackInputs')]\n"
        "test_pipeline += [dict(type='PackInputs')]\n",
    )
    steps = read_config(child, child.parent)["test_dataloader"]["dataset"]["pipeline"]
    assert [step["type"] for step in steps] == ["LoadImageFromFile", "Resize", "PackInputs"]


def test_mmagics_explicit_none_turns_normalization_off(write) -> None:
    found = _pipeline_of(
        write,
        "model = dict(data_preprocessor=dict(type='DataPreprocessor', mean=None, std=None))\n",
    )
    assert (found.mean, found.std) == (None, None)


def test_mmagics_crop_is_height_then_width_and_random_unless_told(write) -> None:
    # mmagic's inpainting configs crop the ground truth at random, then resize it to the input.
    inpainting = _pipeline_of(
        write,
        "test_pipeline = [dict(type='LoadImageFromFile', key='gt'),\n"
        "    dict(type='Crop', keys=['gt'], crop_size=(384, 320), random_crop=True),\n"
        "    dict(type='Resize', keys=['gt'], scale=(256, 256), keep_ratio=False)]\n",
    )
    assert (inpainting.crop_mode, inpainting.crop_size) == ("random crop", (384, 320))
    assert inpainting.input_size == (256, 256)
    assert inpainting.problems == ["no data_preprocessor with mean and std"]
    centred = _pipeline_of(
        write,
        "test_pipeline = [dict(type='Crop', keys=['img'], crop_size=(64, 48), random_crop=False)]\n",
    )
    assert (centred.crop_mode, centred.input_size) == ("center crop", (64, 48))
    # A Crop without mmagic's keys is another library's, whose crop_size order is not known.
    other = _pipeline_of(write, "test_pipeline = [dict(type='Crop', crop_size=(64, 48))]\n")
    assert other.crop_mode is None and other.problems
