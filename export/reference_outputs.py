"""The chapters' reference outputs: what each code cell printed or displayed, kept for review.

One YAML file per chapter and training precision, ``book/reference/<precision>/<chapter>.yaml``
(``float32``, ``mixed_bfloat16``), written by ``make reference`` (``pytest --write-reference``,
see ``conftest.py``) and compared by nbval on every test run.  A run reads the file of its own
precision; a chapter that trains nothing is compared with whichever file there is, since its
outputs do not depend on the precision (:func:`trains`).
Each code cell's entry is found by a key made from the cell's own code (:func:`cell_keys`), not
by its position, so inserting, removing or editing another cell leaves every other entry
valid; a cell that is new or whose code changed has no entry, and its test fails saying to run
``make reference``. Entries hold, in order, the cell's outputs: ``stdout`` text (not stderr:
progress bars and warnings, which differ between a cold and a warm run),
``text/plain``, ``text/html`` (tables), ``text/markdown``/``text/latex``, and for a PNG or JPEG
figure a ``figure`` line with its size in pixels and a 64-bit perceptual hash (:func:`phash`);
other outputs (widget models, scripts) are not kept, since they hold random identifiers.

How numbers are compared (README.md, "Reference outputs"): each file records the environment it
was made in (:func:`environment`: Python, the numerical packages' versions, the training
precision and the CPU's instruction-set class). Where the test run's environment is the same,
the comparison is exact (after the sanitizer, ``book/reference/sanitize.cfg``, has replaced
timings, memory sizes, addresses and progress bars on both sides), and a figure's hash must be
equal. Elsewhere — another CPU, another precision, other versions — the words and the integers
must still match exactly, while each decimal number must agree with the reference to
:data:`SIGNIFICANT_DIGITS` significant digits and a figure's hash may differ in up to
:data:`FIGURE_HASH_TOLERANCE` of its 64 bits.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import platform
import re
import sys
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path

import nbformat
import yaml

#: Decimal numbers must agree to this many significant digits where the environment differs
#: from the reference's (one unit in the second digit: 0.91 vs 0.92, 91.2 vs 90.4).
SIGNIFICANT_DIGITS = 2

#: Bits of the 64-bit perceptual hash in which a figure may differ where the environment
#: differs from the reference's (another FreeType or antialiasing moves a few; another
#: picture moves about half of them).
FIGURE_HASH_TOLERANCE = 8

#: The packages whose versions decide the chapters' numbers and figures.
PACKAGES = (
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "scipy",
    "scikit-image",
    "scikit-learn",
    "matplotlib",
    "pillow",
    "ipykernel",
)

#: x86-64 instruction sets that change which kernels oneDNN and Eigen run, so the last bits
#: of a training's arithmetic (Linux's /proc/cpuinfo names).
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "avx512_fp16")

#: MIME types kept; figures are kept as a ``figure`` summary line.
TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex")
IMAGE_TYPES = ("image/png", "image/jpeg")
FIGURE = "figure"

#: HTML up to this length without scripts or embedded images (tables) is kept as it is; an
#: interactive explorer (scripts, pictures as data: URLs, 100 kB) as its visible text.
MAX_HTML = 20_000
HTML_TEXT = "html text"

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_FIGURE_LINE = re.compile(r"(\d+)x(\d+) px, phash ([0-9a-f]{16})")


def reference_path(chapter: Path, precision: str | None = None) -> Path:
    """Where the reference outputs of ``chapter`` (``book/<name>.md``) made in ``precision``
    (this machine's training precision if None) are kept."""
    chapter = Path(chapter)
    return chapter.parent / "reference" / (precision or _training_precision()) / f"{chapter.stem}.yaml"


def reference_paths(chapter: Path) -> list[Path]:
    """The reference files of ``chapter`` there are, this machine's precision first."""
    chapter = Path(chapter)
    own = reference_path(chapter)
    others = sorted(p for p in (chapter.parent / "reference").glob(f"*/{chapter.stem}.yaml") if p != own)
    return [own, *others] if own.is_file() else others


def sanitizer_path(book: Path) -> Path:
    """The nbval sanitizer file of the chapters in the folder ``book``."""
    return Path(book) / "reference" / "sanitize.cfg"


# --- which cell is which -------------------------------------------------------------------


def _code_only(source: str) -> str:
    """The cell's code without blank lines, comment lines and trailing blanks: what it runs."""
    lines = (line.rstrip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.lstrip().startswith("#"))


def cell_keys(sources: list[str]) -> list[str]:
    """A key per code cell, from its code: the first 10 hex digits of its SHA-256.

    Comments and blank lines do not count (rewording a comment changes no output). Cells with
    the same code get ``-2``, ``-3``, ... in their order, so that each key is unique.
    """
    keys, seen = [], {}
    for source in sources:
        key = hashlib.sha256(_code_only(source).encode()).hexdigest()[:10]
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key}-{seen[key]}")
    return keys


