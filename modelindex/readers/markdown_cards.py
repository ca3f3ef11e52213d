"""Reader for markdown model cards that keep model-index YAML in an HTML comment.

    <!--
    Type: model-index
    Collections: ...
    Models: ...
    -->

A file may hold several such comments. Comments inside fenced code blocks are examples, not
data, and the rest of the markdown (prose, Jinja ``{% include %}`` lines) is ignored.
"""

from __future__ import annotations

import re

from modelindex.fields import normalize_key
from modelindex.located_yaml import YamlBudget, parse_yaml
from modelindex.problems import InputError, LoadProblem, ProblemKind
from modelindex.readers.markdown_blocks import FencedCode, LineCounter, in_inline_code
from modelindex.readers.model_index_document import interpret_document
from modelindex.readers.records import MARKDOWN_SUFFIXES, ReadOutput
from modelindex.readers.registry import Reader, register

_MODEL_INDEX_TYPE = re.compile(
    r"^[ \t]*type[ \t]*:[ \t]*['\"]?model-index['\"]?[ \t]*$", re.IGNORECASE | re.MULTILINE
)

DIALECT = "markdown-card"


# A card documents one collection or a few; each comment costs a parse.
MAX_COMMENTS = 1000


def read_markdown_card(path: str, text: str) -> ReadOutput:
    output = ReadOutput()
    if "<!--" not in text:
        return output
    fenced = FencedCode(text)
    lines = LineCounter(text)
    position = 0
    # The comments of one card share one budget, as a standalone file has.
    budget = YamlBudget()
    comments = 0
    while (start := text.find("<!--", position)) != -1:
        end = text.find("-->", start + 4)
        body = text[start + 4 : len(text) if end == -1 else end]
        position = len(text) if end == -1 else end + 3
        if fenced.contains(start) or in_inline_code(text, start):
            continue
        if not _MODEL_INDEX_TYPE.search(body):
            continue
        first_line = lines.line_at(start)
        if end == -1:
            output.problems.append(
                LoadProblem(
                    ProblemKind.SYNTAX,
                    path,
                    first_line,
                    "model-index comment is never closed (-->)",
                )
            )
            break
        # YAML may start on the comment's own line ('<!-- Type: model-index'); its indent there
        # is an artefact of the comment marker, not YAML structure.
        newline = body.find("\n")
        head = body if newline == -1 else body[:newline]
        if head.strip():
            body = head.lstrip() + body[len(head) :]
        comments += 1
        if comments > MAX_COMMENTS:
            message = f"more than {MAX_COMMENTS:,} model-index comments: the rest are not read"
            output.problems.append(LoadProblem(ProblemKind.TOO_COMPLEX, path, first_line, message))
            break
        try:
            parsed = parse_yaml(body, line_offset=first_line - 1, budget=budget)
        except InputError as error:
            output.problems.append(error.at(path))
            continue
        output.problems += [problem.at(path) for problem in parsed.problems]
        data = parsed.value
        if isinstance(data, dict) and {normalize_key(key) for key in data} <= {"type"}:
            data = None  # only the Type marker: an empty model-index comment
        output.extend(interpret_document(data, path, first_line, DIALECT))
    return output


register(
    Reader(
        DIALECT,
        read_markdown_card,
        suffixes=MARKDOWN_SUFFIXES,
        # mkdocs renders these; other cards (.txt, .mdx) get a generated page on the site.
        page_suffixes=(".md", ".markdown"),
        fallback=True,
    )
)
