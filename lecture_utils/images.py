"""The input pipeline for real photos: decode once, keep uint8, rescale per batch, augment.

The lecture's (Keras 2) data generator decoded, resized and rescaled every JPEG again in every
epoch.  Here the photos are decoded and resized once, in parallel with ``tf.data``, into a
uint8 array of shape (N, 150, 150, 3) — 67.5 kB per photo, 270 MB for the lecture's 4000 — and
only each batch is turned into float32 in [0, 1] on its way to the model.  Data augmentation
is the lecture's generator rebuilt from Keras preprocessing layers and applied in the
``tf.data`` pipeline, so that a trained model contains only its own layers.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import keras
import numpy as np
from keras import layers

from .checks import as_array, file_path, int_in_range, one_of, positive_int, real_in, sequence, size_2d
from .progress import progress_bar

__all__ = [
    "IMAGE_SIZE",
    "LECTURE_AUGMENTATION",
    "decode_images",
    "load_cats_vs_dogs",
    "make_dataset",
    "array_batches",
    "without_autotuning",
    "BATCHES_IN_FLIGHT",
    "augmentation_layers",
    "augment_examples",
    "augmentation_from_settings",
]

#: Height and width every photo is resized to, as in the lecture.
IMAGE_SIZE = (150, 150)

#: The lecture's data-generator settings, which :func:`augmentation_layers` rebuilds.
LECTURE_AUGMENTATION = {
    "rotation_range": 40,  # degrees
    "width_shift_range": 0.2,  # fraction of the width
    "height_shift_range": 0.2,  # fraction of the height
    "shear_range": 0.2,
    "zoom_range": 0.2,
    "horizontal_flip": True,
    "fill_mode": "nearest",
}


def decode_images(paths, size=IMAGE_SIZE, batch_size: int = 256) -> np.ndarray:
    """Decode image files and resize them to one size, in parallel, into a uint8 array.

    Parameters
    ----------
    paths : sequence of str or Path
        JPEG (or PNG, BMP, GIF) files.
    size : (height, width)
        Output size in pixels. Photos are resized with antialiased bilinear interpolation,
        without keeping the aspect ratio (as the lecture's generator did).
    batch_size : int
        Photos decoded per step; only affects speed and peak memory.

    Returns
    -------
    ndarray of uint8, shape (N, height, width, 3)
        RGB pixel values 0–255, in the order of ``paths``.

    Raises
    ------
    ValueError
        If ``paths`` is empty, or a file is missing or not a readable image.
    TypeError
        If ``paths`` is a single path rather than a list of them.
    """
    import tensorflow as tf

    height, width = size_2d(size)
    batch_size = positive_int(batch_size, "batch_size")
    if isinstance(paths, (str, Path)):
        # A folder given as one path would otherwise be read as a list of one-letter file names.
        raise TypeError(
            f"paths must be a list of image files, got the single path {str(paths)!r}; "
            "list a folder's photos with sorted(Path(folder).glob('*.jpg'))."
        )
    paths = [Path(file_path(p, "every path in paths")) for p in sequence(paths, "paths", of="image files")]
    if not paths:
        raise ValueError("decode_images needs at least one image file, got an empty list.")
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ValueError(
            f"{missing[0]} does not exist or is not a file ({len(missing)} of {len(paths)} paths are not image files)."
        )

    def resize(image):
        image = tf.image.resize(image, (height, width), antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops, nothing to convert
    def decode(path):
        return resize(tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False))

    # Without the autotuner (see without_autotuning), AUTOTUNE runs as many decodes at once as
    # tf.data has threads: one per core of this machine.
    dataset = without_autotuning(
        tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
    )
    out = np.empty((len(paths), height, width, 3), dtype=np.uint8)
    start = 0
    try:
        with progress_bar(len(paths), "decoding photos", unit="photo") as bar:
            for batch in dataset:
                out[start : start + len(batch)] = batch.numpy()
                start += len(batch)
                bar.update(len(batch))
    except tf.errors.InvalidArgumentError:
        # A file TensorFlow cannot decode (a CMYK JPEG, say): finish one file at a time, with
        # Pillow as the fallback decoder, and name the file that neither can read.
        from .data import read_rgb_image

        for i in range(start, len(paths)):
            try:
                out[i] = decode(str(paths[i])).numpy()
            except tf.errors.InvalidArgumentError:
                try:
                    out[i] = resize(read_rgb_image(paths[i])).numpy()
                except ValueError:
                    raise ValueError(f"{paths[i]} is not a readable image; delete or replace it.") from None
    return out


@lru_cache(maxsize=2)
def _load_split(size: tuple[int, int]):
    from .data import cats_vs_dogs_split

    split = cats_vs_dogs_split()
    result = {}
    for name, (paths, labels) in split.items():
        images = decode_images(paths, size)
        images.flags.writeable = False  # shared between callers through the cache
        labels = np.asarray(labels, dtype=np.int64)
        labels.flags.writeable = False
        result[name] = (images, labels)
    return result


def load_cats_vs_dogs(size=IMAGE_SIZE) -> dict:
    """The lecture's 3000 training and 1000 validation photos of cats and dogs, decoded.

    The split is :func:`lecture_utils.data.cats_vs_dogs_split`; the photos are decoded once per
    process and size (later calls return the same read-only arrays).

    Parameters
    ----------
    size : (height, width)

    Returns
    -------
    dict
        ``{"train": (images, labels), "validation": (images, labels)}`` with images a read-only
        uint8 array of shape (N, height, width, 3) and labels an int64 array of shape (N,),
        0 = cat, 1 = dog.
    """
    return _load_split(size_2d(size))


def _check_images(images, labels):
    """``images`` and ``labels`` as arrays (a list of photos is stacked), if they fit each other."""
    images = as_array(images, "images")
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must be an array of shape (N, height, width, 3), got shape {images.shape}.")
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (0–255) so they are rescaled once, got {images.dtype}.")
    labels = as_array(labels, "labels")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},) to match the images, got {labels.shape}.")
    if labels.dtype.kind not in "biuf" or (labels.dtype.kind == "f" and not np.isfinite(labels).all()):
        raise ValueError(f"labels must be finite numbers (0 = cat, 1 = dog), got dtype {labels.dtype}.")
    return images, labels


#: Batches a training pipeline prepares ahead of the model. Each batch is a gather and a
#: rescale (the model's own ops use every core), so two keep the model fed on any machine;
#: their memory is bounded: two validation batches of 100 photos are 54 MB in float32.
BATCHES_IN_FLIGHT = 2


def without_autotuning(dataset):
    """``dataset`` with tf.data's autotuning turned off.

    The autotuner runs in a thread of each iterator that sleeps between rounds for periods
    that double, from 10 ms up to a minute, and the iterator's destructor waits for it to wake
    (TensorFlow 2.21). Every epoch's end and every validation pass then stalled with all cores
    idle: 2.56 s per validation pass of the 1000 cats-vs-dogs photos, 10 s after a few passes,
    which made a training's speed depend on when its iterators happened to end.

    Parameters
    ----------
    dataset : tf.data.Dataset

    Returns
    -------
    tf.data.Dataset
        The same elements; options propagate to every dataset built on it.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def make_dataset(images, labels, batch_size: int = 32, shuffle: bool = False, augment=None, seed: int = 0):
    """A ``tf.data`` pipeline of (image batch, label batch) from uint8 images in memory.

    The images stay uint8 until a batch is drawn; each batch is then rescaled to float32 in
    [0, 1] and, if ``augment`` is given, randomly transformed. Only indices are shuffled, so no
    shuffle buffer duplicates the photos.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W, 3)
    labels : array_like of int, shape (N,)
    batch_size : int
        The last batch holds the remaining N mod batch_size images, if any.
    shuffle : bool
        Reshuffle the order every epoch (seeded, so the sequence of epochs is reproducible).
    augment : callable, optional
        Applied to each float batch in training mode, e.g. :func:`augmentation_layers`.
    seed : int
        Seed of the shuffling.

    Returns
    -------
    tf.data.Dataset
        Yields float32 images of shape (b, H, W, 3) in [0, 1] and float32 labels of shape (b,).

    Raises
    ------
    ValueError
        If the images are not a uint8 array of shape (N, H, W, 3), the labels do not match
        them, or ``batch_size`` is not positive.
    """
    import tensorflow as tf

    images, labels = _check_images(images, labels)
    seed = int_in_range(seed, "seed")
    if augment is not None and not callable(augment):
        # tf.data would only fail when it first maps a batch, from inside its graph.
        raise TypeError(f"augment must be callable (e.g. augmentation_layers()), got {type(augment).__name__}.")
    height, width = images.shape[1:3]

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops, nothing to convert
    def rescale(batch, batch_labels):
        batch = tf.ensure_shape(batch, (None, height, width, 3))
        return tf.cast(batch, tf.float32) / 255.0, batch_labels

    dataset = array_batches(images, labels.astype(np.float32), batch_size, shuffle=shuffle, seed=seed).map(
        rescale, num_parallel_calls=BATCHES_IN_FLIGHT
    )
    if augment is not None:
        # One call per batch at a time: the random layers draw from a shared seed state, and a
        # fixed call order keeps the augmentations the same from run to run.
        @tf.autograph.experimental.do_not_convert
        def augment_batch(batch, batch_labels):
            return augment(batch, training=True), batch_labels

        dataset = dataset.map(augment_batch, num_parallel_calls=1)
    return dataset.prefetch(BATCHES_IN_FLIGHT)


def array_batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False, seed: int = 0):
    """A ``tf.data`` pipeline of (x, y) batches gathered from NumPy arrays, never copying them.

    ``tf.data.Dataset.from_tensor_slices`` or ``model.fit`` on arrays copy the whole array into
    a tensor (and ``fit`` converts it to float32 first: 1.1 GB for the 3000 stored feature maps
    of the transfer-learning chapter); here each batch is taken from the arrays by index when it
    is drawn, so only batches are copied. Only the indices are shuffled.

    Parameters
    ----------
    x : ndarray, shape (N, ...)
    y : ndarray, shape (N,) or (N, ...)
    batch_size : int
        The last batch holds the remaining N mod batch_size examples, if any.
    shuffle : bool
        Reshuffle the order every epoch (seeded, so the sequence of epochs is reproducible).
    seed : int
        Seed of the shuffling.

    Returns
    -------
    tf.data.Dataset
        Yields (x batch, y batch) with the arrays' dtypes, shapes (b, ...) and (b, ...).
    """
    import tensorflow as tf

    x, y = as_array(x, "x"), as_array(y, "y")  # arrays pass as they are, uncopied
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"x and y must be arrays of examples (N, ...), got shapes {x.shape} and {y.shape}.")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
    seed = int_in_range(seed, "seed")
    batch_size = positive_int(batch_size, "batch_size")

    def take(batch_indices):
        return x[batch_indices], y[batch_indices]

    @tf.autograph.experimental.do_not_convert  # plain TensorFlow ops, nothing to convert
    def gather(batch_indices):
        batch_x, batch_y = tf.numpy_function(
            take, [batch_indices], (tf.as_dtype(x.dtype), tf.as_dtype(y.dtype)), stateful=False
        )
        return (tf.ensure_shape(batch_x, (None,) + x.shape[1:]), tf.ensure_shape(batch_y, (None,) + y.shape[1:]))

    indices = tf.data.Dataset.range(len(x))
    if shuffle:
        indices = indices.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return without_autotuning(indices.batch(batch_size).map(gather, num_parallel_calls=BATCHES_IN_FLIGHT))


