"""One definition, in the chapter that teaches it (d2l's ``#@save``, written ``# @save`` as ruff formats it).

A code cell whose first line is ``# @save`` defines functions that the lecture teaches and that
the package also needs (later chapters, or the helpers built on them).  The package holds the
same code, marked by a ``# @save`` comment line above the definition; this test keeps the two
identical, character for character, so that what a student reads in the chapter is what the
book runs.  Edit the chapter's cell, then copy it into the module the test names.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MARK = "# @save"


def _without_cell_options(body: str) -> str:
    lines = body.splitlines(keepends=True)
    if lines and lines[0].startswith("---"):  # a YAML block of cell options
        end = next(i for i in range(1, len(lines)) if lines[i].startswith("---"))
        lines = lines[end + 1 :]
    while lines and lines[0].startswith(":"):  # ":tags: [...]" options
        lines = lines[1:]
    return "".join(lines).lstrip("\n")


def saved_cells():
    """(chapter, code) of every ``# @save`` cell of the book."""
    found = []
    for chapter in sorted((ROOT / "book").glob("*.md")):
        for match in CELL.finditer(chapter.read_text(encoding="utf-8")):
            code = _without_cell_options(match["body"])
            if code.startswith(MARK + "\n"):
                found.append((chapter.name, code))
    return found


def _definitions(code: str) -> dict[str, str]:
    tree = ast.parse(code)
    return {
        node.name: ast.get_source_segment(code, node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


def package_saved():
    """name -> (module, source) of every definition the package marks ``# @save``."""
    found = {}
    for module in sorted((ROOT / "lecture_utils").glob("*.py")):
        code = module.read_text(encoding="utf-8")
        lines = code.splitlines()
        for node in ast.parse(code).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first >= 2 and lines[first - 2].strip().startswith(MARK):
                assert node.name not in found, f"{node.name} is marked {MARK} in two modules"
                found[node.name] = (module.name, ast.get_source_segment(code, node))
    return found


def chapter_definitions():
    found = {}
    for chapter, code in saved_cells():
        tree = ast.parse(code)
        for node in tree.body:
            assert isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)), (
                f"a {MARK} cell of {chapter} holds a {type(node).__name__} on line {node.lineno}: "
                "such a cell holds only definitions"
            )
        for name, source in _definitions(code).items():
            assert name not in found, f"{name} is defined in two {MARK} cells ({found[name][0]} and {chapter})"
            found[name] = (chapter, source)
    return found


def test_the_book_has_saved_cells():
    assert len(saved_cells()) >= 5, f"the {MARK} cell pattern found {len(saved_cells())}; has the syntax changed?"


def differences(chapters: dict, package: dict) -> list[str]:
    """One sentence per chapter definition that the package lacks or holds otherwise."""
    found = []
    for name, (chapter, source) in chapters.items():
        if name not in package:
            found.append(f"{chapter} saves {name}, but no module of lecture_utils holds it under a {MARK} line")
        elif package[name][1] != source:
            found.append(
                f"{name} differs between {chapter} and lecture_utils/{package[name][0]}: copy the chapter's cell there"
            )
    return found


def test_every_saved_definition_is_in_the_package_unchanged():
    assert differences(chapter_definitions(), package_saved()) == []


def test_a_changed_definition_is_found():
    chapters = chapter_definitions()
    name, (chapter, source) = next(iter(chapters.items()))
    package = package_saved()
    edited = {**package, name: (package[name][0], source.replace("\n", "\n    pass\n", 1))}
    assert differences({name: (chapter, source)}, edited) == [
        f"{name} differs between {chapter} and lecture_utils/{package[name][0]}: copy the chapter's cell there"
    ]
    assert "holds it under" in differences({name: (chapter, source)}, {})[0]


def test_the_package_saves_only_what_a_chapter_teaches():
    chapters = chapter_definitions()
    orphans = sorted(name for name in package_saved() if name not in chapters)
    assert not orphans, f"lecture_utils marks {orphans} {MARK}, but no chapter's {MARK} cell defines them"


@pytest.mark.parametrize("source, names", [("#@save\ndef f():\n    return 1\n", ["f"])])
def test_definitions_are_found(source, names):
    assert list(_definitions(source)) == names
