"""The website: the mkdocs plugin on the project's docs/, `modelindex build`, and escaping."""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from mkdocs.commands.build import build
from mkdocs.config import load_config

from modelindex.cli import main
from modelindex.loading import load
from modelindex.site.build import MARKER, BuildError, build_site
from modelindex.site.safe_markdown import is_safe_link
from tests.conftest import TIMM_DOCS, write_file

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def project_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site), strict=True)
    build(config)  # raises on any warning: the project's docs build with --strict
    return site


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _rows(page: str) -> list[dict]:
    """The comparison page's rows, as its script reads them."""
    found = re.search(
        r'<script type="application/json" id="modelindex-rows">(.*?)</script>', page, re.S
    )
    assert found is not None
    return json.loads(found.group(1))


def test_home_counts_collections_models_and_verified_models(project_site: Path) -> None:
    page = _text(project_site / "index.html")
    counts = re.search(
        r'id="modelindex-collections">(\d+)</span> collections,\s*'
        r'<span id="modelindex-models">(\d+)</span> models:\s*'
        r'<span id="modelindex-verified">(\d+)</span> verified.*?'
        r'<span id="modelindex-mismatched">(\d+)</span> that disagree',
        page,
        re.DOTALL,
    )
    assert counts and counts.groups() == ("4", "43", "43", "0")
    assert 'href="comparison/"' in page and 'href="models/resnet-d/"' in page
    article = page[page.index("<article") :]
    assert article.count('href="models/resnet-d/"') == 1  # each collection once
    # The best model of each benchmark, on its commonest metric, linked to its section.
    best = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]+) <small>.*?<a href=\"([^\"]+)\">([^<]+)</a></td><td>([^<]+)</td>",
        page,
        re.DOTALL,
    )
    assert best[0] == (
        "ImageNet-1k · Image Classification",
        "Top 1 Accuracy",
        "models/resnest/#resnest269e",
        "resnest269e",
        "84.53",
    )
    assert [row[0] for row in best] == [
        "ImageNet-1k · Image Classification",
        "CIFAR-10 · Image Classification",
        "CIFAR-100 · Image Classification",
        "CUB-200-2011 · Image Classification",
    ]


def test_a_card_page_shows_each_models_numbers_snippet_and_badge(project_site: Path) -> None:
    page = _text(project_site / "models" / "resnet-d" / "index.html")
    assert "{% include" not in page and "Type: model-index" not in page
    section = page[page.index('id="resnet50d"') :]
    section = section[: section.index("</section>")]
    assert '<td class="modelindex-crop-pct">0.875</td>' in section
    assert '<td class="modelindex-interpolation">bicubic</td>' in section
    assert "modelindex-verified" in section
    assert "no known convention (≈1.29 x MACs)" in section
    assert "timm.create_model('resnet50d', pretrained=True)" in page
    assert "resize 256 (= floor(224 / 0.875)), center crop 224, bicubic" in page


def test_the_comparison_page_has_one_row_per_model(project_site: Path) -> None:
    page = _text(project_site / "comparison" / "index.html")
    assert len(_rows(page)) == 43
    assert "assets/modelindex/modelindex.js" in page
    assert (project_site / "assets" / "modelindex" / "modelindex.js").is_file()


def test_findings_page_lists_the_zoos_only_findings_infos(project_site: Path) -> None:
    page = _text(project_site / "findings" / "index.html")
    assert "No findings" not in page
    assert "E004 preprocessing-slightly-differs <small>(3, info)</small>" in page
    assert page.count("pretrained_cfg of resnet") == 3


def test_build_makes_a_site_for_the_timm_corpus(tmp_path: Path, capsys) -> None:
    site = tmp_path / "site"
    assert main(["build", str(TIMM_DOCS), "-o", str(site)]) == 0
    assert len(_rows(_text(site / "comparison.html"))) == 272
    assert "TResNet" in _text(site / "index.html")
    # Building again over the site it made is fine; over anything else it is refused.
    assert main(["build", str(TIMM_DOCS), "-o", str(site)]) == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    capsys.readouterr()
    assert main(["build", str(TIMM_DOCS), "-o", str(tmp_path / "mine")]) == 2
    assert "is not a site built by modelindex" in capsys.readouterr().err
    assert _text(tmp_path / "mine" / "notes.txt") == "keep me"