# @save
def augmentation_layers(
    rotation_degrees=40, shift=0.2, shear=0.2, zoom=0.2, horizontal_flip=True, fill_mode="nearest", seed=0
):
    """The lecture's data-generator augmentation (its settings are the defaults) as Keras preprocessing layers.

    Rotate by up to ±``rotation_degrees``, shift by up to ±``shift`` of the width and height,
    shear by a factor of up to ±``shear`` along x, zoom in or out by up to ``zoom`` (height and
    width drawn independently), flip left–right half of the time, and fill the uncovered
    border as ``fill_mode`` says. Each layer has its own seed, derived from ``seed``.
    """
    seed = int_in_range(seed, "seed")
    for name, value in (("shift", shift), ("shear", shear), ("zoom", zoom)):
        real_in(value, name, "[0, 1)")
    real_in(rotation_degrees, "rotation_degrees", "[0, 180]")
    one_of(fill_mode, "fill_mode", ("nearest", "reflect", "wrap", "constant"))
    common = {"fill_mode": fill_mode, "dtype": "float32"}
    stack = [
        layers.RandomRotation(rotation_degrees / 360, seed=seed, name="rotation", **common),
        layers.RandomTranslation(shift, shift, seed=seed + 1, name="shift", **common),
        layers.RandomShear(x_factor=shear, y_factor=0.0, seed=seed + 2, name="shear", **common),
        layers.RandomZoom(zoom, zoom, seed=seed + 3, name="zoom", **common),
    ]
    if horizontal_flip:
        stack.append(layers.RandomFlip("horizontal", seed=seed + 4, name="flip", dtype="float32"))
    return keras.layers.Pipeline(stack, name="augmentation")


