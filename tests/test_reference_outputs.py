"""Reference outputs: nbval compares every cell of a chapter with book/reference/<chapter>.yaml.

The pytester tests run the book's conftest.py on a small chapter: a changed number fails the
run, a sanitized timing does not, a new cell fails saying to run `make reference`, and where the
environment differs from the reference's a last-digit difference passes while a real change
still fails. The rest checks the pieces (keys, numbers, figures) and that every chapter of the
book has a reference for each of its cells.
"""

import io
import shutil
from pathlib import Path

import jupytext
import numpy as np
import pytest
import yaml
from PIL import Image

from export import notebooks
from export import reference_outputs as ref

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.md") if "jupytext:" in p.read_text()[:400])

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

# The value printed comes from a file, so that the test can change what the cell prints
# without changing its code (and so its key); the timing is random, as a real one is.
CELLS = [
    "value = open('value.txt').read().strip()\nprint('accuracy', value)",
    "import random\nprint(f'epoch 1 took {random.uniform(1, 9):.3f} s')",
    "print('classes:', 10)",
]


@pytest.fixture
def chapter(pytester, monkeypatch):
    """A one-chapter book using the book's conftest.py and sanitizer; returns its folder."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the conftest imports export/ from the repository
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    book = pytester.mkdir("book")
    (book / "reference").mkdir()
    shutil.copy(ref.sanitizer_path(ROOT / "book"), ref.sanitizer_path(book))
    write_chapter(book, CELLS)
    (book / "value.txt").write_text("0.912")
    return book


def write_chapter(book, cells):
    body = "".join(f"```{{code-cell}} ipython3\n{cell}\n```\n\n" for cell in cells)
    (book / "chapter.md").write_text(HEADER + body)


def run(pytester, *options):
    return pytester.runpytest_subprocess("--nbval", "--nbval-current-env", "-p", "no:cacheprovider", *options, "book")


def test_reference_is_written_as_readable_yaml(pytester, chapter):
    run(pytester, "--write-reference").assert_outcomes(passed=4)  # the install cell, then 3
    content = yaml.safe_load(ref.reference_path(chapter / "chapter.md").read_text())
    outputs = [cell["outputs"] for cell in content["cells"]]
    assert outputs[0] == [{"stdout": "accuracy 0.912\n"}]
    assert outputs[2] == [{"stdout": "classes: 10\n"}]
    assert content["made_with"] == ref.environment()


def _compared_exactly_and_a_changed_number_fails(pytester, chapter, cells):
    """A run of the chapter passes, compared exactly; after the printed 0.912 becomes 0.913, one
    cell fails showing the difference."""
    result = run(pytester)  # the timing is another random number now
    result.assert_outcomes(passed=cells)
    result.stdout.fnmatch_lines(["*chapter: outputs compared with the references exactly*"])

    (chapter / "value.txt").write_text("0.913")
    result = run(pytester)
    result.assert_outcomes(passed=cells - 1, failed=1)
    result.stdout.fnmatch_lines(["*Cell outputs differ*", "*0.912*"])


def test_a_changed_number_fails_and_a_sanitized_timing_does_not(pytester, chapter):
    run(pytester, "--write-reference").assert_outcomes(passed=4)
    _compared_exactly_and_a_changed_number_fails(pytester, chapter, cells=4)


def test_a_cell_without_reference_fails_saying_to_run_make_reference(pytester, chapter):
    run(pytester, "--write-reference").assert_outcomes(passed=4)
    write_chapter(chapter, [*CELLS, "print('a new cell')"])
    result = run(pytester)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*this cell has no reference output*make reference*"])


def test_elsewhere_a_last_digit_passes_and_a_real_change_fails(pytester, chapter):
    run(pytester, "--write-reference").assert_outcomes(passed=4)
    path = ref.reference_path(chapter / "chapter.md")
    content = yaml.safe_load(path.read_text())
    content["made_with"]["cpu"] = "another CPU"
    path.write_text(yaml.safe_dump(content))

    (chapter / "value.txt").write_text("0.915")
    result = run(pytester)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*to 2 significant digits*cpu*another CPU*"])

    (chapter / "value.txt").write_text("0.95")
    run(pytester).assert_outcomes(passed=3, failed=1)


def test_keys_survive_edits_of_other_cells_and_of_comments():
    keys = ref.cell_keys(["a = 1", "b = 2", "c = 3"])
    assert ref.cell_keys(["a = 1", "x = 0", "b = 2", "c = 3"]) == [keys[0], ref.cell_keys(["x = 0"])[0], *keys[1:]]
    assert ref.cell_keys(["# why\na = 1\n\n", "b = 2", "c = 3"]) == keys
    assert ref.cell_keys(["a = 10", "b = 2", "c = 3"])[0] != keys[0]
    assert ref.cell_keys(["a = 1", "a = 1"]) == [keys[0], f"{keys[0]}-2"]


@pytest.mark.parametrize(
    ("reference", "test", "agree"),
    [
        ("accuracy 0.912", "accuracy 0.919", True),  # one unit in the second digit at most
        ("accuracy 0.912", "accuracy 0.935", False),
        ("loss 1.25e-03", "loss 1.31e-03", True),
        ("91.2% of 1000", "90.6% of 1000", True),
        ("91.2% of 1000", "91.2% of 1001", False),  # integers are exact
        ("shape (28, 28)", "shape (28, 27)", False),
        ("accuracy 0.912", "precision 0.912", False),  # the words are exact
    ],
)
def test_numbers_agree_to_stated_significant_digits(reference, test, agree):
    assert ref.texts_agree(reference, test) is agree


def _png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_figures_compare_by_size_and_perceptual_hash():
    from skimage import data

    photo = data.camera()[::2, ::2]
    noisy = np.clip(photo + np.random.default_rng(0).normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    shifted = np.roll(photo, 3, axis=1)  # antialiasing or a moved tick label, roughly
    line = ref.figure_line(_png(photo))
    assert line.startswith("256x256 px, phash ")
    for similar in (noisy, shifted):
        assert ref.figures_agree(line, ref.figure_line(_png(similar)), ref.FIGURE_HASH_TOLERANCE)
    assert not ref.figures_agree(line, ref.figure_line(_png(data.coins()[:256, :256])), ref.FIGURE_HASH_TOLERANCE)
    assert not ref.figures_agree(line, ref.figure_line(_png(photo[:, :255])), ref.FIGURE_HASH_TOLERANCE)
    assert not ref.figures_agree(line, ref.figure_line(_png(shifted)), 0)  # exact: the same picture


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_cell_of_every_chapter_has_a_reference(chapter):
    """The same check nbval makes while running, made without running: a chapter edited since
    `make reference` shows here, in a second."""
    reference = ref.read_reference(chapter)
    assert reference is not None, (
        f"{chapter.name} has no reference outputs: run `make reference CHAPTERS=book/{chapter.name}`"
    )
    code = [c.source for c in jupytext.read(chapter).cells if c.cell_type == "code"]
    missing = [
        ref.first_code_line(source) for source, key in zip(code, ref.cell_keys(code)) if key not in reference["cells"]
    ]
    assert not missing, (
        f"{chapter.name}: {len(missing)} cells have no reference output (new, or "
        f"their code changed), the first: {missing[0]!r}. Run `make reference "
        f"CHAPTERS=book/{chapter.name}` and review the diff."
    )


def test_the_install_cell_is_not_part_of_any_reference():
    for chapter in CHAPTERS:
        install = notebooks.chapter_notebook(chapter).cells[0]
        assert notebooks.is_install_cell(install)
        reference = ref.read_reference(chapter) or {"cells": {}}
        assert ref.cell_keys([install.source])[0] not in reference["cells"]


def _reference_made_in(chapter, precision):
    """Move the chapter's reference to the folder of ``precision``, as if made there."""
    path = ref.reference_path(chapter / "chapter.md")
    content = yaml.safe_load(path.read_text())
    content["made_with"]["precision"] = precision
    moved = ref.reference_path(chapter / "chapter.md", precision)
    moved.parent.mkdir(exist_ok=True)
    moved.write_text(yaml.safe_dump(content))
    path.unlink()


