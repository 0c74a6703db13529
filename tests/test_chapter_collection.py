"""conftest.py makes nbval execute book/*.md: a broken chapter must fail, a good one pass,
and the kernel must run in the chapter's folder."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

"""


@pytest.fixture(autouse=True)
def _book_modules_importable(monkeypatch):
    # The copied conftest.py imports export/ (the install cell, the references) from the repository.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))


def make_chapter(pytester, *cells):
    pytester.makeconftest((Path(__file__).parents[1] / "conftest.py").read_text())
    book = pytester.mkdir("book")
    body = "".join(f"```{{code-cell}} ipython3\n{cell}\n```\n\n" for cell in cells)
    (book / "chapter.md").write_text(HEADER + body)


def run(pytester):
    return pytester.runpytest_subprocess("--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "book")


def test_a_working_chapter_passes_and_runs_in_its_folder(pytester):
    make_chapter(pytester, "import os\nassert os.path.basename(os.getcwd()) == 'book'", "x = 1 + 1")
    run(pytester).assert_outcomes(passed=3)  # the install cell, then the two


def test_a_broken_cell_fails_the_run(pytester):
    make_chapter(pytester, "x = 1", "raise RuntimeError('deliberately broken')", "y = 2")
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*deliberately broken*"])


def test_a_kernel_that_dies_fails_its_cell_at_once(pytester):
    # As when the memory limit's OOM killer stops it: nbval alone would wait the cell timeout.
    make_chapter(pytester, "x = 1", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "y = 2")
    result = pytester.runpytest_subprocess(
        "--nbval-lax",
        "--nbval-current-env",
        "--nbval-cell-timeout=600",
        "-p",
        "no:cacheprovider",
        "book",
        timeout=300,
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*kernel died while this cell ran*"])
    assert result.duration < 120
