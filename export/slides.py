"""Render each chapter of the built site as a reveal.js deck (``make slides``).

The author marks in the chapter what goes on a slide, with the ``{slide}`` directive
(``_ext/slide_marks.py``, d2l's way): a title, a few short bullets, and what the cells after
the mark should show (their code, a text output, a figure, an explorer). The decks are read
from the chapters' built HTML pages, where each mark is a ``<template>``, so code, outputs
and glued numbers are those of the executed chapters (nothing runs again). The prose between
one mark and the next becomes that slide's speaker notes (key ``S``); the chapter's opening
prose those of its title slide.

Usage: python export/slides.py [HTML folder]   (default _build/html; decks in <folder>/slides)
The chapters are those of _toc.yml whose file name starts with a digit (or of $BOOK_TOC).
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from bs4 import BeautifulSoup, Tag

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "slides"
REVEAL = ROOT / "node_modules" / "reveal.js"
# A figure fills the height a slide leaves it, up to this many times its size on the page.
UPSCALE = 1.5
HIDDEN_CELL = {"tag_hide-cell", "tag_remove-cell", "tag_remove-input", "tag_remove-output"}
# The slide kinds, by what a slide shows (the first of these it has names it).
KINDS = ("explorer", "figure", "code", "output")
# MathJax, served by the site itself, typesetting the \\( \\) and \\[ \\] math Sphinx writes; code is not math.
MATHJAX_HEAD = """<script>
  window.MathJax = { tex: { inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]] },
                      options: { skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"] } };
</script>
<script defer src="../_static/mathjax/tex-chtml.js"></script>
"""


def chapters(html_dir: Path) -> list[Path]:
    """The built pages of the lecture's numbered chapters, in table-of-contents order."""
    # BOOK_TOC: another table of contents, for a partial build (e.g. while developing).
    toc = yaml.safe_load(Path(os.environ.get("BOOK_TOC", ROOT / "_toc.yml")).read_text())
    files = [entry["file"] for entry in toc.get("chapters", [])]
    pages = [html_dir / f"{f}.html" for f in files if re.match(r"\d", Path(f).name)]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        raise SystemExit(f"no built page for {', '.join(missing)}: run 'make book' first.")
    return pages


def _clean(node: Tag) -> Tag:
    """A copy without permalink anchors, with internal links as plain text (they would break
    the deck's own #/slide navigation) and without the theme's MathJax-ignore classes."""
    node = copy.copy(node)
    for anchor in node.select("a.headerlink"):
        anchor.decompose()
    for anchor in node.select("a.reference.internal, a[href^='#']"):
        anchor.unwrap()
    for tag in [node, *node.find_all(True)]:
        classes = [c for c in tag.get("class", []) if c not in ("tex2jax_ignore", "mathjax_ignore")]
        if classes:
            tag["class"] = classes
        elif tag.has_attr("class"):
            del tag["class"]
    return node


@dataclass
class Slide:
    """One slide: its title, the author's bullets, what it shows and its speaker notes."""

    title: str
    bullets: str = ""
    wanted: tuple[str, ...] = ()
    shown: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return next((k for k in KINDS if k in self.shown), "text")


def _blocks(section: Tag):
    """The section's blocks in reading order, subsections flattened: ("heading", text) or (kind, tag)."""
    for child in section.children:
        if not isinstance(child, Tag):
            continue
        if child.name == "section":
            yield from _blocks(child)
        elif re.fullmatch(r"h[1-6]", child.name):
            yield "heading", child.get_text(" ", strip=True)
        elif child.name == "template" and "lecture-slide" in child.get("class", []):
            yield "mark", child
        elif "cell" in child.get("class", []):
            yield "cell", child
        else:
            yield "prose", child


def _sized(img: Tag, folder: Path | None) -> Tag:
    """The image, allowed to grow to :data:`UPSCALE` times its pixel size (read from the file)."""
    path = folder / img.get("src", "") if folder else None
    if path is None or not path.is_file():
        return img
    from PIL import Image  # matplotlib's dependency

    with Image.open(path) as image:
        width, height = image.size
    img = copy.copy(img)
    img["style"] = f"max-width: {UPSCALE * width:.0f}px; max-height: {UPSCALE * height:.0f}px"
    return img


def _cell_parts(cell: Tag, folder: Path | None = None) -> dict[str, str]:
    """What a visible code cell offers a slide: its code, its text outputs, first figure, first explorer."""
    classes = set(cell.get("class", []))
    if HIDDEN_CELL & classes:
        return {}
    parts = {}
    pre = cell.select_one(".cell_input pre")
    if pre and "tag_hide-input" not in classes:
        parts["code"] = f'<div class="code-in highlight">{pre}</div>'
    output = None if "tag_hide-output" in classes else cell.select_one(".cell_output")
    texts = []
    for part in output.find_all(recursive=False) if output else []:
        children = part.find_all(True, recursive=False)
        if "text_html" in part.get("class", []) and [c.name for c in children] == ["pre"]:
            texts.append(str(children[0]))  # rich's text as HTML: a Keras model summary
        elif "text_html" in part.get("class", []):
            parts.setdefault("explorer", f'<div class="slide-html">{part.decode_contents()}</div>')
        elif part.find("img"):
            parts.setdefault("figure", f'<figure class="slide-figure">{_sized(part.find("img"), folder)}</figure>')
            caption = part.find("figcaption")
            if caption:
                parts.setdefault("caption", f"<p>{caption.decode_contents()}</p>")
        elif part.find("pre"):
            texts.append(str(part.find("pre")))
    if texts:  # all of a cell's text outputs, in order
        parts["output"] = f'<div class="code-out highlight">{"".join(texts)}</div>'
    return parts


def slides_of(page_section: Tag, where: str = "", folder: Path | None = None) -> tuple[list[str], list[Slide]]:
    """The notes of the title slide (the prose before the first mark) and the marked slides;
    ``folder`` is the page's, where the images' paths start."""
    intro: list[str] = []
    slides: list[Slide] = []
    heading = ""
    for kind, block in _blocks(page_section):
        current = slides[-1] if slides else None
        if kind == "heading":
            heading = block
        elif kind == "mark":
            wanted = tuple((block.get("data-show") or "").split())
            title = block.get("data-title") or heading
            slides.append(Slide(title, _clean(block).decode_contents().strip(), wanted))
        elif kind == "cell":
            if current is None:
                continue
            parts = _cell_parts(block, folder)
            for name in current.wanted:
                if name in parts and name not in current.shown:
                    current.shown[name] = parts[name]
                    if name == "figure" and "caption" in parts:  # the caption is the book's prose
                        current.notes.append(parts["caption"])
        elif block.name in ("p", "ul", "ol", "blockquote", "div", "table", "figure"):
            (current.notes if current else intro).append(str(_clean(block)))
    for slide in slides:
        missing = [w for w in slide.wanted if w not in slide.shown]
        if missing:
            raise SystemExit(
                f"{where}: the slide {slide.title!r} asks for {' and '.join(missing)}, but no visible cell "
                "between its mark and the next one has it: move the mark, or change its :show:."
            )
    return intro, slides


def _notes(paragraphs: list[str]) -> str:
    return f'<aside class="notes">{"".join(paragraphs)}</aside>' if paragraphs else ""


def slide_html(slide: Slide) -> str:
    """A slide as a reveal.js ``<section>``: title, bullets, then what it shows, in the asked order."""
    body = slide.bullets + "".join(slide.shown[w] for w in slide.wanted)
    return (
        f'<section class="kind-{slide.kind}"><div class="slide-frame"><h2>{html.escape(slide.title)}</h2>'
        f'<div class="slide-body">{body}</div></div>{_notes(slide.notes)}</section>'
    )


def deck(page: Path) -> tuple[str, str, list[Slide]]:
    """The deck of one built chapter page: (title, HTML document, its marked slides)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    for anchor in soup.select("a.headerlink"):
        anchor.decompose()
    top = soup.select_one("article.bd-article > section")
    if top is None:
        raise SystemExit(f"{page}: no article section; is it a page built by Jupyter Book?")
    title = top.find("h1").get_text(" ", strip=True).replace("#", "").strip()
    intro, slides = slides_of(top, str(page), page.parent)
    if not slides:
        raise SystemExit(f"{page}: no slide marks; mark the chapter's slides with {{slide}} (see _ext/slide_marks.py).")
    title_slide = (
        f'<section class="kind-title"><h1>{html.escape(title)}</h1>'
        f'<p class="deck-subtitle">Lecture 9: Convolutional Neural Networks</p>{_notes(intro)}</section>'
    )
    body = "\n".join([title_slide, *map(slide_html, slides)])
    chapter = page.stem
    doc = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}: slides</title>
<link rel="stylesheet" href="reveal/reset.css">
<link rel="stylesheet" href="reveal/reveal.css">
<link rel="stylesheet" href="reveal/theme/white.css">
<link rel="stylesheet" href="../_static/pygments.css">
<link rel="stylesheet" href="slides.css">
{MATHJAX_HEAD}</head>
<body>
<div class="reveal"><div class="slides" data-chapter="{chapter}">
{body}
</div></div>
<p class="deck-links"><a href="../{page.parent.name}/{page.name}">Back to the chapter</a> · <a href="index.html">All slides</a> · press S for speaker notes</p>
<script src="reveal/reveal.js"></script>
<script src="reveal/plugin/notes/notes.js"></script>
<script src="slides.js"></script>
</body>
</html>
"""
    return title, doc, slides


def build(html_dir: Path) -> dict:
    """Write every deck, the reveal.js files and an index into ``html_dir / 'slides'``."""
    if not (REVEAL / "dist" / "reveal.js").is_file():
        raise SystemExit("reveal.js is not installed: run 'npm install' (make does it).")
    out = html_dir / "slides"
    if out.exists():
        shutil.rmtree(out)
    (out / "reveal" / "plugin").mkdir(parents=True)
    for name in ("reset.css", "reveal.css", "reveal.js"):
        shutil.copy(REVEAL / "dist" / name, out / "reveal" / name)
    shutil.copytree(REVEAL / "dist" / "theme", out / "reveal" / "theme")
    shutil.copytree(REVEAL / "plugin" / "notes", out / "reveal" / "plugin" / "notes")
    for asset in ASSETS.iterdir():
        shutil.copy(asset, out / asset.name)
    manifest = {"decks": []}
    for page in chapters(html_dir):
        title, doc, slides = deck(page)
        (out / page.name).write_text(doc, encoding="utf-8")
        kinds = [s.kind for s in slides]
        manifest["decks"].append(
            {
                "file": page.name,
                "title": title,
                "slides": len(slides) + 1,
                "kinds": {k: kinds.count(k) for k in ("text", *KINDS)},
                "chapter": f"{page.parent.name}/{page.name}",
            }
        )
    items = "".join(
        f'<li><a href="{d["file"]}">{html.escape(d["title"])}</a> ({d["slides"]} slides)</li>'
        for d in manifest["decks"]
    )
    (out / "index.html").write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slides: Lecture 9, Convolutional Neural Networks</title>
<link rel="stylesheet" href="slides.css"></head>
<body class="deck-index"><main><h1>Lecture 9: Convolutional Neural Networks, the slides</h1>
<p>One reveal.js deck per chapter, made from the executed chapters of the <a href="../index.html">book</a>.
Arrow keys move between slides, S opens the speaker notes, F full screen, Esc the overview.</p>
<ul>{items}</ul></main></body></html>
""",
        encoding="utf-8",
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    started = time.perf_counter()
    manifest = build(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html"))
    total = sum(d["slides"] for d in manifest["decks"])
    figures = sum(d["kinds"]["figure"] for d in manifest["decks"])
    print(
        f"slides: {len(manifest['decks'])} decks, {total} slides "
        f"({', '.join(str(d['slides']) for d in manifest['decks'])}), {figures} with a figure, "
        f"in {time.perf_counter() - started:.1f} s"
    )
