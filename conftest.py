"""Let nbval execute the book's MyST Markdown chapters directly, and let the book reuse them.

nbval collects only ``.ipynb`` files; here every ``book/*.md`` with a jupytext header is read
with jupytext and handed to nbval's collector, so the chapters need no committed ``.ipynb``
copies.  nbval starts the kernel in the file's folder, as the book build does.

Output comparison: the chapters have no stored outputs, so nbval runs in ``--nbval-lax`` mode
(any error fails the test) and the lecture's numbers are checked by hidden test cells (tagged
``remove-cell``) with ``assert`` statements inside the chapters.

A chapter whose every cell passed is stored, with its outputs, in the book's execution cache
(``execute.cache`` in ``_config.yml``), so ``jupyter-book build`` renders it without running it
a second time.  The cache matches a notebook by its code, so an edited chapter runs again.
"""

from pathlib import Path

import jupytext
import nbval.plugin
import pytest
import yaml

ROOT = Path(__file__).parent


def _is_notebook(path):
    if path.suffix != ".md" or path.parent.name != "book":
        return False
    with open(path, encoding="utf-8") as f:
        head = f.read(400)
    return head.startswith("---") and "jupytext:" in head


def _book_cache_path():
    config = ROOT / "_config.yml"
    if not config.is_file():
        return None
    execute = (yaml.safe_load(config.read_text()) or {}).get("execute", {})
    if execute.get("execute_notebooks") != "cache":
        return None
    return ROOT / (execute.get("cache") or "_build/.jupyter_cache")


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, reading the notebook through jupytext."""

    def collect(self):
        self.notebook = jupytext.read(self.path)
        notebook = self.notebook

        class _Reader:  # stands in for the nbformat module inside nbval's collect()
            @staticmethod
            def read(*args, **kwargs):
                return notebook

        original = nbval.plugin.nbformat
        nbval.plugin.nbformat = _Reader
        try:
            self.cell_items = list(super().collect())
        finally:
            nbval.plugin.nbformat = original
        return self.cell_items

    def teardown(self):
        super().teardown()
        cache_path = _book_cache_path()
        if cache_path is not None:
            _store_executed(self.notebook, self.cell_items, self.path, cache_path)


def _store_executed(notebook, items, path, cache_path):
    """Put the executed notebook into the book's jupyter-cache, if every cell ran cleanly."""
    outputs = [item.test_outputs for item in items]
    if any(out is None for out in outputs):
        return  # a cell was skipped or never ran
    if any(o.get("output_type") == "error" for out in outputs for o in out):
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for count, (cell, out) in enumerate(zip(code_cells, outputs), start=1):
        cell.execution_count = count
        for o in out:
            if o.get("output_type") == "execute_result":
                o["execution_count"] = count
        cell.outputs = out
    get_cache(str(cache_path)).cache_notebook_bundle(
        CacheBundleIn(notebook, str(path)), check_validity=False, overwrite=True)


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and _is_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
