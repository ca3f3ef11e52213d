"""``modelindex: noqa`` comments in each dialect: used, unused (I001) and malformed (I002)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from modelindex.cli import main
from tests.conftest import SEED_README_TABLE


@pytest.fixture(autouse=True)
def _no_project_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _found(capsys, path: Path, *options: str) -> set[tuple[str, int]]:
    main(["validate", str(path), "--format", "json", *options])
    document = json.loads(capsys.readouterr().out)
    return {(finding["code"], finding["line"]) for finding in document["findings"]}


_METAFILE = """\
Models:
  - Name: net{suffix}
    Metadata:
      Interpolation: bicubicc{comment}
      Crop Pct: 0.9
    Weights: https://example.org/net.pth
    Results:
      - Task: Image Classification
        Dataset: ImageNet-1k
        Metrics: {{Top 1 Accuracy: 80.1}}
"""


def _metafile(tmp_path: Path, comment: str = "", suffix: str = "") -> Path:
    path = tmp_path / "model-index.yml"
    path.write_text(_METAFILE.format(comment=comment, suffix=suffix))
    return path


def test_a_yaml_comment_silences_its_line(tmp_path: Path, capsys) -> None:
    assert ("S008", 4) in _found(capsys, _metafile(tmp_path))
    silenced = _metafile(tmp_path, "  # modelindex: noqa: S008 as the checkpoint was trained")
    assert _found(capsys, silenced) == set()


def test_a_comment_on_the_name_line_silences_the_whole_model(tmp_path: Path, capsys) -> None:
    path = _metafile(tmp_path, suffix="  # modelindex: noqa: S008")
    assert _found(capsys, path) == set()


def test_a_comment_alone_on_its_line_silences_the_next(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    text = _METAFILE.format(comment="", suffix="")
    path.write_text(
        text.replace("      Interpolation", "      # modelindex: noqa: S008\n      Interpolation")
    )
    assert _found(capsys, path) == set()


def test_an_unused_suppression_is_reported(tmp_path: Path, capsys) -> None:
    path = _metafile(tmp_path, "  # modelindex: noqa: S008, S009")
    assert _found(capsys, path) == {("I001", 4)}
    main(["validate", str(path)])
    assert "I001 unused suppression: S009 is not found where it applies" in capsys.readouterr().out
    # A code this run does not check is not called unused.
    assert _found(capsys, path, "--ignore", "S009") == set()
    online_only = _metafile(tmp_path, "  # modelindex: noqa: S008, O001")
    assert _found(capsys, online_only) == set()
    # Nor is one that compares a model with others: a run of some files may not see them.
    assert _found(capsys, _metafile(tmp_path, "  # modelindex: noqa: S008, U003")) == set()
    # A comment that names I001 keeps its codes on purpose.
    assert _found(capsys, _metafile(tmp_path, "  # modelindex: noqa: S008, S009, I001")) == set()


@pytest.mark.parametrize(
    ("comment", "why"),
    [
        ("  # modelindex: noqa", "write the codes after a colon"),
        ("  # modelindex: noqa: S08", "no rule S08"),
        ("  # modelindex: noqa S008", "write the codes after a colon"),
        ("  # modelindex: noqa: M001", "M001 is a bug of modelindex's own, never silenced"),
    ],
)
def test_a_malformed_suppression_is_a_finding_and_silences_nothing(
    tmp_path: Path, capsys, comment: str, why: str
) -> None:
    path = _metafile(tmp_path, comment)
    assert _found(capsys, path) == {("S008", 4), ("I002", 4)}
    main(["validate", str(path)])
    assert f"I002 malformed suppression: {why}" in capsys.readouterr().out


_CARD = """\
# Net

Write `# modelindex: noqa` after a value to silence a finding.

```yaml
Interpolation: bicubicc  # modelindex: noqa
```

<!--
Type: model-index
Models:
- Name: net
  Metadata:
    Interpolation: bicubicc{comment}
  Weights: https://example.org/net.pth
  Results:
  - Task: Image Classification
    Dataset: ImageNet
    Metrics:
      Top 1 Accuracy: 80.1
-->
"""


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("", {("S008", 14)}),
        ("  # modelindex: noqa: S008", set()),
        ("  # modelindex: noqa: S008, N001", {("I001", 14)}),
        ("  # modelindex: noqa:", {("S008", 14), ("I002", 14)}),
    ],
)
def test_a_markdown_card_silences_in_its_model_index_comment(
    tmp_path: Path, capsys, comment: str, expected: set[tuple[str, int]]
) -> None:
    card = tmp_path / "net.md"
    card.write_text(_CARD.format(comment=comment))
    # The syntax quoted in the prose and in a fenced block is an example, not a suppression.
    assert _found(capsys, card) == expected


_HUB_CARD = """\
---
license: mit
model-index:
- name: my-model
  results:
  - task:
      type: text-classification
    dataset:
      name: GLUE SST-2
      type: glue
      split: validation
    metrics:
    - type: accuracy
      value: 94.1
    - type: accuracy{comment}
      name: Test accuracy
      value: 0.931
