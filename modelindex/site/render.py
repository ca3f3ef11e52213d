"""Render the site's templates: HTML with autoescaping, markdown snippets with escaped text.

Templates come from the user's folder first (any file there overrides the bundled one of the
same name), then from the ``templates/`` that ships with modelindex.
"""

from __future__ import annotations

import json
import re
import traceback
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from modelindex.bundled import bundled_path
from modelindex.formatting import human_count

# "<", ">" and "&" are left alone: card pages render with raw HTML off, so they show as text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def markdown_text(value: object) -> str:
    """``value`` as literal markdown text: no emphasis, link or heading can come of it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


_LONG_NUMBER = re.compile(r"(?<![\w.])\d{5,}(?![\w.])")


def grouped_digits(text: str) -> str:
    """Long whole numbers in ``text`` with their thousands grouped: 102502400 -> 102,502,400
    (not within a word, a version or a decimal)."""
    return _LONG_NUMBER.sub(lambda match: f"{int(match.group()):,}", str(text))


def byte_size(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f} MiB ({value} B)"


def json_for_script(value: Any) -> Markup:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' to end it early."""
    text = json.dumps(value, ensure_ascii=False)
    for character, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(character, escape)
    # Every character that could end the element is escaped above.
    return Markup(text)


def template_error(error: jinja2.TemplateError) -> str:
    """``error`` in one line that names the template file and line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return f"{error.filename or error.name}, line {error.lineno}: {error.message}"
    # jinja2 rewrites the traceback so that a template's frames name its file and line.
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.endswith(".py")
    ]
    where = f"{frames[-1].filename}, line {frames[-1].lineno}: " if frames else ""
    return f"{where}{error}"


def environment(user_templates: Path | None = None) -> jinja2.Environment:
    folders = [str(user_templates)] if user_templates else []
    folders.append(str(bundled_path("templates")))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(
        count=human_count,
        bytes=byte_size,
        pyrepr=repr,
        markdown_text=markdown_text,
        grouped_digits=grouped_digits,
    )
    return env
