"""The site reads and validates its zoo once, whichever way it is built; the plugin's own
options (``enabled``) are typed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mkdocs")

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from modelindex.checks import RULES, validate
from modelindex.loading import load
from modelindex.readers import registry
from modelindex.site.build import build_site
from tests.conftest import SEEDS, write_file

_CARD = """# Net

A card.

<!--
Type: model-index
Models:
- Name: net
  In Collection: Nets
  Metadata: {Parameters: 1000}
-->
"""


@pytest.fixture
def counted(monkeypatch) -> Counter[str]:
    """How often each file is read (by each dialect's reader, as "dialect:name") and each rule
    runs (by its code)."""
    counts: Counter[str] = Counter()

    def counting(key: Callable[[tuple[Any, ...]], str], function: Callable[..., Any]) -> Any:
        def wrapper(*args: Any) -> Any:
            counts[key(args)] += 1
            return function(*args)

        return wrapper

    readers = [
        replace(
            reader,
            read=counting(
                lambda args, dialect=reader.dialect: f"{dialect}:{Path(args[0]).name}", reader.read
            ),
        )
        for reader in registry.readers()
    ]
    monkeypatch.setattr(registry._REGISTRY, "readers", readers)
    monkeypatch.setattr(
        registry._REGISTRY, "by_dialect", {reader.dialect: reader for reader in readers}
    )
    for code, rule in list(RULES.items()):
        if rule.check is not None:
            check = counting(lambda _args, code=code: code, rule.check)
            monkeypatch.setitem(RULES, code, replace(rule, check=check))
    return counts


def test_modelindex_build_reads_and_validates_the_zoo_once(tmp_path: Path, counted) -> None:
    validate(load(SEEDS))
    once = counted.copy()
    assert once["markdown-card:resnest.md"] == 1 and once["T001"] == 1
    counted.clear()
    build_site([SEEDS], tmp_path / "site")
    assert counted == once
    assert (tmp_path / "site" / "comparison.html").is_file()


def test_the_plugin_in_a_users_mkdocs_yml_reads_and_validates_once(tmp_path: Path, counted) -> None:
    write_file(tmp_path / "docs" / "net.md", _CARD)
    write_file(
        tmp_path / "mkdocs.yml",
        "site_name: zoo\ntheme: {name: material, font: false}\nplugins: [search, modelindex]\n",
    )
    validate(load(tmp_path / "docs"))
    once = counted.copy()
    counted.clear()
    build(load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site")))
    assert counted == once and once["markdown-card:net.md"] == 1
    assert 'class="modelindex-model"' in (tmp_path / "site" / "net" / "index.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("enabled", [True, False])
def test_enabled_false_builds_the_docs_as_if_the_plugin_were_not_listed(
    tmp_path: Path, enabled: bool, counted
) -> None:
    write_file(tmp_path / "docs" / "net.md", _CARD)
    write_file(
        tmp_path / "mkdocs.yml",
        "site_name: zoo\ntheme: {name: material, font: false}\n"
        f"plugins: [search, {{modelindex: {{enabled: {str(enabled).lower()}}}}}]\n",
    )
    site = tmp_path / "site"
    config = load_config(str(site.parent / "mkdocs.yml"), site_dir=str(site))
    # The plugin's own option (mkdocs' generic one would leave the plugin out altogether).
    assert config.plugins["modelindex"].config.enabled is enabled
    build(config)
    page = (site / "net" / "index.html").read_text(encoding="utf-8")
    assert (site / "comparison" / "index.html").is_file() is enabled
    assert ('class="modelindex-model"' in page) is enabled  # the model's own section
    assert counted["markdown-card:net.md"] == (1 if enabled else 0)


def test_enabled_must_be_a_boolean(tmp_path: Path) -> None:
    from mkdocs.exceptions import Abort, ConfigurationError

    write_file(tmp_path / "docs" / "net.md", _CARD)
    write_file(
        tmp_path / "mkdocs.yml",
        "site_name: zoo\nplugins: [{modelindex: {enabled: sometimes}}]\n",
    )
    with pytest.raises((ConfigurationError, Abort)):
        load_config(str(tmp_path / "mkdocs.yml"))


def test_a_disabled_plugin_does_not_check_the_paths_it_would_read(tmp_path: Path, caplog) -> None:
    write_file(tmp_path / "docs" / "net.md", _CARD)
    options = "templates: no-such-folder, measurements: no-such.json"
    for enabled in ("false", "true"):
        write_file(
            tmp_path / "mkdocs.yml",
            "site_name: zoo\ntheme: {name: material, font: false}\n"
            f"plugins: [search, {{modelindex: {{enabled: {enabled}, {options}}}}}]\n",
        )
        config = load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
        if enabled == "false":
            build(config)
            assert (tmp_path / "site" / "net" / "index.html").is_file()
            continue
        with pytest.raises(Abort):
            build(config)
        assert "modelindex: option templates: no such folder: " in caplog.text
