"""Every number in a chapter's prose, and where the executed chapter backs it.

The book promises that every number in the text comes from the cells above it. A number in
the prose (the Markdown cells and the figure captions of a chapter) is *backed* when

* it is glued: written as ``{glue:text}`name``` and filled in from a cell's output, so it
  never appears in the Markdown as a digit at all; or
* the same number appears in an output of that chapter (a printed line, a summary table,
  an error-free ``execute_result``), after the rules of :func:`matches`; or
* it is on the chapter's allow-list in ``tests/prose_numbers_allowed.py``: the lecture's own
  figures, quoted as such, and a few facts (publication years, published accuracies) that no
  cell can compute.

Code (fenced blocks, inline code), maths, roles (``{numref}`…```, ``{glue:text}`…```),
links and MyST directive options are not prose, and their digits are not counted. Figure
alt texts are not scanned: they describe the drawn image, not a computed result.

The executed notebooks are taken from the book's jupyter-cache (``_build/.jupyter_cache``),
where ``conftest.py`` stores every chapter that nbval ran cleanly; the cache matches a
notebook by its code cells, so an edited chapter has no executed copy until it runs again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

# A number: digits with optional thousands separators and decimals, not glued to a letter or
# an underscore on either side (so VGG16, block5_conv1, Lite0, 1st, 2D are not numbers), and
# an optional percent sign. A leading minus sign is not part of it: "0–7" and "2 - 1" read as
# two positive numbers, and a sign does not change what is being quoted.
NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])(\s?%)?")

_STRIP = [
    re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M),  # fenced blocks, directives
    re.compile(r"^:{3,}\{[^}]*\}[^\n]*$", re.M),  # the opening line of a colon-fenced directive
    re.compile(r"^:[\w-]+:.*$", re.M),  # directive options (":class: tip")
    re.compile(r"\$\$.*?\$\$", re.S),  # display maths
    re.compile(r"(?<!\\)\$[^$\n]+(?<!\\)\$"),  # inline maths
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {glue:text}`name:.1%`, {numref}`fig-…`
    re.compile(r"``[^`]+``|`[^`\n]+`"),  # inline code
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"https?://\S+"),  # bare links
    re.compile(r"[\w.-]+/[\w.-]+#\d+"),  # issue references (keras-team/keras#20285)
    re.compile(r"<!--.*?-->", re.S),  # comments
    re.compile(r"^\([\w-]+\)=\s*$", re.M),  # labels
]


@dataclass(frozen=True)
class ProseNumber:
    """One number in a chapter's prose.

    Attributes
    ----------
    text : str
        As written, e.g. ``"3,000"``, ``"98.2%"``.
    value : Decimal
        Its value without separators or percent sign (``98.2`` for ``"98.2%"``).
    decimals : int
        Digits written after the decimal point.
    percent : bool
    context : str
        The words around it, for the error message.
    """

    text: str
    value: Decimal
    decimals: int
    percent: bool
    context: str


def prose_text(markdown: str) -> str:
    """The prose of a Markdown cell: code, maths, roles, links and directive syntax removed."""
    for pattern in _STRIP:
        markdown = pattern.sub(" ", markdown)
    return markdown


def numbers_in(text: str) -> list[ProseNumber]:
    """Every number in ``text``, in order (see :data:`NUMBER` for what counts)."""
    found = []
    for match in NUMBER.finditer(text):
        whole, fraction, percent = match.group(1), match.group(2) or "", match.group(3)
        start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
        context = " ".join(text[start:end].split())
        found.append(
            ProseNumber(
                match.group(0).strip(),
                Decimal(whole.replace(",", "") + fraction),
                len(fraction) - 1 if fraction else 0,
                bool(percent),
                context,
            )
        )
    return found


def output_numbers(text: str) -> set[tuple[Decimal, bool]]:
    """The numbers printed in an output, as (value, is a percentage).

    Scientific notation (``1.2e-05``) is read as one number; thousands separators are removed.
    """
    values = set()
    for match in re.finditer(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?(\s?%)?", text):
        try:
            value = Decimal(match.group(1).replace(",", "") + (match.group(2) or "") + (match.group(3) or ""))
        except InvalidOperation:
            continue
        values.add((value, bool(match.group(4))))
    return values


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals))


def matches(number: ProseNumber, printed: Decimal, printed_percent: bool) -> bool:
    """Whether a printed number backs a number of the prose.

    Integers must be printed exactly (``3000`` by ``3,000``, ``75%`` by ``75%``); a number
    with decimals may be the printed one rounded to the decimals written (``0.98`` by
    ``0.9828``). A percentage may be printed as a fraction (``98.2%`` by ``0.982`` or
    ``0.9821``). Rounding an integer is not allowed: "2 minutes" is not backed by "1.8 min".
    """
    candidates = [printed]
    if number.percent and not printed_percent:
        candidates.append(printed * 100)
    for candidate in candidates:
        if candidate == number.value:
            return True
        if (
            number.decimals > 0
            and -candidate.as_tuple().exponent > number.decimals
            and _round(candidate, number.decimals) == number.value
        ):
            return True
    return False


def output_text(cell) -> str:
    """Everything a reader sees of a code cell's outputs, as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "application/papermill.record/text/plain" in data:
                continue  # a glued value: the prose quotes it through its role, not as digits
            for mime in ("text/plain", "text/markdown", "text/html"):
                if mime in data:
                    text = data[mime]
                    parts.append(re.sub(r"<[^>]+>", " ", text) if mime == "text/html" else text)
                    break
    return _ANSI.sub("", "\n".join(parts))  # colours of Keras' summaries


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def glue_names(notebook) -> set[str]:
    """The names glued by an executed notebook's cells."""
    names = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                names.add(scrapbook["name"])
    return names


def chapter_prose(notebook) -> list[str]:
    """The prose of a chapter: its Markdown cells and its figures' captions."""
    texts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        elif cell.cell_type == "code":
            caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")
            if caption:
                texts.append(caption)
    return texts


def glued_in(texts) -> set[str]:
    """The glue names the prose refers to (``{glue:text}`name:fmt``` and friends)."""
    return {m.group(1) for text in texts for m in re.finditer(r"\{glue(?::\w+)?\}`([^`:]+)", text)}


def executed_chapter(path: Path):
    """The executed copy of a chapter from the book's jupyter-cache, or None if there is none.

    The cache matches a notebook by its code cells, so an executed copy of an older version
    of the chapter's code is not returned (``export/student_edition.py`` reads it the same way).
    """
    import sys

    sys.path.insert(0, str(ROOT / "export"))
    from student_edition import executed_chapter as from_cache

    return from_cache(Path(path), ROOT)


def unbacked_numbers(path: Path, executed, allowed: dict[str, str]) -> list[ProseNumber]:
    """The numbers of a chapter's prose that no output of ``executed`` and no allow-list backs.

    Parameters
    ----------
    path : Path
        The chapter's MyST Markdown file (its prose is read from here, the current text).
    executed : nbformat.NotebookNode
        The executed chapter (its outputs).
    allowed : dict
        Numbers as written (``"75%"``) → why they need no output.
    """
    import jupytext

    printed = set()
    for cell in executed.cells:
        if cell.cell_type == "code":
            printed |= output_numbers(output_text(cell))
    missing = []
    for text in chapter_prose(jupytext.read(path)):
        for number in numbers_in(prose_text(text)):
            if number.text in allowed:
                continue
            if not any(matches(number, value, percent) for value, percent in printed):
                missing.append(number)
    return missing