HOSTILE_CARD = """# Evil <script>alert("prose")</script> family

Click [here](javascript:alert('link')) or <img src=x onerror=alert('img')>.

{% include 'code_snippets.md' %}

<!--
Type: model-index
Collections:
- Name: Evil<script>alert('collection')</script>
Models:
- Name: net<script>alert('name')</script>
  In Collection: Evil<script>alert('collection')</script>
  Metadata: {Parameters: 1000, Interpolation: "<b>bicubic</b>"}
  Weights: javascript:alert('weights')
  Code: "https://example.org/<script>alert('code')</script>"
  Results:
  - Task: Image Classification
    Dataset: ImageNet
    Metrics: {Top 1 Accuracy: 70}
-->
"""


def test_a_hostile_card_renders_inert(tmp_path: Path) -> None:
    card = tmp_path / "zoo" / "evil.md"
    card.parent.mkdir()
    card.write_text(HOSTILE_CARD, encoding="utf-8")
    site = tmp_path / "site"
    assert main(["build", str(card.parent), "-o", str(site)]) == 0
    pages = {path: _text(path) for path in site.rglob("*.html")}
    assert len(pages) >= 4
    for path, page in pages.items():
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", page, re.I), path
        assert "<b>bicubic</b>" not in page, path
    card_page = pages[site / "models" / "evil.html"]
    title = "Evil &lt;script&gt;alert(&quot;prose&quot;)&lt;/script&gt; family - Model zoo"
    assert f"<title>{title}</title>" in card_page
    assert 'Evil &lt;script&gt;alert("prose")&lt;/script&gt; family</h1>' in card_page
    assert "<strong>net&lt;script&gt;alert('name')&lt;/script&gt;</strong>" in card_page
    assert '<span title="link">here</span>' in card_page  # the link's text, without the link
    assert "Weights: <code>javascript:alert(&#39;weights&#39;)</code>" in card_page


def test_a_users_templates_folder_overrides_a_bundled_template(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "home.html").write_text(
        "<p id='mine'>{{ models }} models, our way</p>", encoding="utf-8"
    )
    site = tmp_path / "site"
    argv = ["build", str(TIMM_DOCS / "tresnet.md"), "-o", str(site), "--templates", str(templates)]
    assert main(argv) == 0
    assert "<p id='mine'>6 models, our way</p>" in _text(site / "index.html")
    # The other templates still come from the package.
    assert len(_rows(_text(site / "comparison.html"))) == 6


def _card(name: str, collection: str, body: str = "") -> str:
    return f"""# {name}

{body}

<!--
Type: model-index
Models:
- Name: {name}
  In Collection: {collection}
  Metadata: {{Parameters: 1000}}
-->
"""


def _hrefs(page: str) -> list[str]:
    """Every href and src as the browser reads it: character references decoded."""
    return [html.unescape(value) for value in re.findall(r'(?:href|src)="([^"]*)"', page)]


@pytest.mark.parametrize(
    "url",
    [
        "javascript&#58;alert(1)",
        "javascript&colon;alert(2)",
        "&#106;avascript:alert(3)",
        "javascript&#x3a;alert(5)",
        "JavaScript&#X3A;alert(6)",
        "java&#x09;script:alert(7)",
        " \x01javascript:alert(8)",
        "data&colon;text/html,x",
        "vbscript:x",
    ],
)
def test_an_entity_encoded_or_disguised_script_url_is_unsafe(url: str) -> None:
    assert not is_safe_link(url)


@pytest.mark.parametrize(
    "url",
    ["https://example.org/a?b=1&amp;c=2", "mailto:a@b.org", "Other.md", "#anchor", "img/a.png"],
)
def test_http_mailto_relative_and_fragment_links_are_safe(url: str) -> None:
    assert is_safe_link(url)


def test_entity_encoded_javascript_links_in_a_card_lose_their_url(tmp_path: Path) -> None:
    body = (
        "[a](javascript&#58;alert(1)) [b](javascript&colon;alert(2)) "
        "[c](&#106;avascript:alert(3)) [r][ref] [ok](https://example.org)\n\n"
        "[ref]: javascript&#x3a;alert(5)\n"
    )
    card = write_file(tmp_path / "zoo" / "entities.md", _card("entities", "Entities", body))
    site = build_site([card.parent], tmp_path / "site")
    hrefs = _hrefs(_text(site / "models" / "entities.html"))
    assert "https://example.org" in hrefs
    assert not [href for href in hrefs if "alert" in href]


