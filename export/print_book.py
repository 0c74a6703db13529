"""Join the built site's pages into one print document (``make pdf`` prints it with Chromium).

Every page of the table of contents, in its order, from the built HTML: the outputs are those
of the executed chapters (nothing runs again), figures keep their captions and numbers, math
is typeset by the site's own MathJax when Chromium opens the page.  Ids are prefixed with the
page's name so that links between and within chapters still land in the single document.
The explorers print their first frame (their sliders are hidden in print).

Usage: python export/print_book.py [HTML folder]   (default _build/html; writes <folder>/_print/)
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from slides import MATHJAX_HEAD

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "print"


def toc_pages(html_dir: Path) -> list[Path]:
    """Every page of the table of contents (the root first), as built HTML files."""
    toc = yaml.safe_load(Path(os.environ.get("BOOK_TOC", ROOT / "_toc.yml")).read_text())
    files = [toc["root"], *(entry["file"] for entry in toc.get("chapters", []))]
    pages = [html_dir / f"{f}.html" for f in files]
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        raise SystemExit(f"no built page for {', '.join(missing)}: run 'make book' first.")
    return pages


def _slug(page: Path) -> str:
    return page.stem.replace("_", "-")


def _chapter(page: Path, slugs: dict[str, str]) -> tuple[str, str]:
    """(title, HTML) of one page's article, with ids and links made unique to the document."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    if article is None:
        raise SystemExit(f"{page}: no article; is it a page built by Jupyter Book?")
    slug = _slug(page)
    for anchor in article.select("a.headerlink"):
        anchor.decompose()
    for tag in article.find_all(True):
        classes = [c for c in tag.get("class", []) if c not in ("tex2jax_ignore", "mathjax_ignore")]
        if tag.has_attr("class"):
            tag["class"] = classes
        for attr in ("id", "aria-labelledby", "aria-describedby", "for"):
            if tag.has_attr(attr) and not tag[attr].startswith("lx-"):  # the explorers' ids are unique already
                tag[attr] = " ".join(f"{slug}--{v}" for v in tag[attr].split())
        href = tag.get("href") if tag.name == "a" else None
        if href and not re.match(r"[a-z]+:", href):
            target, _, fragment = href.partition("#")
            name = Path(target).name
            if not target:
                tag["href"] = f"#{slug}--{fragment}"
            elif name in slugs:
                tag["href"] = f"#{slugs[name]}--{fragment}" if fragment else f"#{slugs[name]}"
    # The hidden solutions are open on paper: a reader cannot click them open there.
    for details in article.select("details"):
        details["open"] = ""
        summary = details.find("summary")
        if summary:
            summary.string = "Solution (hidden on the website)"
    title = article.find("h1").get_text(" ", strip=True)
    return title, f'<section class="chapter" id="{slug}">{article.decode_contents()}</section>'


def build(html_dir: Path) -> dict:
    """Write ``html_dir / '_print' / 'book.html'`` and its manifest; return the manifest."""
    pages = toc_pages(html_dir)
    slugs = {p.name: _slug(p) for p in pages}
    chapters = [_chapter(page, slugs) for page in pages]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    title, author = config.get("title", "The book"), config.get("author", "")
    contents = "".join(f'<li><a href="#{_slug(p)}">{html.escape(t)}</a></li>' for p, (t, _) in zip(pages, chapters))
    out = html_dir / "_print"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    for asset in ASSETS.iterdir():
        shutil.copy(asset, out / asset.name)
    doc = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="../_static/pygments.css">
<link rel="stylesheet" href="print.css">
{MATHJAX_HEAD}</head>
<body>
<section class="title-page">
<h1 class="book-title">{html.escape(title)}</h1>
<p class="book-author">{html.escape(author)}</p>
<p class="book-note">The executable course book, printed from its website: every output below was
computed when the chapters were executed. Interactive explorers show their first frame.</p>
<h2>Contents</h2>
<ol class="book-contents">{contents}</ol>
</section>
{"".join(body for _, body in chapters)}
</body>
</html>
"""
    (out / "book.html").write_text(doc, encoding="utf-8")
    soup = BeautifulSoup(doc, "html.parser")
    manifest = {
        "titles": [t for t, _ in chapters],
        "figures": len(soup.select("section.chapter figure:not(.lx-panel) > img")),
        "explorers": len(soup.select(".lx")),
        # "Fig. 7" and the caption's first words: the caption itself, not a reference to it.
        "captions": [
            " ".join(c.parent.get_text(" ", strip=True).split()[:6]) for c in soup.select("figcaption .caption-number")
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    m = build(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html"))
    print(f"print document: {len(m['titles'])} pages of the site, {m['figures']} figures, {m['explorers']} explorers")
