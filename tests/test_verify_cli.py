"""`modelindex verify` on the command line: usage errors, needing no torch."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from modelindex.cli import main
from tests.conftest import SEEDS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf"])
def test_a_timeout_that_bounds_nothing_is_bad_usage(capsys, timeout: str) -> None:
    code, _, err = run(capsys, "verify", str(SEEDS), f"--timeout={timeout}")
    assert (code, err) == (2, "error: --timeout must be a positive number of seconds\n")


def test_a_pattern_that_matches_no_model_is_bad_usage(capsys, tmp_path) -> None:
    cache = str(tmp_path / "m.json")
    code, out, err = run(capsys, "verify", str(SEEDS), "--only", "nomatch*", "--cache", cache)
    assert code == 2 and out == ""
    assert err == f"error: no model matches --only 'nomatch*' in {SEEDS}\n"


def test_a_broken_settings_table_does_not_matter_with_an_explicit_cache(capsys, tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.modelindex]\nmeasurements = 3\n")
    card = tmp_path / "model-index.yml"
    card.write_text("Models:\n- Name: resnet18\n", encoding="utf-8")
    code, _, err = run(capsys, "verify", str(card), "--only", "x*")
    assert code == 2 and "measurements must be a path (or pass --cache FILE)" in err
    cache = str(tmp_path / "m.json")
    code, _, err = run(capsys, "verify", str(card), "--only", "x*", "--cache", cache)
    assert (code, err) == (2, f"error: no model matches --only 'x*' in {card}\n")


@pytest.mark.skipif(find_spec("torch") is not None, reason="torch is installed")
def test_without_torch_verify_says_how_to_install_it(capsys, tmp_path) -> None:
    cache = str(tmp_path / "m.json")
    code, _, err = run(capsys, "verify", str(SEEDS), "--jobs", "2", "--cache", cache)
    assert code == 2
    assert err == (
        "error: modelindex verify needs torch and timm: pip install 'modelindex-toolkit[verify]'\n"
    )
