"""S019: a key one letter away from a known one; and ``show`` derives nothing from what it
cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelindex import load
from modelindex.cli import main
from modelindex.fields import near_miss


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
    ],
)
def test_near_miss(key: str, meant: str | None) -> None:
    known = ("Crop Pct", "Interpolation", "Parameters", "File Size", "Epochs")
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
