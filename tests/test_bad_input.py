"""Hostile and broken input: each gives a clear problem with file and line, in bounded time and
memory, and the other files of the same load still load."""

from __future__ import annotations

import os
import time
from pathlib import Path

import modelindex
from modelindex import ProblemKind
from tests.conftest import load_with_peak

GOOD_CARD = "<!--\nType: model-index\nModels:\n- Name: survivor\n  Metadata:\n    FLOPs: 10\n-->\n"


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\nModels:\n- Name: bomb\n  Metadata: *i\n"


def _load_with_survivor(tmp_path: Path, name: str, content: str | bytes):
    (tmp_path / "good.md").write_text(GOOD_CARD, encoding="utf-8")
    bad = tmp_path / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    started = time.perf_counter()
    zoo, peak = load_with_peak(tmp_path)
    elapsed = time.perf_counter() - started
    assert "survivor" in zoo, "a bad file must not cost another file its models"
    return zoo, bad, elapsed, peak


def _only_problem(zoo, bad: Path):
    problems = [p for p in zoo.problems if p.path == str(bad)]
    assert len(problems) == 1, zoo.problems
    return problems[0]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = "# Card\n\n<!--\nType: model-index\nModels:\n- Name: broken\n  Metadata: [1, 2\n-->\n"
    zoo, bad, _, _ = _load_with_survivor(tmp_path, "broken.md", text)
    problem = _only_problem(zoo, bad)
    assert problem.kind is ProblemKind.SYNTAX
    assert problem.line == 8
    assert str(problem).startswith(f"{bad}:8: invalid YAML")
    assert "\n" not in str(problem)


def test_malformed_metafile_names_file_and_line(tmp_path: Path) -> None:
    zoo, bad, _, _ = _load_with_survivor(tmp_path, "metafile.yml", "Models:\n- Name: x\n\tbad: 1\n")
    problem = _only_problem(zoo, bad)
    assert (problem.kind, problem.line) == (ProblemKind.SYNTAX, 3)


def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    content = b"# Title\nfine line\n" + b"caf\xe9 au lait\n"
    zoo, bad, _, _ = _load_with_survivor(tmp_path, "latin1.md", content)
    problem = _only_problem(zoo, bad)
    assert (problem.kind, problem.line) == (ProblemKind.NOT_UTF8, 3)
    assert "0xe9" in problem.message


def test_binary_file_is_refused(tmp_path: Path) -> None:
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    zoo, bad, _, _ = _load_with_survivor(tmp_path, "image.md", content)
    assert _only_problem(zoo, bad).kind is ProblemKind.BINARY


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    zoo, bad, elapsed, peak = _load_with_survivor(tmp_path, "model-index.yml", _billion_laughs())
    problem = _only_problem(zoo, bad)
    assert problem.kind is ProblemKind.TOO_COMPLEX
    assert "aliases" in problem.message
    assert problem.line is not None
    assert elapsed < 5
    assert peak < 100 * 2**20


def test_deep_nesting_is_refused_without_crashing(tmp_path: Path) -> None:
    depth = 100_000  # libyaml's recursive composer would overflow the C stack on this
    zoo, bad, elapsed, _ = _load_with_survivor(
        tmp_path, "metafile.yml", "Models: " + "[" * depth + "]" * depth + "\n"
    )
    assert _only_problem(zoo, bad).kind is ProblemKind.TOO_COMPLEX
    assert elapsed < 5


def test_moderate_nesting_beyond_the_schema_is_refused_with_a_line(tmp_path: Path) -> None:
    text = "Models:\n- Name: deep\n  Metadata: " + "[" * 500 + "]" * 500 + "\n"
    zoo, bad, _, _ = _load_with_survivor(tmp_path, "metafile.yml", text)
    problem = _only_problem(zoo, bad)
    assert problem.kind is ProblemKind.TOO_COMPLEX
    assert problem.line == 3


def test_fifty_megabyte_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    line = "| `m` | From scratch | 1.00 | 1.00 | 70.00 | [config](m.py) | [model](m.pth) |\n"
    content = (
        "# Big\n\n| Model | Pretrain | Params (M) | Flops (G) | Top-1 (%) | Config | Download |\n"
    )
    content += "|---|---|---|---|---|---|---|\n" + line * (50 * 2**20 // len(line) + 1)
    zoo, bad, elapsed, peak = _load_with_survivor(tmp_path, "huge.md", content)
    problem = _only_problem(zoo, bad)
    assert problem.kind is ProblemKind.TOO_LARGE
    assert "50.0 MiB" in problem.message
    assert peak < 5 * 2**20
    assert elapsed < 5


def test_max_file_size_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "card.md").write_text(GOOD_CARD, encoding="utf-8")
    zoo = modelindex.load(tmp_path, max_file_size=10)
    assert zoo.problems[0].kind is ProblemKind.TOO_LARGE
    assert len(zoo) == 0


def test_symlink_loop_in_a_walked_folder(tmp_path: Path) -> None:
    (tmp_path / "zoo" / "deeper").mkdir(parents=True)
    (tmp_path / "zoo" / "deeper" / "card.md").write_text(GOOD_CARD, encoding="utf-8")
    os.symlink("..", tmp_path / "zoo" / "deeper" / "back-up")
    os.symlink("self.md", tmp_path / "zoo" / "self.md")
    started = time.perf_counter()
    zoo = modelindex.load(tmp_path / "zoo")
    assert time.perf_counter() - started < 5
    assert zoo.names == ["survivor"]
    kinds = sorted(problem.kind.value for problem in zoo.problems)
    assert kinds == ["symlink-loop", "symlink-loop"]
    assert any(p.path.endswith("back-up") for p in zoo.problems)
    assert any(p.path.endswith("self.md") for p in zoo.problems)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD_CARD, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.md")  # opening it for reading would wait for a writer forever
    zoo = modelindex.load(tmp_path)
    assert "survivor" in zoo
    [problem] = zoo.problems
    assert (problem.kind, problem.message) == (ProblemKind.UNREADABLE, "not a regular file")


def test_wrong_shapes_are_problems_not_crashes(tmp_path: Path) -> None:
    cases = {
        "a/model-index.yml": "- just\n- strings\n",
        "b/model-index.yml": "42\n",
        "c/model-index.yml": "Models: 7\nCollections: [1]\nImport: [3]\n",
        "d/model-index.yml": "",
        "e/model-index.json": '{"Models": [{"Name": "j", "Metadata": 5}]',
        "f/card.md": "<!--\nType: model-index\nModels:\n- Name: [1, 2]\n  Metadata: {FLOPs: [x]}\n-->\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "good.md").write_text(GOOD_CARD, encoding="utf-8")
    zoo = modelindex.load(tmp_path)
    assert "survivor" in zoo
    problem_files = {Path(p.path).parent.name for p in zoo.problems}
    assert problem_files == {"a", "b", "c", "d", "e"}
    assert all(p.line is not None for p in zoo.problems if not p.path.endswith("json"))
    [odd] = [m for m in zoo.models if m.source.path.endswith("card.md")]
    assert {item.field for item in odd.invalid} == {"Name", "FLOPs"}