def test_attr_list_cannot_give_a_card_event_handlers_or_styles(tmp_path: Path) -> None:
    body = (
        "A paragraph.\n"
        '{: onmouseover="alert(\'attr\')" style="position: fixed" srcdoc="x" }\n\n'
        "[link](https://example.org){ onclick=\"alert('click')\" }\n"
        "[swap](https://example.org){ href=\"javascript:alert('href')\" }\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n"
    )
    write_file(tmp_path / "docs" / "attrs.md", _card("attrs", "Attrs", body))
    write_file(
        tmp_path / "mkdocs.yml",
        "site_name: attrs\ntheme: {name: material, font: false}\n"
        "markdown_extensions: [attr_list, tables]\nplugins: [search, modelindex]\n",
    )
    site = tmp_path / "site"
    build(load_config(str(tmp_path / "mkdocs.yml"), site_dir=str(site)))
    page = _text(site / "attrs" / "index.html")
    content = page[page.index('<article class="md-content__inner') :]
    assert "A paragraph." in content and 'href="https://example.org"' in content
    assert not re.search(r"\son\w+=", content), "an event handler survived"
    assert "position: fixed" not in content and "srcdoc" not in content
    assert "alert('href')" not in content
    assert 'style="text-align: right;"' in content  # the tables extension's own alignment


def test_build_refuses_an_output_that_holds_an_input(tmp_path: Path, monkeypatch, capsys) -> None:
    project = tmp_path / "proj"
    write_file(project / "zoo" / "net.md", _card("net", "Net"))
    write_file(project / "src" / "main.py", "x\n")
    (project / "search").mkdir()
    monkeypatch.chdir(project)
    before = sorted(path.relative_to(project) for path in project.rglob("*"))
    for output in (".", "zoo", ".."):
        assert main(["build", "zoo", "-o", output]) == 2
        assert "holds the input zoo" in capsys.readouterr().err
    assert sorted(path.relative_to(project) for path in project.rglob("*")) == before


def test_build_replaces_only_a_folder_it_built_before(tmp_path: Path) -> None:
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net")).parent
    lookalike = tmp_path / "lookalike"
    write_file(lookalike / "404.html", "mine")
    write_file(lookalike / "search" / "notes.txt", "keep me")
    with pytest.raises(BuildError, match="not a site built by modelindex"):
        build_site([zoo], lookalike)
    assert _text(lookalike / "search" / "notes.txt") == "keep me"
    site = build_site([zoo], tmp_path / "site")
    assert (site / MARKER).is_file()
    write_file(site / "stale.html", "from before")
    build_site([zoo], site)  # the folder's contents are replaced
    assert not (site / "stale.html").exists() and (site / "index.html").is_file()


def test_a_site_inside_the_zoo_is_refused(tmp_path: Path, capsys) -> None:
    # `build docs -o docs/site`: the next `mkdocs build` of docs/ would copy a second site.
    body = "![arch](img/arch.png) and [its metafile](metafile.yml)"
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net", body)).parent
    write_file(zoo / "img" / "arch.png", "png")
    write_file(zoo / "metafile.yml", "Models:\n- Name: meta\n  Metadata: {Parameters: 5}\n")
    assert main(["build", str(zoo), "-o", str(zoo / "public")]) == 2
    assert f"lies inside the input folder {zoo}" in capsys.readouterr().err
    assert not (zoo / "public").exists()
    site = build_site([zoo], tmp_path / "public")
    assert len(_rows(_text(site / "comparison.html"))) == 2
    assert (site / "models" / "img" / "arch.png").is_file()
    assert load(site).models == []


def test_build_needs_a_path_and_does_not_take_mkdocs_default_output(capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["build"])
    assert raised.value.code == 2
    assert "PATH" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "default: modelindex-site" in " ".join(capsys.readouterr().out.split())


