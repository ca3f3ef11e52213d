"""``modelindex validate`` and ``modelindex rules`` on the command line: output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelindex.checks import RULES
from modelindex.checks.formats import rules_as_markdown
from modelindex.cli import main
from tests.conftest import SEEDS, TIMM_DOCS, line_of

ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _no_project_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty folder, so that no pyproject.toml is picked up by accident."""
    monkeypatch.chdir(tmp_path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_output_is_path_line_code_message_and_exit_1_on_errors(capsys) -> None:
    code, out, err = run(capsys, "validate", str(SEEDS))
    card = SEEDS / "tresnet.md"
    line = line_of(card, "tresnet_l_448-940d0cd1.pth", after="Name: tresnet_xl_448")
    assert code == 1
    assert f"{card}:{line}: U003 Weights duplicate tresnet_l_448's" in out
    assert "  help: " in out
    assert err.strip() == "Found 22 errors, 5 warnings, 3 infos in 43 models in 4 files."


def test_clean_zoo_exits_0_and_warnings_alone_do_not_fail(capsys, write) -> None:
    assert run(capsys, "validate", str(ROOT / "docs"))[0] == 0
    card = write("card.md", "A 3\u00c3\u2014 3 conv\n")
    code, out, _ = run(capsys, "validate", str(card))
    assert code == 0 and "T001" in out
    assert run(capsys, "validate", str(card), "--strict")[0] == 1


def test_json_output_has_the_documented_shape(capsys) -> None:
    code, out, _ = run(capsys, "validate", str(SEEDS), "--format", "json")
    document = json.loads(out)
    assert code == 1
    keys = {"code", "severity", "path", "line", "model", "field", "message", "fix", "related"}
    keys.add("fixable")
    assert all(set(finding) == keys for finding in document["findings"])
    shared = next(f for f in document["findings"] if f["code"] == "U003")
    assert (shared["field"], shared["severity"], shared["model"]) == (
        "Weights",
        "error",
        "resnest200e",
    )
    assert document["summary"]["errors"] == 22  # 13 offline, 7 V001 and 2 V002
    assert document["summary"]["by_code"]["U003"] == 2
    assert document["summary"]["models"] == 43


def test_github_annotations(capsys) -> None:
    _, out, _ = run(capsys, "validate", str(SEEDS), "--format", "github", "--select", "T001,U004")
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"::warning file={SEEDS / 'resnet-d.md'},line=3,title=T001 mojibake::"
    )
    assert (
        lines[1].startswith("::error file=") and "title=U004 weights-of-other-model::" in lines[1]
    )


def test_sarif_output_names_rules_and_locations(capsys) -> None:
    _, out, _ = run(capsys, "validate", str(SEEDS), "--format", "sarif")
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    run_ = document["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == set(RULES)
    result = next(r for r in run_["results"] if r["ruleId"] == "U003")
    assert rules[result["ruleIndex"]]["id"] == "U003"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 0 and result["level"] == "error"
    assert result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] > 0


def test_select_and_ignore_take_codes_and_prefixes(capsys) -> None:
    _, out, _ = run(capsys, "validate", str(SEEDS), "--select", "U", "--ignore", "U005")
    codes = {line.split()[1] for line in out.splitlines() if not line.startswith(" ")}
    assert codes == {"U003", "U004"}


def test_statistics_count_findings_per_rule(capsys) -> None:
    code, out, _ = run(capsys, "validate", str(TIMM_DOCS), "--statistics")
    assert code == 1
    rows = [line.split() for line in out.strip().splitlines()]
    assert rows[0] == ["8", "N007", "error", "implausible-accuracy"]
    # 42 offline; measured: 6 V001, 2 V002, 3 V003, 1 V004, 2 V005, 5 E003 and 5 E004 (see
    # the acceptance tests)
    assert sum(int(row[0]) for row in rows) == 66


def test_statistics_as_json(capsys) -> None:
    _, out, _ = run(capsys, "validate", str(SEEDS), "--statistics", "--format", "json")
    document = json.loads(out)
    assert document["statistics"][0] == {
        "code": "V001",
        "name": "parameters-differ-from-measured",
        "severity": "error",
        "count": 7,
    }
    assert document["summary"]["errors"] == 22  # 13 offline, 7 V001 and 2 V002


