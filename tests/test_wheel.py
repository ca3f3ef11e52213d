"""The acceptance path of a user: build the wheel, install it in a fresh virtualenv, run it."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_in_a_fresh_virtualenv_shows_the_bundled_zoo(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = wheel_dir.glob("*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=600,
    )
    # Run from an empty folder so that nothing from the checkout can be imported by accident.
    result = subprocess.run(
        [str(env_dir / "bin" / "modelindex"), "show", "resnet50d"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": ""},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Crop Pct              0.875" in result.stdout
    assert "Interpolation         bicubic" in result.stdout
    assert "_bundled/docs/models/resnet-d.md" in result.stdout