def test_build_links_pages_by_file_and_inlines_the_search_index(tmp_path: Path) -> None:
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net")).parent
    site = build_site([zoo], tmp_path / "site")
    home = _text(site / "index.html")
    assert 'href="comparison.html"' in home and 'href="models/net.html' in home
    assert not re.search(r'href="[^":#]*/"', home), "a link to a folder opens a listing from disk"
    assert _text(site / "search" / "search_index.js").startswith("var __index = ")
    assert 'src="assets/modelindex/iframe-worker.js"' in home
    assert all("unpkg.com" not in _text(path) for path in site.rglob("*.html"))


EDGE_ZOO = """Models:
- Name: twin
  In Collection: Wide  Net
  Metadata: {Parameters: 5000000}
  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 70.25}}]
- Name: twin
  In Collection: C++
  Metadata: {Parameters: 9000000}
  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 80.5}}]
- In Collection: C#
  Metadata: {Parameters: 3000000}
  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 60.5}}]
- In Collection: C#
  Metadata: {Parameters: 4000000}
  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 65.5}}]
- Name: negative
  Metadata: {Parameters: -5}
  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 50}}]
- Name: other_models
  In Collection: Other Models
  Metadata: {Parameters: 7000000}
- Name: greek
  In Collection: Αλφα
- Name: cyrillic
  In Collection: Бета
"""


def _collection_links(site: Path) -> dict[str, str]:
    home = _text(site / "index.html")
    return {
        html.unescape(name): url
        for url, name in re.findall(r'<li><a href="(collections/[^"]+)">([^<]+)</a>', home)
    }


def test_collections_whose_names_slug_alike_get_a_page_each(tmp_path: Path) -> None:
    zoo = write_file(tmp_path / "zoo" / "model-index.yml", EDGE_ZOO).parent
    links = _collection_links(build_site([zoo], tmp_path / "site"))
    names = ["C#", "C++", "Other Models", "Other models", "Wide  Net", "Αλφα", "Бета"]
    assert sorted(links) == names and len(set(links.values())) == len(names)
    assert ">C#</h1>" in _text(tmp_path / "site" / links["C#"])  # a name is no markdown
    # The same names get the same pages whatever order the models come in.
    models = EDGE_ZOO.split("\n- ")
    reordered = "\n- ".join([models[0], *reversed(models[1:])])
    zoo2 = write_file(tmp_path / "zoo2" / "model-index.yml", reordered.rstrip("\n") + "\n").parent
    assert _collection_links(build_site([zoo2], tmp_path / "site2")) == links


def test_home_counts_models_without_a_collection_as_no_collection(tmp_path: Path) -> None:
    zoo = write_file(tmp_path / "zoo" / "model-index.yml", EDGE_ZOO).parent
    home = _text(build_site([zoo], tmp_path / "site") / "index.html")
    assert 'id="modelindex-collections">6</span> collections' in home


def test_the_collection_filter_options_carry_their_exact_names(tmp_path: Path) -> None:
    zoo = write_file(tmp_path / "zoo" / "model-index.yml", EDGE_ZOO).parent
    page = _text(build_site([zoo], tmp_path / "site") / "comparison.html")
    assert '<option value="Wide  Net">Wide  Net</option>' in page


def test_cards_keep_their_links_and_images_under_build(tmp_path: Path) -> None:
    body = "See [other](Other.md) and [the third](sub/Third.md).\n\n![arch](img/arch.png)"
    zoo = write_file(tmp_path / "zoo" / "My_Net.md", _card("my_net", "My Net", body)).parent
    write_file(zoo / "Other.md", _card("other", "Other"))
    write_file(zoo / "sub" / "Third.md", _card("third", "Third", "[back](../My_Net.md)"))
    write_file(zoo / "img" / "arch.png", "png")
    site = build_site([zoo], tmp_path / "site", strict=True)  # strict: no link warning
    page = _text(site / "models" / "My_Net.html")
    assert 'href="Other.html"' in page and 'href="sub/Third.html"' in page
    assert 'src="img/arch.png"' in page and (site / "models" / "img" / "arch.png").is_file()
    assert 'href="../My_Net.html"' in _text(site / "models" / "sub" / "Third.html")


