"""The website: the mkdocs plugin on the project's docs/, `modelindex build`, and escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from mkdocs.commands.build import build
from mkdocs.config import load_config

from modelindex.cli import main
from tests.conftest import TIMM_DOCS

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def project_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site), strict=True)
    build(config)  # raises on any warning: the project's docs build with --strict
    return site


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_home_counts_collections_models_and_verified_models(project_site: Path) -> None:
    page = _text(project_site / "index.html")
    counts = re.search(
        r'id="modelindex-collections">(\d+)</span> collections,\s*'
        r'<span id="modelindex-models">(\d+)</span> models,\s*'
        r'<span id="modelindex-verified">(\d+)</span> verified',
        page,
    )
    assert counts and counts.groups() == ("4", "43", "43")
    assert 'href="comparison/"' in page and 'href="models/resnet-d/"' in page


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
    assert page.count("<tr data-name=") == 43
    assert "assets/modelindex/modelindex.js" in page
    assert (project_site / "assets" / "modelindex" / "modelindex.js").is_file()


def test_findings_page_says_the_zoo_is_clean(project_site: Path) -> None:
    assert "No findings: every rule passes." in _text(project_site / "findings" / "index.html")


def test_build_makes_a_site_for_the_timm_corpus(tmp_path: Path, capsys) -> None:
    site = tmp_path / "site"
    assert main(["build", str(TIMM_DOCS), "-o", str(site)]) == 0
    assert _text(site / "comparison" / "index.html").count("<tr data-name=") == 272
    assert "TResNet" in _text(site / "index.html")
    # Building again over the site it made is fine; over anything else it is refused.
    assert main(["build", str(TIMM_DOCS), "-o", str(site)]) == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    capsys.readouterr()
    assert main(["build", str(TIMM_DOCS), "-o", str(tmp_path / "mine")]) == 2
    assert "is not a site built before" in capsys.readouterr().err
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
    # <title> is raw text to a browser (nothing in it runs), and mkdocs fills it unescaped.
    title = re.compile(r"<title>.*?</title>", re.DOTALL)
    pages = {path: title.sub("", _text(path)) for path in site.rglob("*.html")}
    assert len(pages) >= 4
    for path, page in pages.items():
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", page, re.I), path
        assert "<b>bicubic</b>" not in page, path
    card_page = pages[site / "models" / "evil" / "index.html"]
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
    assert _text(site / "comparison" / "index.html").count("<tr data-name=") == 6
