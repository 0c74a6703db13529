"""The book's one cache layer: where kept files live, how they are written and how they are hashed.

Everything the book computes once and keeps (downloaded data, trained models and their
histories, feature maps, converted weights) lives under one folder, ``LECTURE_CACHE_DIR``
(default ``~/.cache/lecture9``).  Every file is written under a temporary name in its own
folder and renamed into place, so an interrupted run never leaves a half-written file under
the real name; it gets the permissions of any other file the user creates (their umask); and
files and values are identified by sha256 digests.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["cache_dir", "cache_folder", "atomic_write", "file_digest", "fingerprint"]


def cache_dir(create: bool = True) -> Path:
    """Root of the cache (``LECTURE_CACHE_DIR``, default ``~/.cache/lecture9``), created if asked."""
    root = Path(os.environ.get("LECTURE_CACHE_DIR", "~/.cache/lecture9")).expanduser()
    if create:
        root.mkdir(parents=True, exist_ok=True)
    return root


def cache_folder(name: str, create: bool = True) -> Path:
    """The cache's sub-folder ``name`` (``"models"``, ``"features"``, …), created if asked.

    ``create=False`` gives the path without touching the disk, for looking things up in a cache
    that may be read-only.
    """
    path = cache_dir(create) / name
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def _file_mode() -> int:
    # mkstemp makes files readable by their owner only; a cache entry is ordinary data, and a
    # lecturer who fills a cache for a class wants others to be able to read it.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Create ``path`` completely or not at all.

    ``write(tmp)`` writes the content to a temporary file in the same folder, whose name ends
    with the name of ``path`` (so it keeps suffixes such as ``.keras``, ``.weights.h5`` or
    ``.gz`` that writers and readers go by); it is then renamed to ``path`` in one step.  If
    ``write`` raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : path-like
        The file to create or replace; its folder must exist.
    write : callable (Path) -> None
        Writes the content to the path it is given (it may replace that file).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-", suffix=f"-{path.name}")
    os.close(fd)
    tmp = Path(tmp)
    try:
        write(tmp)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, read in 1 MiB blocks; a ``.gz`` file by its decompressed content.

    Raises
    ------
    OSError, EOFError, gzip.BadGzipFile
        If the file cannot be read to its end.
    """
    path = Path(path)
    digest = hashlib.new(algorithm)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(*objects) -> str:
    """A sha256 hex digest of arrays, file paths and JSON-able values, in order.

    Arrays are hashed by dtype, shape and bytes; ``Path`` objects by name and size (enough to
    tell datasets apart without reading every photo), also inside lists and tuples; anything
    else by its sorted JSON.
    """
    digest = hashlib.sha256()
    for obj in objects:
        if isinstance(obj, np.ndarray):
            digest.update(f"{obj.dtype}{obj.shape}".encode())
            digest.update(np.ascontiguousarray(obj).tobytes())
        elif isinstance(obj, Path):
            digest.update(f"{obj.name}:{obj.stat().st_size}".encode())
        elif isinstance(obj, (list, tuple)) and obj and all(isinstance(o, Path) for o in obj):
            digest.update(fingerprint(*obj).encode())
        else:
            digest.update(json.dumps(obj, sort_keys=True, default=str).encode())
    return digest.hexdigest()
