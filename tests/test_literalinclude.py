"""The lecture's code is in the chapters' cells, not included from the package.

A ``{literalinclude}`` shows code on the website, but a notebook opened in JupyterLab, Binder
or Colab shows the raw directive; the code a chapter teaches is written in its cells
(``# @save`` keeps the package's copy the same, ``tests/test_saved_code.py``).
"""

from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"


@pytest.mark.parametrize("chapter", sorted(BOOK.glob("*.md")), ids=lambda p: p.name)
def test_no_chapter_includes_code_from_a_file(chapter):
    lines = [
        n for n, line in enumerate(chapter.read_text(encoding="utf-8").splitlines(), 1) if "{literalinclude}" in line
    ]
    assert not lines, f"{chapter.name} includes code with {{literalinclude}} on lines {lines}: write it in a cell"
