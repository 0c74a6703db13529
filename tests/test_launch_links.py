"""The Sphinx extension that points the Colab button at the `notebooks` branch (_ext/launch_links.py)."""

import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import launch_links  # noqa: E402

COLAB = "https://colab.research.google.com"


def _app(repository_url="https://github.com/some-org/some-repo", path_to_docs="", colab_url=COLAB):
    options = {
        "repository_url": repository_url,
        "path_to_docs": path_to_docs,
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": colab_url},
    }
    return SimpleNamespace(config=SimpleNamespace(html_theme_options=options, colab_notebooks_branch="notebooks"))


def _context(org="some-org", repo="some-repo", page="book/01_convolution"):
    """Header buttons as sphinx-book-theme 1.x builds them: a download group and a launch group."""
    binder = f"https://mybinder.org/v2/gh/{org}/{repo}/main?urlpath=lab/tree/{page}.md"
    colab = f"{COLAB}/github/{org}/{repo}/blob/main/{page}.md"
    return {
        "header_buttons": [
            {
                "type": "group",
                "label": "download-buttons",
                "buttons": [{"type": "link", "url": f"../_sources/{page}.md", "text": ".md"}],
            },
            {
                "type": "group",
                "label": "launch-buttons",
                "buttons": [
                    {"type": "link", "text": "Binder", "url": binder},
                    {"type": "link", "text": "Colab", "url": colab},
                ],
            },
            {"type": "javascript", "javascript": "toggleFullScreen()", "label": "fullscreen-button"},
        ]
    }


def _urls(context):
    return {b["text"]: b["url"] for group in context["header_buttons"] for b in group.get("buttons", [])}


def test_colab_and_binder_buttons_open_the_notebook_on_the_notebooks_branch():
    context = _context()
    before = _urls(context)
    launch_links.point_colab_at_notebooks(_app(), "book/01_convolution", "page.html", context, None)
    after = _urls(context)
    assert after["Colab"] == f"{COLAB}/github/some-org/some-repo/blob/notebooks/book/01_convolution.ipynb"
    assert after["Binder"] == (
        "https://mybinder.org/v2/gh/some-org/some-repo/notebooks?urlpath=lab/tree/book/01_convolution.ipynb"
    )
    assert after[".md"] == before[".md"]


def test_org_repo_and_book_folder_come_from_the_config():
    context = _context("other", "book-repo", "docs/book/02_filter_banks")
    app = _app("https://github.com/other/book-repo.git/", path_to_docs="docs/")
    launch_links.point_colab_at_notebooks(app, "book/02_filter_banks", "page.html", context, None)
    assert _urls(context)["Colab"] == f"{COLAB}/github/other/book-repo/blob/notebooks/docs/book/02_filter_banks.ipynb"


def test_pages_without_a_colab_button_and_non_github_repositories_are_left_alone():
    context = {"header_buttons": [{"type": "group", "buttons": [{"type": "link", "text": ".md", "url": "x.md"}]}]}
    launch_links.point_colab_at_notebooks(_app(), "book/intro", "page.html", context, None)
    assert _urls(context) == {".md": "x.md"}
    assert launch_links.github_org_repo("https://gitlab.com/a/b") is None
    assert launch_links.github_org_repo("https://github.com/a") is None


def test_the_book_config_enables_the_extension_with_a_github_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    folder = config["sphinx"]["local_extensions"]["launch_links"]
    assert (ROOT / folder / "launch_links.py").is_file()
    assert launch_links.github_org_repo(config["repository"]["url"]) is not None
    assert config["launch_buttons"]["colab_url"]
