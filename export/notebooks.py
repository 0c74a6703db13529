"""A chapter (MyST Markdown, ``book/*.md``) as the notebook that is tested and published.

The chapters carry no set-up cell. Whenever one becomes an ``.ipynb`` — collected by nbval
(``conftest.py``), published on the ``notebooks`` branch that Colab and Binder open
(``.github/workflows/notebooks.yml``), or downloaded and run in a bare environment
(``tests/test_standalone_notebook.py``) — :func:`chapter_notebook` puts :data:`INSTALL_CELL`
in front of it: inside the repository ``lecture_utils`` is importable and the cell does
nothing; anywhere else it installs the helpers from the book's address (``repository: url`` in
``_config.yml``, written nowhere else), with TensorFlow where the chapter needs it and the
machine has none.

The book build (``jupyter-book build``) reads the chapters themselves, without this cell; the
execution cache matches notebooks by their code, so ``conftest.py`` drops the cell again
(:func:`without_install_cell`) before it stores an executed chapter there.

Run as a script, it writes ``<chapter>.ipynb`` beside each chapter given::

    python export/notebooks.py book/*.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]

#: Chapters that run without TensorFlow: their install cell leaves it out, which keeps a
#: downloaded chapter 1 light (``tests/test_standalone_notebook.py`` runs it in an
#: environment without TensorFlow, which is what shows the entry is right).
WITHOUT_TENSORFLOW = frozenset({"01_convolution"})

#: Marks the injected cell in the notebook's cell metadata, so that it can be found again.
MARKER = "lecture9-install-cell"

INSTALL_CELL = """\
# Installs the book's helpers{tensorflow_note} where missing (Colab, Binder); in the repository it does nothing.
try:
    import lecture_utils
except ModuleNotFoundError:
    import importlib.util, os
    source = os.environ.get("LECTURE_UTILS_SOURCE", "git+{address}")
    extra = {extra}
    %pip install --quiet "lecture-utils{{extra}} @ {{source}}"
    os.environ.setdefault("LECTURE_MODELS_URL", "{address}/releases/download/models")
"""


def book_address(root: Path = ROOT) -> str:
    """The book's public repository, ``repository: url`` in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    url = (config.get("repository") or {}).get("url")
    if not url:
        raise ValueError(
            f"{root / '_config.yml'} names no repository: url, which the chapters' "
            "install cell installs lecture_utils from."
        )
    return url.rstrip("/").removesuffix(".git")


def site_address(root: Path = ROOT) -> str:
    """The book's website on GitHub Pages, derived from :func:`book_address` (``/`` at the end)."""
    owner, repository = book_address(root).removeprefix("https://github.com/").split("/")[:2]
    return f"https://{owner.lower()}.github.io/{repository}/"


def install_cell_source(chapter: str, root: Path = ROOT) -> str:
    """The set-up cell's code for the chapter named ``chapter`` (a file stem, e.g. ``01_convolution``)."""
    if chapter in WITHOUT_TENSORFLOW:
        note, extra = "", '""'
    else:
        note = " (and TensorFlow)"
        extra = '"" if importlib.util.find_spec("tensorflow") else "[tensorflow]"'
    return INSTALL_CELL.format(tensorflow_note=note, address=book_address(root), extra=extra).rstrip("\n")


def is_install_cell(cell) -> bool:
    """Whether ``cell`` is the set-up cell :func:`chapter_notebook` put in."""
    return bool(cell.get("metadata", {}).get(MARKER))


def chapter_notebook(path: Path, root: Path = ROOT) -> nbformat.NotebookNode:
    """The chapter at ``path`` read by jupytext, with the install cell as its first cell.

    The cell is tagged ``remove-cell`` (hidden wherever the notebook is rendered) and
    ``nbval-ignore-output`` (what pip prints, where it runs, is nobody's reference).
    """
    path = Path(path)
    notebook = jupytext.read(path)
    if any(is_install_cell(cell) for cell in notebook.cells):
        raise ValueError(
            f"{path} already holds the install cell; it is added when the chapter "
            "becomes a notebook and must not be in the chapter itself."
        )
    cell = nbformat.v4.new_code_cell(install_cell_source(path.stem, root))
    cell.metadata = {"tags": ["remove-cell", "nbval-ignore-output"], MARKER: True}
    cell.id = MARKER  # fixed, so that the published notebook does not change from push to push
    notebook.cells.insert(0, cell)
    return notebook


def without_install_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` with the injected install cell removed (in place; returned for chaining)."""
    notebook.cells = [cell for cell in notebook.cells if not is_install_cell(cell)]
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Write each chapter as an .ipynb beside it, with the install cell in front."
    )
    parser.add_argument("chapters", nargs="+", type=Path, help="book/*.md chapters (MyST, with a jupytext header)")
    args = parser.parse_args(argv)
    for chapter in args.chapters:
        target = chapter.with_suffix(".ipynb")
        nbformat.write(chapter_notebook(chapter), target)
        print(f"{chapter} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
