"""Where a trained model is looked for before it is trained: a class folder, the cache, a store.

:func:`lecture_utils.trainings.train_or_load` asks :func:`find_trained` for the entry of a
training (a ``.keras`` file and its ``.history.json``, named ``<name>-<key>``), in this order:

1. ``LECTURE_MODELS_DIR``: a read-only folder that a lecturer fills once for a whole class,
   with the layout of the cache's ``models/`` folder (copying a warm cache's ``models/``
   there makes one); its files are read where they are;
2. the user's own cache, ``<LECTURE_CACHE_DIR>/models``;
3. ``LECTURE_MODELS_URL``: a published store, a folder of model files with a
   ``manifest.json`` that gives each file's sha256 and cache key (:func:`export` writes one);
   the files are downloaded, verified and put into the cache.

Only when all three miss is the model trained; ``LECTURE_TRAIN=always`` trains whatever is
found.  A store that cannot be reached, a server that stops answering (after
:data:`CONNECT_TIMEOUT` or :data:`READ_TIMEOUT` seconds), a download that is cut short, a
manifest that is not one, or a file whose checksum does not match the manifest, leaves
nothing in the cache and is reported in one sentence; the model is then trained.  A
``LECTURE_MODELS_URL`` that is not an http(s) address is an error, raised before anything is
trained.

From the command line, ``python -m lecture_utils.model_store export DESTINATION`` exports
the complete entries of the cache, with their manifest, to a folder that can serve as a class
folder or be published as a store; a destination that cannot be written, or a source that
holds no trained models, is said in one line, and nothing is exported.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time
import urllib.parse
import warnings
from dataclasses import dataclass
from pathlib import Path

from .cache import atomic_write, cache_folder, file_digest, fingerprint

__all__ = [
    "Found",
    "find_trained",
    "find_in_cache",
    "entry_files",
    "train_locally",
    "store_url",
    "export",
    "MANIFEST",
    "CONNECT_TIMEOUT",
    "READ_TIMEOUT",
]

MANIFEST = "manifest.json"
_FORMAT = 1
_SUFFIXES = {"model": ".keras", "history": ".history.json"}

#: Seconds a store may take to accept a connection.
CONNECT_TIMEOUT = 5.0
#: Seconds a store may stay silent before one read of its answer gives up.  It bounds each
#: read, not the whole file, so a 40 MB model still arrives over a slow line, while a server
#: that accepts and never answers costs seconds rather than holding the chapter.
READ_TIMEOUT = 15.0


@dataclass(frozen=True)
class Found:
    """A complete entry, and where it was found (``"class folder"``, ``"cache"`` or ``"store"``)."""

    model: Path
    history: Path
    origin: str
    source: str  # the folder or address it came from


def entry_files(entry: str, folder: Path) -> dict[str, Path]:
    """The model and history files of ``entry`` (``"<name>-<key>"``) in ``folder``."""
    return {role: folder / f"{entry}{suffix}" for role, suffix in _SUFFIXES.items()}


def train_locally() -> bool:
    """True when ``LECTURE_TRAIN=always``: train even when a trained model is found."""
    value = os.environ.get("LECTURE_TRAIN", "").strip()
    if value not in ("", "always", "if-missing"):
        raise ValueError(
            f"LECTURE_TRAIN must be 'always' (train even when a trained model is found) "
            f"or 'if-missing' (the default), got {value!r}."
        )
    return value == "always"


def store_url() -> str | None:
    """The model store's address in ``LECTURE_MODELS_URL``, without a final slash; None if unset.

    Raises
    ------
    ValueError
        If it is not an http:// or https:// address: otherwise each training would first try
        it, warn, and then train for minutes, which is easy to miss.
    """
    value = os.environ.get("LECTURE_MODELS_URL", "").strip()
    if not value:
        return None
    try:
        parts = urllib.parse.urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(character.isspace() for character in value)
    ):
        # A folder's path is the likeliest slip: the class folder has a variable of its own.
        local = value.startswith(("/", "~", ".", "file:")) or (len(value) > 2 and value[1:3] in (":\\", ":/"))
        hint = " (a folder on this machine goes in LECTURE_MODELS_DIR)" if local else ""
        raise ValueError(
            "LECTURE_MODELS_URL must be the http:// or https:// address of a folder that holds a "
            f"model store's {MANIFEST}, such as https://example.org/lecture9-models, got {value!r}{hint}."
        )
    return value.rstrip("/")


def find_trained(entry: str) -> Found | None:
    """The first complete entry ``entry`` in the class folder, the cache or the store, or None."""
    if train_locally():
        return None
    # Read before anything is looked up, so that a wrong address fails at the first training
    # rather than at the first one the class folder and the cache happen to miss.
    url = store_url()
    class_folder = os.environ.get("LECTURE_MODELS_DIR", "").strip()
    if class_folder:
        folder = Path(class_folder).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(
                f"LECTURE_MODELS_DIR names {folder}, which is not a folder: point it "
                "at a folder with the layout of a cache's models/ folder, or unset it."
            )
        files = entry_files(entry, folder)
        if all(path.is_file() for path in files.values()):
            return Found(files["model"], files["history"], "class folder", str(folder))
        _warn_if_empty(folder)
    found = find_in_cache(entry)
    if found is not None:
        return found
    if url:
        files = entry_files(entry, cache_folder("models"))
        if _download_entry(url, entry, files):
            return Found(files["model"], files["history"], "store", url)
    return None


# Class folders already found to hold no trained models: said once, not once per training.
_EMPTY_CLASS_FOLDERS: set[Path] = set()


def _warn_if_empty(folder: Path) -> None:
    # A class folder without a single model is a lecturer's slip (the export not yet run, or
    # the folder above it), which would otherwise only show as every model being trained.
    if folder in _EMPTY_CLASS_FOLDERS or any(folder.glob(f"*{_SUFFIXES['history']}")):
        return
    _EMPTY_CLASS_FOLDERS.add(folder)
    warnings.warn(
        f"LECTURE_MODELS_DIR names {folder}, which holds no trained models (no *.history.json "
        "files), so every model is trained here: point it at a folder that "
        "python -m lecture_utils.model_store export filled.",
        stacklevel=4,
    )


def find_in_cache(entry: str) -> Found | None:
    """The complete entry ``entry`` in the user's cache, or None."""
    files = entry_files(entry, cache_folder("models", create=False))
    # The history is written last, so its presence marks a complete entry.
    if all(path.is_file() for path in files.values()):
        return Found(files["model"], files["history"], "cache", str(files["model"].parent))
    return None