def test_build_publishes_no_linked_file_outside_the_zoo_or_hidden(tmp_path: Path) -> None:
    body = "[secret](../secret.txt) [env](.env) [key](keys/.id_rsa)"
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net", body)).parent
    for path in (tmp_path / "secret.txt", zoo / ".env", zoo / "keys" / ".id_rsa"):
        write_file(path, "secret")
    site = build_site([zoo], tmp_path / "site")
    assert not [
        path for path in site.rglob("*") if path.is_file() and path.read_bytes() == b"secret"
    ]


def test_a_broken_link_warning_names_the_users_file(tmp_path: Path, monkeypatch, caplog) -> None:
    write_file(tmp_path / "zoo" / "cards" / "My_Net.md", _card("my_net", "Net", "[gone](Gone.md)"))
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        build_site([Path("zoo")], tmp_path / "site")
    warnings = [
        record.getMessage() for record in caplog.records if "Gone.md" in record.getMessage()
    ]
    assert warnings and all("'zoo/cards/My_Net.md'" in warning for warning in warnings)
    assert not [warning for warning in warnings if "'models/" in warning]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("<p>\n{% for %}\n</p>", "home.html, line 2: Expected an expression"),
        ("<p>\n\n{{ nope }}</p>", "home.html, line 3: 'nope' is undefined"),
    ],
)
def test_a_template_error_is_one_line_naming_the_file_and_line(
    tmp_path: Path, template: str, expected: str
) -> None:
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net")).parent
    templates = write_file(tmp_path / "templates" / "home.html", template).parent
    with pytest.raises(BuildError) as raised:
        build_site([zoo], tmp_path / "site", templates=templates)
    message = str(raised.value)
    assert f"{templates / 'home.html'}".removesuffix("home.html") in message
    assert expected in message and "\n" not in message


def test_an_output_that_cannot_be_created_is_a_build_error(tmp_path: Path) -> None:
    zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net")).parent
    with pytest.raises(BuildError, match=r"^cannot write the site to /proc/modelindex-site: "):
        build_site([zoo], Path("/proc/modelindex-site"))


