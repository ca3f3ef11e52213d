"""S019 (a key one letter away from a known one), counts written with their units (S020),
and show deriving nothing from what it cannot read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from modelindex import load
from modelindex.cli import main
from modelindex.fields import near_miss
from modelindex.file_size import declared_size_range
from modelindex.units import read_count, read_file_size


@pytest.fixture(autouse=True)
def _no_project_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


_METAFILE = """\
Models:
  - Name: net
    Metadata:
      Image Size: 224
      {crop}
      Intepolation: bicubic  # as trained
      crop_sie: 3
    Weights: https://example.org/net.pth
    Results:
      - Task: Image Classification
        Dataset: ImageNet-1k
        Metrics: {{Top 1 Accuracy: 80.1}}
"""


def _findings(capsys, path: Path) -> list[dict[str, object]]:
    main(["validate", str(path), "--format", "json"])
    return json.loads(capsys.readouterr().out)["findings"]


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("Crop Pc", "Crop Pct"),
        ("Intepolation", "Interpolation"),
        ("Paramters", "Parameters"),
        ("Parametres", "Parameters"),
        ("file_szie", "File Size"),
        ("Crop Pct", None),  # known
        ("Epoch", None),  # too short to tell from another word
        ("Training Memory", None),
        ("Resolution", None),
        ("GFLOPs", None),  # FLOPs in another unit: a rename would rescale it
        ("MParameters", None),
    ],
)
def test_near_miss(key: str, meant: str | None) -> None:
    known = ("Crop Pct", "Interpolation", "Parameters", "File Size", "Epochs", "FLOPs")
    assert near_miss(key, known) == meant


def test_a_misspelt_key_is_a_warning_naming_the_key_it_resembles(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(_METAFILE.format(crop="Crop Pc: 0.875"))
    found = [(f["code"], f["line"], f["message"]) for f in _findings(capsys, path)]
    assert found == [
        ("S019", 5, "unknown key 'Crop Pc' looks like 'Crop Pct': its value is not read"),
        ("S019", 6, "unknown key 'Intepolation' looks like 'Interpolation': its value is not read"),
    ]
    # The unknown keys are kept as written.
    assert dict(load(str(path)).models[0].metadata.extra) == {
        "Crop Pc": 0.875,
        "Intepolation": "bicubic",
        "crop_sie": 3,
    }


def test_fix_renames_the_key_and_show_then_derives_the_preprocessing(
    tmp_path: Path, capsys
) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(_METAFILE.format(crop="crop_pc: 0.875"))
    main(["show", "net", str(path)])
    assert "Preprocessing         not derived: 'crop_pc' is not read" in capsys.readouterr().out
    main(["validate", str(path), "--fix"])
    capsys.readouterr()
    # The key keeps the card's style; the value and the comment stay.
    expected = _METAFILE.format(crop="crop_pct: 0.875").replace("Intepolation", "Interpolation")
    assert path.read_text() == expected
    assert not [f for f in _findings(capsys, path) if f["code"] == "S019"]
    main(["show", "net", str(path)])
    shown = capsys.readouterr().out
    assert "resize 256 (= floor(224 / 0.875)), center crop 224, bicubic" in shown


def test_no_finding_where_the_known_key_is_there_too(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(_METAFILE.format(crop="Crop Pct: 0.875\n      Crop Pc: 0.9"))
    found = [(f["code"], f["line"]) for f in _findings(capsys, path)]
    assert ("S019", 6) not in found and ("S019", 7) in found


@pytest.mark.parametrize(
    ("crop", "interpolation", "why"),
    [
        ("0.9x", "bicubic", "Crop Pct '0.9x' does not parse"),
        ("0.875", "bicubicc", "Interpolation 'bicubicc' is no known method"),
    ],
)
def test_show_derives_nothing_from_a_value_it_cannot_read(
    tmp_path: Path, capsys, crop: str, interpolation: str, why: str
) -> None:
    path = tmp_path / "model-index.yml"
    text = "Models:\n  - Name: net\n    Metadata:\n      Image Size: 224\n"
    text += f"      Crop Pct: {crop}\n      Interpolation: {interpolation}\n"
    path.write_text(text)
    model = load(str(path)).models[0]
    assert model.preprocessing.resize_size is None
    assert model.preprocessing.describe() == f"not derived: {why}"
    main(["show", "net", str(path)])
    assert "center crop" not in capsys.readouterr().out


def _dla_with_flops(tmp_path: Path, last: str) -> Path:
    """timm's DLA card with every FLOPs at 2 x the measured MACs, the last model's as given
    (a format string of its MACs)."""
    from modelindex.checks.context import Context
    from modelindex.checks.settings import Settings
    from tests.conftest import TIMM_DOCS

    card = tmp_path / "dla.md"
    card.write_text((TIMM_DOCS / "dla.md").read_text(encoding="utf-8"), encoding="utf-8")
    pairs = Context(load(str(card)), Settings()).measured.pairs
    lines = card.read_text(encoding="utf-8").split("\n")
    for number, (model, measured) in enumerate(pairs):
        line = model.location("FLOPs").line
        assert line is not None and "FLOPs:" in lines[line - 1]
        value = last.format(macs=measured.macs) if number == len(pairs) - 1 else 2 * measured.macs
        lines[line - 1] = f"    FLOPs: {value}"
    card.write_text("\n".join(lines), encoding="utf-8")
    return card


def test_flops_written_in_macs_state_their_own_convention(tmp_path: Path, capsys) -> None:
    plain = _dla_with_flops(tmp_path, "{macs}")
    assert [f["code"] for f in _findings(capsys, plain) if f["code"] == "V003"] == ["V003"]
    stated = _dla_with_flops(tmp_path, "{macs:_d} MACs")
    assert load(str(stated)).models[-1].flops_convention == "MACs"
    assert not [f for f in _findings(capsys, stated) if f["code"] == "V003"]


@pytest.mark.parametrize(
    ("text", "value", "half_step", "convention"),
    [
        ("11.7 M", 11_700_000, 50_000, None),
        ("11.69M", 11_690_000, 5_000, None),
        ("22M params", 22_000_000, 500_000, None),
        ("2.4 GFLOPs", 2_400_000_000, 50_000_000, "FLOPs"),
        ("4.1 GMACs", 4_100_000_000, 50_000_000, "MACs"),
        ("1.2B", 1_200_000_000, 50_000_000, None),
        ("25.6 million", 25_600_000, 50_000, None),
        ("11,170,000", 11_170_000, None, None),
        ("11.17e6", 11_170_000, None, None),
    ],
)
def test_counts_keep_the_precision_and_convention_their_units_state(
    text: str, value: int, half_step: float | None, convention: str | None
) -> None:
    reading = read_count(text)
    assert reading is not None and round(reading.value) == value
    assert reading.half_step == pytest.approx(half_step) if half_step else reading.half_step is None
    assert reading.convention == convention


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("97.8 MB", 97_800_000),
        ("93.3 MiB", 97_832_141),
        ("224440219", 224_440_219),
        ("500 B", 500),
        ("1.2 GB", 1_200_000_000),
    ],
)
def test_file_sizes_read_their_units(text: str, value: int) -> None:
    reading = read_file_size(text)
    assert reading is not None and round(reading.value) == value


@pytest.mark.parametrize("text", ["11,7 M", "1,2", "25.6 lakh", "M", "1.2.3"])
def test_what_is_no_count(text: str) -> None:
    assert read_count(text) is None


def test_a_fraction_of_a_byte_is_no_file_size() -> None:
    assert read_file_size("1.2B") is None and read_file_size("12 B") is not None


def test_a_card_with_units_is_read_with_its_rounding(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(
        "Models:\n  - Name: net\n    Metadata:\n      Parameters: 11.7 M\n"
        "      FLOPs: 1.8 GFLOPs\n      File Size: 46.8 MB\n"
    )
    model = load(str(path)).models[0]
    assert (model.metadata.parameters, model.metadata.flops, model.metadata.file_size) == (
        11_700_000,
        1_800_000_000,
        46_800_000,
    )
    assert model.rounding == pytest.approx(
        {"Parameters": 50_000, "FLOPs": 50_000_000, "File Size": 50_000}
    )
    # 'MB' is 10^6 bytes to some tools and 2^20 to others: the size may be that much larger.
    assert declared_size_range(model) == pytest.approx((46.75e6, 46.85e6 * 2**20 / 1e6))
    assert not [f for f in _findings(capsys, path) if f["code"] in {"S011", "S020"}]


def test_a_scale_in_words_is_an_info_with_a_safe_fix(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    text = "Models:\n  - Name: net\n    Metadata:\n      Parameters: 25.6 million  # paper\n"
    text += '      FLOPs: "4.1 Billion"\n'
    path.write_text(text)
    found = [(f["code"], f["severity"], f["fix"]) for f in _findings(capsys, path)]
    assert ("S020", "info", "Parameters: 25.6M") in found
    assert ("S020", "info", "FLOPs: 4.1B") in found
    main(["validate", str(path), "--fix"])
    expected = text.replace("25.6 million", "25.6M").replace("4.1 Billion", "4.1B")
    assert path.read_text() == expected
    assert load(str(path)).models[0].metadata.flops == 4_100_000_000


def _collection_zoo(tmp_path: Path, values: list[str]) -> Path:
    path = tmp_path / "model-index.yml"
    models = "".join(
        f"  - Name: net{number}\n    In Collection: Net\n    Results:\n"
        f"      - Task: Image Classification\n        Dataset: ImageNet-1k\n"
        f"        Metrics: {{Top 1 Accuracy: {value}}}\n"
        for number, value in enumerate(values)
    )
    path.write_text(f"Collections:\n  - Name: Net\nModels:\n{models}")
    return path


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["76.1", "77.3", "0.78"], [("N009", 21)]),
        (["0.761", "0.773", "78.1"], [("N009", 21)]),
        (["76.1", "77.3", "78.0"], []),
        (["76.1", "0.78"], []),  # one sibling cannot set the collection's scale
        (["76.1", "77.3", "1.0"], []),  # 100 % is outside the siblings' range: no fraction
        (["0.761", "0.773", "0.78"], []),
    ],
)
def test_a_metric_on_another_scale_than_its_collection(
    tmp_path: Path, capsys, values: list[str], expected: list[tuple[str, int]]
) -> None:
    found = _findings(capsys, _collection_zoo(tmp_path, values))
    assert [(f["code"], f["line"]) for f in found if f["code"] == "N009"] == expected


@pytest.mark.parametrize(
    ("size", "parameters"),
    [
        ('"56 MB"', "25557032"),  # 2.19 bytes a parameter in either reading: no fp16 file
        ('"125 MB"', "25557032"),  # 4.89 or 5.13 bytes a parameter: more than fp32 needs
        ('"15.0 GB"', '"7.0 B"'),
    ],
)
def test_a_rounded_file_size_still_shows_a_wrong_one(
    tmp_path: Path, capsys, size: str, parameters: str
) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(
        f"Models:\n  - Name: a\n    Metadata: {{Parameters: {parameters}, File Size: {size}}}\n"
    )
    assert "N001" in {f["code"] for f in _findings(capsys, path)}


def test_a_rounded_file_size_is_judged_within_its_rounding(tmp_path: Path, capsys) -> None:
    # torchvision's docs print resnet50's 97.8 MiB as '97.8 MB'.
    path = tmp_path / "model-index.yml"
    path.write_text(
        "Models:\n  - Name: a\n    Metadata: {Parameters: 25557032, File Size: 97.8 MB}\n"
        "  - Name: b\n    Metadata: {Parameters: 25.6M, File Size: 0.1 GB}\n"
        "  - Name: c\n    Metadata: {Parameters: 25000000, File Size: 97.8 MB}\n"
    )
    codes = {f["code"] for f in _findings(capsys, path)}
    # No size per parameter off, and two equal rounded sizes are no shared file.
    assert not codes & {"N001", "N002", "U005"}


def test_a_collections_count_brings_its_rounding_to_its_models(tmp_path: Path) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(
        "Collections:\n  - Name: R\n    Metadata: {Parameters: 12M, FLOPs: 1.8 GMACs}\n"
        "Models:\n  - Name: a\n    In Collection: R\n"
        "  - Name: b\n    In Collection: R\n    Metadata: {Parameters: 11689512}\n"
    )
    inheriting, own = load(str(path)).models
    assert inheriting.rounding == {"Parameters": 500_000, "FLOPs": 50_000_000}
    assert inheriting.flops_convention == "MACs"
    assert own.rounding == {"FLOPs": 50_000_000}


@pytest.mark.parametrize(("written", "disagree"), [("11.7 M", False), ("11700000", True)])
def test_a_metafile_count_is_compared_within_its_own_rounding(
    tmp_path: Path, capsys, written: str, disagree: bool
) -> None:
    from tests.conftest import MMPRETRAIN

    zoo = tmp_path / "mmpretrain"
    shutil.copytree(MMPRETRAIN, zoo)
    metafile = zoo / "configs" / "resnet" / "metafile.yml"
    lines = metafile.read_text(encoding="utf-8").split("\n")
    assert lines[115] == "      Parameters: 11690000"
    lines[115] = f"      Parameters: {written}"
    metafile.write_text("\n".join(lines), encoding="utf-8")
    main(["validate", str(zoo), "--repo-root", str(zoo), "--select", "X001", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["findings"]
    assert bool(found) is disagree
