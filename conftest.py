"""Let nbval execute the book's MyST Markdown chapters directly.

nbval collects only ``.ipynb`` files; here every ``book/*.md`` with a jupytext header is read
with jupytext and handed to nbval's collector, so the chapters need no committed ``.ipynb``
copies.  nbval starts the kernel in the file's folder, as the book build does.

Output comparison: the chapters have no stored outputs, so nbval runs in ``--nbval-lax`` mode
(any error fails the test) and the lecture's numbers are checked by hidden test cells (tagged
``remove-cell``) with ``assert`` statements inside the chapters.
"""

import jupytext
import nbval.plugin
import pytest


def _is_notebook(path):
    if path.suffix != ".md" or path.parent.name != "book":
        return False
    with open(path, encoding="utf-8") as f:
        head = f.read(400)
    return head.startswith("---") and "jupytext:" in head


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, reading the notebook through jupytext."""

    def collect(self):
        notebook = jupytext.read(self.path)

        class _Reader:  # stands in for the nbformat module inside nbval's collect()
            @staticmethod
            def read(*args, **kwargs):
                return notebook

        original = nbval.plugin.nbformat
        nbval.plugin.nbformat = _Reader
        try:
            items = list(super().collect())
        finally:
            nbval.plugin.nbformat = original
        return items


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and _is_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
