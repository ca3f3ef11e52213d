"""The website against hostile zoos and outputs: titles and names that try to end an element,
outputs full of symlinks, failed builds, links out of the input folders, and card text that
asks pymdownx.snippets for the site's own files."""

from __future__ import annotations

import errno
import html
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from mkdocs.commands.build import build
from mkdocs.config import load_config

from modelindex.cli import main
from modelindex.site.build import MARKER, BuildError, build_site
from tests.conftest import write_file

SCRIPT = "<script>document.documentElement.dataset.xss='{}'</script>"
HOSTILE_HEADING = "Tricky </title>" + SCRIPT.format("title")
HOSTILE_COLLECTION = "C </title>" + SCRIPT.format("collection")


def _card(heading: str, name: str = "net", body: str = "", front_matter: str = "") -> str:
    return f"""{front_matter}# {heading}

{body}

<!--
Type: model-index
Models:
- Name: {name}
  Metadata: {{Parameters: 1000}}
-->
"""


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


class _Elements(HTMLParser):
    """The text of every <title>, and the names of the elements, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.titles: list[str] = []
        self.tags: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "title":
            self._in_title = True
            self.titles.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles[-1] += data


def _parsed(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def _scripts_outside_the_theme(page: str) -> list[str]:
    """Inline scripts whose text a zoo wrote (the theme's own never set data-xss)."""
    return [script for script in re.findall(r"<script>(.*?)</script>", page) if "xss" in script]


def test_a_card_heading_cannot_end_the_page_title(tmp_path: Path) -> None:
    card = write_file(tmp_path / "zoo" / "tricky.md", _card(HOSTILE_HEADING))
    site = tmp_path / "site"
    assert main(["build", str(card.parent), "-o", str(site)]) == 0
    page = _text(site / "models" / "tricky.html")
    parsed = _parsed(page)
    assert parsed.titles == [f"{HOSTILE_HEADING} - Model zoo"]  # shown as written, as text
    assert parsed.tags.count("title") == 1
    for path in site.rglob("*.html"):
        assert _scripts_outside_the_theme(_text(path)) == [], path


def test_a_collection_name_cannot_end_the_page_title(tmp_path: Path) -> None:
    zoo = write_file(
        tmp_path / "zoo" / "model-index.yml",
        f"Models:\n- Name: net\n  In Collection: {json.dumps(HOSTILE_COLLECTION)}\n",
    ).parent
    site = build_site([zoo], tmp_path / "site")
    titles = {
        path.name: _parsed(_text(path)).titles for path in (site / "collections").glob("*.html")
    }
    assert list(titles.values()) == [[f"{HOSTILE_COLLECTION} - Model zoo"]]
    for path in site.rglob("*.html"):
        assert _scripts_outside_the_theme(_text(path)) == [], path


def test_a_cards_front_matter_title_and_description_are_text(tmp_path: Path) -> None:
    front_matter = (
        "---\n"
        f"title: {json.dumps('Meta </title>' + SCRIPT.format('meta'))}\n"
        "description: '\"><script>alert(1)</script>'\n"
        "---\n"
    )
    card = write_file(tmp_path / "zoo" / "meta.md", _card("Meta", front_matter=front_matter))
    site = build_site([card.parent], tmp_path / "site")
    page = _text(site / "models" / "meta.html")
    assert _parsed(page).titles == ["Meta </title>" + SCRIPT.format("meta") + " - Model zoo"]
    assert '<meta name="description" content="&quot;&gt;&lt;script&gt;alert(1)' in page
    assert _scripts_outside_the_theme(page) == []


def test_a_folder_name_in_the_navigation_is_text(tmp_path: Path) -> None:
    folder = "<img src=x onerror=alert(1)>"
    card = write_file(tmp_path / "zoo" / folder / "net.md", _card("Net"))
    site = build_site([card.parent.parent], tmp_path / "site")
    for path in site.rglob("*.html"):
        page = _text(path)
        assert "<img src=x" not in page, path
    assert html.escape(folder) in _text(site / "index.html")


def test_the_search_index_holds_titles_as_escaped_html(tmp_path: Path) -> None:
    card = write_file(tmp_path / "zoo" / "tricky.md", _card(HOSTILE_HEADING))
    site = build_site([card.parent], tmp_path / "site")
    documents = json.loads(_text(site / "search" / "search_index.json"))["docs"]
    titles = [doc["title"] for doc in documents if "Tricky" in doc["title"]]
    assert titles and all("<" not in title for title in titles)
    assert html.unescape(titles[0]) == HOSTILE_HEADING


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    return write_file(tmp_path / "zoo" / "net.md", _card("Net")).parent


def test_a_marker_that_is_a_symlink_is_refused_and_its_target_kept(
    tmp_path: Path, zoo: Path
) -> None:
    precious = write_file(tmp_path / "precious.txt", "keep me")
    output = tmp_path / "site"
    output.mkdir()
    (output / MARKER).symlink_to(precious)
    with pytest.raises(BuildError, match="is not a site built by modelindex"):
        build_site([zoo], output)
    assert _text(precious) == "keep me"


def test_symlinks_in_a_previous_site_are_replaced_not_written_through(
    tmp_path: Path, zoo: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_file(elsewhere / "mine.txt", "keep me")
    output = tmp_path / "site"
    output.mkdir()
    write_file(output / MARKER, "built before")
    for name in ("models", "assets", "search"):
        (output / name).symlink_to(elsewhere, target_is_directory=True)
    (output / "index.html").symlink_to(elsewhere / "mine.txt")
    build_site([zoo], output)
    assert sorted(path.name for path in elsewhere.iterdir()) == ["mine.txt"]
    assert _text(elsewhere / "mine.txt") == "keep me"
    for name in ("models", "assets", "search", "index.html"):
        assert not (output / name).is_symlink(), name
    assert (output / "models" / "net.html").is_file()


def test_a_failed_build_leaves_the_previous_site_as_it_was(
    tmp_path: Path, zoo: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build", "zoo", "-o", "out"]) == 0
    before = {path: path.read_bytes() for path in Path("out").rglob("*") if path.is_file()}
    write_file(zoo / "net.md", _card("Changed", body="[gone](Gone.md)"))
    assert main(["build", "zoo", "--strict", "-o", "out"]) == 2
    assert "strict mode" in capsys.readouterr().err
    after = {path: path.read_bytes() for path in Path("out").rglob("*") if path.is_file()}
    assert after == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "zoo"]  # no leftovers


def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    "fault", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()]
)
def test_a_swap_cut_short_puts_the_previous_site_back(
    tmp_path: Path, zoo: Path, monkeypatch, fault: BaseException
) -> None:
    """A rename that fails half way through the swap (a full disk, Ctrl-C) is injected: the
    renames already done are undone."""
    output = build_site([zoo], tmp_path / "site")
    before = _files(output)
    write_file(zoo / "net.md", _card("Renamed"))
    renames = 0

    def failing_rename(source: object, target: object) -> None:
        nonlocal renames
        renames += 1
        if renames == 5:
            raise fault
        real_rename(source, target)

    real_rename = os.rename
    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(BuildError if isinstance(fault, OSError) else KeyboardInterrupt):
        build_site([zoo], output)
    monkeypatch.undo()
    assert _files(output) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site", "zoo"]


