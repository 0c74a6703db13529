"""Point the Colab launch button at the chapter's ``.ipynb`` on the ``notebooks`` branch.

sphinx-book-theme links Colab to ``<colab>/github/<org>/<repo>/blob/<branch>/<page>.md``, but
Colab opens only ``.ipynb`` files from GitHub, and the chapters are MyST Markdown. The workflow
``.github/workflows/notebooks.yml`` converts them with jupytext on every push to main and
force-pushes the tree with the notebooks to the branch ``notebooks``; this extension rewrites
the Colab button to ``<colab>/github/<org>/<repo>/blob/notebooks/<page>.ipynb``.

Organisation, repository and the book's folder come from ``repository:`` in ``_config.yml``
(the theme options ``repository_url`` and ``path_to_docs``), the Colab address from
``launch_buttons: colab_url``. Binder and every other button are left as they are.
Enabled by ``sphinx: local_extensions: {launch_links: _ext}`` in ``_config.yml``; the branch
is the Sphinx setting ``colab_notebooks_branch`` (default ``notebooks``).
"""

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


def _buttons(buttons):
    """Every button in the header, looking inside dropdown groups."""
    for button in buttons:
        yield button
        yield from _buttons(button.get("buttons", []))


def point_colab_at_notebooks(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: rewrite the Colab button's URL, if the page has one."""
    options = app.config.html_theme_options
    colab_url = (options.get("launch_buttons", {}).get("colab_url") or "").strip().rstrip("/")
    if not colab_url:
        return
    theme_prefix = f"{colab_url}/github/"
    colab_buttons = [b for b in _buttons(context.get("header_buttons", []))
                     if b.get("type") == "link" and str(b.get("url", "")).startswith(theme_prefix)]
    if not colab_buttons:
        return
    org_repo = github_org_repo(options.get("repository_url"))
    if org_repo is None:
        LOGGER.warning("launch_links: repository url %r is not a GitHub repository; the Colab "
                       "button is left as the theme made it", options.get("repository_url"))
        return
    url = colab_notebook_url(colab_url, *org_repo, app.config.colab_notebooks_branch,
                             options.get("path_to_docs", ""), pagename)
    for button in colab_buttons:
        button["url"] = url


def setup(app):
    app.add_config_value("colab_notebooks_branch", "notebooks", "html")
    # The theme adds its launch buttons at priority 501; run after it.
    app.connect("html-page-context", point_colab_at_notebooks, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
