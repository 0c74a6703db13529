"""The student's edition of a chapter: a notebook that reads like the page, in any Jupyter.

The website renders the chapters' MyST (glued numbers, figure references, admonitions) and
leaves out the cells tagged ``remove-cell``. Plain JupyterLab, Binder and Colab render
neither, so this edition is plain Markdown and plain code:

- ``{glue:text}`name:format``` becomes the number as the book's own run computed it (read from
  the executed chapter in the book's jupyter-cache), and the notebook's first cell says so;
- ``{numref}`fig-...``` becomes "Figure N", and every figure's caption follows its cell as
  "**Figure N.** caption";
- an admonition (``:::{admonition} Title``) becomes a block quote headed by its title;
- a slide mark (``:::{slide}``, what the decks show) is left out: the page does not show it either;
- a link to another page of the book leads to that page on the website;
- the hidden cells lose their asserts and ``glue`` calls; what is left of them (set-up that
  later cells use) stays, and a hidden cell with nothing left is dropped;
- the set-up cell in front installs the helpers where they are missing (:mod:`notebooks`).

Run as a script (``make notebooks``), it writes ``_build/notebooks/<chapter>.ipynb`` for each
chapter given; the chapters must have been executed first (``make test``).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GLUE = re.compile(r"\{glue(?::text)?\}`(?P<name>[^`:]+)(?::(?P<format>[^`]*))?`")
NUMREF = re.compile(r"\{numref\}`(?:(?P<text>[^`<]*?)\s*<(?P<target>[^`>]+)>|(?P<bare>[^`]+))`")
ADMONITION = re.compile(
    r"^:::+\{admonition\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^:::+[ \t]*$", re.MULTILINE | re.DOTALL
)
# A slide mark and the blank lines after it (_ext/slide_marks.py).
SLIDE = re.compile(
    r"^:::+\{slide\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^:::+[ \t]*(?:\n\s*|\Z)", re.MULTILINE | re.DOTALL
)
LEFT_OVER = ("{glue", "{numref", "```{", ":::{")
PAGE_LINK = re.compile(r"\]\((?P<page>[\w-]+)\.md(?P<anchor>#[\w-]+)?\)")

NOTE = (
    "*The student's edition of this chapter, from the course book "
    "[Lecture 9: Convolutional Neural Networks]({address}). Numbers quoted in the text are "
    "those of the book's own run; the cells print those of your run, which match them where "
    "your machine trains in the same precision.*"
)


def glued_values(executed) -> dict[str, object]:
    """Name -> value of everything an executed chapter glued (strings, numbers)."""
    values = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if not scrapbook:
                continue
            data = output.get("data", {})
            # MyST-NB's glue stores its value as papermill's record of the text/plain repr.
            text = data.get("application/papermill.record/text/plain", data.get("text/plain", ""))
            try:
                values[scrapbook["name"]] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                values[scrapbook["name"]] = text
    return values


def _glued(values: dict, chapter: str):
    def replace(match) -> str:
        name, spec = match["name"], match["format"]
        if name not in values:
            raise KeyError(f"{chapter} quotes {{glue:text}}`{name}`, which its executed copy did not glue.")
        value = values[name]
        return format(value, spec) if spec else str(value)

    return replace


def _numbered(figures: dict[str, int], chapter: str):
    def replace(match) -> str:
        target = match["target"] or match["bare"]
        if target not in figures:
            raise KeyError(f"{chapter} refers to {target!r}, which is not one of its figures.")
        template = (match["text"] or "Figure %s").strip()
        return template.replace("%s", str(figures[target])) if "%s" in template else template

    return replace


def _admonition(match) -> str:
    lines = [line for line in match["body"].splitlines() if not line.startswith(":class:")]
    while lines and not lines[0].strip():
        lines.pop(0)
    quoted = [f"> **{match['title'].strip()}**", ">"] + [f"> {line}".rstrip() for line in lines]
    return "\n".join(quoted)


def markdown(text: str, values: dict, figures: dict[str, int], chapter: str, site: str = "") -> str:
    """A Markdown cell's MyST as plain Markdown (see the module's docstring); links to other
    pages of the book (``[text](running.md)``) lead to them on the website ``site``."""
    text = SLIDE.sub("", text)
    text = PAGE_LINK.sub(lambda m: f"]({site}{m['page']}.html{m['anchor'] or ''})", text)
    text = ADMONITION.sub(_admonition, text)
    text = GLUE.sub(_glued(values, chapter), text)
    return NUMREF.sub(_numbered(figures, chapter), text)


class _WithoutTests(ast.NodeTransformer):
    """Removes ``assert`` statements, ``np.testing`` checks and ``glue(...)`` calls, and blocks left empty."""

    def visit_Assert(self, node):
        return None

    def visit_Expr(self, node):
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "glue":
            return None
        if isinstance(call, ast.Call) and ".testing." in f".{ast.unparse(call.func)}":  # np.testing.assert_*
            return None
        return node

    def visit_ImportFrom(self, node):
        return None if node.module == "lecture_utils.glue" else node

    def generic_visit(self, node):
        super().generic_visit(node)
        if isinstance(node, ast.Module) or getattr(node, "body", None) != []:
            return node
        if getattr(node, "orelse", None):  # an if whose branch held only checks keeps its else
            node.body = [ast.Pass()]
            return node
        return None  # a loop, branch or with-block that held only checks


def without_tests(source: str) -> str:
    """``source`` without asserts and glue calls; "" if nothing else is left."""
    tree = _WithoutTests().visit(ast.parse(source))
    return ast.unparse(tree).strip() if tree.body else ""


def _figure(cell) -> dict | None:
    return (cell.metadata.get("mystnb") or {}).get("figure")


def student_notebook(chapter: Path, executed, root: Path = ROOT) -> nbformat.NotebookNode:
    """The student's edition of ``chapter`` (``book/NN_name.md``), quoting ``executed``'s glued values."""
    chapter = Path(chapter)
    notebook = notebooks.chapter_notebook(chapter, root)
    values = glued_values(executed)
    figures = {}
    for cell in notebook.cells:
        figure = _figure(cell) if cell.cell_type == "code" else None
        if figure and figure.get("name"):
            figures[figure["name"]] = len(figures) + 1
    cells = [nbformat.v4.new_markdown_cell(NOTE.format(address=notebooks.book_address(root)))]
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown":
            cell.source = markdown(cell.source, values, figures, chapter.name, notebooks.site_address(root)).strip()
            if cell.source:  # a cell that held only a slide mark
                cells.append(cell)
            continue
        if notebooks.is_install_cell(cell):
            cell.metadata = {notebooks.MARKER: True}
            cells.append(cell)
            continue
        figure = _figure(cell)
        if "remove-cell" in tags:
            cell.source = without_tests(cell.source)
            if not cell.source:
                continue
            cell.source = "# Set-up that later cells use (the website leaves this cell out).\n" + cell.source
        cell.metadata = (
            {"tags": [t for t in tags if t != "remove-cell"]} if len(tags) > tags.count("remove-cell") else {}
        )
        cells.append(cell)
        if figure and figure.get("caption"):
            number = figures.get(figure.get("name"))
            label = f"**Figure {number}.** " if number else ""
            caption = markdown(" ".join(str(figure["caption"]).split()), values, figures, chapter.name)
            cells.append(nbformat.v4.new_markdown_cell(label + caption))
    notebook.cells = cells
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"  # fixed, so that a rebuilt edition differs only where the chapter did
    return notebook


def left_over_myst(notebook) -> list[str]:
    """The MyST syntax a student's notebook still holds (none, if it is right)."""
    found = []
    for number, cell in enumerate(notebook.cells):
        for mark in LEFT_OVER:
            if mark in cell.source:
                found.append(f"cell {number}: {mark}")
        if cell.cell_type == "code" and re.search(
            r"^\s*assert\b|\bglue\(|\btesting\.assert", cell.source, re.MULTILINE
        ):
            found.append(f"cell {number}: an assert or glue call")
    return found