def test_a_rebuild_keeps_the_outputs_dot_files_and_replaces_the_rest(
    tmp_path: Path, zoo: Path
) -> None:
    output = build_site([zoo], tmp_path / "site")
    write_file(output / ".git", "gitdir: elsewhere")
    write_file(output / "stale.html", "from before")
    write_file(zoo / "net.md", _card("Renamed"))
    build_site([zoo], output)
    assert _text(output / ".git") == "gitdir: elsewhere"
    assert not (output / "stale.html").exists()
    assert "Renamed" in _text(output / "models" / "net.html")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site", "zoo"]


def _published_secrets(site: Path) -> list[Path]:
    return [path for path in site.rglob("*") if path.is_file() and path.read_bytes() == b"secret"]


def test_two_input_trees_publish_no_file_outside_them(tmp_path: Path) -> None:
    write_file(tmp_path / "shadow", "secret")
    body = "[up](../../shadow) [deep](../../../../../../../../shadow) ![a](img/a.png)"
    zoo = write_file(tmp_path / "a" / "zoo6" / "net.md", _card("Net", body=body)).parent
    write_file(zoo / "img" / "a.png", "png")
    other = write_file(tmp_path / "b" / "other" / "other.md", _card("Other", name="other")).parent
    site = tmp_path / "out6"
    assert main(["build", str(zoo), str(other), "-o", str(site)]) == 0
    assert _published_secrets(site) == []
    assert [path.read_bytes() for path in site.rglob("a.png")] == [b"png"]


