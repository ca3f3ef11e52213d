"""Hostile and broken cards found by the adversarial review of issue 12: each once crashed a whole
run, read outside the zoo, filled memory, took minutes, dropped data or printed a lie."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

import modelindex
from modelindex import ProblemKind, loading, located_yaml
from modelindex.checks import Settings, validate
from modelindex.cli import main
from modelindex.readers import readme_tables
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

    monkeypatch.setattr("modelindex.cli.common.load", crash)
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
    assert first.metadata.extra == last.metadata.extra  # one dict behind two read-only views
    assert first.results is last.results and first.metric("Top 1 Accuracy") == 70
    assert (own.metadata.extra["key0"], own.metadata.extra["more"], own.metadata.extra["key9"]) == (
        "mine",
        1,
        9,
    )
    assert own.model_dump(mode="json")["metadata"]["extra"]["key199"] == 199
    # A model's own keys come first, as in a merged mapping, and the view is read-only.
    assert list(own.metadata.extra)[:3] == ["key0", "more", "key1"]
    assert len(own.metadata.extra) == 201 and dict(own.metadata.extra)["key0"] == "mine"
    with pytest.raises(TypeError):
        own.metadata.extra["key1"] = "changed"  # type: ignore[index]
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
    monkeypatch.setattr(located_yaml, "MAX_NODES", 2_000)
    comment = "<!--\nType: model-index\nModels:\n- Name: m{}\n  Metadata: {{Tasks: [{}]}}\n-->\n"
    text = "".join(comment.format(i, "1," * 800) for i in range(3))
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
        (
            "README.md",
            "---\nmodel-index:\n- name: a\n  name: b\n  results: []\nlicense: mit\n---\n",
            4,
        ),
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


def test_sigterm_ends_a_command_as_ctrl_c_does(monkeypatch: pytest.MonkeyPatch) -> None:
    cleaned: list[bool] = []

    def terminated_while_loading(*args: object, **kwargs: object) -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            cleaned.append(True)

    monkeypatch.setattr("modelindex.cli.common.load", terminated_while_loading)
    before = signal.getsignal(signal.SIGTERM)
    started = time.perf_counter()
    assert main(["list", "somewhere"]) == 130
    assert time.perf_counter() - started < 2
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is before


# --- Import paths and globs (second review) ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("model-index.yml", 'Import: "a\\0b"\n'),
        ("model-index.json", '{"Import": "\\ud800x"}'),
        ("card.md", '<!--\nType: model-index\nModels: ["a\\0b"]\n-->\n'),
    ],
)
def test_an_import_that_is_no_file_name_is_a_finding(write, name: str, text: str) -> None:
    write("good/model-index.yml", "Models:\n- Name: good\n")
    zoo = modelindex.load(write(f"bad/{name}", text).parent.parent)
    assert zoo.names == ["good"]
    [problem] = zoo.problems
    assert problem.kind is ProblemKind.IMPORT_MISSING and "not a file name" in problem.message


def test_a_thousand_nested_folders_load_without_recursion(tmp_path: Path) -> None:
    folders = [tmp_path / "deep"]
    for _ in range(1_000):  # mkdir(parents=True) and rmtree recurse themselves
        folders.append(folders[-1] / "d")
    for folder in folders:
        folder.mkdir()
    card = folders[-1] / "card.md"
    card.write_text(CARD.format(metadata="    FLOPs: 1\n"), encoding="utf-8")
    try:
        zoo = modelindex.load(folders[0])
        assert (zoo.names, zoo.problems) == (["m"], [])
    finally:
        card.unlink()
        for folder in reversed(folders):
            folder.rmdir()


def test_a_long_import_chain_is_read_to_its_end(tmp_path: Path) -> None:
    for number in range(1_200):
        (tmp_path / f"f{number}.yml").write_text(
            f"Models:\n- Name: m{number}\nImport: f{number + 1}.yml\n", encoding="utf-8"
        )
    (tmp_path / "f1200.yml").write_text("Models:\n- Name: last\n", encoding="utf-8")
    zoo = modelindex.load(tmp_path / "f0.yml")
    assert len(zoo.models) == 1_201 and zoo.problems == []


def test_import_globs_end_quickly_whatever_their_shape(tmp_path: Path) -> None:
    loops = tmp_path / "loops"
    loops.mkdir()
    os.symlink(".", loops / "a")
    os.symlink(".", loops / "b")
    (loops / "x.yml").write_text("Models:\n- Name: x\n", encoding="utf-8")
    stars = "/".join(["*"] * 17)
    (loops / "model-index.yml").write_text(f'Import: ["{stars}/x.yml"]\n', encoding="utf-8")
    chain = tmp_path / "chain"
    chain.joinpath(*["c"] * 150).mkdir(parents=True)
    chain.joinpath(*["c"] * 150, "x.yml").write_text("Models:\n- Name: y\n", encoding="utf-8")
    chain.joinpath("model-index.yml").write_text('Import: ["**/**/**/x.yml"]\n', encoding="utf-8")
    many = tmp_path / "many"
    for folder in range(200):
        (many / f"f{folder}").mkdir(parents=True)
        (many / f"f{folder}" / "metafile.yml").write_text(f"Models:\n- Name: z{folder}\n")
    (many / "model-index.yml").write_text("Import:\n" + '- "**/*.yml"\n' * 2_000)
    started = time.perf_counter()
    zoos = [modelindex.load(folder / "model-index.yml") for folder in (loops, chain, many)]
    assert time.perf_counter() - started < 5
    assert [len(zoo.models) for zoo in zoos] == [1, 1, 200]
    assert all(zoo.problems == [] for zoo in zoos)


def test_an_import_glob_through_a_link_out_of_the_zoo_names_nothing_outside(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    (outside / "etc").mkdir(parents=True)
    (outside / "etc" / "hostname").write_text("secret-host\n", encoding="utf-8")
    zoo_root = tmp_path / "zoo"
    zoo_root.mkdir()
    os.symlink(outside, zoo_root / "l")
    (zoo_root / "model-index.yml").write_text('Import: ["l*/etc/host*"]\n', encoding="utf-8")
    zoo = modelindex.load(zoo_root / "model-index.yml")
    assert "hostname" not in " ".join(str(problem) for problem in zoo.problems)
    assert {problem.kind for problem in zoo.problems} <= {
        ProblemKind.OUTSIDE_ROOT,
        ProblemKind.IMPORT_MISSING,
    }


def test_a_folder_named_like_a_glob_imports_plainly(tmp_path: Path) -> None:
    zoo_root = tmp_path / "zoo[v2]"
    (zoo_root / "sub").mkdir(parents=True)
    (zoo_root / "sub" / "a.yml").write_text("Models:\n- Name: a\n", encoding="utf-8")
    (zoo_root / "model-index.yml").write_text("Import: [sub/a.yml, 'sub/*.yml']\n")
    zoo = modelindex.load(zoo_root / "model-index.yml")
    assert (zoo.names, zoo.problems) == (["a"], [])


def test_files_that_import_each_other_by_glob_are_no_cycle(tmp_path: Path) -> None:
    for number in range(300):
        (tmp_path / f"m{number}.yml").write_text(
            f'Import: "*.yml"\nModels: [{{Name: n{number}}}]\n'
        )
    zoo = modelindex.load(tmp_path / "m0.yml")
    assert len(zoo.models) == 300 and zoo.problems == []


def test_a_long_import_cycle_is_reported_once_with_its_middle_left_out(tmp_path: Path) -> None:
    for number in range(50):
        (tmp_path / f"c{number}.yml").write_text(f"Import: c{(number + 1) % 50}.yml\n")
    [problem] = modelindex.load(tmp_path / "c0.yml").problems
    assert problem.kind is ProblemKind.IMPORT_CYCLE
    assert "(46 more)" in problem.message and problem.message.count(" -> ") == 5


# --- every output format stays printable UTF-8 --------------------------------------------------

HOSTILE_NAME = "a\x1b[2J\x1b]0;pwned\x07\x9b31m\u2028::error file=x::fake\ud800"


@pytest.mark.parametrize("output", ["text", "json", "github", "sarif"])
def test_every_report_format_escapes_what_a_card_or_file_name_holds(
    tmp_path: Path, capsys, output: str
) -> None:
    card = json.dumps({"Models": [{"Name": HOSTILE_NAME, "Weights": "https://x/w.pth"}] * 2})
    (tmp_path / "model-index.json").write_text(card, encoding="utf-8")
    undecodable = os.fsdecode(b"\xff-card.md")
    (tmp_path / undecodable).write_text(CARD.format(metadata="    FLOPs: x\n"), encoding="utf-8")
    assert main(["validate", str(tmp_path), "--format", output]) == 1
    out = capsys.readouterr().out
    out.encode("utf-8")  # no lone surrogate: prints under a strict UTF-8 stdout
    assert all(c.isprintable() for line in out.splitlines() for c in line)
    if output == "github":
        assert all(
            line.startswith(("::error ", "::warning ", "::notice ")) for line in out.splitlines()
        )
    if output == "sarif":
        uris = {
            location["physicalLocation"]["artifactLocation"]["uri"]
            for result in json.loads(out)["runs"][0]["results"]
            for location in result["locations"]
        }
        assert any(uri.endswith("/%FF-card.md") for uri in uris)


def test_csv_rows_escape_control_characters(write, capsys) -> None:
    path = write("model-index.json", json.dumps({"Models": [{"Name": HOSTILE_NAME}]}))
    assert main(["list", str(path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")
    assert "\x1b" not in out and "\x9b" not in out and "\u2028" not in out


# --- budgets shared by a file's documents (second review) ---------------------------------------


def test_aliases_across_a_cards_comments_share_one_budget(write) -> None:
    comment = (
        "<!--\nType: model-index\nA: &a [1,1,1,1,1,1,1,1,1,1]\nB: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "C: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nD: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "Models: [{Name: m{n}, Metadata: {Training Data: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]}}]\n-->\n"
    )
    path = write("card.md", "".join(comment.replace("{n}", str(n)) for n in range(300)))
    started = time.perf_counter()
    zoo, peak = load_with_peak(path)
    assert time.perf_counter() - started < 10
    assert peak < 200 * 2**20
    assert ProblemKind.TOO_COMPLEX in {problem.kind for problem in zoo.problems}


def test_a_list_inside_a_text_list_is_an_invalid_value(write) -> None:
    zoo = modelindex.load(write("card.md", CARD.format(metadata="    Training Data: [[a, b]]\n")))
    assert [invalid.field for invalid in zoo["m"].invalid] == ["Training Data"]


def test_keys_without_values_count_twice_toward_the_limit(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(located_yaml, "MAX_NODES", 1_000)
    keys = ", ".join(f"k{i}" for i in range(700))  # 700 keys and 700 empty values
    [problem] = modelindex.load(write("model-index.yml", f"X: {{{keys}}}\n")).problems
    assert problem.kind is ProblemKind.TOO_COMPLEX


def test_repeated_keys_are_reported_a_hundred_times_at_most(write) -> None:
    text = "Models:\n- Name: a\n  Metadata:\n" + "    FLOPs: 1\n" * 5_000
    problems = modelindex.load(write("model-index.yml", text)).problems
    assert 50 <= len(problems) <= 101
    assert all(problem.kind is ProblemKind.DUPLICATE_KEY for problem in problems)


def test_a_card_of_many_comments_is_cut_with_a_finding(write) -> None:
    comment = "<!--\nType: model-index\nModels: [{Name: m{n}}]\n-->\n"
    path = write("card.md", "".join(comment.replace("{n}", str(n)) for n in range(5_000)))
    started = time.perf_counter()
    zoo = modelindex.load(path)
    assert time.perf_counter() - started < 3
    assert len(zoo.models) == 1_000
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.TOO_COMPLEX, 4_001)


def test_a_table_past_the_row_limit_is_cut_while_it_is_read(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readme_tables, "MAX_ENTRIES_PER_FILE", 11)
    rows = "".join(f"| `m{n}` | 1 |\n" for n in range(50))
    zoo = modelindex.load(write("README.md", "# T\n| Model | Top-1 (%) |\n|---|---|\n" + rows))
    assert len(zoo.models) == 10
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.TOO_COMPLEX, 14)


def test_a_large_file_broken_at_its_end_fails_fast(write) -> None:
    text = "Models:\n" + "- {Name: model_with_a_long_name}\n" * 100_000 + "bad: [\n"
    path = write("model-index.yml", text)
    started = time.perf_counter()
    [problem] = modelindex.load(path).problems
    assert time.perf_counter() - started < 3
    assert problem.kind is ProblemKind.SYNTAX


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"])
def test_unusual_line_breaks_do_not_shift_line_numbers(write, separator: str) -> None:
    text = CARD.format(metadata=f"    Tasks: [a{separator}b]\n    Parameters: bad\n")
    [invalid] = modelindex.load(write("card.md", text))["m"].invalid
    assert (invalid.field, invalid.location.line) == ("Parameters", 7)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Models:\n- Name: a\nmodels:\n- Name: b\n", 3),
        ("Models:\n- Name: a\n  ID: a\n  Metadata: {ID: b}\n", 4),
        ("Models:\n- Name: a\n  Metadata:\n    Params: 1\n    parameters: 2\n", 5),
        ("Models:\n- Name: a\n  weights: x\n  Weights: y\n", 4),
    ],
)
def test_two_spellings_of_one_key_are_a_duplicate(write, text: str, line: int) -> None:
    problems = modelindex.load(write("model-index.yml", text)).problems
    assert [(problem.kind, problem.line) for problem in problems] == [
        (ProblemKind.DUPLICATE_KEY, line)
    ]


def test_duplicate_keys_a_hub_card_holds_outside_its_model_index_are_not_ours(write) -> None:
    text = (
        "---\ntags: [a]\nlicense: mit\ntags: [b]\nmodel-index:\n- name: m\n  name: n\n  results: []\n"
        "license: apache-2.0\n---\n"
    )
    [problem] = modelindex.load(write("README.md", text)).problems
    assert (problem.kind, problem.line) == (ProblemKind.DUPLICATE_KEY, 7)


# --- internal errors are never hidden (second review) -------------------------------------------


def _failing_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    original = loading.read_text

    def failing_on_bad(path: str, text: str):
        if path.endswith("bad.md"):
            raise ZeroDivisionError("a reader bug")
        return original(path, text)

    monkeypatch.setattr(loading, "read_text", failing_on_bad)


@pytest.mark.parametrize("argv", [["list"], ["show", "g"]])
def test_list_and_show_exit_3_when_a_reader_fails(
    write, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    _failing_reader(monkeypatch)
    write("bad.md", CARD.format(metadata="    FLOPs: 1\n"))
    folder = write("good.md", CARD.format(metadata="    FLOPs: 1\n").replace("Name: m", "Name: g"))
    assert main([*argv, str(folder.parent)]) == 3


@pytest.mark.parametrize("options", [["--select", "S"], ["--ignore", "M001"], ["--ignore", "M"]])
def test_settings_cannot_hide_an_internal_error(
    write, monkeypatch: pytest.MonkeyPatch, capsys, options: list[str]
) -> None:
    _failing_reader(monkeypatch)
    folder = write("bad.md", CARD.format(metadata="    FLOPs: 1\n")).parent
    assert main(["validate", str(folder), *options]) == 3
    assert "M001" in capsys.readouterr().out


def test_a_rule_that_fails_on_one_model_still_checks_the_others(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelindex.checks import registry

    rule = registry.RULES["S005"]
    original = rule.check

    def failing_on_one(entry, context):
        if entry.name == "b":
            raise RuntimeError("a rule bug")
        return original(entry, context)

    monkeypatch.setitem(registry.RULES, "S005", dataclasses.replace(rule, check=failing_on_one))
    text = "Models:\n" + "".join(f"- Name: {n}\n  Metadata: {{ID: x{n}}}\n" for n in "abc")
    report = validate(modelindex.load(write("model-index.yml", text)))
    found = [(f.code, f.line) for f in report.findings if f.code in {"S005", "M001"}]
    assert found == [("S005", 3), ("M001", 4), ("S005", 7)]
    assert report.exit_code() == 3


def test_results_inherited_by_many_models_are_checked_once(write) -> None:
    results = "".join(
        f"  - {{Task: T, Dataset: D{i % 7}, Metrics: {{Top 1 Accuracy: {50 + i % 40}, "
        f"Top 5 Accuracy: 99, mAP: {i % 120}}}}}\n"
        for i in range(2_000)
    )
    models = "".join(f"- {{Name: m{i}, In Collection: C}}\n" for i in range(500))
    path = write(
        "model-index.yml", f"Collections:\n- Name: C\n  Results:\n{results}Models:\n{models}"
    )
    zoo = modelindex.load(path)
    started = time.perf_counter()
    report = validate(zoo)
    assert time.perf_counter() - started < 5
    assert report.by_code()["S009"] == 304  # mAP 101-119 on the collection, once each


@pytest.mark.parametrize(
    ("url", "fault"),
    [
        ("http://x..example.com/w.pth", True),
        ("http://" + "a" * 64 + ".example.com/w.pth", True),
        ("http://" + "a" * 63 + ".example.com/w.pth", False),
        ("https://example.com./w.pth", False),
        ("https://b\u00fccher.de/w.pth", False),
    ],
)
def test_a_host_name_no_resolver_accepts_is_an_invalid_url(url: str, fault: bool) -> None:
    from modelindex.links import url_fault

    assert (url_fault(url) is not None) is fault


# --- third review ---------------------------------------------------------------------------------


def test_many_import_patterns_over_a_large_tree_end_within_a_budget(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    for folder in range(100):
        (tree / f"f{folder}").mkdir(parents=True)
        for name in range(200):
            (tree / f"f{folder}" / f"x{name}.txt").touch()
    patterns = "".join(f"- t/**/nomatch{number}.yml\n" for number in range(2_000))
    (tmp_path / "model-index.yml").write_text(f"Import:\n{patterns}Models: [{{Name: a}}]\n")
    started = time.perf_counter()
    zoo = modelindex.load(tmp_path / "model-index.yml")
    assert time.perf_counter() - started < 15
    assert zoo.names == ["a"]
    assert ProblemKind.TOO_COMPLEX in {problem.kind for problem in zoo.problems}
    assert len(zoo.problems) <= 101  # at most a hundred problems a file, and a count of the rest


def test_a_run_of_double_stars_matches_as_one(tmp_path: Path) -> None:
    (tmp_path / "t" / "a").mkdir(parents=True)
    (tmp_path / "t" / "a" / "x.yml").write_text("Models: [{Name: x}]\n")
    (tmp_path / "model-index.yml").write_text('Import: ["t/' + "**/" * 3_000 + 'x.yml"]\n')
    started = time.perf_counter()
    zoo = modelindex.load(tmp_path / "model-index.yml")
    assert time.perf_counter() - started < 2
    assert (zoo.names, zoo.problems) == (["x"], [])


def test_import_globs_skip_the_folders_a_walk_skips(tmp_path: Path) -> None:
    for package in range(300):
        folder = tmp_path / "node_modules" / f"p{package}"
        folder.mkdir(parents=True)
        for name in range(20):
            (folder / f"f{name}.js").touch()
    (tmp_path / "zoo").mkdir()
    (tmp_path / "zoo" / "metafile.yml").write_text("Models: [{Name: z}]\n")
    (tmp_path / "model-index.yml").write_text('Import: "**/metafile.yml"\n')
    zoo = modelindex.load(tmp_path / "model-index.yml")
    assert (zoo.names, zoo.problems) == (["z"], [])


def test_a_pattern_ending_in_double_star_imports_folders_not_every_file(tmp_path: Path) -> None:
    (tmp_path / "configs" / "resnet").mkdir(parents=True)
    (tmp_path / "configs" / "resnet" / "metafile.yml").write_text("Models: [{Name: r}]\n")
    (tmp_path / "configs" / "resnet" / "resnet50.py").write_text("model = dict()\n")
    (tmp_path / "configs" / "channel_map.json").write_text('{"a": 1}\n')
    for pattern in ("configs/**", "configs/*/"):
        (tmp_path / "model-index.yml").write_text(f'Import: "{pattern}"\n')
        zoo = modelindex.load(tmp_path / "model-index.yml")
        assert (zoo.names, zoo.problems) == (["r"], []), pattern


def test_a_double_star_does_not_follow_a_link_to_a_folder(tmp_path: Path) -> None:
    (tmp_path / "configs" / "a").mkdir(parents=True)
    (tmp_path / "configs" / "a" / "metafile.yml").write_text("Models: [{Name: m}]\n")
    os.symlink("configs", tmp_path / "alias")
    (tmp_path / "model-index.yml").write_text('Import: "**/metafile.yml"\n')
    zoo = modelindex.load(tmp_path / "model-index.yml")
    assert [Path(model.source.path).relative_to(tmp_path).parts[0] for model in zoo] == ["configs"]


def test_a_relative_import_from_the_current_folder_names_files_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "configs" / "resnet").mkdir(parents=True)
    (tmp_path / "configs" / "resnet" / "metafile.yml").write_text("Models: [{Name: r}]\n")
    (tmp_path / "model-index.yml").write_text('Import: "*/resnet/metafile.yml"\n')
    monkeypatch.chdir(tmp_path)
    assert modelindex.load("model-index.yml")["r"].source.path == "configs/resnet/metafile.yml"


def test_dot_dot_after_a_wildcard_is_refused_in_words(write) -> None:
    write("a/m.yml", "Models: [{Name: m}]\n")
    [problem] = modelindex.load(write("model-index.yml", 'Import: "*/../a/m.yml"\n')).problems
    assert problem.kind is ProblemKind.IMPORT_MISSING and "'..' after a wildcard" in problem.message


def test_many_failing_imports_are_capped_per_file(write) -> None:
    imports = "".join(f"- missing{number}.yml\n" for number in range(5_000))
    problems = modelindex.load(write("model-index.yml", f"Import:\n{imports}")).problems
    assert len(problems) == 101 and "4,900 more problems" in problems[-1].message


def test_an_explicit_key_beats_a_merged_one_of_another_spelling(write) -> None:
    text = (
        "base: &base {Params: 1000, FLOPs: 5}\nModels:\n- Name: a\n  Metadata:\n"
        "    Parameters: 2000\n    <<: *base\n"
    )
    zoo = modelindex.load(write("model-index.yml", text))
    assert (zoo["a"].metadata.parameters, zoo["a"].metadata.flops, zoo.problems) == (2000, 5, [])


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"])
def test_unusual_line_breaks_keep_values_as_written(write, separator: str) -> None:
    text = CARD.format(metadata=f"    Training Data: ['a{separator}b']\n    FLOPs: 1\n")
    model = modelindex.load(write("card.md", text))["m"]
    # What YAML itself makes of the break (it folds NEL into a space), not a space of ours.
    assert model.metadata.training_data == yaml.safe_load(f"x: ['a{separator}b']")["x"]
    assert model.location("FLOPs").line == 7


def test_implausible_accuracy_weighs_results_that_models_share(write) -> None:
    inherited = "".join(f"- {{Name: i{n}, In Collection: C}}\n" for n in range(20))
    own = "".join(
        f"- {{Name: o{n}, Results: [{{Task: T, Dataset: D, Metrics: {{Top 1 Accuracy: 1.0{n}}}}}]}}\n"
        for n in range(1, 5)
    )
    text = (
        "Collections:\n- Name: C\n  Results:\n"
        "  - {Task: T, Dataset: D, Metrics: {Top 1 Accuracy: 80}}\n"
        f"Models:\n{inherited}{own}"
    )
    report = validate(modelindex.load(write("model-index.yml", text)), Settings(select=("N007",)))
    assert sorted(finding.model for finding in report.findings) == ["o1", "o2", "o3", "o4"]


def test_show_exits_3_when_a_reader_fails_and_the_model_is_missing(
    write, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_reader(monkeypatch)
    folder = write("bad.md", CARD.format(metadata="    FLOPs: 1\n")).parent
    assert main(["show", "m", str(folder)]) == 3


def test_inherited_keys_are_read_only_whether_or_not_a_model_adds_its_own(write) -> None:
    text = (
        "Collections:\n- Name: C\n  Metadata: {Qux: 1}\n"
        "Models:\n- {Name: a, In Collection: C}\n- {Name: b, In Collection: C}\n"
    )
    zoo = modelindex.load(write("model-index.yml", text))
    with pytest.raises(TypeError):
        zoo["a"].metadata.extra["Qux"] = 5  # type: ignore[index]
    assert zoo["b"].metadata.extra["Qux"] == 1