def executed_chapter(chapter: Path, root: Path = ROOT):
    """The executed copy of ``chapter`` in the book's jupyter-cache, or None."""
    import jupytext
    import yaml
    from jupyter_cache import get_cache

    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    cache_path = root / (config.get("execute", {}).get("cache") or "_build/.jupyter_cache")
    if not cache_path.is_dir():
        return None
    cache = get_cache(str(cache_path))
    try:
        record = cache.match_cache_notebook(jupytext.read(chapter))
    except KeyError:
        return None
    return cache.get_cache_bundle(record.pk).nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write the student's edition of each chapter given.")
    parser.add_argument("chapters", nargs="+", type=Path, help="book/NN_*.md chapters")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "notebooks", help="folder to write into")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    missing = []
    for chapter in args.chapters:
        executed = executed_chapter(chapter)
        if executed is None:
            missing.append(str(chapter))
            continue
        notebook = student_notebook(chapter, executed)
        left = left_over_myst(notebook)
        if left:
            raise SystemExit(f"{chapter}: the student's edition still holds MyST: {left}")
        target = args.out / f"{chapter.stem}.ipynb"
        nbformat.write(notebook, target)
        print(f"{chapter} -> {target}")
    if missing:
        print(
            f"Not written, since they have no executed copy that matches their code: {', '.join(missing)}. "
            "Run them first (make test, or pytest book/<chapter>.md), then make notebooks again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
