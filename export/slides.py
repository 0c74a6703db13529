"""Render each chapter of the built site as a reveal.js deck (``make slides``).

The decks are made from the chapters' built HTML pages, so code and outputs are those of the
executed chapters (nothing runs again) and cells the site hides stay hidden.  Headings make
the slides: every heading starts a column of slides, whose first slide carries the section's
prose cut to one sentence per paragraph (the full text goes into the speaker notes, key ``S``),
then one slide per visible code cell with its text output, one per figure with its caption
and one per interactive explorer.

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
from pathlib import Path

import yaml
from bs4 import BeautifulSoup, NavigableString, Tag

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "slides"
REVEAL = ROOT / "node_modules" / "reveal.js"
# A bullet is one sentence; past this many characters it is cut at a word and ends in "…".
MAX_BULLET = 170
BULLETS_PER_SLIDE = 5
HIDDEN_CELL = {"tag_hide-cell", "tag_remove-cell", "tag_remove-input", "tag_remove-output"}
# MathJax, served by the site itself, typesetting the \\( \\) and \\[ \\] math Sphinx writes; code is not math.
MATHJAX_HEAD = """<script>
  window.MathJax = { tex: { inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]] },
                      options: { skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"] } };
</script>
<script defer src="../_static/mathjax/tex-chtml.js"></script>
"""
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])|(?<=:)\s+(?=[A-Z])")


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


def first_sentence(paragraph: Tag) -> Tag:
    """The paragraph cut after its first sentence (inline markup and math kept)."""
    out = BeautifulSoup("", "html.parser").new_tag("span")
    length = 0
    for child in list(paragraph.children):
        text = child if isinstance(child, NavigableString) else child.get_text()
        if isinstance(child, NavigableString):
            text = re.sub(r"\s+", " ", str(child))
            match = SENTENCE_END.search(text)
            if match:
                out.append(text[: match.start()])
                return out
            if length + len(text) > MAX_BULLET:
                cut = text[: max(0, MAX_BULLET - length)].rsplit(" ", 1)[0]
                out.append(cut.rstrip(",;— ") + " …")
                return out
            out.append(text)
        else:
            out.append(copy.copy(child))
        length += len(text)
    return out


def _notes(paragraphs: list[str]) -> str:
    return f'<aside class="notes">{"".join(paragraphs)}</aside>' if paragraphs else ""


def _slide(body: str, notes: list[str] | None = None, classes: str = "") -> str:
    return f'<section class="kind-{classes or "other"}">{body}{_notes(notes or [])}</section>'


def _code(cell: Tag) -> str:
    pre = cell.select_one(".cell_input pre")
    return f'<div class="code-in highlight">{pre}</div>' if pre else ""


def _cell_slides(cell: Tag, heading: str, lead: list[str]) -> list[str]:
    """Slides for one visible code cell: code with its text outputs, then each rich output."""
    classes = set(cell.get("class", []))
    slides, text_outputs, rich = [], [], []
    output = None if "tag_hide-output" in classes else cell.select_one(".cell_output")
    for part in output.find_all(recursive=False) if output else []:
        part_classes = set(part.get("class", []))
        if "text_html" in part_classes:
            rich.append(("html", part))
        elif part.name == "figure" or part.find("img"):
            rich.append(("figure", part))
        elif part.find("pre"):
            text_outputs.append(f'<div class="code-out highlight">{part.find("pre")}</div>')
    code = "" if "tag_hide-input" in classes else _code(cell)
    title = f"<h3>{heading}</h3>"
    if code or text_outputs:
        slides.append(_slide(title + code + "".join(text_outputs), lead, "code"))
        lead = []
    for kind, part in rich:
        if kind == "figure":
            img = part.find("img")
            caption = part.find("figcaption")
            caption_html = f"<figcaption>{caption.decode_contents()}</figcaption>" if caption else ""
            body = f'<figure class="slide-figure">{img}{caption_html}</figure>'
        else:
            body = f'<div class="slide-html">{part.decode_contents()}</div>'
        slides.append(_slide(title + body, lead, "figure" if kind == "figure" else "explorer"))
        lead = []
    return slides


def _section_slides(section: Tag, level: int, crumbs: list[str]) -> list[list[str]]:
    """Columns of slides (one column per heading) for a section and its subsections."""
    heading = section.find(re.compile(f"^h{level}$"), recursive=False)
    title = heading.get_text(" ", strip=True) if heading else ""
    shown_title = " › ".join([*crumbs[1:], title]) if level > 1 else title
    text_items, notes, cell_slides, columns = [], [], [], []
    lead: list[str] = []
    for child in section.children:
        if not isinstance(child, Tag) or child is heading:
            continue
        if child.name == "section":
            columns += _section_slides(child, level + 1, [*crumbs, title])
            continue
        child = _clean(child)
        classes = set(child.get("class", []))
        if child.name == "p":
            text_items.append(f"<li>{first_sentence(child)}</li>")
            notes.append(str(child))
            lead = [str(child)]
        elif child.name in ("ul", "ol"):
            for li in child.find_all("li", recursive=False):
                paragraph = li.find("p") or li
                text_items.append(f"<li>{first_sentence(paragraph)}</li>")
            notes.append(str(child))
        elif "math" in classes:
            text_items.append(f'<li class="display-math">{child}</li>')
        elif "admonition" in classes:
            title_tag = child.select_one(".admonition-title")
            name = title_tag.get_text(" ", strip=True) if title_tag else "Note"
            if title_tag:
                title_tag.decompose()
            cell_slides.append(
                _slide(
                    f'<h3>{html.escape(name)}</h3><div class="exercise">{child.decode_contents()}</div>',
                    None,
                    "exercise",
                )
            )
        elif "cell" in classes:
            if HIDDEN_CELL & classes:
                continue
            cell_slides += _cell_slides(child, shown_title, lead)
            lead = []
        elif child.find("pre"):
            cell_slides.append(_slide(f"<h3>{shown_title}</h3>{child}", None, "code"))
        elif child.name in ("table", "div", "figure", "blockquote"):
            cell_slides.append(_slide(f"<h3>{shown_title}</h3>{child}"))
    slides = []
    tag = "h1" if level == 1 else "h2"
    for start in range(0, max(len(text_items), 1), BULLETS_PER_SLIDE):
        chunk = text_items[start : start + BULLETS_PER_SLIDE]
        more = " (continued)" if start else ""
        subtitle = (
            '<p class="deck-subtitle">Lecture 9: Convolutional Neural Networks</p>' if level == 1 and not start else ""
        )
        body = f"<{tag}>{html.escape(shown_title)}{more}</{tag}>{subtitle}" + (
            f"<ul>{''.join(chunk)}</ul>" if chunk else ""
        )
        slides.append(_slide(body, notes if not start else [], "title" if level == 1 and not start else "text"))
    return [slides + cell_slides] + columns


def deck(page: Path) -> tuple[str, str, int]:
    """The deck of one built chapter page: (title, HTML document, number of slides)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    for anchor in soup.select("a.headerlink"):
        anchor.decompose()
    top = soup.select_one("article.bd-article > section")
    if top is None:
        raise SystemExit(f"{page}: no article section; is it a page built by Jupyter Book?")
    columns = _section_slides(top, 1, [])
    title = top.find("h1").get_text(" ", strip=True).replace("#", "").strip()
    n_slides = sum(len(c) for c in columns)
    body = "\n".join("<section>" + "".join(col) + "</section>" if len(col) > 1 else col[0] for col in columns if col)
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
    return title, doc, n_slides


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
        title, doc, n = deck(page)
        (out / page.name).write_text(doc, encoding="utf-8")
        manifest["decks"].append(
            {"file": page.name, "title": title, "slides": n, "chapter": f"{page.parent.name}/{page.name}"}
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
    print(
        f"slides: {len(manifest['decks'])} decks, {total} slides "
        f"({', '.join(str(d['slides']) for d in manifest['decks'])}) in {time.perf_counter() - started:.1f} s"
    )
