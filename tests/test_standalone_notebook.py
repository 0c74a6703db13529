"""A chapter downloaded as a notebook sets itself up: its install cell installs lecture_utils.

As on Colab or a bare Binder: chapter 1, converted to ``.ipynb`` as the notebooks workflow
does (``export/notebooks.py``, which puts the install cell first), runs in a fresh virtual
environment that has only a kernel, in a folder outside the repository. The install cell's
``LECTURE_UTILS_SOURCE`` points it at this clone (standing in for the public address, which
``tests/test_repository_address.py`` checks). It needs the package index, so it runs only where
``LECTURE_REGISTRY_TESTS=1`` (``.ci/run`` sets it).
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from export import notebooks

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    os.environ.get("LECTURE_REGISTRY_TESTS") != "1",
    reason="needs the package index: set LECTURE_REGISTRY_TESTS=1 (.ci/run does).",
)
def test_downloaded_chapter_installs_what_it_needs_and_runs(tmp_path):
    notebook = tmp_path / "01_convolution.ipynb"
    nbformat.write(notebooks.chapter_notebook(ROOT / "book" / "01_convolution.md"), notebook)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "ipykernel", "nbclient"],
        check=True,
        timeout=900,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH")}
    env.update(
        LECTURE_UTILS_SOURCE=ROOT.as_uri(),
        LECTURE_CACHE_DIR=str(tmp_path / "cache"),
        PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    assert (
        subprocess.run([python, "-c", "import lecture_utils"], cwd=tmp_path, env=env, capture_output=True).returncode
        != 0
    ), "the fresh environment must not see the clone"
    executed = subprocess.run(
        [python.parent / "jupyter-execute", "--timeout=900", notebook.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert executed.returncode == 0, executed.stderr[-4000:]
    where = subprocess.run(
        [python, "-c", "import lecture_utils; print(lecture_utils.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(venv), where