def test_a_symlink_in_an_input_folder_that_leads_out_is_not_followed(tmp_path: Path) -> None:
    write_file(tmp_path / "outside" / "shadow", "secret")
    body = "[file](leak.bin) [folder](linked/shadow)"
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("Net", body=body)).parent
    (zoo / "leak.bin").symlink_to(tmp_path / "outside" / "shadow")
    (zoo / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    other = write_file(tmp_path / "other" / "other.md", _card("Other", name="other")).parent
    for inputs in ([zoo], [zoo, other]):
        site = build_site(inputs, tmp_path / f"site{len(inputs)}")
        assert _published_secrets(site) == []


def test_a_card_given_as_a_file_publishes_only_what_is_beside_or_below_it(
    tmp_path: Path,
) -> None:
    write_file(tmp_path / "shadow", "secret")
    body = "![arch](img/arch.png) [up](../shadow)"
    card = write_file(tmp_path / "zoo" / "net.md", _card("Net", body=body))
    write_file(card.parent / "img" / "arch.png", "png")
    other = write_file(tmp_path / "other" / "other.md", _card("Other", name="other"))
    site = build_site([card, other], tmp_path / "site")
    assert _published_secrets(site) == []
    assert [path.read_bytes() for path in site.rglob("arch.png")] == [b"png"]


SNIPPET_LINES = """Includes, as text:

--8<-- "mkdocs.yml"

;--8<-- "mkdocs.yml"

--8<--
mkdocs.yml
--8<--

before --8<-- [start:part] after
"""


def _article_text(page: str) -> str:
    article = page[page.index('<article class="md-content__inner') :]
    article = article[: article.index("</article>")]
    return html.unescape(re.sub(r"<[^>]+>", "", article))


def _build_with_extensions(project: Path, extensions: list[str]) -> str:
    (project / "mkdocs.yml").write_text(
        "site_name: project-site-name-from-mkdocs-yml\n"
        "theme: {name: material, font: false}\n"
        f"markdown_extensions: {json.dumps(extensions)}\n"
        "plugins: [search, modelindex]\n",
        encoding="utf-8",
    )
    site = project / "site"
    build(load_config(str(project / "mkdocs.yml"), site_dir=str(site)))
    return _text(site / "card" / "index.html")


def test_snippet_lines_in_a_card_show_as_written_and_include_nothing(
    tmp_path: Path, monkeypatch
) -> None:
    pytest.importorskip("pymdownx.snippets")
    write_file(tmp_path / "docs" / "card.md", _card("Card", body=SNIPPET_LINES))
    monkeypatch.chdir(tmp_path)  # the base path of snippets: where mkdocs.yml is
    with_snippets = _build_with_extensions(tmp_path, ["pymdownx.snippets"])
    assert "project-site-name-from-mkdocs-yml" not in _article_text(with_snippets)
    without = _build_with_extensions(tmp_path, [])
    assert _article_text(with_snippets) == _article_text(without)
    assert '--8<-- "mkdocs.yml"' in _article_text(with_snippets)
    assert "before --8<-- [start:part] after" in _article_text(with_snippets)


def test_snippets_still_appends_the_sites_own_files_to_a_card(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("pymdownx.snippets")
    write_file(tmp_path / "docs" / "card.md", _card("Card", body='--8<-- "mkdocs.yml"'))
    write_file(tmp_path / "glossary.md", "The site's own glossary.\n")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: snippets\ntheme: {name: material, font: false}\n"
        "markdown_extensions:\n- pymdownx.snippets: {auto_append: [glossary.md]}\n"
        "plugins: [search, modelindex]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    build(load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site")))
    text = _article_text(_text(tmp_path / "site" / "card" / "index.html"))
    assert "The site's own glossary." in text and '--8<-- "mkdocs.yml"' in text


def test_a_card_page_tells_mkdocs_macros_not_to_render_it(tmp_path: Path) -> None:
    """mkdocs-macros renders no page whose metadata says render_macros: false, whatever its
    configuration; a hook (run as a plugin is) sees that a card page says so, and another not."""
    front_matter = "---\nrender_macros: true\n---\n"
    write_file(tmp_path / "docs" / "card.md", _card("Card", front_matter=front_matter))
    write_file(tmp_path / "docs" / "about.md", "# About\n")
    write_file(
        tmp_path / "recorder.py",
        "import json, pathlib\n"
        "def on_page_markdown(markdown, page, **kwargs):\n"
        "    seen = pathlib.Path(__file__).with_name('seen.jsonl')\n"
        "    with seen.open('a') as out:\n"
        "        out.write(json.dumps([page.file.src_uri, page.meta.get('render_macros')]))\n"
        "        out.write('\\n')\n"
        "    return markdown\n",
    )
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: macros\ntheme: {name: material, font: false}\n"
        "hooks: [recorder.py]\nplugins: [search, modelindex]\n",
        encoding="utf-8",
    )
    build(load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(tmp_path / "site")))
    seen = dict(json.loads(line) for line in _text(tmp_path / "seen.jsonl").splitlines())
    assert seen["card.md"] is False and seen["about.md"] is None


def test_the_site_builds_in_a_folder_beside_the_output(tmp_path: Path, zoo: Path) -> None:
    """The new site is renamed into place: it is built on the output's filesystem, and the
    folders it used are gone afterwards."""
    output = tmp_path / "deep" / "er" / "site"
    build_site([zoo], output)
    assert sorted(os.listdir(output.parent)) == ["site"]
    assert (output / MARKER).is_file() and not (output / MARKER).is_symlink()