def _download(url: str, destination: Path) -> None:
    # requests applies the read timeout to each read of the socket, not to the whole file.
    from .data import _download

    _download(url, destination, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))


def _reason(error: BaseException) -> str:
    """What went wrong with a store, in a few words for a warning (requests' own are paragraphs)."""
    from requests import exceptions as http

    if isinstance(error, http.ConnectTimeout):
        return f"it did not accept a connection within {CONNECT_TIMEOUT:g} s"
    # A read that times out in the middle of a file surfaces as a ConnectionError.
    if isinstance(error, http.Timeout) or (isinstance(error, http.ConnectionError) and "timed out" in str(error)):
        return f"it did not answer for {READ_TIMEOUT:g} s"
    if isinstance(error, http.HTTPError) and error.response is not None:
        return f"it answered HTTP {error.response.status_code} {error.response.reason or ''}".rstrip()
    if isinstance(error, http.ChunkedEncodingError):
        return "the download was cut short"
    if isinstance(error, http.ConnectionError):
        return "no connection could be made to it, or it was broken off"
    if isinstance(error, http.RequestException):
        return type(error).__name__
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} in the cache"
    if isinstance(error, ValueError):  # raised here, in words of their own
        return str(error).rstrip(".")
    return type(error).__name__


# Stores that could not be read in this process, and why: said once, not once per training.
_UNREADABLE: dict[str, str] = {}


