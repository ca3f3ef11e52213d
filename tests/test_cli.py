from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from modelindex.cli import main
from tests.conftest import SEEDS, TIMM_DOCS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_show_prints_every_field_and_the_preprocessing(capsys) -> None:
    code, out, _ = run(capsys, "show", "resnet50d", str(SEEDS))
    assert code == 0
    assert "Crop Pct              0.875" in out
    assert "Interpolation         bicubic" in out
    assert "resize 256 (= floor(224 / 0.875)), center crop 224, bicubic" in out
    assert "Parameters            25,580,000" in out
    assert f"{SEEDS / 'resnet-d.md'}:230" in out


def test_show_without_a_path_uses_the_bundled_zoo(capsys) -> None:
    code, out, _ = run(capsys, "show", "tresnet_m")
    assert code == 0
    assert "bilinear" in out


def test_show_json(capsys) -> None:
    code, out, _ = run(capsys, "show", "tresnet_xl_448", str(SEEDS), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["metadata"]["image_size"] == 448
    assert data["preprocessing"]["resize_size"] == 512
    assert data["locations"]["Weights"]["line"] > data["source"][1]


def test_unknown_name_exits_1_with_suggestions(capsys) -> None:
    code, out, err = run(capsys, "show", "tresnet_m_488", str(SEEDS))
    assert code == 1
    assert out == ""
    assert "no model named 'tresnet_m_488'; did you mean tresnet_m_448" in err


def test_list_filters_and_sorts(capsys) -> None:
    code, out, _err = run(
        capsys,
        "list",
        str(TIMM_DOCS),
        "--where",
        "parameters < 30e6 and top1 > 80",
        "--sort=-top1",
        "--format",
        "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(int(r["parameters"]) < 30e6 and float(r["top1"]) > 80 for r in rows)
    tops = [float(r["top1"]) for r in rows]
    assert tops == sorted(tops, reverse=True)


def test_list_table_and_json(capsys) -> None:
    code, out, err = run(capsys, "list", str(SEEDS / "tresnet.md"))
    assert code == 0
    assert out.splitlines()[0].split()[:3] == ["name", "collection", "parameters"]
    assert "tresnet_xl_448" in out and "75.65M" in out
    assert "6 of 6 models" in err
    code, out, _ = run(capsys, "list", str(SEEDS / "tresnet.md"), "--format", "json")
    assert [row["name"] for row in json.loads(out)][:2] == ["tresnet_l", "tresnet_l_448"]


def test_bad_filter_is_a_usage_error(capsys) -> None:
    code, _, err = run(capsys, "list", str(SEEDS), "--where", "colour == 'red'")
    assert code == 2
    assert err.startswith("error: --where/--sort: unknown field 'colour'")


def test_unreadable_input_is_one_line_naming_file_and_line(capsys, write) -> None:
    bad = write("zoo/broken.md", "<!--\nType: model-index\nModels:\n- Name: [x\n-->\n")
    write("zoo/good.md", "<!--\nType: model-index\nModels:\n- Name: fine\n-->\n")
    code, out, err = run(capsys, "list", str(bad.parent))
    assert code == 2
    assert "fine" in out
    [line] = [line for line in err.splitlines() if "broken.md" in line]
    assert line.startswith(f"{bad}:5: invalid YAML")


def test_missing_path_is_a_usage_error(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "list", str(tmp_path / "absent"))
    assert code == 2
    assert err.strip() == f"error: {tmp_path / 'absent'}: no such file or directory"


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00binary", "Models: " + "[" * 50000 + "]" * 50000, "a: &a [*a]\n"],
)
def test_console_script_never_prints_a_traceback(tmp_path: Path, content: str | bytes) -> None:
    bad = tmp_path / "model-index.yml"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "modelindex.cli", "list", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(bad) in result.stderr


def test_help_lists_commands_and_an_example(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--where EXPR" in out and "example: modelindex list" in out
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
