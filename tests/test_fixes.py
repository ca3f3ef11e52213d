"""``validate --fix``, ``--unsafe-fixes`` and ``--diff``: only the value changes, and atomically."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelindex import load
from modelindex.checks import validate
from modelindex.checks.findings import Applicability, Edit, EditPart, Finding, Repair, Severity
from modelindex.checks.fixes import plan_fixes, write_fixes
from modelindex.cli import main
from modelindex.schema import Location
from tests.conftest import FIXTURES, SEEDS, TIMM_DOCS


@pytest.fixture(autouse=True)
def _no_project_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def _bytes_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.split(b"\n"), after.split(b"\n")
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def _codes(capsys, *argv: str) -> tuple[int, str]:
    code = main(["validate", *argv])
    return code, capsys.readouterr().out


def test_fix_repairs_the_seeds_mojibake_and_changes_nothing_else(tmp_path: Path, capsys) -> None:
    zoo = _copy(SEEDS, tmp_path)
    before = _bytes_of(zoo)
    main(["validate", str(zoo), "--fix"])
    err = capsys.readouterr().err
    after = _bytes_of(zoo)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["resnet-d.md"]
    [(old, new)] = _changed_lines(before["resnet-d.md"], after["resnet-d.md"])
    assert old.replace("1\u00c3\u2014".encode(), "1\u00d7".encode()) == new
    assert "Fixed 1 finding in 1 file." in err and "more fixes with --unsafe-fixes" in err
    # The unsafe ones were not applied: the TResNet counts are still there.
    _, out = _codes(capsys, str(zoo))
    assert "T001" not in out and "tresnet.md:36: V001" in out


def test_unsafe_fixes_set_the_six_tresnet_counts_on_the_timm_docs(tmp_path: Path, capsys) -> None:
    zoo = _copy(TIMM_DOCS, tmp_path)
    before = _bytes_of(zoo)
    main(["validate", str(zoo), "--fix", "--unsafe-fixes"])
    after = _bytes_of(zoo)
    assert [name for name in before if before[name] != after[name]] == ["tresnet.md"]
    changes = _changed_lines(before["tresnet.md"], after["tresnet.md"])
    assert [(old.decode().strip(), new.decode().strip()) for old, new in changes] == [
        ("Parameters: 53456696", "Parameters: 55989256"),
        ("Parameters: 53456696", "Parameters: 55989256"),
        ("Parameters: 41282200", "Parameters: 31389032"),
        ("Parameters: 29278464", "Parameters: 31389032"),
        ("Parameters: 75646610", "Parameters: 78436244"),
        ("Parameters: 75646610", "Parameters: 78436244"),
    ]
    assert "Fixed 6 findings in 1 file." in capsys.readouterr().err
    _, out = _codes(capsys, str(zoo))
    assert "V001" not in out and "tresnet.md:284: U003" in out


def test_diff_shows_the_change_and_writes_nothing(tmp_path: Path, capsys) -> None:
    zoo = _copy(SEEDS, tmp_path)
    before = _bytes_of(zoo)
    code = main(["validate", str(zoo), "--diff", "--unsafe-fixes"])
    captured = capsys.readouterr()
    assert code == 1 and _bytes_of(zoo) == before
    # Paths relative to the current folder, as git apply wants them.
    assert "--- a/seeds/tresnet.md\n+++ b/seeds/tresnet.md\n" in captured.out
    assert "-    Parameters: 53456696\n+    Parameters: 55989256\n" in captured.out
    assert "+**ResNet-D**" in captured.out
    assert "Would fix" in captured.err
    clean = tmp_path / "clean.md"
    clean.write_text("# nothing to fix\n<!--\nModels:\n- Name: a\n  Weights: x.pth\n-->\n")
    assert main(["validate", str(clean), "--diff"]) == 0


_METAFILE = (
    "# a zoo's metafile\r\n"
    "Models:\r\n"
    "  - Name: net  # the first\r\n"
    "    Metadata:\r\n"
    "      Interpolation: 'Bicubicc'   # as trained\r\n"
    "      Crop Pct: 0.9\r\n"
    "    Weights: https://example.org/net.pth\r\n"
    "  - Name: other\r\n"
    "    Metadata: {Interpolation: bilinearr}\r\n"
    "    Weights: https://example.org/other.pth\r\n"
)


def test_a_value_edit_keeps_quotes_comments_and_line_endings(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    path.write_bytes(_METAFILE.encode())
    main(["validate", str(path), "--fix"])
    err = capsys.readouterr().err
    expected = _METAFILE.replace("'Bicubicc'", "'bicubic'")
    assert path.read_bytes() == expected.encode()
    # A value in a flow mapping is not edited; the summary says why.
    assert "model-index.yml:9: S008 not fixed: the key is 'Metadata', not 'Interpolation'" in err


_JSON_ZOO = (
    '{"Models": [\n  {"Name": "net",\n   "Metadata": {\n    "Interpolation": "bicubc",\n'
    '    "Crop Pct": 0.875}, "Weights": "https://example.org/net.pth"}]}\n'
)
_CARD = (
    "# Net\n\n<!--\nType: model-index\nModels:\n- Name: net\n  Metadata:\n"
    "    Interpolation: bilnear\n  Weights: https://example.org/net.pth\n-->\n"
)


@pytest.mark.parametrize(
    ("name", "text", "old", "new"),
    [
        ("model-index.json", _JSON_ZOO, '"bicubc"', '"bicubic"'),  # JSON keeps its quotes
        ("card.md", _CARD, "bilnear", "bilinear"),  # in a card's model-index comment
    ],
)
def test_each_dialect_gets_its_value_fixed(
    tmp_path: Path, name: str, text: str, old: str, new: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    main(["validate", str(path), "--fix"])
    assert path.read_text() == text.replace(old, new)


def _finding(path: Path, line: int, edit: Edit) -> Finding:
    return Finding(
        Location(str(path), line),
        "synthetic",
        repair=Repair((edit,), Applicability.SAFE),
        code="T001",
        severity=Severity.WARNING,
    )


def test_a_fix_that_would_break_the_file_is_not_applied(tmp_path: Path) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text("Models:\n- Name: net\n  Weights: https://example.org/net.pth\n")
    report = validate(load(str(path)))
    breaking = _finding(path, 2, Edit(Location(str(path), 2), "Name: net", "Name: [net"))
    report.findings.append(breaking)
    [fix] = plan_fixes(report, unsafe=False)
    assert not fix.changed and fix.refused is not None and "would not read" in fix.refused


def test_an_edit_checks_the_line_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text("Models:\n- Name: net\n  Metadata:\n    Parameters: 25.6M\n")
    report = validate(load(str(path)))
    at = Location(str(path), 4)
    report.findings += [
        # The value reads as the number it was found to be, whatever its spelling.
        _finding(path, 4, Edit(at, 25_600_000, "25557032", EditPart.VALUE, "Parameters")),
        # Another key, or a value that has changed since, is not edited; nor is text that
        # another fix changes.
        _finding(path, 4, Edit(at, 25_600_000, "1", EditPart.VALUE, "FLOPs")),
        _finding(path, 4, Edit(at, 99, "1", EditPart.VALUE, "Parameters")),
        _finding(path, 4, Edit(at, 25_600_000, "2", EditPart.VALUE, "Parameters")),
    ]
    [fix] = plan_fixes(report, unsafe=False)
    assert fix.new.endswith("    Parameters: 25557032\n")
    assert [why for _, why in fix.unfit] == [
        "the key is 'Parameters', not 'FLOPs'",
        "the value '25.6M' no longer reads as 99",
        "another fix changes the same text",
    ]


def test_fix_changes_no_file_outside_the_index_and_no_link(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    # A file no walk reads, reached through a link that one does: the link is read, not
    # written through.
    target = zoo / "notes.text"
    target.write_text("A 3\u00c3\u2014 3 conv\n")
    (zoo / "card.md").symlink_to(target)
    main(["validate", str(zoo), "--fix"])
    assert target.read_text() == "A 3\u00c3\u2014 3 conv\n"
    assert (zoo / "card.md").is_symlink()
    assert "card.md: not changed: cannot be edited: not a regular file" in capsys.readouterr().err


def test_usage_errors_name_the_flag(capsys) -> None:
    assert main(["validate", str(SEEDS), "--unsafe-fixes"]) == 2
    assert "add --fix or --diff" in capsys.readouterr().err
    assert main(["validate", str(SEEDS), "--fix", "--diff"]) == 2


_DAMAGED = "# Card {n}\n\nA 3\u00c3\u2014 3 convolution.\n\n" + "Plain prose. " * 20_000 + "\n"


def test_a_killed_fix_leaves_every_card_old_or_new(tmp_path: Path) -> None:
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    cards = [zoo / f"card{n:03}.md" for n in range(80)]
    old = {card: _DAMAGED.format(n=n).encode() for n, card in enumerate(cards)}
    new = {
        card: text.replace("3\u00c3\u2014".encode(), "3\u00d7".encode())
        for card, text in old.items()
    }
    for card, text in old.items():
        card.write_bytes(text)
    command = [sys.executable, "-m", "modelindex", "validate", str(zoo), "--fix"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Killed as soon as the first card is replaced: the others are being written.
        deadline = time.monotonic() + 120
        while cards[0].read_bytes() == old[cards[0]] and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    states = [
        "new"
        if card.read_bytes() == new[card]
        else "old"
        if card.read_bytes() == old[card]
        else "mixed"
        for card in cards
    ]
    assert "mixed" not in states and states[0] == "new"
    # A second run finishes the work and clears what the killed one left behind.
    subprocess.run(command, capture_output=True, check=False)
    assert all(card.read_bytes() == new[card] for card in cards)
    assert sorted(os.listdir(zoo)) == sorted(card.name for card in cards)


_ALIASED = """\
Models:
- Name: my_custom_net
  Metadata: &meta
    Parameters: 55989256
  Weights: https://example.org/custom.pth
