"""`modelindex verify` on the command line: usage errors, needing no torch."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

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


# verify without torch: a stand-in for the harness that measures one model of the zoo.
_VERIFY_WITHOUT_TORCH = """
import sys
import modelindex.verify.run as run
from modelindex.cli import main
from modelindex.measurements.cache import cache_key
from modelindex.measurements.references import Reference
from tests.test_verify_offline import _entry


def measure_one(index, cache, **_options):
    cache.put(cache_key("resnet18", Reference("resnet18", 1000, 224), "1.0"), _entry(7))
    return []


run.verify = measure_one
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("given", ["folder", "card"])
def test_a_cache_that_is_not_one_is_left_alone_with_one_warning(tmp_path, given: str) -> None:
    cache = tmp_path / "data"
    if given == "folder":
        cache.mkdir()
        (cache / "references.yml").write_text("- pattern: x\n", encoding="utf-8")
    else:
        cache.write_bytes((SEEDS / "resnest.md").read_bytes())
    before = sorted((p.name, p.is_file() and p.read_bytes()) for p in tmp_path.rglob("*"))
    done = subprocess.run(
        [sys.executable, "-c", _VERIFY_WITHOUT_TORCH, "verify", str(SEEDS), "--cache", str(cache)],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sorted((p.name, p.is_file() and p.read_bytes()) for p in tmp_path.rglob("*")) == before
    why = "a folder" if given == "folder" else "its text does not begin as a measurement cache does"
    # With rich installed (it comes with torch's venvs) the progress bar also writes to stderr.
    said = [line for line in done.stderr.splitlines() if not line.startswith("verifying ")]
    assert said == [
        f"warning: {cache} is not a modelindex measurement cache ({why}); left as it is, "
        "and measurements are not saved to it"
    ]
    assert done.returncode == 0
