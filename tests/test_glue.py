"""glue is MyST-NB's in the book build and does nothing where MyST-NB is missing."""

import importlib
import sys

import pytest

import lecture_utils.glue


def test_glue_is_myst_nbs_where_it_is_installed():
    myst_nb = pytest.importorskip("myst_nb")
    assert lecture_utils.glue.glue is myst_nb.glue


def test_glue_does_nothing_without_myst_nb(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` fail
    try:
        fallback = importlib.reload(lecture_utils.glue).glue
        assert fallback("accuracy", 0.99, display=False) is None
        assert fallback("accuracy", 0.99) is None
        assert capsys.readouterr() == ("", "")
    finally:
        monkeypatch.undo()
        importlib.reload(lecture_utils.glue)