def test_build_of_a_folder_without_models_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match=r"^no file to read in .*empty; looked for .*\.md"):
        build_site([tmp_path / "empty"], tmp_path / "site")
    write_file(tmp_path / "prose" / "notes.md", "# Notes\n\nNo model here.\n")
    with pytest.raises(BuildError, match=r"^no model found in"):
        build_site([tmp_path / "prose"], tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_findings_page_lists_what_validate_reports(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(TIMM_DOCS.parent)
    assert main(["validate", TIMM_DOCS.name, "--format", "json"]) == 1
    reported = json.loads(capsys.readouterr().out)["findings"]
    expected = sorted(
        (f["code"], f"{f['path']}:{f['line']}" if f["line"] else f["path"]) for f in reported
    )
    page = _text(build_site([Path(TIMM_DOCS.name)], tmp_path / "site") / "findings.html")
    listed = sorted(
        (code.upper(), html.unescape(location))
        for code, section in re.findall(
            r'<section>\s*<h2 id="(\w+)">(.*?)</section>', page, re.DOTALL
        )
        for location in re.findall(r"<li><code>([^<]*)</code>", section)
    )
    assert len(expected) > 50 and listed == expected
    assert str(TIMM_DOCS.parent) not in page  # no folder of the machine that built the site
    # Each finding links to its model's section; long numbers have their thousands grouped.
    assert '<a href="models/tresnet.html#tresnet_m"><strong>tresnet_m</strong></a>' in page
    assert re.search(r"\d{1,3},\d{3},\d{3}", page)


def test_each_model_is_a_heading_in_the_contents_and_in_search(project_site: Path) -> None:
    page = _text(project_site / "models" / "resnet-d" / "index.html")
    assert '<h2 id="resnet50d">resnet50d</h2>' in page
    # The theme's table of contents links to each model's section.
    toc = page[page.index('data-md-component="toc"') :]
    assert 'href="#resnet50d"' in toc and 'href="#resnet200d"' in toc
    index = json.loads(_text(project_site / "search" / "search_index.json"))
    [entry] = [doc for doc in index["docs"] if doc["location"].endswith("#resnet50d")]
    assert entry["title"] == "resnet50d"
    assert "25.58M" in entry["text"] or "25.6" in entry["text"]


def test_a_hostile_model_name_is_text_in_the_contents(tmp_path: Path) -> None:
    card = write_file(tmp_path / "zoo" / "evil.md", HOSTILE_CARD)
    site = build_site([card.parent], tmp_path / "site")
    page = _text(site / "models" / "evil.html")
    assert "<script>alert('name')" not in page
    toc = page[page.index('data-md-component="toc"') :]
    assert "net&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in toc


@pytest.mark.parametrize("built", ["project", "build"])
def test_sites_have_copy_buttons_a_dark_scheme_and_following_contents(
    built: str, project_site: Path, tmp_path: Path
) -> None:
    if built == "project":
        page = _text(project_site / "index.html")
    else:
        zoo = write_file(tmp_path / "zoo" / "net.md", _card("net", "Net")).parent
        page = _text(build_site([zoo], tmp_path / "site") / "index.html")
    config = re.search(r'<script id="__config" type="application/json">(.*?)</script>', page)
    assert config is not None
    features = json.loads(config.group(1))["features"]
    assert {"content.code.copy", "toc.follow", "navigation.tracking"} <= set(features)
    assert 'data-md-color-scheme="slate"' in page  # the dark scheme's toggle


def test_a_collection_on_two_pages_is_linked_once_per_page_and_says_which(tmp_path: Path) -> None:
    # mmpose: models of no collection in two READMEs made two links both called "Other models".
    zoo = tmp_path / "zoo"
    write_file(zoo / "a.md", _card("first", "Shared"))
    write_file(zoo / "b" / "b.md", _card("second", "Shared"))
    home = _text(build_site([zoo], tmp_path / "site") / "index.html")
    links = re.findall(r'<li><a href="(models/[^"]+)">([^<]+)</a>', home)
    assert sorted(links) == [
        ("models/a.html", "Shared (models/a)"),
        ("models/b/b.html", "Shared (models/b/b)"),
    ]


def test_a_card_without_a_heading_is_titled_by_its_model_not_index(tmp_path: Path) -> None:
    card = "---\nmodel-index:\n- name: tomato-leaves\n  results:\n  - task: {type: image-classification}\n    dataset: {type: leaves, name: Leaves}\n    metrics: [{type: accuracy, value: 0.9}]\n---\n"
    write_file(tmp_path / "zoo" / "owner" / "tomato-leaves" / "README.md", card)
    site = build_site([tmp_path / "zoo"], tmp_path / "site")
    page = _text(site / "models" / "owner" / "tomato-leaves" / "index.html")
    assert "<title>tomato-leaves - Model zoo</title>" in page and ">Index<" not in page
    assert "<h1>tomato-leaves</h1>" in page
    assert page.count('id="tomato-leaves"') == 1  # the title is no second anchor of the model
    hostile = card.replace("tomato-leaves", "<img src=x onerror=alert(1)>R&amp;D")
    write_file(
        tmp_path / "zoo2" / "owner" / "x" / "README.md",
        hostile.replace("- name: <", "- name: '<", 1).replace("D\n  results", "D'\n  results", 1),
    )
    page = _text(
        build_site([tmp_path / "zoo2"], tmp_path / "site2")
        / "models"
        / "owner"
        / "x"
        / "index.html"
    )
    assert "<img src=x" not in page
    assert "<title>&lt;img src=x onerror=alert(1)&gt;R&amp;amp;D - Model zoo</title>" in page


def test_a_reported_value_is_flagged_on_its_own_model_not_its_twin(tmp_path: Path) -> None:
    # mmpose and mmaction2 name two models alike in one metafile: a finding is on one of them.
    zoo = write_file(
        tmp_path / "zoo" / "model-index.yml",
        "Models:\n"
        "- Name: twin\n  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 70.25}}]\n"
        "- Name: twin\n  Results: [{Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 805}}]\n",
    ).parent
    rows = _rows(_text(build_site([zoo], tmp_path / "site") / "comparison.html"))
    flags = [next(iter(row["flags"].values()), {}) for row in rows]
    assert flags[0] == {} and list(flags[1].values()) == ["S009"]
    home = _text(tmp_path / "site" / "index.html")
    assert "<td>70.25</td>" in home and "805" not in home  # the typo is no best
