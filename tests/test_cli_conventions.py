"""What users of a linter expect of the command line: colour, --exit-zero, --output-file,
did-you-mean with the command's own usage, defaults in --help, and --watch."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelindex.cli import _build, main
from tests.conftest import SEEDS

ROOT = Path(__file__).parent.parent
_DAMAGED_CARD = "A 3\u00c3\u2014 3 conv\n"


@pytest.fixture(autouse=True)
def _plain_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def test_no_colour_where_the_output_is_no_terminal(capsys) -> None:
    main(["validate", str(SEEDS)])
    assert "\x1b[" not in capsys.readouterr().out


def test_force_color_colours_and_no_color_wins(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    main(["validate", str(SEEDS)])
    coloured = capsys.readouterr().out
    assert "\x1b[1;31mU003\x1b[0m" in coloured and "\x1b[33mT001\x1b[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    main(["validate", str(SEEDS)])
    assert "\x1b[" not in capsys.readouterr().out
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "0")
    main(["validate", str(SEEDS)])
    assert "\x1b[" not in capsys.readouterr().out


def test_a_cards_own_escape_codes_stay_escaped_in_colour(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    card = tmp_path / "card.md"
    card.write_text(
        "<!--\nType: model-index\nModels:\n- Name: net\n  Metadata:\n"
        '    Interpolation: "\\e[2Jbicubic"\n-->\n'
    )
    main(["validate", str(card)])
    out = capsys.readouterr().out
    assert "S008" in out and "\\x1b[2j" in out and "\x1b[2j" not in out


def test_exit_zero_passes_findings_but_not_a_bug(capsys, failing_rule) -> None:
    assert main(["validate", str(SEEDS)]) == 1
    assert main(["validate", str(SEEDS), "--exit-zero"]) == 0
    failing_rule("S008")
    assert main(["validate", str(SEEDS), "--exit-zero"]) == 3
    assert "M001" in capsys.readouterr().out


def test_output_file_gets_the_report_and_stdout_nothing(tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.txt"
    report.write_text("")  # an empty file holds nothing to lose
    assert main(["validate", str(SEEDS), "--output-file", str(report), "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and '"code": "U003"' in report.read_text()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_output_file_never_overwrites_a_checked_card(tmp_path: Path, capsys) -> None:
    card = tmp_path / "card.md"
    card.write_text(_DAMAGED_CARD)
    assert main(["validate", str(card), "--output-file", str(card)]) == 2
    assert card.read_text() == _DAMAGED_CARD
    assert "holds something other than a report of validate's" in capsys.readouterr().err
    assert main(["validate", str(card), "--output-file", str(tmp_path)]) == 2


@pytest.mark.parametrize(
    ("argv", "usage", "hint"),
    [
        (["validate", "docs", "--strcit"], "usage: modelindex validate", "did you mean --strict?"),
        (["validate", "docs", "--formt=json"], "usage: modelindex validate", "--format?"),
        (["list", "docs", "--sortt", "name"], "usage: modelindex list", "did you mean --sort?"),
        (["validat", "docs"], "usage: modelindex [-h]", "did you mean validate?"),
    ],
)
def test_an_unknown_option_gets_the_commands_usage_and_a_suggestion(
    capsys, argv: list[str], usage: str, hint: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.startswith(usage) and hint in err


def _options() -> list[tuple[str, argparse.Action]]:
    _, commands = _build()
    return [
        (name, action)
        for name, command in commands.items()
        for action in command._actions
        if action.option_strings and action.nargs != 0 and action.help != argparse.SUPPRESS
    ]


@pytest.mark.parametrize(
    ("command", "action"),
    _options(),
    ids=[f"{name} {action.option_strings[0]}" for name, action in _options()],
)
def test_every_option_states_its_default_in_help(command: str, action: argparse.Action) -> None:
    text = action.help or ""
    if action.option_strings == ["--explain"]:
        return  # an action, not a setting
    stated = "default" in text or "required" in text
    if isinstance(action.default, (int, float)) and not isinstance(action.default, bool):
        stated = stated or f"({action.default:g})" in text
    elif isinstance(action.default, str):
        stated = stated or f"({action.default})" in text
    assert stated, f"{command} {action.option_strings[0]}: {text!r}"


def test_watch_checks_again_after_a_save(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text(_DAMAGED_CARD)
    command = [sys.executable, "-m", "modelindex", "validate", str(card), "--watch"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert process.stderr is not None and process.stdout is not None
    try:
        _wait_for(process, "watching for changes")
        card.write_text("A clean card\n")
        _wait_for(process, "changed: ")
        _wait_for(process, "watching for changes")
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    # The first check found the damage; the second found none.
    assert out.count("T001") == 1
    assert process.returncode == 130


def _wait_for(process: subprocess.Popen[str], text: str) -> None:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if text in line:
            return
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no {text!r} from --watch")


def test_output_file_refuses_what_a_rename_would_destroy(tmp_path: Path, capsys) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "elsewhere.txt")
    for target in (pipe, link, tmp_path / ("a" * 300)):
        assert main(["validate", str(SEEDS), "--output-file", str(target)]) == 2
        assert "error: --output-file" in capsys.readouterr().err
    assert pipe.exists() and link.is_symlink() and not (tmp_path / "elsewhere.txt").exists()


def test_a_report_inside_the_zoo_is_not_read_as_a_card(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    shutil.copytree(SEEDS, zoo)
    report = zoo / "report.txt"
    for _ in range(2):
        assert main(["validate", str(zoo), "--output-file", str(report)]) == 1
        assert "in 4 files" in capsys.readouterr().err
    assert "U003" in report.read_text()


def test_an_option_before_its_command_is_pointed_at(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--strict", "validate", "docs"])
    assert "--strict is an option of 'validate': write it after the command" in (
        capsys.readouterr().err
    )


def test_a_card_without_models_is_no_report_to_write_over(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    shutil.copytree(SEEDS, zoo)
    notes = zoo / "notes.md"
    notes.write_text("# Notes\n\nHow we measured the models.\n")
    assert main(["validate", str(zoo), "--output-file", str(notes)]) == 2
    assert notes.read_text() == "# Notes\n\nHow we measured the models.\n"
    assert "holds something other than a report of validate's" in capsys.readouterr().err


def test_watch_outlives_a_check_that_fails(tmp_path: Path, capsys) -> None:
    from modelindex.cli.common import Failure
    from modelindex.cli.watching import watch

    card = tmp_path / "card.md"
    card.write_text("one\n")
    calls: list[int] = []

    def run() -> int:
        calls.append(1)
        if len(calls) == 1:
            card.write_text("two lines\n")  # a save while the file was away
            raise Failure(f"{card}: No such file or directory")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        watch([str(card)], run, poll_s=0.01)
    assert len(calls) == 2
    assert "error: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[tool.modelindex]\nignore = ["U003"]\n'),
        ("README.md", "Hardware: A100 GPUs\nTraining: 300 epochs\n"),
        ("model-index.yml", "--- # our zoo\nModels:\n- Name: a\n"),
        ("model-index.json", '{"$schema": "x", "Models": [{"Name": "a"}]}\n'),
    ],
)
def test_output_file_replaces_nothing_but_a_report(
    tmp_path: Path, capsys, name: str, text: str
) -> None:
    target = tmp_path / name
    target.write_text(text)
    assert main(["validate", str(SEEDS), "--output-file", str(target)]) == 2
    assert target.read_text() == text


@pytest.mark.parametrize(
    "options",
    [
        ["--format", "text"],
        ["--format", "json"],
        ["--format", "github"],
        ["--format", "sarif"],
        ["--statistics"],
        ["--statistics", "--format", "json"],
    ],
)
def test_a_report_of_each_format_is_replaced_next_time(
    tmp_path: Path, capsys, options: list[str]
) -> None:
    zoo = tmp_path / "zoo"
    shutil.copytree(SEEDS, zoo)
    report = zoo / "report.txt"
    for _ in range(2):
        assert main(["validate", str(zoo), "--output-file", str(report), *options]) == 1
        capsys.readouterr()
    # A plain run does not read it as a card either.
    main(["validate", str(zoo), "--format", "json"])
    assert "report.txt" not in capsys.readouterr().out


def test_fix_writes_nothing_when_the_output_file_is_refused(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    shutil.copytree(SEEDS, zoo)
    before = (zoo / "resnet-d.md").read_bytes()
    assert main(["validate", str(zoo), "--fix", "--output-file", str(zoo / "resnest.md")]) == 2
    assert (zoo / "resnet-d.md").read_bytes() == before


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "json", "validate", "docs"],
        ["--select=N001", "validate", "docs"],
        ["--output-file", "r.txt", "validate", "docs"],
    ],
)
def test_an_option_with_a_value_before_its_command_is_pointed_at(capsys, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    assert "is an option of 'validate': write it after the command" in capsys.readouterr().err


def test_output_file_in_a_missing_folder_is_refused_before_any_fix(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    shutil.copytree(SEEDS, zoo)
    before = (zoo / "resnet-d.md").read_bytes()
    target = tmp_path / "missing" / "report.txt"
    assert main(["validate", str(zoo), "--fix", "--output-file", str(target)]) == 2
    assert (zoo / "resnet-d.md").read_bytes() == before
    assert "no folder" in capsys.readouterr().err


def test_a_users_own_patch_is_not_replaced(tmp_path: Path, capsys) -> None:
    patch = tmp_path / "mine.patch"
    patch.write_text("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert main(["validate", str(SEEDS), "--diff", "--output-file", str(patch)]) == 2
    assert patch.read_text().startswith("--- a/x")
