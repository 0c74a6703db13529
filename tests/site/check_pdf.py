"""Check the book's PDF (``make pdf``) with poppler: pages, chapter titles, figures.

- ``pdfinfo``: A4 pages, at least one per chapter plus the title page;
- ``pdftotext``: every page title of the table of contents starts a page, in order, and every
  figure caption number ("Fig. 7") of the print document is in the text;
- ``pdfimages``: at least as many embedded images as the print document has figures, and an
  image on (or just before) the page of every figure caption;
- ``pdftoppm``: every page, rendered at 24 dpi, has ink on it (no blank pages), and the pages
  with figures have colour.

Usage: python tests/site/check_pdf.py <book.pdf> <print manifest.json> [page image folder]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main(pdf: Path, manifest_path: Path, shots: Path | None) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    problems = []
    info = run("pdfinfo", str(pdf))
    n_pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    if "(A4)" not in info:
        problems.append("pages are not A4")
    if n_pages < len(manifest["titles"]) + 1:
        problems.append(f"{n_pages} pages for {len(manifest['titles'])} chapters and a title page")

    pages = run("pdftotext", "-layout", str(pdf), "-").split("\f")[:n_pages]
    first_lines = [" ".join(p.split())[:200] for p in pages]
    at = 0
    for title in manifest["titles"]:
        found = next((i for i in range(at, n_pages) if first_lines[i].startswith(" ".join(title.split()))), None)
        if found is None:
            problems.append(f"no page starts with the chapter title {title!r} (after page {at + 1})")
        else:
            at = found + 1
    text = " ".join(" ".join(p.split()) for p in pages)
    caption_pages = {}
    for caption in manifest["captions"]:
        label = " ".join(caption.split()[:2])
        # Compared without whitespace: inline code in a caption (``block2b_add``) comes out of
        # the HTML with spaces around it that the PDF's text does not have.
        page = next((i for i, p in enumerate(pages) if "".join(caption.split()) in "".join(p.split())), None)
        if page is None:
            problems.append(f"caption {caption!r} not in the PDF's text")
        else:
            caption_pages.setdefault(label, page)
    if "\\(" in text or "\\[" in text or "\\begin{" in text:
        problems.append("untypeset math in the PDF's text")

    rows = run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    image_pages = {int(r.split()[0]) - 1 for r in rows if r.split() and r.split()[2] == "image"}
    n_images = sum(1 for r in rows if r.split() and r.split()[2] == "image")
    if n_images < manifest["figures"]:
        problems.append(f"{n_images} images in the PDF for {manifest['figures']} figures")
    for label, page in caption_pages.items():
        if not {page, page - 1} & image_pages:
            problems.append(f"{label}: no image on its caption's page ({page + 1}) or the one before")

    with tempfile.TemporaryDirectory() as tmp:
        run("pdftoppm", "-r", "24", "-png", str(pdf), f"{tmp}/page")
        renders = sorted(Path(tmp).glob("page-*.png"))
        if len(renders) != n_pages:
            problems.append(f"pdftoppm rendered {len(renders)} pages of {n_pages}")
        coloured = 0
        for i, path in enumerate(renders):
            rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
            if (rgb.min(axis=2) < 200).mean() < 0.002:
                problems.append(f"page {i + 1} is blank")
            spread = rgb.max(axis=2) - rgb.min(axis=2)
            coloured += bool((spread > 60).mean() > 0.005)
        figure_pages = len(image_pages)
        if coloured < min(figure_pages, len(manifest["titles"])) // 2:
            problems.append(f"only {coloured} pages with colour, for {figure_pages} pages with images")
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            for i in sorted({0, *(sorted(caption_pages.values())[:1]), n_pages - 1}):
                Image.open(renders[i]).save(shots / f"pdf_page_{i + 1:03d}.png")
    size = pdf.stat().st_size
    print(
        f"pdf: {n_pages} pages, {size / 2**20:.1f} MiB, {n_images} images for {manifest['figures']} figures, "
        f"{len(manifest['titles'])} chapter titles, {coloured} pages with colour"
    )
    return problems


if __name__ == "__main__":
    started = time.perf_counter()
    args = sys.argv[1:]
    found = main(Path(args[0]), Path(args[1]), Path(args[2]) if len(args) > 2 else None)
    for p in found:
        print(f"     - {p}")
    print(f"{'FAIL' if found else 'ok  '} {args[0]} ({time.perf_counter() - started:.1f} s)")
    sys.exit(1 if found else 0)
