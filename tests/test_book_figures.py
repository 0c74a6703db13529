"""Every figure in the book has a caption, a name, alt text, and is referenced from the prose.

Figures are code cells whose output is drawn with ``mystnb: figure:`` metadata (caption and
``name``) and ``mystnb: image: alt:``; the prose points at them with ``{numref}`fig-…```.
This reads the chapters as text (jupytext), so it runs nothing and needs no data.

A cell that draws (``plt.subplots``, ``plt.figure``, ``plotting.plot_…``) counts as a figure
unless its output never reaches the page (tagged ``remove-output`` or ``remove-cell``).
Figures written as ``{figure}`` directives or Markdown images are checked for a name and alt text.
"""

import re
from pathlib import Path

import jupytext
import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(BOOK.glob("*.md"))

DRAWS = re.compile(r"\bplt\.(subplots|figure)\(|\bplotting\.plot_\w+\(")
NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<)?([^`<>]+)>?`")
FIGURE_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(?:figure|glue:figure)\}[^\n]*\n(.*?)^\1", re.M | re.S)
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(")
MIN_ALT_WORDS = 5


def _figures(path):
    """(name, caption, alt, where) of every figure in a chapter, and the chapter's prose."""
    figures, prose = [], []
    notebook = jupytext.read(path)
    for index, cell in enumerate(notebook.cells):
        where = f"{path.name}, cell {index}"
        if cell.cell_type != "code":
            prose.append(cell.source)
            for match in FIGURE_DIRECTIVE.finditer(cell.source):
                options = dict(re.findall(r"^:(\w+):[ \t]*(.*)$", match.group(2), re.M))
                body = re.sub(r"^:\w+:.*$", "", match.group(2), flags=re.M).strip()
                figures.append((options.get("name"), body, options.get("alt"), where))
            for alt in MARKDOWN_IMAGE.findall(cell.source):
                figures.append((None, None, alt, f"{where}, Markdown image"))
            continue
        mystnb = cell.metadata.get("mystnb", {})
        figure = mystnb.get("figure")
        shown = not {"remove-output", "remove-cell"} & set(cell.metadata.get("tags", []))
        if figure is None and not (shown and DRAWS.search(cell.source)):
            continue
        figure = figure or {}
        alt = mystnb.get("image", {}).get("alt")
        figures.append((figure.get("name"), figure.get("caption"), alt, where))
    return figures, "\n".join(prose)


def _problems(path):
    figures, prose = _figures(path)
    referenced = set(NUMREF.findall(prose))
    problems = []
    for name, caption, alt, where in figures:
        label = f"{where} ({name or 'no name'})"
        if not name:
            problems.append(f"{label}: no name")
        elif not name.startswith("fig-"):
            problems.append(f"{label}: its name does not start with 'fig-'")
        elif name not in referenced:
            problems.append(f"{label}: not referenced with {{numref}}`{name}` in the prose")
        if not (caption or "").strip():
            problems.append(f"{label}: no caption")
        alt = (alt or "").strip()
        if len(alt.split()) < MIN_ALT_WORDS:
            problems.append(f"{label}: alt text missing or too short to say what it shows ({alt!r})")
        elif caption and alt == caption.strip():
            problems.append(f"{label}: alt text repeats the caption instead of describing the image")
    return problems


def test_chapters_found():
    assert len(CHAPTERS) >= 3, f"no chapters found in {BOOK}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_have_caption_name_alt_and_reference(path):
    problems = _problems(path)
    assert not problems, "\n".join(problems)


def test_figure_names_are_unique_and_references_resolve():
    names, referenced = {}, set()
    for path in CHAPTERS:
        figures, prose = _figures(path)
        for name, _, _, where in figures:
            if name:
                names.setdefault(name, []).append(where)
        referenced |= {ref for ref in NUMREF.findall(prose) if ref.startswith("fig-")}
    duplicates = {name: places for name, places in names.items() if len(places) > 1}
    assert not duplicates, f"figure names used more than once: {duplicates}"
    dangling = referenced - set(names)
    assert not dangling, f"{{numref}} to figures that do not exist: {sorted(dangling)}"
