"""Every number in a chapter's prose is glued, printed by the chapter, or on the allow-list.

The checks read each chapter's executed copy from the book's jupyter-cache, where
``conftest.py`` stores every chapter that nbval ran cleanly; a chapter without an executed
copy that matches its code is skipped, saying so. ``.ci/run`` runs this file again after
``make test`` with ``LECTURE_REQUIRE_EXECUTED=1``, where a missing executed copy fails, so
nothing is executed twice.
"""

from __future__ import annotations

import os
from decimal import Decimal

import jupytext
import pytest
from prose_numbers import (
    BOOK,
    ProseNumber,
    chapter_prose,
    executed_chapter,
    glue_names,
    glued_in,
    matches,
    numbers_in,
    output_numbers,
    prose_text,
    unbacked_numbers,
)
from prose_numbers_allowed import ALLOWED

CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.md"))


def _executed_or_skip(chapter):
    executed = executed_chapter(chapter)
    if executed is None:
        message = (
            f"{chapter.name} has no executed copy in the book's jupyter-cache that matches "
            f"its code; run it first (pytest {chapter.relative_to(BOOK.parent)})."
        )
        if os.environ.get("LECTURE_REQUIRE_EXECUTED"):
            pytest.fail(message)
        pytest.skip(message)
    return executed


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_number_in_the_prose_is_backed(chapter):
    executed = _executed_or_skip(chapter)
    missing = unbacked_numbers(chapter, executed, ALLOWED.get(chapter.stem, {}))
    assert not missing, (
        f"{len(missing)} numbers in the prose of {chapter.name} are neither glued nor printed by "
        "the chapter (glue them, print them, or quote the lecture on the allow-list in "
        "tests/prose_numbers_allowed.py):\n" + "\n".join(f"  {n.text!r} in …{n.context}…" for n in missing)
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_glued_number_is_glued_by_a_cell(chapter):
    executed = _executed_or_skip(chapter)
    unknown = glued_in(chapter_prose(jupytext.read(chapter))) - glue_names(executed)
    assert not unknown, f"{chapter.name} quotes glue names no cell glues: {sorted(unknown)}"


def test_the_allow_list_names_chapters_and_numbers_that_exist():
    for stem, allowed in ALLOWED.items():
        chapter = BOOK / f"{stem}.md"
        assert chapter.is_file(), f"the allow-list names a chapter that does not exist: {stem}"
        written = {n.text for text in chapter_prose(jupytext.read(chapter)) for n in numbers_in(prose_text(text))}
        stale = set(allowed) - written
        assert not stale, f"allow-list entries of {stem} that its prose no longer contains: {sorted(stale)}"
        assert all(reason.strip() for reason in allowed.values()), f"every entry of {stem} needs a reason"


# -- the extraction itself --------------------------------------------------------------------


def test_code_maths_roles_and_names_are_not_prose():
    text = (
        "VGG16 has {glue:text}`vgg_params:,` weights, `block5_conv1` and $10^{-3}$; "
        "see {numref}`fig-2`, [a link](https://example.org/3), ResNet50 and Lite0 "
        "(keras-team/keras#20285).\n"
        "```python\nx = 42\n```\n:::{admonition} Exercise\n:class: tip\n:::\n"
    )
    assert numbers_in(prose_text(text)) == []


def test_numbers_with_separators_decimals_and_percent_signs():
    found = numbers_in("3,000 photos, 98.2% accuracy, 0.25 and a 3×3 filter; filters 0–7.")
    assert [(n.text, n.value, n.decimals, n.percent) for n in found] == [
        ("3,000", Decimal(3000), 0, False),
        ("98.2%", Decimal("98.2"), 1, True),
        ("0.25", Decimal("0.25"), 2, False),
        ("3", 3, 0, False),
        ("3", 3, 0, False),
        ("0", 0, 0, False),
        ("7", 7, 0, False),
    ]


def _number(text):
    (number,) = numbers_in(text)
    return number


@pytest.mark.parametrize(
    "prose, printed, backed",
    [
        ("3000", "3,000 photos", True),
        ("0.98", "accuracy 0.9828", True),  # rounded to the decimals written
        ("98.3%", "accuracy 0.9828", True),  # a percentage of a printed fraction
        ("98.2%", "accuracy 0.9828", False),  # rounded wrongly
        ("2", "1.8 min", False),  # integers are not rounded: "2 minutes" ≠ 1.8
        ("99%", "test accuracy 0.9828", False),
        ("2.7", "2.7 s per epoch", True),
        ("0.00002", "learning_rate: 2e-05", True),
    ],
)
def test_a_printed_number_backs_a_number_of_the_prose(prose, printed, backed):
    number = _number(prose)
    assert any(matches(number, value, percent) for value, percent in output_numbers(printed)) is backed


def test_an_unbacked_number_is_reported(tmp_path):
    chapter = tmp_path / "99_test.md"
    chapter.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
        "It takes 2 minutes for 3000 photos.\n\n```{code-cell} ipython3\nprint(1)\n```\n"
    )
    executed = jupytext.read(chapter)
    executed.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "3000 photos in 1.8 min\n"}]
    assert [n.text for n in unbacked_numbers(chapter, executed, {})] == ["2"]
    assert unbacked_numbers(chapter, executed, {"2": "a reason"}) == []
    assert isinstance(unbacked_numbers(chapter, executed, {})[0], ProseNumber)
