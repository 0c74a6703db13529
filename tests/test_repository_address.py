"""The book's public address is written in one place, _config.yml, and nothing disagrees with it.

The launch buttons are made from ``repository: url`` by Jupyter Book (and _ext/launch_links.py),
the notebooks workflow checks it against the repository it runs in, and the install cell that
``export/notebooks.py`` puts in front of every chapter when it becomes a notebook (which must
work with no repository around it) carries it literally, read from there.
"""

import re
from pathlib import Path

import jupytext
import pytest
import yaml

from export import notebooks

ROOT = Path(__file__).resolve().parents[1]
ADDRESS = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.md") if "jupytext:" in p.read_text()[:400])


def test_the_address_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", ADDRESS), ADDRESS


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_install_cell_installs_from_the_book_address(chapter):
    first = notebooks.chapter_notebook(chapter).cells[0]
    assert "import lecture_utils" in first.source and "%pip install" in first.source, (
        f"{chapter.name}: the notebook's first cell must install lecture_utils when it is missing"
    )
    sources = re.findall(r'"git\+(https://[^"]+)"', first.source)
    assert sources == [ADDRESS], f"{chapter.name}'s notebook installs from {sources}, but _config.yml names {ADDRESS}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_carries_its_own_install_cell(chapter):
    """One install cell for all (export/notebooks.py); a copy in a chapter would run twice."""
    copies = [c for c in jupytext.read(chapter).cells if c.cell_type == "code" and "%pip install" in c.source]
    assert not copies, f"{chapter.name} installs packages itself; export/notebooks.py's install cell does that"


def test_no_other_file_names_another_address():
    """A copy of the address anywhere else in the sources must be this address."""
    files = [
        *ROOT.glob("*.toml"),
        *ROOT.glob("*.txt"),
        *ROOT.glob("*.md"),
        *CHAPTERS,
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        *(ROOT / "_ext").glob("*.py"),
    ]
    for path in files:
        for url in re.findall(r"https://github\.com/[\w.-]+/lecture9[\w.-]*", path.read_text()):
            assert url.removesuffix(".git") == ADDRESS, f"{path.name} names {url}, _config.yml {ADDRESS}"


def test_the_notebooks_workflow_checks_the_address():
    workflow = (ROOT / ".github" / "workflows" / "notebooks.yml").read_text()
    assert '["repository"]["url"]' in workflow and "GITHUB_REPOSITORY" in workflow