def test_a_chapter_that_trains_nothing_is_compared_whatever_the_precision(pytester, chapter):
    run(pytester, "--write-reference").assert_outcomes(passed=4)
    other = "mixed_bfloat16" if ref.environment()["precision"] == "float32" else "float32"
    _reference_made_in(chapter, other)  # as a laptop's float32 run meets CI's bfloat16 references
    _compared_exactly_and_a_changed_number_fails(pytester, chapter, cells=4)


def test_a_chapter_that_trains_is_not_compared_across_precisions(pytester, chapter):
    trained = "def train_or_load():\n    return 0.5\nprint('trained:', train_or_load())"
    write_chapter(chapter, [*CELLS, trained])
    run(pytester, "--write-reference").assert_outcomes(passed=5)
    _reference_made_in(chapter, "another precision")
    (chapter / "value.txt").write_text("0.95")
    result = run(pytester)
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*chapter: outputs not compared with the references*precision*"])


def test_a_chapter_that_trains_is_compared_with_the_reference_of_its_own_precision(pytester, chapter):
    trained = "def train_or_load():\n    return 0.5\nprint('trained:', train_or_load())"
    write_chapter(chapter, [*CELLS, trained])
    run(pytester, "--write-reference").assert_outcomes(passed=5)
    own = ref.reference_path(chapter / "chapter.md")
    assert own.parent.name == ref.environment()["precision"]
    # The other precision's reference, with other numbers, sits beside it and is not read.
    other = ref.reference_path(chapter / "chapter.md", "another precision")
    other.parent.mkdir()
    other.write_text(own.read_text().replace("0.912", "0.5"))
    assert ref.reference_paths(chapter / "chapter.md") == [own, other]
    _compared_exactly_and_a_changed_number_fails(pytester, chapter, cells=5)
