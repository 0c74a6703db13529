"""The slides: the author's marks in the chapters (_ext/slide_marks.py) and the decks made from
them (export/slides.py), on small built pages. The decks themselves are stepped through in
Chromium by ``tests/site/check_slides.mjs`` (``make check-site``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "export"))
sys.path.insert(0, str(ROOT / "_ext"))
import slide_marks  # noqa: E402
import slides  # noqa: E402
from student_edition import SLIDE  # noqa: E402  the one pattern of a slide mark

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))

PAGE = """<article class="bd-article"><section><h1>Pooling</h1>
<p>Opening prose.</p>
<section><h2>Max-pooling</h2>
<template class="lecture-slide" data-title="" data-show="code figure"><ul><li>Keep the maximum</li></ul></template>
<p>Pooling keeps the maximum of every window.</p>
<div class="cell tag_remove-cell"><div class="cell_input"><pre>assert True</pre></div></div>
<div class="cell"><div class="cell_input"><pre>pool(x)</pre></div>
  <div class="cell_output"><figure><img src="a.png" alt="a"><figcaption>Pooled.</figcaption></figure></div></div>
<div class="cell"><div class="cell_input"><pre>other(x)</pre></div>
  <div class="cell_output"><figure><img src="b.png" alt="b"></figure></div></div>
<template class="lecture-slide" data-title="Take-aways" data-show=""><ul><li>Pooling shrinks</li></ul></template>
<p>Summary prose.</p>
</section></section></article>"""


def _section(page: str):
    return BeautifulSoup(page, "html.parser").select_one("article.bd-article > section")


def test_a_mark_makes_a_slide_of_its_bullets_the_cells_after_it_and_its_prose_as_notes():
    intro, marked = slides.slides_of(_section(PAGE))
    assert intro == ["<p>Opening prose.</p>"]
    first, last = marked
    assert first.title == "Max-pooling"  # no title given: the section's heading
    assert first.kind == "figure"
    assert "pool(x)" in first.shown["code"] and "assert" not in first.shown["code"]  # hidden cells are skipped
    assert 'src="a.png"' in first.shown["figure"]  # the first figure after the mark, not the second
    assert first.notes == ["<p>Pooling keeps the maximum of every window.</p>", "<p>Pooled.</p>"]
    assert (last.title, last.kind, last.notes) == ("Take-aways", "text", ["<p>Summary prose.</p>"])
    html = slides.slide_html(first)
    assert html.index("Keep the maximum") < html.index("pool(x)") < html.index("a.png") < html.index("notes")


def test_a_mark_asking_for_what_no_cell_after_it_has_fails_with_its_title():
    page = PAGE.replace('data-show=""', 'data-show="explorer"')
    with pytest.raises(SystemExit, match=r"'Take-aways' asks for explorer.*move the mark"):
        slides.slides_of(_section(page), "x.html")


def test_the_show_option_accepts_only_what_a_slide_can_show():
    assert slide_marks.show_option(" code  figure ") == "code figure"
    with pytest.raises(ValueError, match="picture cannot be shown"):
        slide_marks.show_option("picture")
    with pytest.raises(ValueError, match="twice"):
        slide_marks.show_option("figure figure")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_marks_its_slides_with_few_short_bullets(chapter):
    marks = list(SLIDE.finditer(chapter.read_text(encoding="utf-8")))
    assert len(marks) >= 5, f"{chapter.name} marks only {len(marks)} slides"
    for mark in marks:
        show = re.search(r"^:show:(.*)$", mark["body"], re.MULTILINE)
        slide_marks.show_option(show[1] if show else "")
        bullets = re.findall(r"^[-*] ", mark["body"], re.MULTILINE)
        assert len(bullets) <= 6, f"{chapter.name}, slide {mark['title']!r}: {len(bullets)} bullets"
        assert not re.search(r"(…|\.\.\.)\s*$", mark["body"], re.MULTILINE), f"a cut bullet on {mark['title']!r}"


def test_a_figure_may_grow_to_half_again_its_size_on_the_page(tmp_path):
    from PIL import Image

    Image.new("RGB", (300, 100), "white").save(tmp_path / "f.png")
    img = BeautifulSoup('<img src="f.png" alt="a chart">', "html.parser").img
    assert slides._sized(img, tmp_path)["style"] == "max-width: 450px; max-height: 150px"
    assert "style" not in slides._sized(img, None).attrs  # no file to measure: left as it is
