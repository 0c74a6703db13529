"""``glue``: a number computed in a chapter, stored for the chapter's text to quote.

In the book build, :func:`myst_nb.glue` stores ``value`` under ``name``, and the prose shows it
with ``{glue:text}`name```.  Where MyST-NB is not installed (a downloaded notebook on Colab or
Binder, say) the prose is not rendered from the notebook, the cells that compute the numbers
print them, and ``glue`` does nothing.
"""

__all__ = ["glue"]

try:
    from myst_nb import glue
except ModuleNotFoundError:

    def glue(name: str, variable, display: bool = True) -> None:
        """Do nothing: without MyST-NB there is no book build to store ``variable`` for."""
