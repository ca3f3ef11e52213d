"""The reader registry: a dialect is one module and one registration, and every part of the
toolkit (walk, reading, index, rules, site) asks the registry about files and dialects."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import modelindex
from modelindex.checks import validate
from modelindex.cli import main
from modelindex.readers.registry import (
    expected_fields,
    is_secondary,
    is_walked_file,
    looked_for,
    readers,
    renders_as_page,
)
from tests.conftest import TIMM_DOCS

ROOT = Path(__file__).parent.parent


def _as_mdx(tmp_path: Path) -> Path:
    folder = tmp_path / "hfdocs"
    folder.mkdir()
    for card in sorted(TIMM_DOCS.glob("*.md"))[:12]:
        shutil.copyfile(card, folder / f"{card.stem}.mdx")
    return folder


def test_a_folder_of_mdx_cards_loads_like_markdown(tmp_path: Path) -> None:
    mdx = modelindex.load(_as_mdx(tmp_path))
    markdown = modelindex.load(*sorted(TIMM_DOCS.glob("*.md"))[:12])
    assert mdx.names == markdown.names and len(mdx.names) > 30
    assert [m.metadata.parameters for m in mdx] == [m.metadata.parameters for m in markdown]
    codes = sorted((f.code, f.line) for f in validate(mdx).findings)
    assert codes == sorted((f.code, f.line) for f in validate(markdown).findings)


def test_mdx_cards_get_generated_pages_on_the_site() -> None:
    # mkdocs renders markdown, not MDX: the models of an .mdx card get a collection page.
    assert renders_as_page("docs/models/resnet.md")
    assert not renders_as_page("hfdocs/source/models/resnet.mdx")
    assert not renders_as_page("configs/resnet/README.txt")


@pytest.mark.parametrize("command", [["validate"], ["list"], ["check-urls"]])
def test_a_walk_that_finds_no_file_of_any_dialect_exits_2(
    tmp_path: Path, capsys, command: list[str]
) -> None:
    (tmp_path / "notes.rst").write_text("Models:\n- Name: x\n", encoding="utf-8")
    (tmp_path / "config.yml").write_text("Models:\n- Name: y\n", encoding="utf-8")
    assert main([*command, str(tmp_path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: no file to read in {tmp_path}; looked for *.md,")
    assert "*.mdx" in line and "metafile.yml" in line


def test_the_registry_answers_for_every_dialect() -> None:
    dialects = {reader.dialect for reader in readers()}
    assert dialects == {
        "model-index-file",
        "hf-card",
        "hf-eval-results",
        "markdown-card",
        "readme-table",
    }
    assert [d for d in sorted(dialects) if is_secondary(d)] == ["readme-table"]
    assert expected_fields("hf-card") == ()
    assert expected_fields("model-index-file") == ("Weights", "Results")
    assert is_walked_file("Metafile.YML") and is_walked_file("card.mdx")
    assert not is_walked_file("config.yml") and not is_walked_file("setup.py")
    # A folder's YAML is read only where a reader owns the folder.
    assert is_walked_file("repo/.eval_results/gpqa.yaml") and not is_walked_file("repo/gpqa.yaml")
    assert "model-index.json" in looked_for() and ".eval_results/*.yaml" in looked_for()


NEW_DIALECT = textwrap.dedent(
    """
    import sys
    import modelindex
    from modelindex.checks import Settings, validate
    from modelindex.fields import UnknownFieldError
    from modelindex.located_yaml import LocatedDict
    from modelindex.readers.records import EntryKind, RawEntry, ReadOutput
    from modelindex.readers.registry import Reader, register

    def read_names(path, text):
        output = ReadOutput()
        for number, line in enumerate(text.splitlines(), start=1):
            name, _, config = line.partition(" ")
            entry = LocatedDict(number)
            entry["Name"] = name
            entry.key_lines["Name"] = number
            if config:
                entry["Config"] = config
                entry.key_lines["Config"] = number
            output.entries.append(RawEntry(EntryKind.MODEL, entry, path, "name-list"))
        return output

    register(Reader("name-list", read_names, suffixes=(".names",), expected=("config",)))
    zoo = modelindex.load(sys.argv[1])
    print(zoo.names, [m.dialect for m in zoo], len(zoo.problems))
    # What a model of the dialect should carry is what S002 asks of it, by the schema's words.
    findings = validate(zoo, Settings(select=("S002",))).findings
    print([(f.model, f.message) for f in findings])
    try:
        Reader("typo", read_names, expected=("Paramters",))
    except UnknownFieldError as error:
        print(f"rejected: {error}")
    """
)


def test_a_new_dialect_is_one_reader_and_one_registration(tmp_path: Path) -> None:
    (tmp_path / "zoo.names").write_text("alpha a.py\nbeta\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", NEW_DIALECT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded, found, rejected = done.stdout.strip().splitlines()
    assert loaded == "['alpha', 'beta'] ['name-list', 'name-list'] 0"
    assert found == "[('beta', 'model has no Config')]"
    assert rejected.startswith("rejected: ") and "Paramters" in rejected
