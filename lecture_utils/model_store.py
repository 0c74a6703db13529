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
found.  A download that is cut short, or a file whose checksum does not match the manifest,
leaves nothing in the cache and is reported in one sentence; the model is then trained.

From the command line, ``python -m lecture_utils.model_store export DESTINATION`` exports
the complete entries of the cache, with their manifest, to a folder that can serve as a class
folder or be published as a store.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .cache import atomic_write, cache_folder, file_digest, fingerprint

__all__ = ["Found", "find_trained", "find_in_cache", "entry_files", "train_locally", "export", "MANIFEST"]

MANIFEST = "manifest.json"
_FORMAT = 1
_SUFFIXES = {"model": ".keras", "history": ".history.json"}


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


def find_trained(entry: str) -> Found | None:
    """The first complete entry ``entry`` in the class folder, the cache or the store, or None."""
    if train_locally():
        return None
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
    found = find_in_cache(entry)
    if found is not None:
        return found
    url = os.environ.get("LECTURE_MODELS_URL", "").strip().rstrip("/")
    if url:
        files = entry_files(entry, cache_folder("models"))
        if _download_entry(url, entry, files):
            return Found(files["model"], files["history"], "store", url)
    return None


def find_in_cache(entry: str) -> Found | None:
    """The complete entry ``entry`` in the user's cache, or None."""
    files = entry_files(entry, cache_folder("models", create=False))
    # The history is written last, so its presence marks a complete entry.
    if all(path.is_file() for path in files.values()):
        return Found(files["model"], files["history"], "cache", str(files["model"].parent))
    return None


# Stores that could not be read in this process, and why: said once, not once per training.
_UNREADABLE: dict[str, str] = {}


@functools.lru_cache(maxsize=8)
def _manifest(url: str) -> dict:
    from .data import _download

    path = atomic_write(
        cache_folder("models") / f".store-{fingerprint(url)[:12]}-{MANIFEST}",
        lambda tmp: _download(f"{url}/{MANIFEST}", tmp),
    )
    manifest = json.loads(path.read_text())
    if manifest.get("format") != _FORMAT or not isinstance(manifest.get("entries"), dict):
        raise ValueError(f"{url}/{MANIFEST} is not a model-store manifest of format {_FORMAT}.")
    return manifest


def _download_entry(url: str, entry: str, files: dict[str, Path]) -> bool:
    """Download, verify and cache ``entry`` from the store; False (with a warning) if that fails."""
    from .data import _download

    if url in _UNREADABLE:
        return False
    try:
        manifest = _manifest(url)
    except Exception as error:  # no network, no manifest, a broken one: train instead
        _UNREADABLE[url] = f"{type(error).__name__}: {error}"
        warnings.warn(
            f"The model store {url} could not be read ({_UNREADABLE[url]}); training the models here instead.",
            stacklevel=4,
        )
        return False
    listed = manifest["entries"].get(entry)
    if listed is None:
        return False
    # The model first, the history last: an entry is complete only when both are there.
    for role in ("model", "history"):
        name, checksum = listed[role]["file"], listed[role]["sha256"]

        def verified_download(tmp, name=name, checksum=checksum):
            _download(f"{url}/{name}", tmp)
            if file_digest(tmp) != checksum:
                raise ValueError(f"{name} from {url} does not match the sha256 in its manifest")

        try:
            atomic_write(files[role], verified_download)
        except Exception as error:
            files["model"].unlink(missing_ok=True)
            warnings.warn(
                f"The trained model {entry} could not be taken from the model store "
                f"({type(error).__name__}: {error}), so nothing of it was kept; training it "
                "here instead.",
                stacklevel=4,
            )
            return False
    return True


def export(destination, source=None) -> Path:
    """Copy the complete entries of a models folder to ``destination`` and write its manifest.

    The result serves as a class folder (``LECTURE_MODELS_DIR``) or, published as it is, as a
    store (``LECTURE_MODELS_URL``).

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
    """
    from .trainings import cache_entries

    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    entries = {}
    for cached in cache_entries(source):
        entry = cached.path.name.removesuffix(".keras")
        sources = entry_files(entry, cached.path.parent)
        listed = {
            "settings": cached.meta.get("settings"),
            "keras": cached.meta.get("keras"),
            "trained_at": cached.meta.get("trained_at"),
        }
        for role, path in sources.items():
            atomic_write(destination / path.name, lambda tmp, path=path: shutil.copyfile(path, tmp))
            listed[role] = {"file": path.name, "sha256": file_digest(path), "bytes": path.stat().st_size}
        listed["key"] = entry.rsplit("-", 1)[-1]
        entries[entry] = listed
    manifest = {"format": _FORMAT, "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "entries": entries}
    return atomic_write(
        destination / MANIFEST, lambda tmp: tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    )


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
    manifest = export(args.destination, args.source)
    entries = json.loads(manifest.read_text())["entries"]
    print(f"{len(entries)} trained models and {manifest.name} in {args.destination}")


if __name__ == "__main__":
    main()
