"""The torch harness on the meta device.

Skipped when the [verify] extra is not installed, unless MODELINDEX_REQUIRE_VERIFY=1 (as in
.ci/run), where a missing torch fails them instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import Settings, validate
from modelindex.measurements.cache import MeasurementCache
from modelindex.measurements.references import Reference, reference_for
from modelindex.verify.harness import NotVerifiable, measure
from modelindex.verify.run import verify
from modelindex.verify.torch_env import VerifyUnavailable, import_torch_and_timm
from tests.conftest import FIXTURES, TIMM_DOCS

REQUIRED = os.environ.get("MODELINDEX_REQUIRE_VERIFY") == "1"
if not REQUIRED:
    pytest.importorskip("torch")


@pytest.fixture(scope="module")
def libraries():
    # timm is imported through the harness, which knows the torchvision workaround.
    try:
        return import_torch_and_timm()
    except VerifyUnavailable as error:
        if REQUIRED:
            raise
        pytest.skip(str(error))


@pytest.mark.parametrize(
    ("reference", "parameters"),
    [
        (Reference("resnet50d", 1000, 224), 25_576_264),
        (Reference("tresnet_m", 1000, 224), 31_389_032),
        (Reference("tresnet_xl_448", 1000, 448), 78_436_244),
        (Reference("resnet18", 10, 32, "cifar"), 11_173_962),
        (Reference("resnet50", 200, 448), 23_917_832),
    ],
)
def test_parameters_are_counted_exactly(libraries, reference: Reference, parameters: int) -> None:
    assert measure(reference, *libraries).parameters == parameters


@pytest.mark.parametrize(
    ("reference", "parameters"),
    [
        # A parameter handed to a submodule as an input (PiT's class token, SigLIP's attention-
        # pool probe) once failed FlopCounterMode's autograd hooks on meta.
        (Reference("pit_s_224", None, 224), 23_461_912),
        (Reference("vit_base_patch16_siglip_512", None, 512), 93_520_128),
    ],
)
def test_models_that_pass_parameters_as_inputs_measure(
    libraries, reference: Reference, parameters: int
) -> None:
    measured = measure(reference, *libraries)
    assert measured.parameters == parameters and measured.macs > 0


def test_mmcv_style_flops_explain_mmpretrain_tables(libraries) -> None:
    # mmpretrain's table: ResNet-18 1.82 G, ResNet-50 4.12 G, CIFAR ResNet-18 0.56 G.
    for reference, table in (
        (Reference("resnet18", 1000, 224), 1.82e9),
        (Reference("resnet50", 1000, 224), 4.12e9),
        (Reference("resnet18", 10, 32, "cifar"), 0.56e9),
    ):
        measured = measure(reference, *libraries).mmcv_flops
        assert abs(measured - table) <= max(0.005e9, 0.005 * table), reference


def test_an_unknown_name_is_not_verifiable(libraries) -> None:
    with pytest.raises(NotVerifiable, match="no model named"):
        measure(Reference("no_such_net", 1000, 224), *libraries)


def test_state_dict_bytes_are_exact(libraries) -> None:
    # torch.save of timm's resnet18 holds 122 tensors of 46,796,608 bytes (23,398,384 in fp16).
    measured = measure(Reference("resnet18", 1000, 224), *libraries)
    assert (measured.tensors, measured.state_dict_bytes, measured.state_dict_bytes_fp16) == (
        122,
        46_796_608,
        23_398_384,
    )
    # Running mean and variance of 4,800 BatchNorm channels, and 20 num_batches_tracked.
    assert measured.buffers == 2 * 4_800 + 20


def test_old_names_are_measured_as_the_model_timm_builds(libraries) -> None:
    assert measure(Reference("tresnet_xl_448", 1000, 448), *libraries).reference == (
        "tresnet_xl.miil_in1k_448"
    )


def test_the_mapping_file_corrects_timms_instagram_resnext_renames(libraries) -> None:
    # timm maps ig_resnext101_32x16d to the 32x8d model; the card declares 194.03 M.
    model = modelindex.load(TIMM_DOCS / "ig-resnext.md")["ig_resnext101_32x16d"]
    measured = measure(reference_for(model), *libraries)
    assert measured.reference == "resnext101_32x16d.fb_wsl_ig1b_ft_in1k"
    assert abs(measured.parameters - 194_030_000) <= 0.005 * 194_030_000


def _card(write, names_and_sizes: list[tuple[str, int]]) -> Path:
    models = "".join(
        f"- Name: {name}\n  Metadata: {{Image Size: {size}}}\n"
        "  Results: [{Task: T, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 70}}]\n"
        for name, size in names_and_sizes
    )
    return write("model-index.yml", "Models:\n" + models)


@pytest.mark.usefixtures("libraries")
def test_only_a_glob_is_measured_and_cached(write, tmp_path: Path) -> None:
    card = _card(write, [("resnet18", 224), ("resnet34", 224), ("mobilenetv3_small_050", 224)])
    cache = MeasurementCache(tmp_path / "m.json")
    outcomes = verify(modelindex.load(card), cache, only="resnet*")
    assert [(o.model, o.status) for o in outcomes] == [
        ("resnet18", "measured"),
        ("resnet34", "measured"),
    ]
    again = verify(modelindex.load(card), cache, only="resnet*")
    assert {o.status for o in again} == {"cached"}


@pytest.mark.usefixtures("libraries")
def test_a_model_that_fails_or_times_out_does_not_stop_the_run(write, tmp_path: Path) -> None:
    # A ViT built for 224 px refuses a 100 px input: it fails to build a forward pass.
    card = _card(write, [("vit_tiny_patch16_224", 100), ("no_such_net", 224), ("resnet18", 224)])
    outcomes = verify(modelindex.load(card), MeasurementCache(tmp_path / "m.json"))
    statuses = [(o.model, o.status) for o in outcomes]
    assert statuses == [
        ("vit_tiny_patch16_224", "failed"),
        ("no_such_net", "not verifiable"),
        ("resnet18", "measured"),
    ]
    assert "100" in (outcomes[0].reason or "")
    slow = verify(modelindex.load(card), MeasurementCache(tmp_path / "n.json"), timeout_s=1e-4)
    assert ("resnet18", "timeout") in [(o.model, o.status) for o in slow]


@pytest.mark.usefixtures("libraries")
def test_a_timeout_is_not_remembered_and_the_next_run_measures(write, tmp_path: Path) -> None:
    card = _card(write, [("resnet18", 224), ("resnet34", 224)])
    cache = MeasurementCache(tmp_path / "m.json")
    slow = verify(modelindex.load(card), cache, timeout_s=1e-4)
    assert {o.status for o in slow} <= {"timeout", "measured"} and "timeout" in {
        o.status for o in slow
    }
    assert cache.unmeasurable == {}
    again = verify(modelindex.load(card), cache)
    assert [o.status for o in again] in (["measured", "measured"], ["cached", "measured"])


def test_get_gives_timms_preprocessing_for_a_tag_no_card_lists(libraries) -> None:
    _, timm = libraries
    preprocessing = modelindex.get("resnet50.a1_in1k").preprocessing
    assert (preprocessing.image_size, preprocessing.crop_pct, preprocessing.interpolation) == (
        224,
        0.95,
        "bicubic",
    )
    assert (preprocessing.test_image_size, preprocessing.test_crop_pct) == (288, 1.0)
    assert preprocessing.mean == (0.485, 0.456, 0.406)
    source = f"timm {timm.__version__} pretrained_cfg of resnet50.a1_in1k"
    assert set(preprocessing.sources.values()) == {source}


@pytest.mark.usefixtures("libraries")
def test_preprocessing_builds_torchvision_transforms_on_request() -> None:
    import torch
    from PIL import Image

    config = modelindex.load(FIXTURES / "mmpretrain-1.2.0")["resnet50_8xb32_in1k"]
    transforms = config.preprocessing.torchvision_transforms()
    tensor = transforms(Image.new("RGB", (320, 480), (124, 116, 104)))
    assert tensor.shape == (3, 224, 224)
    # mmpretrain's mean is 0-255: (124 - 123.675) / 58.395 for the red channel.
    assert abs(float(tensor[0, 0, 0]) - (124 - 123.675) / 58.395) < 0.01
    tag = modelindex.get("resnet50.a1_in1k").preprocessing.torchvision_transforms()
    resize = tag.transforms[0]
    assert resize.size == 235 and str(resize.interpolation).endswith("BICUBIC")
    assert torch.is_tensor(tag(Image.new("RGB", (300, 300))))
    # timm squashes both sides of this one rather than resizing its short edge.
    squash = modelindex.get("convnext_base.fb_in22k_ft_in1k_384").preprocessing
    assert squash.torchvision_transforms().transforms[0].size == (384, 384)
    # The resnet50d card gives no mean or std: no transforms rather than half of them.
    with pytest.raises(ValueError, match="mean and std"):
        modelindex.get("resnet50d").preprocessing.torchvision_transforms()


@pytest.mark.usefixtures("libraries")
def test_verify_records_timms_settings_and_validate_compares_the_card(
    write, tmp_path: Path
) -> None:
    # timm-docs' resnet34 card: its weights are timm's resnet34.bt_in1k, which timm 1.0
    # evaluates with bicubic resizing where the card says bilinear.
    weights = (
        "https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-weights/"
        "resnet34-43635321.pth"
    )
    card = write(
        "model-index.yml",
        "Models:\n  - Name: resnet34\n    Metadata:\n      Image Size: 224\n"
        "      Crop Pct: 0.875\n      Interpolation: bilinear\n"
        f"    Weights: {weights}\n",
    )
    cache_file = tmp_path / "m.json"
    cache = MeasurementCache(cache_file)
    [outcome] = verify(modelindex.load(card), cache)
    assert outcome.measurement is not None and outcome.measurement.pretrained
    tags = {setting.tag: setting for setting in outcome.measurement.pretrained}
    assert tags["resnet34.bt_in1k"].files == ("resnet34-43635321.pth",)
    assert tags["resnet34.tv_in1k"].interpolation == "bilinear"
    cache.save()
    report = validate(modelindex.load(card), Settings(measurements=cache_file, select=("E",)))
    [finding] = report.findings
    assert (finding.code, finding.field) == ("E004", "Interpolation")
    assert finding.message.endswith("interpolation bicubic")
    assert "pretrained_cfg of resnet34.bt_in1k" in finding.message


@pytest.mark.usefixtures("libraries")
def test_an_entry_measured_before_the_settings_were_recorded_is_measured_again(
    write, tmp_path: Path
) -> None:
    card = _card(write, [("resnet18", 224)])
    cache = MeasurementCache(tmp_path / "m.json")
    verify(modelindex.load(card), cache)
    for entry in cache.entries.values():
        del entry["pretrained"]
    [outcome] = verify(modelindex.load(card), cache)
    assert outcome.status == "measured" and outcome.measurement.pretrained
    assert [o.status for o in verify(modelindex.load(card), cache)] == ["cached"]