def first_code_line(source: str) -> str:
    """The cell's first line of code, shown in the reference file so that a reader knows the cell."""
    return next(iter(_code_only(source).splitlines()), "")


# --- the environment a reference was made in -----------------------------------------------


def _cpu_class() -> str:
    machine = platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return machine  # macOS, Windows: the architecture is what can be told without tools
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    return " ".join([machine, *(flag for flag in CPU_FLAGS if flag in flags)])


def _training_precision() -> str:
    try:
        from lecture_utils.precision import training_precision
    except ImportError:
        return "unknown"
    return training_precision().policy


def environment() -> dict:
    """What decides the chapters' last digits here: Python, package versions, precision, CPU."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "system": platform.system(),
        "cpu": _cpu_class(),
        "precision": _training_precision(),
        "packages": packages,
    }


def trains(sources: list[str]) -> bool:
    """Whether a chapter's outputs depend on trained ConvNets: it calls ``train_or_load``.

    Only those models are trained in the machine's precision; a chapter without them computes
    the same in float32 whatever ``LECTURE_PRECISION`` says, so its precision does not matter.
    """
    return any("train_or_load(" in _code_only(source) for source in sources)


def environment_differences(reference: dict, here: dict, precision_matters: bool = True) -> list[str]:
    """What differs between the environment of a reference and this one, as short phrases.

    ``precision_matters`` is False for a chapter that trains nothing (:func:`trains`): the
    training precision is then no difference.
    """
    differences = []
    for key in ("python", "system", "cpu", "precision") if precision_matters else ("python", "system", "cpu"):
        if reference.get(key) != here.get(key):
            differences.append(f"{key} {here.get(key)} (reference: {reference.get(key)})")
    old, new = reference.get("packages", {}), here.get("packages", {})
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            differences.append(f"{name} {new.get(name, 'absent')} (reference: {old.get(name, 'absent')})")
    return differences


# --- outputs as kept -----------------------------------------------------------------------


def phash(data: bytes) -> str:
    """A 64-bit perceptual hash (DCT of a 32×32 grey thumbnail, 8×8 lowest frequencies vs. their median)."""
    import numpy as np
    from PIL import Image
    from scipy.fft import dctn

    image = Image.open(io.BytesIO(data))
    grey = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.LANCZOS), dtype=float)
    low = dctn(grey, norm="ortho")[:8, :8].ravel()
    bits = low > np.median(low[1:])  # the mean (first coefficient) would dominate the median
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def figure_line(data: str | bytes) -> str:
    """A figure (base64 text as in a notebook, or bytes) as ``"<w>x<h> px, phash <hex>"``."""
    from PIL import Image

    raw = base64.b64decode(data) if isinstance(data, str) else data
    width, height = Image.open(io.BytesIO(raw)).size
    return f"{width}x{height} px, phash {phash(raw)}"


class _VisibleText(HTMLParser):
    """The text a reader sees in an HTML fragment: one line per block, pictures by their alt text."""

    BLOCKS = {"p", "div", "tr", "li", "br", "figure", "figcaption", "table", "h1", "h2", "h3", "h4", "label"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            self.parts.append(f"[image: {dict(attrs).get('alt') or 'no alt text'}]")
        elif tag == "input":
            attributes = dict(attrs)
            self.parts.append(f"[{attributes.get('type', 'input')} {attributes.get('value', '')}]")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def html_text(page: str) -> str:
    """The visible text of an HTML page, one line per block (scripts and styles left out)."""
    parser = _VisibleText()
    parser.feed(page)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def kept_outputs(outputs) -> list[dict]:
    """A cell's notebook outputs as the reference file keeps them (plain dictionaries)."""
    kept = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            # stderr holds progress bars and warnings, which depend on whether a model was
            # trained or taken from the cache, so a cold and a warm run would disagree there.
            if output["name"] == "stdout":
                kept.append({"stdout": output["text"]})
        elif kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            entry = {mime: data[mime] for mime in TEXT_TYPES if mime in data}
            if "text/html" in entry:
                entry.pop("text/plain", None)  # the page shows the HTML; the plain text is a fallback repr
                page = entry.pop("text/html")
                if len(page) <= MAX_HTML and "<script" not in page and "data:" not in page:
                    entry["text/html"] = page
                else:
                    entry[HTML_TEXT] = html_text(page)
            figures = [mime for mime in IMAGE_TYPES if mime in data]
            if figures:
                entry[FIGURE] = figure_line(data[figures[0]])
            if entry:
                kept.append(entry)
        elif kind == "error":
            kept.append({"error": f"{output.get('ename')}: {output.get('evalue')}"})
    return kept


