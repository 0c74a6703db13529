"""Helper code shown in the chapters comes from ``{literalinclude}``, and every one resolves.

Each ``{literalinclude}`` directive in ``book/*.md`` is read with Sphinx's own reader, with
the directive's options, so that a file that moved, a start/end marker that was renamed or
deleted, or a dedent that would cut into code fails here instead of in the book build (where
it is only a warning and the page shows nothing).  The chapters do not cut helper source
out of ``inspect.getsource`` by string search: that breaks silently when a helper changes.
"""

import ast
import re
import textwrap
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
DIRECTIVE = re.compile(r"^```\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n(?P<options>(?::[\w-]+:.*\n)*)", re.MULTILINE)
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)[ \t]*$", re.MULTILINE)


def _unquoted(value: str) -> str:
    # MyST reads directive options as YAML: a marker such as "# [fit]" must be quoted there,
    # or YAML would take it for a comment.
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def literalincludes():
    """(chapter, line, path, options) of every ``{literalinclude}`` in the book."""
    found = []
    for chapter in sorted(BOOK.glob("*.md")):
        text = chapter.read_text(encoding="utf-8")
        for match in DIRECTIVE.finditer(text):
            options = {m["key"]: _unquoted(m["value"]) for m in OPTION.finditer(match["options"])}
            line = text.count("\n", 0, match.start()) + 1
            found.append(pytest.param(chapter, match["path"], options, id=f"{chapter.name}:{line}"))
    return found


def test_the_book_has_literalincludes():
    assert len(literalincludes()) >= 1, "the directive pattern found nothing; has the syntax changed?"


@pytest.mark.parametrize("chapter, path, options", literalincludes())
def test_literalinclude_resolves_to_code(chapter, path, options):
    from sphinx.config import Config
    from sphinx.directives.code import LiteralIncludeReader

    source = (chapter.parent / path).resolve()
    assert source.is_file(), f"{chapter.name} includes {path}, which does not exist"
    text = source.read_text(encoding="utf-8")
    for key in ("start-after", "start-at", "end-before", "end-at"):
        if key in options:
            assert text.count(options[key]) == 1, (
                f"{path} holds {text.count(options[key])} copies of the {key} marker {options[key]!r}, not 1"
            )
    reader_options = {
        k: int(v) if k == "dedent" else v
        for k, v in options.items()
        if k in ("pyobject", "start-after", "start-at", "end-before", "end-at", "lines", "dedent")
    }
    undented = dict(reader_options)
    undented.pop("dedent", None)
    shown, _ = LiteralIncludeReader(str(source), undented, Config()).read()
    assert shown.strip(), f"{chapter.name} includes nothing from {path} with {options}"
    dedent = reader_options.get("dedent", 0)
    cut = [line for line in shown.splitlines() if line.strip() and not line.startswith(" " * dedent)]
    assert not cut, f":dedent: {dedent} would cut into {cut[0]!r}"
    if options.get("language", "python") == "python":
        ast.parse(textwrap.dedent(shown))  # a marker in the middle of a statement shows broken code


@pytest.mark.parametrize("chapter", sorted(BOOK.glob("*.md")), ids=lambda p: p.name)
def test_chapters_do_not_slice_helper_source(chapter):
    assert "inspect.getsource" not in chapter.read_text(encoding="utf-8"), (
        f"{chapter.name} prints helper source with inspect.getsource; use a {{literalinclude}} with markers"
    )
