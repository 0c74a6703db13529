"""Transfer learning with a pretrained convolutional base: the pieces of the lecture's three ways.

The lecture re-uses VGG16's ImageNet-trained convolutional base on the 3000/1000 cats-vs-dogs
split.  Here the executed base is EfficientNet-Lite0 with its real ImageNet weights
(:mod:`lecture_utils.pretrained`), at the lecture's 150×150 input.  This module holds what the
three ways are made of:

- running photos once through a frozen base (:func:`extract_features`), and the cats-vs-dogs
  features computed once and kept in the cache (:func:`cats_vs_dogs_features`);
- unfreezing a base from a given layer on (:func:`unfreeze_from`);
- putting a fine-tuned base back under its ImageNet classifier (:func:`transplant_base`).

The classifiers themselves are in :mod:`lecture_utils.models` (``feature_classifier``,
``frozen_base_classifier`` and ``InferenceMode``, which keeps a base in inference mode inside
``fit()``); the three trainings are ``FEATURE_EXTRACTION``, ``FROZEN_BASE`` and
``FINE_TUNING`` in :mod:`lecture_utils.trainings`.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from .cache import atomic_write, cache_folder, fingerprint
from .checks import batch_fits_model, keras_model, positive_int
from .images import IMAGE_SIZE
from .progress import progress_bar

__all__ = [
    "VGG16_FEATURE_SHAPE",
    "VGG16_PARAMETERS",
    "VGG16_UNFREEZE_FROM",
    "extract_features",
    "Features",
    "cats_vs_dogs_features",
    "unfreeze_from",
    "transplant_base",
]

#: The lecture's VGG16 conv base at 150×150: last feature map, parameters, unfreezing point.
VGG16_FEATURE_SHAPE = (4, 4, 512)
VGG16_PARAMETERS = 14_714_688
VGG16_UNFREEZE_FROM = "block5_conv1"

# ---------------------------------------------------------------------------------------------
# Building blocks


def extract_features(conv_base, images, batch_size: int = 32, preprocess=None) -> np.ndarray:
    """Run photos once through a convolutional base, in inference mode.

    Parameters
    ----------
    conv_base : keras.Model
        E.g. ``efficientnet_lite0(include_top=False, input_shape=(150, 150, 3))``.
    images : ndarray of uint8, shape (N, H, W, 3)
        RGB photos, 0–255.
    batch_size : int
        Photos per forward pass; only affects speed and memory.  Each batch goes through
        ``predict_on_batch`` (a compiled graph): calling the model eagerly instead is twice
        as slow, and TensorFlow keeps the memory of the eager intermediate results (5 GB
        for 1000 photos in batches of 100).
    preprocess : callable, optional
        Maps a uint8 batch to the base's input; default
        :func:`lecture_utils.pretrained.preprocess_input` (EfficientNet-Lite0), e.g.
        ``keras.applications.vgg16.preprocess_input`` for VGG16.

    Returns
    -------
    ndarray of float32, shape (N,) + conv_base's output shape
        E.g. (N, 5, 5, 1280) for EfficientNet-Lite0 at 150×150.
    """
    from .pretrained import preprocess_input

    keras_model(conv_base, "conv_base")
    preprocess = preprocess if preprocess is not None else preprocess_input
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8 or not len(images):
        raise ValueError(
            f"images must be a non-empty uint8 array of shape (N, H, W, 3), got {images.dtype} {images.shape}."
        )
    batch_size = positive_int(batch_size, "batch_size")
    # Photos of another size than a fixed-size base takes fail inside predict_on_batch otherwise.
    batch_fits_model(images, conv_base)
    out = np.empty((len(images),) + tuple(conv_base.output_shape[1:]), dtype=np.float32)
    _predict_into(conv_base, images, out, batch_size, preprocess)
    return out


def _predict_into(
    conv_base, images, out: np.ndarray, batch_size: int, preprocess, description: str = "extracting features"
) -> None:
    """Write the base's output for ``images`` batch by batch into ``out`` (any float dtype).

    Writing into one preallocated array, rather than collecting the batches and concatenating
    them, keeps a single copy of the features in memory: for the 4000 photos at 150×150 a list
    of batches plus its concatenation held 2 × 512 MB at once.
    """
    with progress_bar(len(images), description, unit="photo") as bar:
        for i in range(0, len(images), batch_size):
            batch = images[i : i + batch_size]
            out[i : i + batch_size] = np.asarray(conv_base.predict_on_batch(preprocess(batch)))
            bar.update(len(batch))


# @save
def unfreeze_from(conv_base, first):
    """Freeze the layers of ``conv_base`` before the first one named ``first`` (or starting with it),
    make it and every later layer trainable, and return the names of those that have weights."""
    keras_model(conv_base, "conv_base")
    if not isinstance(first, str) or not first:  # "" would match the first layer: the whole base
        raise ValueError(f"first must be a non-empty layer name or prefix, e.g. 'block6a', got {first!r}.")
    names = [layer.name for layer in conv_base.layers]
    start = next((i for i, name in enumerate(names) if name == first or name.startswith(first)), None)
    if start is None:
        raise ValueError(f"no layer of {conv_base.name} is named {first!r} or starts with it.")
    conv_base.trainable = True
    for i, layer in enumerate(conv_base.layers):  # both ways: a layer frozen earlier on its own stays
        layer.trainable = i >= start  # frozen under its model's trainable = True
    return [layer.name for layer in conv_base.layers[start:] if layer.weights]


def transplant_base(classifier, conv_base) -> list[str]:
    """Copy the weights of ``conv_base`` into the layers of ``classifier`` with the same names.

    Puts a fine-tuned base back under the original ImageNet classifier, to see how much of
    ImageNet it still recognises (catastrophic forgetting).  ``classifier`` is changed in place.

    Parameters
    ----------
    classifier : keras.Model
        E.g. ``efficientnet_lite0(include_top=True, input_shape=(150, 150, 3))``.
    conv_base : keras.Model
        A base whose layer names all occur in ``classifier``, e.g. a fine-tuned
        ``efficientnet_lite0_base``.

    Returns
    -------
    list of str
        Names of the layers whose weights changed.
    """
    keras_model(classifier, "classifier")
    keras_model(conv_base, "conv_base")
    targets = {layer.name: layer for layer in classifier.layers}
    missing = [layer.name for layer in conv_base.layers if layer.weights and layer.name not in targets]
    if missing:
        raise ValueError(f"{classifier.name} has no layers named {missing[:3]}; is it the same network?")
    misfits = [
        layer.name
        for layer in conv_base.layers
        if layer.weights and [w.shape for w in layer.weights] != [w.shape for w in targets[layer.name].weights]
    ]
    if misfits:
        raise ValueError(
            f"layers {misfits[:3]} of {conv_base.name} have other weight shapes than the "
            f"same-named layers of {classifier.name}; is it the same network?"
        )
    changed = []
    for layer in conv_base.layers:
        if not layer.weights:
            continue
        new, old = layer.get_weights(), targets[layer.name].get_weights()
        if any(not np.array_equal(a, b) for a, b in zip(new, old, strict=True)):
            targets[layer.name].set_weights(new)
            changed.append(layer.name)
    return changed


# ---------------------------------------------------------------------------------------------
# Cached features


@dataclass
class Features:
    """Feature maps of the training and validation photos through a frozen conv base.

    Attributes
    ----------
    train, validation : ndarray of float16, shape (N, h, w, c)
        As stored in the cache: half the memory of float32 (256 MB instead of 512 MB for the
        4000 photos); ``np.float32(features.train)`` gives float32 with the same values.
    train_labels, validation_labels : ndarray of float32, shape (N,)
        0 = cat, 1 = dog.
    seconds : float
        Wall time of the extraction when it ran (also when loaded from the cache).
    loaded : bool
        True when read from the cache.
    path : Path
        The cached ``.npz`` file.
    """

    train: np.ndarray
    train_labels: np.ndarray
    validation: np.ndarray
    validation_labels: np.ndarray
    seconds: float
    loaded: bool
    path: Path

    @property
    def images(self) -> int:
        return len(self.train) + len(self.validation)


def cats_vs_dogs_features_path() -> Path:
    """Where :func:`cats_vs_dogs_features` keeps the features: a name keyed by what decides them.

    The key covers the photos (names and sizes), their size, the pretrained weights and the
    Keras version; the file need not exist yet.
    """
    from . import pretrained
    from .data import cats_vs_dogs_split

    split = cats_vs_dogs_split()
    key = fingerprint(
        "cats_vs_dogs_features",
        "predict_on_batch",
        fingerprint(*split["train"], *split["validation"]),
        list(IMAGE_SIZE),
        pretrained._PTH_SHA256,
        pretrained._WEIGHTS_FORMAT,
        keras.__version__,
    )[:16]
    return cache_folder("features") / f"efficientnet_lite0_cats_vs_dogs-{key}.npz"


def cats_vs_dogs_features() -> Features:
    """The 3000 + 1000 cats-vs-dogs photos (150×150) through EfficientNet-Lite0's frozen base.

    Computed once and stored in ``<LECTURE_CACHE_DIR>/features`` as an uncompressed ``.npz``
    (float16, half the size — ReLU6 outputs in [0, 6] lose at most 0.003 — and no pickle),
    keyed by the photos, the weights and the Keras version; later calls read the file.

    Returns
    -------
    Features
        ``train`` (3000, 5, 5, 1280) and ``validation`` (1000, 5, 5, 1280), float16.
    """
    from . import images, pretrained

    path = cats_vs_dogs_features_path()
    if path.is_file():
        try:
            return _read_features(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            # A truncated .npz is a truncated zip archive: BadZipFile, which is not an OSError.
            warnings.warn(
                f"Cached features {path.name} are damaged ({type(error).__name__}); "
                "deleting them and computing them again.",
                stacklevel=2,
            )
            path.unlink(missing_ok=True)

    data = images.load_cats_vs_dogs(IMAGE_SIZE)
    base = pretrained.efficientnet_lite0(include_top=False, input_shape=IMAGE_SIZE + (3,))
    arrays = {}
    start = time.perf_counter()
    for split in ("train", "validation"):
        photos = data[split][0]
        # Straight into the float16 arrays that are stored (256 MB for the 4000 photos, where
        # float32 batches, their concatenation and the float16 and float32 copies of both splits
        # added up to 1.4 GB at the peak, measured).
        arrays[split] = np.empty((len(photos),) + tuple(base.output_shape[1:]), dtype=np.float16)
        _predict_into(
            base,
            photos,
            arrays[split],
            32,
            pretrained.preprocess_input,
            f"EfficientNet-Lite0 features of the {split} photos",
        )
    seconds = time.perf_counter() - start
    arrays.update(
        train_labels=data["train"][1].astype(np.float32),
        validation_labels=data["validation"][1].astype(np.float32),
        seconds=np.float64(seconds),
    )
    atomic_write(path, functools.partial(np.savez, **arrays))
    del arrays  # the stored file, mapped, replaces the 256 MB in memory
    return dataclasses.replace(_read_features(path), loaded=False)


def _memory_mapped_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed ``.npz`` (``np.savez``), memory-mapped, read-only.

    ``np.load`` reads an ``.npz`` into memory; mapped, the 256 MB of feature maps are pages of
    the cached file, which the kernel can drop and read again, so they do not count against a
    memory limit the way copies in memory do.

    Raises
    ------
    ValueError
        If the file is compressed, not a zip archive of ``.npy`` files, or cut short.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as f:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise ValueError(f"{info.filename} in {path.name} is not a stored .npy array.")
            f.seek(info.header_offset)
            local = f.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError(f"{path.name} has no zip entry where {info.filename} should start.")
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            f.seek(info.header_offset + 30 + name_length + extra_length)
            version = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, fortran_order, dtype = read_header(f)
            if dtype.hasobject:
                raise ValueError(f"{info.filename} in {path.name} holds Python objects.")
            # np.memmap raises ValueError itself if the file is shorter than the array.
            arrays[info.filename.removesuffix(".npy")] = np.memmap(
                path, dtype=dtype, mode="r", offset=f.tell(), shape=shape, order="F" if fortran_order else "C"
            )
    return arrays


def _read_features(path: Path) -> Features:
    # The feature maps stay float16, as stored: 256 MB for the 4000 photos instead of 512 MB
    # as float32. Every float16 value is exactly a float32 value, so the Dense layers compute
    # the same numbers (a model converts float16 inputs to its float32 compute type by itself).
    arrays = _memory_mapped_npz(path)
    return Features(
        arrays["train"],
        arrays["train_labels"],
        arrays["validation"],
        arrays["validation_labels"],
        float(arrays["seconds"]),
        True,
        path,
    )
