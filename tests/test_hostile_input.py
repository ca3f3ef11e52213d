"""Hostile and broken cards found by the adversarial review of issue 12: each once crashed a whole
run, read outside the zoo, filled memory, took minutes, dropped data or printed a lie."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

import modelindex
from modelindex import ProblemKind, loading, located_yaml
from modelindex.checks import validate
from modelindex.cli import main
from modelindex.readers import markdown_cards
from tests.conftest import load_with_peak

CARD = "<!--\nType: model-index\nModels:\n- Name: m\n  Metadata:\n{metadata}-->\n"
HUGE = "1" + "0" * 400


def _problems(zoo: modelindex.Index, kind: ProblemKind) -> list[modelindex.LoadProblem]:
    return [problem for problem in zoo.problems if problem.kind is kind]


# --- deep nesting: the same diagnosis whichever YAML layer stops the document ----------------


class _EarlyStoppingParser:
    """An event parser that gives up after a few events with words of its own, as a libyaml
    release with a nesting limit of its own (and another message) would."""

    def __init__(self, stream: str) -> None:
        self.events = yaml.parse(stream, Loader=yaml.SafeLoader)
        self.given = 0

    def check_event(self, *choices: type) -> bool:
        return True

    def get_event(self) -> yaml.Event:
        self.given += 1
        if self.given > 5:
            raise yaml.scanner.ScannerError(problem="some limit of another release")
        return next(self.events)

    def dispose(self) -> None:
        pass


@pytest.mark.parametrize("loader", ["C", "pure Python", "stops early"])
@pytest.mark.parametrize(
    "text",
    [
        "Models: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "Models:\n" + "".join(" " * depth + "- \n" for depth in range(2_000)),
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_too_complex_whichever_parser_stops_it(
    write, monkeypatch: pytest.MonkeyPatch, loader: str, text: str
) -> None:
    if loader == "C" and not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml")
    chosen = {"C": getattr(yaml, "CSafeLoader", None), "pure Python": yaml.SafeLoader}
    monkeypatch.setattr(located_yaml, "_Loader", chosen.get(loader, _EarlyStoppingParser))
    [problem] = modelindex.load(write("metafile.yml", text)).problems
    assert problem.kind is ProblemKind.TOO_COMPLEX
    assert problem.line is not None and problem.line <= 202


def test_a_broken_document_stopped_early_stays_a_syntax_problem(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(located_yaml, "_Loader", _EarlyStoppingParser)
    text = "Models: " + "[x], " * 300 + "]\n"  # flat, but more brackets than MAX_DEPTH
    [problem] = modelindex.load(write("metafile.yml", text)).problems
    assert problem.kind is ProblemKind.SYNTAX


# --- one value must not crash a run ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (f"    Crop Pct: {HUGE}\n", "Crop Pct"),
        (f"    Parameters: {HUGE}\n", "Parameters"),
        ("    Crop Pct: !!bool maybe\n", "Crop Pct"),
        ('    Crop Pct: !!bool ""\n', "Crop Pct"),
        ('    Image Size: !!int ""\n', "Image Size"),
        ('    FLOPs: !!float ""\n', "FLOPs"),
        ("    FLOPs: !!int +\n", "FLOPs"),
    ],
)
def test_a_value_that_cannot_be_used_is_an_invalid_value_with_its_line(
    write, line: str, field: str
) -> None:
    zoo = modelindex.load(write("card.md", CARD.format(metadata=line)))
    [invalid] = zoo["m"].invalid
    assert (invalid.field, invalid.location.line) == (field, 6)
    assert len(str(invalid.reason)) < 200


def test_a_huge_accuracy_is_a_finding_not_a_crash(write, capsys) -> None:
    card = CARD.format(metadata="    FLOPs: 1\n").replace(
        "-->",
        f"  Results:\n  - Task: X\n    Dataset: D\n    Metrics:\n      Top 1 Accuracy: {HUGE}\n-->",
    )
    hf = (
        "---\nmodel-index:\n- name: h\n  results:\n  - task: {type: t}\n    dataset: {type: d}\n"
        f"    metrics:\n    - {{type: accuracy, value: {HUGE}}}\n---\n"
    )
    write("card.md", card)
    folder = write("README.md", hf).parent
    assert main(["validate", str(folder), "--select", "S011"]) == 1
    out = capsys.readouterr().out
    assert out.count("S011") == 2
    assert max(len(line) for line in out.splitlines()) < 300


def test_base_60_integers_are_not_converted_in_quadratic_time(write) -> None:
    started = time.perf_counter()
    zoo = modelindex.load(write("card.md", CARD.format(metadata=f"    FLOPs: 1{':1' * 200_000}\n")))
    assert time.perf_counter() - started < 5
    assert [invalid.field for invalid in zoo["m"].invalid] == ["FLOPs"]


def test_a_json_integer_python_will_not_convert_is_a_syntax_problem(write) -> None:
    path = write(
        "model-index.json", '{"Models": [{"Name": "j", "Parameters": ' + "9" * 5000 + "}]}"
    )
    [problem] = modelindex.load(path).problems
    assert problem.kind is ProblemKind.SYNTAX


# --- internal errors: their own exit code, and the other files still count ------------------


def test_a_reader_that_fails_costs_one_file_and_the_run_exits_3(
    write, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    original = loading.read_text

    def failing_on_one_file(path: str, text: str):
        if path.endswith("bad.md"):
            raise ZeroDivisionError("a reader bug")
        return original(path, text)

    monkeypatch.setattr(loading, "read_text", failing_on_one_file)
    write("bad.md", CARD.format(metadata="    FLOPs: 1\n"))
    folder = write(
        "good.md", CARD.format(metadata="    FLOPs: 1\n").replace("- Name: m", "- Name: g")
    ).parent
    zoo = modelindex.load(folder)
    assert zoo.names == ["g"]
    [problem] = _problems(zoo, ProblemKind.INTERNAL)
    assert problem.path.endswith("bad.md") and "ZeroDivisionError: a reader bug" in problem.message
    assert validate(zoo).exit_code() == 3
    assert main(["validate", str(folder)]) == 3
    assert "M001" in capsys.readouterr().out


def test_an_unexpected_crash_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("modelindex.cli.load", crash)
    assert main(["list", "somewhere"]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("internal error: RuntimeError: boom\\nsecond line at ")
    assert "bug in modelindex" in line


# --- imports and walks stay inside the zoo ---------------------------------------------------


def test_imports_outside_the_zoo_are_findings_not_reads(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "metafile.yml"
    outside.parent.mkdir()
    outside.write_text("Models:\n- Name: secret\n", encoding="utf-8")
    zoo_root = tmp_path / "zoo"
    zoo_root.mkdir()
    (zoo_root / "model-index.yml").write_text(
        f"Import:\n- /\n- {outside}\n- ../outside/*.yml\nModels: [{outside}]\n", encoding="utf-8"
    )
    started = time.perf_counter()
    zoo = modelindex.load(zoo_root)
    assert time.perf_counter() - started < 2
    assert zoo.names == []
    refused = _problems(zoo, ProblemKind.OUTSIDE_ROOT)
    # An Import list's items share the line of its key.
    assert sorted(problem.line for problem in refused) == [1, 1, 1, 5]
    assert all("outside the zoo" in problem.message for problem in refused)


def test_repo_root_widens_where_imports_may_lead(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "metafile.yml").write_text("Models:\n- Name: s\n", encoding="utf-8")
    (tmp_path / "zoo").mkdir()
    index_file = tmp_path / "zoo" / "model-index.yml"
    index_file.write_text("Import: ../shared/metafile.yml\n", encoding="utf-8")
    assert modelindex.load(index_file).names == []
    assert modelindex.load(index_file, repo_root=tmp_path).names == ["s"]


def test_a_symlink_out_of_the_walked_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "card.md").write_text(CARD.format(metadata="    FLOPs: 1\n"), encoding="utf-8")
    zoo_root = tmp_path / "zoo"
    zoo_root.mkdir()
    os.symlink(elsewhere, zoo_root / "linked-folder")
    os.symlink(elsewhere / "card.md", zoo_root / "linked.md")
    (zoo_root / "sub").mkdir()
    os.symlink("../sub", zoo_root / "inside")
    zoo = modelindex.load(zoo_root)
    assert zoo.names == []
    refused = sorted(Path(problem.path).name for problem in zoo.problems)
    assert refused == ["linked-folder", "linked.md"]
    assert {problem.kind for problem in zoo.problems} == {ProblemKind.OUTSIDE_ROOT}


# --- memory: inherited values are shared, and a small file cannot fill memory ----------------


def test_inherited_values_are_shared_not_copied(write) -> None:
    architecture = "\n".join(f"    - layer{i}" for i in range(5_000))
    extras = "\n".join(f"    key{i}: {i}" for i in range(200))
    models = "\n".join(f"- {{Name: m{i}, In Collection: C}}" for i in range(2_000))
    text = (
        f"Collections:\n- Name: C\n  Metadata:\n    Architecture:\n{architecture}\n{extras}\n"
        f"  Results:\n  - {{Task: T, Dataset: D, Metrics: {{Top 1 Accuracy: 70}}}}\n"
        f"Models:\n{models}\n- {{Name: own, In Collection: C, Metadata: {{key0: mine, more: 1}}}}\n"
    )
    zoo, peak = load_with_peak(write("model-index.yml", text))
    first, last, own = zoo["m0"], zoo["m1999"], zoo["own"]
    assert first.metadata.architecture is last.metadata.architecture
    assert len(first.metadata.architecture) == 5_000
    assert first.metadata.extra is last.metadata.extra
    assert first.results is last.results and first.metric("Top 1 Accuracy") == 70
    assert (own.metadata.extra["key0"], own.metadata.extra["more"], own.metadata.extra["key9"]) == (
        "mine",
        1,
        9,
    )
    assert own.model_dump(mode="json")["metadata"]["extra"]["key199"] == 199
    assert last.is_inherited("Architecture") and not own.is_inherited("key0")
    assert last.location("Architecture").line == 4
    # Copied, the list alone would be 10 million references (80 MB).
    assert peak < 40 * 2**20


def test_a_document_of_too_many_values_is_refused_before_it_is_built(write) -> None:
    text = "Models:\n- Name: a\n  Metadata:\n    Tasks: [" + "1," * 600_000 + "]\n"
    zoo, peak = load_with_peak(write("model-index.yml", text))
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.TOO_COMPLEX, 4)
    assert peak < 50 * 2**20


def test_the_comments_of_one_card_share_one_budget_of_values(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(markdown_cards, "MAX_NODES", 1_000)
    comment = "<!--\nType: model-index\nModels:\n- Name: m{}\n  Metadata: {{Tasks: [{}]}}\n-->\n"
    text = "".join(comment.format(i, "1," * 400) for i in range(3))
    zoo = modelindex.load(write("card.md", text))
    assert zoo.names == ["m0", "m1"]
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.TOO_COMPLEX, 17)


def test_models_past_the_per_file_limit_are_reported_not_read(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "MAX_ENTRIES_PER_FILE", 3)
    path = write("model-index.yml", "Models:\n" + "".join(f"- Name: m{i}\n" for i in range(5)))
    zoo = modelindex.load(path)
    assert zoo.names == ["m0", "m1", "m2"]
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.TOO_COMPLEX, 5)
    assert "the 2 from here on are not read" in problem.message


# --- slow inputs: every scan linear -----------------------------------------------------------

TABLE = "| Model | Top-1 (%) | Config |\n|---|---|---|\n"
MEGABYTE = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "# " + "[](" * (MEGABYTE // 3) + "\n" + TABLE + "| `a` | 1 | x |\n",
        "| Model " + "|" * MEGABYTE + "\n|---|---|\n| `a` | 1 |\n",
        TABLE + "| `a` | 1 " + "|" * MEGABYTE + "\n",
        TABLE + "| `a` | 1 | " + "[x" * (MEGABYTE // 2) + " |\n",
        TABLE + "| `a` | 1 | " + ("[x](" + "a" * 1999) * (MEGABYTE // 2003) + " |\n",
        "### a" + " " * MEGABYTE + "b\n" + TABLE + "| `a` | 1 | x |\n",
        "| Model | a" + " " * MEGABYTE + "b |\n|---|---|\n| `a` | 1 |\n",
    ],
    ids=["links", "header-pipes", "row-pipes", "brackets", "long-urls", "heading", "header"],
)
def test_a_megabyte_of_hostile_markdown_reads_in_under_a_second(write, text: str) -> None:
    path = write("README.md", text)
    started = time.perf_counter()
    modelindex.load(path)
    assert time.perf_counter() - started < 1


# --- duplicate keys ---------------------------------------------------------------------------


def test_a_duplicate_key_is_a_finding_with_both_lines(write) -> None:
    metafile = write("model-index.yml", "Models:\n- Name: a\nModels:\n- Name: b\n")
    zoo = modelindex.load(metafile)
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.DUPLICATE_KEY, 3)
    assert "'Models'" in problem.message and "line 1" in problem.message
    assert validate(zoo).exit_code() == 1


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("card.md", CARD.format(metadata="    Parameters: 1\n    Parameters: 2\n"), 7),
        ("README.md", "---\nmodel-index:\n- name: a\n  name: b\nlicense: mit\n---\n", 4),
        ("model-index.json", '{"Models": [{"Name": "a",\n "Name": "b"}]}', 2),
    ],
)
def test_duplicate_keys_are_found_in_every_dialect(write, name: str, text: str, line: int) -> None:
    [problem] = modelindex.load(write(name, text)).problems
    assert (problem.kind, problem.line) == (ProblemKind.DUPLICATE_KEY, line)


def test_a_key_overriding_a_merged_one_is_not_a_duplicate(write) -> None:
    text = "base: &base {FLOPs: 1}\nModels:\n- Name: a\n  Metadata:\n    <<: *base\n    FLOPs: 2\n"
    zoo = modelindex.load(write("model-index.yml", text))
    assert zoo.problems == [] and zoo["a"].metadata.flops == 2


# --- output that cannot lie -------------------------------------------------------------------


def test_a_file_name_cannot_fake_a_finding_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "evil\nfake.md:1: E999 spoofed.md").write_text(
        CARD.format(metadata="    Parameters: x\n"), encoding="utf-8"
    )
    assert main(["validate", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith(str(tmp_path)) for line in lines)
    assert not any(line.startswith("fake.md") for line in lines)


def test_list_shows_escape_sequences_from_a_table_escaped(write, capsys) -> None:
    table = "# T\n### Image Classification on X\n| Model | Top-1 (%) |\n|---|---|\n"
    path = write("README.md", table + "| `evil\x1b[2Jname` | 70 |\n")
    assert main(["list", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[2Jname" in out


def test_a_control_character_is_reported_at_its_file_line(write) -> None:
    text = "# Card\n\nprose\n\n" + CARD.format(metadata="    FLOPs: 1\x01\n")
    [problem] = modelindex.load(write("card.md", text)).problems
    assert (problem.kind, problem.line) == (ProblemKind.SYNTAX, 10)
    assert "#x0001" in problem.message and "position" not in problem.message
