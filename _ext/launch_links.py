"""Point the Colab and Binder launch buttons at the chapter's ``.ipynb`` on the ``notebooks`` branch.

sphinx-book-theme links Colab to ``<colab>/github/<org>/<repo>/blob/<branch>/<page>.md``, but
Colab opens only ``.ipynb`` files from GitHub, and the chapters are MyST Markdown. The workflow
``.github/workflows/notebooks.yml`` converts them with jupytext on every push to main and
force-pushes the tree with the notebooks to the branch ``notebooks``; this extension rewrites
the Colab button to ``<colab>/github/<org>/<repo>/blob/notebooks/<page>.ipynb`` and the Binder
button to ``<binderhub>/v2/gh/<org>/<repo>/notebooks?urlpath=lab/tree/<page>.ipynb``: Binder
builds that branch (same tree, same ``requirements.txt``) and JupyterLab opens the notebook as
a notebook, where it would open the MyST Markdown file as text.

Organisation, repository and the book's folder come from ``repository:`` in ``_config.yml``
(the theme options ``repository_url`` and ``path_to_docs``), the Colab address from
``launch_buttons: colab_url`` and ``binderhub_url``. Every other button is left as it is.
Enabled by ``sphinx: local_extensions: {launch_links: _ext}`` in ``_config.yml``; the branch
is the Sphinx setting ``colab_notebooks_branch`` (default ``notebooks``).
"""

from functools import partial
from urllib.parse import urlparse

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def github_org_repo(repository_url):
    """(org, repo) of a GitHub repository URL, or None for anything else."""
    url = urlparse((repository_url or "").strip())
    parts = [part for part in url.path.split("/") if part]
    if url.netloc.lower() not in ("github.com", "www.github.com") or len(parts) < 2:
        return None
    org, repo = parts[:2]
    return org, repo.removesuffix(".git")


def colab_notebook_url(colab_url, org, repo, branch, path_to_docs, pagename):
    """The Colab address that opens ``<path_to_docs>/<pagename>.ipynb`` on ``branch``."""
    folder = path_to_docs.strip("/")
    path = f"{folder}/{pagename}.ipynb" if folder else f"{pagename}.ipynb"
    return f"{colab_url.rstrip('/')}/github/{org}/{repo}/blob/{branch}/{path}"


def binder_notebook_url(binderhub_url, org, repo, branch, path_to_docs, pagename):
    """The Binder address that builds ``branch`` and opens ``<path_to_docs>/<pagename>.ipynb``."""
    folder = path_to_docs.strip("/")
    path = f"{folder}/{pagename}.ipynb" if folder else f"{pagename}.ipynb"
    return f"{binderhub_url.rstrip('/')}/v2/gh/{org}/{repo}/{branch}?urlpath=lab/tree/{path}"


def _buttons(buttons):
    """Every button in the header, looking inside dropdown groups."""
    for button in buttons:
        yield button
        yield from _buttons(button.get("buttons", []))


def point_colab_at_notebooks(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: rewrite the Colab and Binder buttons' URLs, if the page has them."""
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {})
    makers = {}
    colab_url = (launch.get("colab_url") or "").strip().rstrip("/")
    if colab_url:
        makers[f"{colab_url}/github/"] = partial(colab_notebook_url, colab_url)
    binder_url = (launch.get("binderhub_url") or "").strip().rstrip("/")
    if binder_url:
        makers[f"{binder_url}/v2/gh/"] = partial(binder_notebook_url, binder_url)
    found = [
        (button, maker)
        for button in _buttons(context.get("header_buttons", []))
        if button.get("type") == "link"
        for prefix, maker in makers.items()
        if str(button.get("url", "")).startswith(prefix)
    ]
    if not found:
        return
    org_repo = github_org_repo(options.get("repository_url"))
    if org_repo is None:
        LOGGER.warning(
            "launch_links: repository url %r is not a GitHub repository; the launch "
            "buttons are left as the theme made them",
            options.get("repository_url"),
        )
        return
    for button, maker in found:
        button["url"] = maker(*org_repo, app.config.colab_notebooks_branch, options.get("path_to_docs", ""), pagename)


def setup(app):
    app.add_config_value("colab_notebooks_branch", "notebooks", "html")
    # The theme adds its launch buttons at priority 501; run after it.
    app.connect("html-page-context", point_colab_at_notebooks, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