@functools.lru_cache(maxsize=8)
def _manifest(url: str) -> dict:
    path = atomic_write(
        cache_folder("models") / f".store-{fingerprint(url)[:12]}-{MANIFEST}",
        lambda tmp: _download(f"{url}/{MANIFEST}", tmp),
    )
    try:
        manifest = json.loads(path.read_text())
    except ValueError:  # not JSON, or not text: an error page, or the wrong address
        raise ValueError(f"its {MANIFEST} is not JSON") from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != _FORMAT
        or not isinstance(manifest.get("entries"), dict)
    ):
        raise ValueError(f"its {MANIFEST} is not a model-store manifest of format {_FORMAT}")
    return manifest


def _listed_files(listed) -> dict[str, tuple[str, str]] | None:
    """``{role: (file name, sha256)}`` of a manifest's entry, or None if the entry lacks them."""
    try:
        files = {role: (listed[role]["file"], listed[role]["sha256"]) for role in _SUFFIXES}
    except (KeyError, TypeError):
        return None
    if not all(isinstance(name, str) and name and isinstance(sha, str) and sha for name, sha in files.values()):
        return None
    return files


def _download_entry(url: str, entry: str, files: dict[str, Path]) -> bool:
    """Download, verify and cache ``entry`` from the store; False (with a warning) if that fails."""
    if url in _UNREADABLE:
        return False
    try:
        manifest = _manifest(url)
    except Exception as error:  # no network, no manifest, a broken one: train instead
        _UNREADABLE[url] = _reason(error)
        warnings.warn(
            f"The model store {url} could not be read ({_UNREADABLE[url]}); training the models here instead.",
            stacklevel=4,
        )
        return False
    listed = manifest["entries"].get(entry)
    if listed is None:
        return False
    listed_files = _listed_files(listed)
    if listed_files is None:
        warnings.warn(
            f"The entry {entry} of {url}/{MANIFEST} does not give the file and sha256 of its model "
            "and history, so it was not downloaded; training it here instead.",
            stacklevel=4,
        )
        return False
    # The model first, the history last: an entry is complete only when both are there.
    for role in ("model", "history"):
        name, checksum = listed_files[role]

        def verified_download(tmp, name=name, checksum=checksum):
            _download(f"{url}/{name}", tmp)
            if file_digest(tmp) != checksum.lower():
                raise ValueError(f"{name} from {url} does not match the sha256 in its manifest")

        try:
            atomic_write(files[role], verified_download)
        except Exception as error:
            files["model"].unlink(missing_ok=True)
            warnings.warn(
                f"The trained model {entry} could not be taken from the model store "
                f"({_reason(error)}), so nothing of it was kept; training it here instead.",
                stacklevel=4,
            )
            return False
    return True


def _source_folder(source) -> Path:
    """The models folder to export from, if it exists and can be read."""
    if source is None:
        return cache_folder("models", create=False)
    folder = _as_path(source, "source")
    if not folder.exists():
        raise FileNotFoundError(
            f"The models folder to export, {folder}, does not exist: give a folder that holds "
            "trained models (a cache's models/ folder), or none to export your cache's."
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            f"The models folder to export, {folder}, is a file: give the folder that holds "
            "trained models (a cache's models/ folder), or none to export your cache's."
        )
    if not os.access(folder, os.R_OK | os.X_OK):
        raise PermissionError(f"The models folder to export, {folder}, cannot be read by you: give one you can read.")
    return folder