- Name: tresnet_m
  Metadata: *meta
  Weights: https://example.org/m.pth
  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 80.0}}]
"""


def test_a_value_shared_through_an_alias_is_not_edited(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(_ALIASED)
    main(["validate", str(path), "--fix", "--unsafe-fixes"])
    assert path.read_text() == _ALIASED
    assert "not fixed: the line is shared by several models" in capsys.readouterr().err


def test_a_file_with_lone_carriage_returns_is_not_edited(tmp_path: Path, capsys) -> None:
    card = tmp_path / "card.md"
    card.write_bytes(b"# A\rB\r\nA 3\xc3\x83\xe2\x80\x94 3\n")
    main(["validate", str(card), "--fix"])
    assert card.read_bytes() == b"# A\rB\r\nA 3\xc3\x83\xe2\x80\x94 3\n"
    assert "breaks lines with a lone CR" in capsys.readouterr().err


def test_a_crlf_hub_card_is_checked_as_the_loader_reads_it(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    text = (
        "---\r\nmodel-index:\r\n- name: m\r\n  results:\r\n  - task: {type: fill-mask}\r\n"
        "    dataset: {name: D, type: d}\r\n    metrics:\r\n    - {type: accuracy, value: 0.9}\r\n"
        "---\r\n# M\r\n"
    )
    card.write_text(text, newline="")
    report = validate(load(str(card)))
    assert len(report.index.models) == 1
    # An edit that breaks the front matter's YAML is refused, CRLF or not.
    report.findings.append(
        _finding(card, 2, Edit(Location(str(card), 2), "model-index:", "model-index: ["))
    )
    [fix] = plan_fixes(report, unsafe=False)
    assert fix.refused is not None and "would not read" in fix.refused


def test_a_read_only_card_is_not_rewritten(tmp_path: Path, capsys) -> None:
    card = tmp_path / "card.md"
    card.write_text("A 3\u00c3\u2014 3 conv\n")
    card.chmod(0o444)
    main(["validate", str(card), "--fix"])
    assert card.read_text() == "A 3\u00c3\u2014 3 conv\n"
    assert "not changed: cannot be edited: it is read-only" in capsys.readouterr().err


def test_a_card_changed_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text("A 3\u00c3\u2014 3 conv\n")
    [fix] = plan_fixes(validate(load(str(card))), unsafe=False)
    card.write_text("A 3\u00c3\u2014 3 conv\nA line saved meanwhile\n")
    write_fixes([fix])
    assert fix.refused == "it changed while the fixes were worked out"
    assert card.read_text().endswith("A line saved meanwhile\n")


def test_every_damaged_sequence_of_a_line_is_repaired_and_ordinary_text_is_not(
    tmp_path: Path,
) -> None:
    card = tmp_path / "card.md"
    damaged = "A 3\u00c3\u2014 3, 5\u00c3\u2014 5, it\u00e2\u20ac\u2122s `\u00c3\u2014`\n"
    # French and German typography that looks like damage to a byte-level test.
    ordinary = "A \u00ab caf\u00e9\u00a0\u00bb et \u201eFu\u00df\u201c.\n"
    card.write_text(damaged + ordinary)
    report = validate(load(str(card)))
    assert [(f.code, f.line) for f in report.findings] == [("T001", 1)]
    [fix] = plan_fixes(report, unsafe=False)
    assert fix.new == "A 3\u00d7 3, 5\u00d7 5, it\u2019s `\u00c3\u2014`\n" + ordinary


@pytest.mark.parametrize(
    ("written", "fixed", "safe"),
    [
        ("bicubicc", "bicubic", True),
        ("bilnear", "bilinear", True),
        ("Bi-Cubic", "bicubic", True),
        ("hanning", "hamming", False),
        ("trilinear", "bilinear", False),
    ],
)
def test_only_a_one_letter_interpolation_slip_is_a_safe_fix(
    tmp_path: Path, written: str, fixed: str, safe: bool
) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(f"Models:\n- Name: net\n  Metadata:\n    Interpolation: {written}\n")
    [finding] = [f for f in validate(load(str(path))).findings if f.code == "S008"]
    assert finding.repair is not None
    assert finding.repair.edits[0].new == fixed
    assert (finding.repair.applicability is Applicability.SAFE) is safe


def test_the_diff_is_a_patch_that_git_applies(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    (zoo / "a.yml").write_bytes(b"Models:\r\n- Name: a\r\n  Metadata: {}\r\n  Interpolation: x\r\n")
    (zoo / "model-index.yml").write_bytes(
        b"Import: [a.yml]\nModels:\n- Name: n\n  Metadata:\n    Interpolation: bicubc"
    )
    os.chdir(zoo)
    assert main(["validate", "model-index.yml", "--diff"]) == 1
    patch = capsys.readouterr().out
    assert "\\ No newline at end of file" in patch
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "apply", "-"], input=patch.encode(), check=True)
    assert (zoo / "model-index.yml").read_bytes().endswith(b"Interpolation: bicubic")


def test_a_copied_checkpoint_gets_the_one_its_readme_row_gives(tmp_path: Path, capsys) -> None:
    """mmaction2's metafiles give two models a sibling's checkpoint; their README rows give
    each its own, named after it."""
    zoo = tmp_path / "mmaction2"
    shutil.copytree(FIXTURES / "openmmlab" / "mmaction2", zoo, copy_function=shutil.copyfile)
    before = _bytes_of(zoo)
    main(["validate", str(zoo), "--repo-root", str(zoo), "--fix", "--unsafe-fixes"])
    after = _bytes_of(zoo)
    changed = {name: _changed_lines(before[name], after[name]) for name in before}
    changed = {name: lines for name, lines in changed.items() if lines}
    assert sorted(changed) == [
        "configs/recognition/tsn/metafile.yml",
        "configs/recognition/videomaev2/metafile.yml",
    ]
    [(_, tsn)] = changed["configs/recognition/tsn/metafile.yml"]
    assert tsn.endswith(
        b"/tsn_imagenet-pretrained-swin-transformer_32xb8-1x1x8-50e_kinetics400-rgb_20230530-428f0064.pth"
    )
    [(_, vit)] = changed["configs/recognition/videomaev2/metafile.yml"]
    assert b"/vit-small-p16_videomaev2-vit-g-dist-k710-pre_16x4x1_kinetics-400_20230510" in vit
    capsys.readouterr()
    main(["validate", str(zoo), "--repo-root", str(zoo), "--select", "U003"])
    remaining = capsys.readouterr().out
    # The third copy (tsm's) has no row of its own to take a URL from: it stays a finding.
    assert "tsn/metafile.yml" not in remaining and "videomaev2" not in remaining
    assert "tsm/metafile.yml:284: U003" in remaining


def test_fix_writes_nothing_outside_the_paths_given(tmp_path: Path, capsys) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "model-index.yml").write_text("Import: [../y/metafile.yml]\n")
    metafile = tmp_path / "y" / "metafile.yml"
    text = "Models:\n- Name: net\n  Metadata:\n    Interpolation: bicubicc\n"
    metafile.write_text(text)
    (tmp_path / "x" / "sub").symlink_to(tmp_path / "y")
    main(["validate", str(tmp_path / "x"), "--repo-root", str(tmp_path), "--fix"])
    assert metafile.read_text() == text
    assert "not changed: cannot be edited: it is outside the paths given" in (
        capsys.readouterr().err
    )


def test_a_quoted_key_is_renamed_inside_its_quotes(tmp_path: Path) -> None:
    path = tmp_path / "model-index.json"
    text = '{"Models": [{"Name": "net",\n  "Metadata": {\n    "Crop Pc": 0.875}}]}\n'
    path.write_text(text)
    main(["validate", str(path), "--fix"])
    assert path.read_text() == text.replace('"Crop Pc"', '"Crop Pct"')


def test_a_diff_to_a_pipe_is_exact_and_to_a_terminal_escaped(tmp_path: Path) -> None:
    card = tmp_path / "card.md"
    card.write_text("A \u2067 mark\nA 3\u00c3\u2014 3 conv\n")
    [fix] = plan_fixes(validate(load(str(card))), unsafe=False)
    assert "\u2067" in fix.diff() and "\\u2067" not in fix.diff()
    assert "\\u2067" in fix.diff(for_terminal=True)