def as_notebook_outputs(kept: list[dict]) -> list:
    """Kept outputs as nbformat outputs, which nbval compares."""
    outputs = []
    for entry in kept:
        streams = [name for name in ("stdout", "stderr") if name in entry]
        if streams:
            outputs.append(nbformat.v4.new_output("stream", name=streams[0], text=entry[streams[0]]))
        elif "error" in entry:
            name, _, value = entry["error"].partition(": ")
            outputs.append(nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[]))
        else:
            outputs.append(nbformat.v4.new_output("display_data", data=dict(entry)))
    return outputs


# --- comparison beyond nbval's equality ----------------------------------------------------


def _numbers_agree(reference: str, test: str) -> bool:
    if any(c in reference for c in ".eE") or any(c in test for c in ".eE"):
        a, b = float(reference), float(test)
        if a == b:
            return True
        magnitude = max(abs(a), abs(b))
        unit = 10.0 ** (math.floor(math.log10(magnitude)) - SIGNIFICANT_DIGITS + 1)
        return abs(a - b) <= unit * (1 + 1e-9)
    return reference == test  # integers (counts, shapes, epochs) are not rounded by any CPU


def texts_agree(reference: str, test: str) -> bool:
    """Whether two (sanitized) texts agree: the same words, the same integers, and decimals
    equal to :data:`SIGNIFICANT_DIGITS` significant digits."""
    ref_words, test_words = _NUMBER.split(reference), _NUMBER.split(test)
    if ref_words != test_words:
        return False
    return all(_numbers_agree(a, b) for a, b in zip(_NUMBER.findall(reference), _NUMBER.findall(test)))


def figures_agree(reference: str, test: str, tolerance: int) -> bool:
    """Whether two ``figure`` lines have the same size and hashes within ``tolerance`` bits."""
    ref, new = _FIGURE_LINE.fullmatch(reference), _FIGURE_LINE.fullmatch(test)
    if not ref or not new or ref.group(1, 2) != new.group(1, 2):
        return False
    return bin(int(ref.group(3), 16) ^ int(new.group(3), 16)).count("1") <= tolerance


# --- the files -----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line text as YAML literal blocks, so that a diff shows the lines that changed."""


def _str(dumper, text):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)

_HEADER = """\
# Reference outputs of {chapter}: what each code cell printed or displayed, in order, keyed
# by the cell's code (a cell's key changes when its code changes). Written by `make reference`;
# compared on every test run (conftest.py, export/reference_outputs.py). Review a diff of this
# file as you would a diff of the chapter.
"""