def _writable_folder(destination) -> Path:
    """``destination``, created if needed, if it is (or can become) a folder that can be written."""
    folder = _as_path(destination, "destination")
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    is_new = existing != folder.absolute()
    if not existing.is_dir():
        where = f"cannot be a folder, since {existing} is a file" if is_new else "is a file"
        raise NotADirectoryError(
            f"The export destination {folder} {where}: give a new folder, or a folder of yours, "
            "to export the models to."
        )
    # Checked first, since a refused write would otherwise surface as a traceback from mkdir
    # or from the first of many copies.
    if not os.access(existing, os.W_OK | os.X_OK):
        where = f"cannot be created, since you may not write in {existing}" if is_new else "cannot be written by you"
        raise PermissionError(
            f"The export destination {folder} {where}: give a folder that you may write, or ask its "
            "owner for write permission."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(
            f"The export destination {folder} could not be created ({error.strerror or error}): "
            "give another folder to export the models to."
        ) from None
    return folder


def _as_path(value, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise TypeError(f"The export {name} must be a folder's path (a str or Path), got {value!r}.")
    return Path(value).expanduser()


def export(destination, source=None) -> Path:
    """Copy the complete entries of a models folder to ``destination`` and write its manifest.

    The result serves as a class folder (``LECTURE_MODELS_DIR``) or, published as it is, as a
    store (``LECTURE_MODELS_URL``).  Both folders are checked before anything is copied.

    Parameters
    ----------
    destination : path-like
        Created if needed; files already there with the same names are replaced.
    source : path-like, optional
        A models folder; default the cache's.

    Returns
    -------
    Path
        The manifest.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        If ``source`` is not a folder.
    ValueError
        If it holds no trained models: an empty manifest handed to a class would make every
        student train every model.
    NotADirectoryError, PermissionError, OSError
        If ``destination`` cannot be created or written.
    """
    from .trainings import cache_entries

    _as_path(destination, "destination")
    folder = _source_folder(source)
    cached_entries = cache_entries(folder) if folder.is_dir() else []
    if not cached_entries:
        which = "Your cache's models folder" if source is None else "The models folder to export,"
        raise ValueError(
            f"{which} {folder}{',' if source is not None else ''} holds no trained models (a .keras "
            "file with its .history.json), so there is nothing to export: run the chapters "
            "first, or export another folder."
        )
    destination = _writable_folder(destination)
    entries = {}
    for cached in cached_entries:
        entry = cached.path.name.removesuffix(".keras")
        sources = entry_files(entry, cached.path.parent)
        listed = {
            "settings": cached.meta.get("settings"),
            "keras": cached.meta.get("keras"),
            "trained_at": cached.meta.get("trained_at"),
        }
        for role, path in sources.items():
            _write(destination / path.name, lambda tmp, path=path: shutil.copyfile(path, tmp))
            listed[role] = {"file": path.name, "sha256": file_digest(path), "bytes": path.stat().st_size}
        listed["key"] = entry.rsplit("-", 1)[-1]
        entries[entry] = listed
    manifest = {"format": _FORMAT, "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "entries": entries}
    return _write(destination / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True)))


def _write(path: Path, write) -> Path:
    # A full disk, or a folder changed under the export, ends it in one sentence rather than a
    # traceback; the manifest is written last, so none lists files that were not copied.
    try:
        return atomic_write(path, write)
    except OSError as error:
        raise OSError(
            f"Exporting stopped at {path.name}, which could not be written to {path.parent} "
            f"({error.strerror or error}), so no new {MANIFEST} was written: free space or give "
            "another destination."
        ) from None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m lecture_utils.model_store",
        description="Export the trained models of the cache, with a manifest.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export_command = commands.add_parser("export", help="copy the cache's trained models and a manifest to a folder")
    export_command.add_argument("destination", type=Path)
    export_command.add_argument("--source", type=Path, help="a models folder (default: the cache's)")
    args = parser.parse_args(argv)
    try:
        manifest = export(args.destination, args.source)
    except (OSError, ValueError, TypeError) as error:
        # One line, not a traceback: these are about the folders given, not about the code.
        print(f"{parser.prog} export: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    entries = json.loads(manifest.read_text())["entries"]
    print(f"{len(entries)} trained models and {manifest.name} in {args.destination}")


if __name__ == "__main__":
    main()