def augment_examples(image, augment, n: int = 8) -> np.ndarray:
    """``n`` random augmentations of one photo.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    augment : callable
        E.g. :func:`augmentation_layers`; called in training mode.
    n : int
        Number of augmented copies.

    Returns
    -------
    ndarray of float32, shape (n, H, W, 3)
        Pixel values in [0, 1].

    Raises
    ------
    ValueError
        If ``image`` is not one uint8 RGB image or ``n`` is not positive.
    """
    image = as_array(image, "image")
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"augment_examples takes one RGB image of shape (H, W, 3), got shape {image.shape}.")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 (0–255), got {image.dtype}.")
    n = positive_int(n, "n")
    if not callable(augment):
        raise TypeError(f"augment must be callable (e.g. augmentation_layers()), got {type(augment).__name__}.")
    batch = np.repeat(image[None].astype(np.float32) / 255.0, n, axis=0)
    out = np.asarray(augment(batch, training=True), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


def augmentation_from_settings(settings: dict | None, seed: int):
    """:func:`augmentation_layers` for generator-style settings, or None for None.

    Parameters
    ----------
    settings : dict or None
        Keys as in :data:`LECTURE_AUGMENTATION` (``rotation_range``, ``width_shift_range``, …).
    seed : int
    """
    from .augmentation import checked_settings

    if settings is None:
        return None
    a = checked_settings(settings)
    if a["height_shift_range"] != a["width_shift_range"]:
        # The five Keras layers take one shift for both directions (RandomAffine takes two).
        raise ValueError(
            "augmentation_from_settings shifts by one range in both directions: give "
            "height_shift_range equal to width_shift_range, or use augmentation.RandomAffine.from_settings."
        )
    return augmentation_layers(
        rotation_degrees=a["rotation_range"],
        shift=a["width_shift_range"],
        shear=a["shear_range"],
        zoom=a["zoom_range"],
        horizontal_flip=a["horizontal_flip"],
        fill_mode=a["fill_mode"],
        seed=seed,
    )