---
# My model
"""


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("", {("H007", 15)}),
        ("  # modelindex: noqa: H007 the leaderboard writes percent", set()),
        ("  # modelindex: noqa: H007, H004", {("I001", 15)}),
        ("  # modelindex: noqa: ,H007", {("H007", 15), ("I002", 15)}),
    ],
)
def test_a_hub_card_silences_in_its_front_matter(
    tmp_path: Path, capsys, comment: str, expected: set[tuple[str, int]]
) -> None:
    card = tmp_path / "README.md"
    card.write_text(_HUB_CARD.format(comment=comment))
    assert _found(capsys, card) == expected


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("", {("N005", 93), ("V001", 93)}),
        (" <!-- modelindex: noqa: N005, V001 -->", set()),
        (" <!-- modelindex: noqa: N005 -->", {("V001", 93)}),
        (" <!-- modelindex: noqa: N005, V001, N001 -->", {("I001", 93)}),
        (" <!-- modelindex: noqa N005 -->", {("N005", 93), ("V001", 93), ("I002", 93)}),
    ],
)
def test_a_readme_table_row_silences_with_an_html_comment(
    tmp_path: Path, capsys, comment: str, expected: set[tuple[str, int]]
) -> None:
    readme = tmp_path / SEED_README_TABLE.name
    shutil.copy(SEED_README_TABLE, readme)
    lines = readme.read_text(encoding="utf-8").split("\n")
    assert lines[92].startswith("| `resnet34_8xb32_in1k`")
    lines[92] += comment
    readme.write_text("\n".join(lines), encoding="utf-8")
    assert _found(capsys, readme) == expected


def test_a_suppressed_error_no_longer_fails_the_run(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(_metafile(tmp_path))]) == 1
    assert main(["validate", str(_metafile(tmp_path, "  # modelindex: noqa: S008"))]) == 0


def test_a_name_line_suppression_covers_that_entry_only(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    path.write_text(
        "Models:\n"
        "  - Name: net  # modelindex: noqa: S008\n"
        "    Metadata:\n      Interpolation: bicubicc\n"
        "  - Name: net\n"
        "    Metadata:\n      Interpolation: bilinearr\n"
    )
    assert ("S008", 4) not in _found(capsys, path)
    assert ("S008", 7) in _found(capsys, path)


def test_lines_are_counted_as_the_loader_counts_them(tmp_path: Path, capsys) -> None:
    path = tmp_path / "model-index.yml"
    text = _METAFILE.format(comment="  # modelindex: noqa: S008", suffix="")
    path.write_bytes(text.replace("\n", "\r").encode())
    assert _found(capsys, path) == set()


def test_unused_is_not_said_where_a_run_cannot_tell(tmp_path: Path, capsys, failing_rule) -> None:
    # A model whose values come from a collection in another file, checked alone.
    (tmp_path / "a.yml").write_text("Collections:\n  - Name: R\n    Metadata: {Parameters: 5}\n")
    card = tmp_path / "b.yml"
    card.write_text("Models:\n  - Name: net  # modelindex: noqa: N001\n    In Collection: R\n")
    main(["validate", str(tmp_path / "a.yml"), str(card)])
    capsys.readouterr()
    assert ("I001", 2) not in _found(capsys, card)
    # A rule that failed: M001 says so, and its suppression is not called unused.
    path = _metafile(tmp_path, "  # modelindex: noqa: S008, S009")
    failing_rule("S009")
    found = _found(capsys, path)
    assert ("M001", 2) in found and ("I001", 4) not in found


def test_a_comment_between_table_rows_is_malformed(tmp_path: Path, capsys) -> None:
    readme = tmp_path / SEED_README_TABLE.name
    shutil.copy(SEED_README_TABLE, readme)
    lines = readme.read_text(encoding="utf-8").split("\n")
    lines.insert(92, "<!-- modelindex: noqa: N005 -->")
    readme.write_text("\n".join(lines), encoding="utf-8")
    main(["validate", str(readme)])
    out = capsys.readouterr().out
    assert f"{readme}:93: I002 malformed suppression: a comment on a line of its own ends" in out
