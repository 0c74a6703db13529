"""The book's one cache layer: where kept files live, how they are written and how they are hashed.

Everything the book computes once and keeps (downloaded data, trained models and their
histories, feature maps, converted weights) lives under one folder, ``LECTURE_CACHE_DIR``
(default ``~/.cache/lecture9``).  Every file is written under a temporary name in its own
folder and renamed into place, so an interrupted run never leaves a half-written file under
the real name; it gets the permissions of any other file the user creates (their umask); and
files and values are identified by sha256 digests.

A cache that cannot be used (``LECTURE_CACHE_DIR`` naming a file, or a folder this process
cannot create or, where asked, write) is reported in one sentence when a folder of it is asked
for, before anything is computed that would have to be kept there.  Temporary files that a
killed process left behind are removed once they are a day old (:data:`STALE_AFTER`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["cache_dir", "cache_folder", "atomic_write", "file_digest", "fingerprint", "STALE_AFTER"]

#: Seconds after which a temporary ``.partial-*`` file is taken to belong to a writer that
#: died: a day, far longer than any of the book's writes takes.
STALE_AFTER = 24 * 3600

# The temporary files of atomic_write start so: hidden, and told apart from finished files.
_PARTIAL = ".partial-"


def cache_dir(create: bool = True) -> Path:
    """Root of the cache (``LECTURE_CACHE_DIR``, default ``~/.cache/lecture9``), created if asked.

    Raises
    ------
    NotADirectoryError, PermissionError, OSError
        With ``create=True``, if the folder cannot be created: one sentence naming it.
    """
    # An empty variable is an unset one, as for the book's other variables, not the current folder.
    root = Path(os.environ.get("LECTURE_CACHE_DIR", "").strip() or "~/.cache/lecture9").expanduser()
    if create:
        _make_folder(root)
    return root


def cache_folder(name: str, create: bool = True, *, writable: bool = False) -> Path:
    """The cache's sub-folder ``name`` (``"models"``, ``"features"``, …), created if asked.

    Parameters
    ----------
    name : str
    create : bool, optional
        False gives the path without touching the disk, for looking things up in a cache that
        may be read-only.
    writable : bool, optional
        Also check that this process can write there: for a caller about to compute something
        long that it will keep there.

    Raises
    ------
    NotADirectoryError, PermissionError, OSError
        If the folder cannot be created, or ``writable`` and it cannot be written: one sentence
        naming it and ``LECTURE_CACHE_DIR``.
    """
    path = cache_dir(create or writable) / name
    if create or writable:
        _make_folder(path)
    # os.access asks the kernel, so a read-only file system counts too, not only the mode bits.
    if writable and not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(
            f"The cache folder {path} cannot be written to by this process: set LECTURE_CACHE_DIR "
            "to a folder it can write to."
        )
    return path


def _make_folder(path: Path) -> None:
    """Create ``path`` and its parents; one sentence naming it and what to set if that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise NotADirectoryError(
            f"The cache folder {path} cannot be created, since {blocking} is a file: set LECTURE_CACHE_DIR to a folder."
        ) from None
    except OSError as error:
        # The same class (PermissionError, ...), so that callers catching it keep working.
        raise type(error)(
            f"The cache folder {path} cannot be created ({error.strerror or error}): set "
            "LECTURE_CACHE_DIR to a folder this process can write to."
        ) from None


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

    A process killed while writing leaves its temporary file (``.partial-*``) behind; each
    write removes those of its folder that are older than :data:`STALE_AFTER`.

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
    _remove_stale_partials(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_PARTIAL, suffix=f"-{path.name}")
    os.close(fd)
    tmp = Path(tmp)
    try:
        write(tmp)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _remove_stale_partials(folder: Path) -> None:
    """Remove the temporary files in ``folder`` that no writer has touched for :data:`STALE_AFTER`.

    Age rather than a lock decides: a writer's file is created when it starts and written as it
    goes, and a writer may replace it (so a lock on it would not stay with the name).  Two
    kernels cleaning at once, or a file that cannot be removed, are no reason to fail a write.
    """
    now = time.time()
    try:
        partials = list(folder.glob(f"{_PARTIAL}*"))
    except OSError:
        return
    for partial in partials:
        try:
            if now - partial.stat().st_mtime > STALE_AFTER:
                partial.unlink()
        except OSError:
            continue


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, read in 1 MiB blocks; a ``.gz`` file by its decompressed content.

    Raises
    ------
    ValueError
        If ``algorithm`` is not a fixed-length hash that ``hashlib`` knows.
    OSError, EOFError, gzip.BadGzipFile
        If the file cannot be read to its end.
    """
    try:
        digest = hashlib.new(algorithm)
    except (ValueError, TypeError):
        digest = None
    # shake_128 and shake_256 are known but have no fixed length for hexdigest() to give.
    if digest is None or digest.digest_size == 0:
        raise ValueError(f"algorithm must be a hash that hashlib knows, such as 'sha256' or 'md5', got {algorithm!r}.")
    path = Path(path)
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
