"""The student's edition (export/student_edition.py): plain notebooks that read like the page.

The conversions are checked on small inputs here. The chapters' own editions need their
executed copies (the glued numbers come from them): as in ``test_prose_numbers.py``, a chapter
without one is skipped, and ``make test`` runs this file again after the chapters with
``LECTURE_REQUIRE_EXECUTED=1``, where a missing one fails. There, chapters 1 and 2 of the
edition are also run from a folder outside the repository, and chapter 1's is opened in
JupyterLab in headless Chromium (``tests/lab/check_lab.mjs``), which saves a screenshot in
``artifacts/lab``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "export"))
import notebooks  # noqa: E402
import student_edition as se  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))


def _executed_or_skip(chapter):
    executed = se.executed_chapter(chapter)
    if executed is None:
        message = f"{chapter.name} has no executed copy that matches its code; run it first"
        if os.environ.get("LECTURE_REQUIRE_EXECUTED"):
            pytest.fail(message)
        pytest.skip(message)
    return executed


def test_glued_numbers_are_written_in_with_their_format():
    values = {"accuracy": 0.7741, "photos": 3000, "layer": "conv2d_1"}
    text = "{glue:text}`accuracy:.1%` on {glue:text}`photos:,` photos, at {glue:text}`layer`."
    assert se.markdown(text, values, {}, "x.md") == "77.4% on 3,000 photos, at conv2d_1."
    with pytest.raises(KeyError, match="did not glue"):
        se.markdown("{glue:text}`missing`", values, {}, "x.md")


def test_figure_references_become_numbers_and_admonitions_quotes():
    figures = {"fig-a": 1, "fig-b": 2}
    assert se.markdown("see {numref}`fig-b`", {}, figures, "x.md") == "see Figure 2"
    assert se.markdown("{numref}`Panel %s <fig-a>` shows", {}, figures, "x.md") == "Panel 1 shows"
    text = ":::{admonition} Try it\n:class: tip\n\nChange the **rate**.\n:::"
    assert se.markdown(text, {}, figures, "x.md") == "> **Try it**\n>\n> Change the **rate**."


def test_slide_marks_are_left_out():
    text = "## Pooling\n\n:::{slide} Max-pooling\n:show: figure\n- Keep the maximum\n:::\n\nPooling keeps the maximum."
    assert se.markdown(text, {}, {}, "x.md") == "## Pooling\n\nPooling keeps the maximum."
    assert se.markdown(":::{slide} Take-aways\n- One\n:::\n", {}, {}, "x.md") == ""


def test_links_to_other_pages_lead_to_the_website():
    text = "see [Running the book](running.md) and [this](04_data_augmentation.md#cats)"
    assert se.markdown(text, {}, {}, "x.md", "https://o.github.io/r/") == (
        "see [Running the book](https://o.github.io/r/running.html) and "
        "[this](https://o.github.io/r/04_data_augmentation.html#cats)"
    )
    assert notebooks.site_address() == "https://tue-ml-course.github.io/lecture9-convnets/"


def test_hidden_cells_lose_their_asserts_and_glue_calls():
    source = (
        "lecture = {'epochs': 30}\n"
        "assert lecture\n"
        "for name in ['a']:\n"
        "    glue(name, 1, display=False)\n"
        "glue('x', 2, display=False)\n"
        "np.testing.assert_allclose(lecture['epochs'], 30)\n"
    )
    assert se.without_tests(source) == "lecture = {'epochs': 30}"
    assert se.without_tests("from lecture_utils.glue import glue\nassert True\n") == ""


def test_the_set_up_cell_says_in_one_line_what_it_does():
    source = notebooks.install_cell_source("03_convnets")
    comments = [line for line in source.splitlines() if line.startswith("#")]
    assert len(comments) == 1 and "install" in comments[0].lower()
    assert source.splitlines()[1:3] == ["try:", "    import lecture_utils"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_students_edition_holds_no_myst_and_no_test_code(chapter):
    notebook = se.student_notebook(chapter, _executed_or_skip(chapter))
    assert se.left_over_myst(notebook) == []
    assert notebooks.is_install_cell(notebook.cells[1]), "the set-up cell comes right after the title note"
    sources = "\n".join(cell.source for cell in notebook.cells)
    assert "remove-cell" not in str([cell.metadata for cell in notebook.cells])
    assert "lecture_utils.glue" not in sources


@pytest.mark.parametrize("chapter", CHAPTERS[:2], ids=lambda p: p.stem)
def test_chapters_1_and_2_of_the_edition_run_outside_the_repository(chapter, tmp_path):
    from nbclient import NotebookClient

    executed = _executed_or_skip(chapter)
    notebook = se.student_notebook(chapter, executed)
    folder = tmp_path / "student"
    folder.mkdir()
    nbformat.write(notebook, folder / f"{chapter.stem}.ipynb")
    client = NotebookClient(
        notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chapter_1_of_the_edition_reads_cleanly_in_jupyterlab(tmp_path):
    chapter = CHAPTERS[0]
    executed = _executed_or_skip(chapter)
    if not shutil.which("node") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.skip("needs node and the npm packages (make lint installs them)")
    folder = tmp_path / "lab"
    folder.mkdir()
    name = f"{chapter.stem}.ipynb"
    nbformat.write(se.student_notebook(chapter, executed), folder / name)
    # Every cell in the page, not only those in view, so that all are checked.
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port, token = _free_port(), "student-edition-check"
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings")}
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/lab?token={token}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        shots = ROOT / "artifacts" / "lab"
        shots.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["node", str(ROOT / "tests" / "lab" / "check_lab.mjs"), url, name, str(shots / f"{chapter.stem}.png")],
            capture_output=True, text=True, timeout=600, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        lab.terminate()
        lab.wait(timeout=30)