def write_reference(chapter: Path, sources: list[str], outputs: list, env: dict, folder: Path | None = None) -> Path:
    """Write the reference file of ``chapter`` from its code cells' sources and outputs
    (into ``folder`` instead of the chapter's reference folder, if given)."""
    chapter = Path(chapter)
    cells = [
        {"key": key, "code": first_code_line(source), "outputs": kept_outputs(out)}
        for key, source, out in zip(cell_keys(sources), sources, outputs)
    ]
    path = reference_path(chapter, env.get("precision")) if folder is None else Path(folder) / f"{chapter.stem}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(
        {"chapter": f"{chapter.parent.name}/{chapter.name}", "made_with": env, "cells": cells},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    path.write_text(_HEADER.format(chapter=f"{chapter.parent.name}/{chapter.name}") + body, encoding="utf-8")
    return path


def read_reference(chapter: Path) -> dict | None:
    """The reference of ``chapter``: ``{"made_with": ..., "cells": {key: kept outputs}}``, or None.

    The one made in this machine's training precision where there is one, else another
    (whose precision then shows in ``made_with``).
    """
    paths = reference_paths(chapter)
    if not paths:
        return None
    path = paths[0]
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        "made_with": content.get("made_with", {}),
        "cells": {cell["key"]: cell.get("outputs") or [] for cell in content.get("cells", [])},
    }


# --- what changed (the canary) -------------------------------------------------------------


def read_sanitizer(path: Path) -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of an nbval sanitizer file, as nbval reads them."""
    return re.findall(r"^regex: (.*)$\n^replace: (.*)$", Path(path).read_text(), flags=re.MULTILINE)


def _sanitized(value, patterns):
    if isinstance(value, str):
        for regex, replacement in patterns:
            value = re.sub(regex, replacement, value)
        return value
    if isinstance(value, list):
        return [_sanitized(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: _sanitized(v, patterns) for k, v in value.items()}
    return value


def outputs_diff(reference: Path, new: Path, sanitizer: Path) -> tuple[list[str], str]:
    """The cells whose (sanitized) outputs differ between two reference files, and a unified diff.

    Cells are matched by key; the environment header is compared as it is (it says which
    versions made each side).
    """
    import difflib

    patterns = read_sanitizer(sanitizer)
    old, now = (
        yaml.safe_load(Path(p).read_text(encoding="utf-8")) if Path(p).is_file() else {} for p in (reference, new)
    )
    old_cells = {c["key"]: c for c in old.get("cells", [])}
    changed = [
        f"{c['key']} ({c['code']})"
        for c in now.get("cells", [])
        if c["key"] in old_cells
        and _sanitized(old_cells[c["key"]]["outputs"], patterns) != _sanitized(c["outputs"], patterns)
    ]
    changed += [f"{c['key']} ({c['code']}): no reference" for c in now.get("cells", []) if c["key"] not in old_cells]

    def text(content):
        content = {**content, "cells": _sanitized(content.get("cells", []), patterns)}
        return yaml.dump(content, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100).splitlines(
            keepends=True
        )

    diff = "".join(difflib.unified_diff(text(old), text(now), str(reference), str(new)))
    return changed, diff


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description="Which cells' outputs differ between the reference "
        "outputs and outputs recorded by --record-outputs."
    )
    parser.add_argument("references", type=Path, help="the reference folder (book/reference)")
    parser.add_argument("recorded", type=Path, help="the folder --record-outputs wrote")
    parser.add_argument("--diff", type=Path, help="write the unified diff of the sanitized outputs here")
    args = parser.parse_args(argv)
    sanitizer = args.references / "sanitize.cfg"
    diffs, lines = [], []
    for recorded in sorted(args.recorded.glob("*.yaml")):
        chapter = args.references.parent / f"{recorded.stem}.md"
        paths = reference_paths(chapter) if args.references.name == "reference" else []
        changed, diff = outputs_diff(paths[0] if paths else args.references / recorded.name, recorded, sanitizer)
        lines.append(f"{recorded.stem}: {len(changed)} cells' outputs changed" + "".join(f"\n  {c}" for c in changed))
        diffs.append(diff)
    print("\n".join(lines) or f"no recorded outputs in {args.recorded}")
    if args.diff:
        args.diff.write_text("".join(diffs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