def test_explain_prints_the_rule(capsys) -> None:
    code, out, _ = run(capsys, "validate", "--explain", "U003")
    assert code == 0
    assert out.startswith("U003 shared-weights (error)")
    assert "allow-list" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--explain", "Q123"],
        ["validate", "--explain", ""],
        ["validate", ".", "--statistics", "--format", "sarif"],
        ["validate", ".", "--select", "Q"],
        ["validate", "no/such/folder"],
    ],
)
def test_bad_usage_exits_2_with_a_one_line_error(capsys, argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_an_unknown_format_is_refused_by_argparse(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", ".", "--format", "xml"])
    assert exited.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_settings_from_pyproject(capsys, write, tmp_path: Path) -> None:
    url = "https://example.org/shared-0123abcd.pth"
    zoo = write(
        "docs/model-index.yml",
        "Models:\n"
        f"  - Name: a\n    Metadata: {{Parameters: 10000000, ID: x}}\n    Weights: {url}\n"
        "    Results: [{Task: T, Dataset: D, Metrics: {Top 1 Accuracy: 80}}]\n"
        f"  - Name: b\n    Metadata: {{Parameters: 20000000}}\n    Weights: {url}\n"
        "    Results: [{Task: T, Dataset: D, Metrics: {Top 1 Accuracy: 81}}]\n",
    )
    code, out, _ = run(capsys, "validate", str(zoo.parent))
    assert code == 1 and {"S005", "U003"} <= {line.split()[1] for line in out.splitlines()}
    write(
        "pyproject.toml",
        '[project]\nname = "zoo"\n\n[tool.modelindex]\n'
        f'shared-weights = ["{url}"]\n\n[tool.modelindex.per-file-ignores]\n'
        '"docs/*.yml" = ["S005"]\n',
    )
    assert run(capsys, "validate", "docs")[0:2] == (0, "")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('ignore = ["Q9"]', "no rule code matches 'Q9'"),
        ("colour = 1", "unknown key 'colour'"),
        ("ignore = 3", "ignore must be a list of strings"),
        ("ignore = [", "pyproject.toml"),
    ],
)
def test_a_bad_settings_table_is_a_usage_error(capsys, write, table: str, message: str) -> None:
    write("pyproject.toml", f"[tool.modelindex]\n{table}\n")
    write("card.md", "# nothing\n")
    code, _, err = run(capsys, "validate", ".")
    assert code == 2
    assert message in err and "pyproject.toml" in err


def test_unreadable_file_is_a_finding_not_a_crash(capsys, write) -> None:
    bad = write("model-index.yml", "Models: [\n")
    write("good.md", "# ok\n")
    code, out, err = run(capsys, "validate", str(bad.parent))
    assert code == 1
    assert out.startswith(f"{bad}:") and " L005 " in out
    assert "Traceback" not in err


def test_rules_command_lists_every_rule(capsys) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == sorted(RULES)


def test_docs_rule_list_is_generated_from_the_registry() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page.endswith(rules_as_markdown()), "regenerate: modelindex rules --format markdown"


def test_pre_commit_hook_runs_validate() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "id: modelindex-validate" in hooks and "entry: modelindex validate" in hooks


def test_module_entry_point_validates(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "modelindex", "validate", str(ROOT / "docs")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Found 0 errors, 0 warnings, 3 infos in 43 models" in completed.stderr


def test_settings_are_those_of_the_checked_project_wherever_it_runs(capsys, write) -> None:
    write("proj/pyproject.toml", '[tool]\nmodelindex = {ignore = ["T001"]}\n')
    card = write("proj/docs/card.md", "A 3\u00c3\u2014 3 conv\n")
    assert run(capsys, "validate", str(card))[1] == ""
    assert "T001" in run(capsys, "validate", str(card), "--config", "/dev/null")[1]


def test_a_selection_that_leaves_no_rule_is_bad_usage(capsys) -> None:
    for argv in (["--select", ""], ["--select", "S001", "--ignore", "S"]):
        code, _, err = run(capsys, "validate", ".", *argv)
        assert code == 2 and "leaves no rule" in err


def test_per_file_ignores_take_folders_and_dot_slash(capsys, write) -> None:
    write("legacy/old/card.md", "A 3\u00c3\u2014 3 conv\n")
    for pattern in ("legacy/", "./legacy/*", "legacy/*.md"):
        write("pyproject.toml", f'[tool.modelindex.per-file-ignores]\n"{pattern}" = ["T"]\n')
        assert run(capsys, "validate", ".")[1] == "", pattern


def test_sarif_uris_are_percent_encoded(capsys, write) -> None:
    write("odd name#1/card.md", "A 3\u00c3\u2014 3 conv\n")
    _, out, _ = run(capsys, "validate", ".", "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "odd%20name%231/card.md"
    )
