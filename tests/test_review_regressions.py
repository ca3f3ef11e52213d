"""Inputs found by trying the tool as a hostile or careless user would; each once crashed,
hung or gave wrong data."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import modelindex
from modelindex import ProblemKind
from modelindex.cli import main
from modelindex.query import QueryError
from tests.conftest import MMPRETRAIN

CARD = "<!--\nType: model-index\nModels:\n- Name: m\n  Metadata:\n{metadata}-->\n"


def _card(write, metadata: str) -> modelindex.Model:
    zoo = modelindex.load(write("card.md", CARD.format(metadata=metadata)))
    assert zoo.problems == []
    return zoo["m"]


def test_closing_brackets_before_openers_cannot_hide_deep_nesting(write) -> None:
    text = "# " + "]" * 100_000 + "\n" + "[" * 100_000 + "]" * 100_000 + "\n"
    [problem] = modelindex.load(write("metafile.yml", text)).problems
    assert (problem.kind, problem.line) == (ProblemKind.TOO_COMPLEX, 2)


@pytest.mark.parametrize(
    "line",
    ["Parameters: '1e400'", "Parameters: .nan", f"Parameters: {'9' * 400}", "FLOPs: .inf"],
)
def test_overflowing_counts_are_invalid_values(write, line: str) -> None:
    model = _card(write, f"    {line}\n")
    assert [item.field for item in model.invalid] in (["Parameters"], ["FLOPs"])


@pytest.mark.parametrize("crop", ["nan", ".inf", "5e-324", "87.5"])
def test_odd_crop_pct_never_breaks_preprocessing(write, crop: str) -> None:
    model = _card(write, f"    Crop Pct: {crop}\n    Image Size: 224\n")
    assert model.preprocessing.resize_size is None
    assert main(["list", str(model.source.path), "--format", "json"]) == 0


def test_non_finite_table_cells_are_invalid_values(write) -> None:
    table = (
        "# T\n### Image Classification on X\n| Model | Params (M) | Top-1 (%) |\n|---|---|---|\n"
    )
    zoo = modelindex.load(write("README.md", table + "| `t1` | inf | nan |\n"))
    assert {item.field for item in zoo["t1"].invalid} == {"Parameters", "Results[0].Top 1 Accuracy"}


def test_one_bad_list_element_invalidates_the_whole_field(write) -> None:
    model = _card(write, "    Mean: [0.485, x, 0.406]\n")
    assert model.metadata.mean is None
    assert [item.field for item in model.invalid] == ["Mean"]


def test_location_accepts_any_spelling_of_a_key(write) -> None:
    model = _card(write, "    Parameters: 10\n")
    assert model.location("parameters") == model.location("Parameters") != model.source


def test_walking_an_openmmlab_root_inherits_from_the_metafile_collection() -> None:
    model = modelindex.load(MMPRETRAIN, repo_root=MMPRETRAIN)["resnet50_8xb32_in1k"]
    assert model.metadata.training_data == ["ImageNet-1k"]
    assert model.paper is not None
    assert Path(model.readme_path) == MMPRETRAIN / "configs/resnet/README.md"


@pytest.mark.parametrize(
    "text",
    [
        "a|b\n-|-\n# a" + " " * 4000 + "b\n",
        "a|b\n" + " " * 60_000 + "-x\n-|\n",
        "a|b\n-|-\n# " + "[a](" * 20_000 + "\n",
        "<!---->" * 200_000,
    ],
)
def test_hostile_markdown_is_read_in_linear_time(write, text: str) -> None:
    started = time.perf_counter()
    modelindex.load(write("hostile.md", text))
    assert time.perf_counter() - started < 5


def test_import_glob_does_not_follow_symlink_loops(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    os.symlink("..", tmp_path / "d" / "up")
    os.symlink("../d", tmp_path / "d" / "me")
    (tmp_path / "d" / "a.yml").write_text("Models:\n- Name: a\n", encoding="utf-8")
    root = tmp_path / "model-index.yml"
    root.write_text('Import: "**/*.yml"\n', encoding="utf-8")
    started = time.perf_counter()
    zoo = modelindex.load(root)
    assert time.perf_counter() - started < 5
    assert zoo.names == ["a"]
    assert zoo.problems == []


@pytest.mark.parametrize("expression", ["-name == 1", "-parameters < 0", "not " * 2400 + "name"])
def test_filters_that_cannot_evaluate_are_query_errors(expression: str) -> None:
    with pytest.raises(QueryError):
        modelindex.load(MMPRETRAIN).where(expression)


def test_membership_in_a_number_matches_nothing() -> None:
    assert modelindex.load(MMPRETRAIN).where("top1 in 80") == []


def test_json_with_a_trailing_comma_is_a_syntax_problem(write) -> None:
    path = write("model-index.json", '{"Models": [{"Name": "j1"},\n]}')
    [problem] = modelindex.load(path).problems
    assert (problem.kind, problem.line) == (ProblemKind.SYNTAX, 2)


def test_json_keys_yaml_cannot_read_load_without_lines(write) -> None:
    path = write("model-index.json", json.dumps({"Models": [{"Name": "k", "x" * 2000: 1}]}))
    model = modelindex.load(path)["k"]
    assert model.source.line is None


def test_carriage_return_line_endings(write) -> None:
    path = write("cr.md", CARD.format(metadata="    FLOPs: 5\n").replace("\n", "\r"))
    model = modelindex.load(path)["m"]
    assert model.metadata.flops == 5
    assert model.location("FLOPs").line == 6


def test_csv_header_is_the_same_without_rows(capsys) -> None:
    assert main(["list", str(MMPRETRAIN), "--format", "csv", "--where", "top1 > 1000"]) == 0
    header = capsys.readouterr().out.strip()
    assert header.startswith("name,collection,parameters,flops,file_size")


def test_repo_root_must_be_a_folder(tmp_path: Path, capsys) -> None:
    with pytest.raises(NotADirectoryError):
        modelindex.load(MMPRETRAIN, repo_root=tmp_path / "absent")
    assert main(["list", str(MMPRETRAIN), "--repo-root", str(tmp_path / "absent")]) == 2
    assert "repo root is not a folder" in capsys.readouterr().err
