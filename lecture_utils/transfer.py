"""Transfer learning with a pretrained convolutional base: the lecture's three ways.

The lecture re-uses VGG16's ImageNet-trained convolutional base on the 3000/1000 cats-vs-dogs
split.  Here the executed base is EfficientNet-Lite0 with its real ImageNet weights
(:mod:`lecture_utils.pretrained`), at the lecture's 150×150 input:

1. **fast feature extraction** — the frozen base runs *once* over the 4000 photos
   (:func:`cats_vs_dogs_features`, cached as a ``.npz`` file), and a small dense network with
   dropout is trained on the stored 5×5×1280 feature maps (:func:`feature_extraction_run`);
2. **the frozen base inside an end-to-end model**, trained on augmented photos, so every
   epoch runs every photo through the base again (:func:`frozen_base_run`);
3. **fine-tuning** — that trained model with its top blocks unfrozen, trained further with a
   smaller learning rate (:func:`fine_tuning_run`).

Inference mode
--------------
The Keras guide keeps a base in inference mode by calling it with ``training=False``.  In
Keras 3 that argument does not survive ``fit()``: a functional model passes its own
``training=True`` to every layer in its graph, overriding the value given when the graph was
built (keras-team/keras#20285).  :class:`InferenceMode` calls the base with
``training=False`` from inside its own ``call``, where nothing overrides it, so the base's
batch-normalisation layers keep their ImageNet statistics and its stochastic-depth dropout
stays off — in all three ways, also after some of its layers are unfrozen.

Every training goes through :func:`lecture_utils.training.train_or_load`, so the first run
trains and caches the models and later runs load them.
"""

from __future__ import annotations

import dataclasses
import os
import struct
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from ._checks import batch_fits_model, keras_model, positive_int
from .images import IMAGE_SIZE, LECTURE_AUGMENTATION
from .precision import Precision

__all__ = [
    "SEED",
    "VGG16_FEATURE_SHAPE",
    "VGG16_PARAMETERS",
    "VGG16_UNFREEZE_FROM",
    "UNFREEZE_FROM",
    "FEATURE_EXTRACTION",
    "FROZEN_BASE",
    "FINE_TUNING",
    "InferenceMode",
    "unit_to_efficientnet",
    "extract_features",
    "Features",
    "cats_vs_dogs_features",
    "feature_classifier",
    "frozen_base_classifier",
    "unfreeze_from",
    "concatenate_histories",
    "transplant_base",
    "PRECISION",
    "feature_extraction_build",
    "feature_extraction_run",
    "frozen_base_build",
    "fine_tuning_build",
    "frozen_base_run",
    "fine_tuning_run",
]

#: Seed of the weights, of the shuffling and of the augmentations.
SEED = 42

#: The lecture's VGG16 conv base at 150×150: last feature map, parameters, unfreezing point.
VGG16_FEATURE_SHAPE = (4, 4, 512)
VGG16_PARAMETERS = 14_714_688
VGG16_UNFREEZE_FROM = "block5_conv1"

#: First block of EfficientNet-Lite0 trained during fine-tuning.  Like ``block5_conv1`` in
#: VGG16, it starts the last stage of the base, the one at 1/32 of the input resolution
#: (block6a has the stride-2 depthwise convolution that takes 10×10 to 5×5 at 150×150).
UNFREEZE_FROM = "block6a"

_COMMON = {
    "optimizer": "RMSprop",
    "loss": "binary_crossentropy",
    "batch_size": 20,  # the lecture's
    # A validation batch of 100 photos through EfficientNet-Lite0 holds about 0.4 GB more
    # activations than one of 32 (216 MB for one 75×75×96 tensor); 2 GB must hold it all.
    "validation_batch_size": 32,
    "image_size": list(IMAGE_SIZE),
    "base": "efficientnet_lite0 imagenet, top_activation",
    "dense": 256,
    "precision": "float32",  # on every machine: see PRECISION
}

#: Why these trainings run in float32 even where the CPU computes bfloat16 natively.
PRECISION = Precision("float32", "chosen on every CPU, since mixed_bfloat16 did not speed up "
                                 "EfficientNet-Lite0 even where the CPU computes bfloat16 natively "
                                 "(11.5 against 10.8 ms per photo: its depthwise convolutions gain nothing)")

#: Way 1: Dense(256) + Dropout(0.5) on the stored features, as the lecture (RMSprop 2e-5).
FEATURE_EXTRACTION = {**_COMMON, "learning_rate": 2e-5, "epochs": 10, "dropout": 0.5,
                      "augmentation": None}

#: Way 2: the frozen base + Flatten + Dense(256) + Dense(1), on augmented photos.
FROZEN_BASE = {**_COMMON, "learning_rate": 2e-5, "epochs": 5, "dropout": None,
               "augmentation": dict(LECTURE_AUGMENTATION)}

#: Way 3: way 2's trained model with the base unfrozen from :data:`UNFREEZE_FROM` on.  Its
#: input pipeline has its own seed, so that it does not replay way 2's augmented photos.
FINE_TUNING = {**FROZEN_BASE, "learning_rate": 1e-5, "epochs": 5, "unfreeze_from": UNFREEZE_FROM,
               "data_seed": SEED + 1}


# ---------------------------------------------------------------------------------------------
# Building blocks


@keras.saving.register_keras_serializable(package="lecture_utils")
class InferenceMode(keras.layers.Layer):
    """Wraps a model so that it always runs in inference mode, also inside ``fit()``.

    Batch normalisation then normalises with its stored (ImageNet) statistics and never
    updates them, and dropout is off — whether or not the wrapped layers are trainable.
    Trainable layers of the wrapped model are still trained by the outer model's optimizer.

    Parameters
    ----------
    model : keras.Model
        E.g. a pretrained convolutional base; available as ``.model``.
    """

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise ValueError(f"InferenceMode wraps a keras.Model, got {type(model).__name__}.")
        self.model = model

    def call(self, inputs):
        return self.model(inputs, training=False)

    def compute_output_shape(self, input_shape):
        return self.model.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "model": keras.saving.serialize_keras_object(self.model)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        model = keras.saving.deserialize_keras_object(config.pop("model"))
        return cls(model, **config)


def unit_to_efficientnet(name: str = "efficientnet_preprocessing"):
    """A layer mapping images in [0, 1] to EfficientNet-Lite0's input scale.

    :func:`lecture_utils.images.make_dataset` divides pixels by 255; the pretrained weights
    expect ``(x - 127) / 128`` of 0–255 values (:func:`lecture_utils.pretrained.preprocess_input`).
    With ``u = x / 255`` that is ``u * 255/128 - 127/128``, a ``Rescaling`` layer.

    Returns
    -------
    keras.layers.Rescaling
        Maps (N, H, W, 3) in [0, 1] to (N, H, W, 3) in [-0.99, 1.0].
    """
    return keras.layers.Rescaling(255 / 128, offset=-127 / 128, name=name)


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
        raise ValueError(f"images must be a non-empty uint8 array of shape (N, H, W, 3), got "
                         f"{images.dtype} {images.shape}.")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    # Photos of another size than a fixed-size base takes fail inside predict_on_batch otherwise.
    batch_fits_model(images, conv_base)
    out = np.empty((len(images),) + tuple(conv_base.output_shape[1:]), dtype=np.float32)
    _predict_into(conv_base, images, out, batch_size, preprocess)
    return out


def _predict_into(conv_base, images, out: np.ndarray, batch_size: int, preprocess) -> None:
    """Write the base's output for ``images`` batch by batch into ``out`` (any float dtype).

    Writing into one preallocated array, rather than collecting the batches and concatenating
    them, keeps a single copy of the features in memory: for the 4000 photos at 150×150 a list
    of batches plus its concatenation held 2 × 512 MB at once.
    """
    for i in range(0, len(images), batch_size):
        out[i:i + batch_size] = np.asarray(conv_base.predict_on_batch(preprocess(images[i:i + batch_size])))


def feature_classifier(feature_shape, units: int = 256, dropout: float | None = 0.5):
    """The lecture's dense network on stored features: Flatten → Dense(ReLU) → Dropout → Dense(1).

    Parameters
    ----------
    feature_shape : tuple of int
        Shape of one feature map, e.g. (5, 5, 1280) (the lecture: (4, 4, 512)).
    units : int
        Width of the hidden Dense layer.
    dropout : float or None
        Rate of the Dropout layer before the output; None for none.

    Returns
    -------
    keras.Sequential
        Input (N,) + feature_shape, output (N, 1) sigmoid probabilities of "dog"; uncompiled.
    """
    if len(feature_shape) < 1 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in feature_shape):
        raise ValueError(f"feature_shape must be positive integers, e.g. (5, 5, 1280), "
                         f"got {feature_shape!r}.")
    units = positive_int(units, "units")
    if dropout is not None and not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"dropout must be a rate in [0, 1) or None, got {dropout!r}.")
    stack = [keras.Input(tuple(feature_shape)), keras.layers.Flatten(name="flatten"),
             keras.layers.Dense(units, activation="relu", name="dense")]
    if dropout:
        stack.append(keras.layers.Dropout(dropout, name="dropout"))
    stack.append(keras.layers.Dense(1, activation="sigmoid", name="output"))
    return keras.Sequential(stack, name="feature_classifier")


def frozen_base_classifier(conv_base, units: int = 256, dropout: float | None = None,
                           preprocessing=None):
    """A frozen convolutional base with the lecture's dense classifier on top.

    Input photos in [0, 1] (what :func:`lecture_utils.images.make_dataset` yields) →
    ``preprocessing`` → ``InferenceMode(conv_base)`` → Flatten → Dense(ReLU) → (Dropout) →
    Dense(1, sigmoid).  The base is frozen (``trainable = False``).

    Parameters
    ----------
    conv_base : keras.Model
        With a fixed input shape (H, W, 3).
    units : int
    dropout : float or None
    preprocessing : keras layer, optional
        Maps photos in [0, 1] to what ``conv_base`` expects; default
        :func:`unit_to_efficientnet` (EfficientNet-Lite0's ``preprocess_input``).

    Returns
    -------
    keras.Model
        Input (N, H, W, 3), output (N, 1); uncompiled.  The wrapped base is
        ``model.get_layer("conv_base").model``.
    """
    if not isinstance(conv_base, keras.Model) or None in conv_base.input_shape[1:]:
        raise ValueError("conv_base must be a keras.Model with a fixed input shape (H, W, 3).")
    conv_base.trainable = False
    inputs = keras.Input(conv_base.input_shape[1:], name="photo")
    x = (preprocessing if preprocessing is not None else unit_to_efficientnet())(inputs)
    x = InferenceMode(conv_base, name="conv_base")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(units, activation="relu", name="dense")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(inputs, outputs, name="frozen_base_classifier")


def unfreeze_from(conv_base, first: str) -> list[str]:
    """Make the layers of ``conv_base`` from the first one named ``first…`` on trainable.

    The lecture's loop for VGG16 (``if layer.name == 'block5_conv1': set_trainable = True``),
    for any base: layers before it are frozen, it and all layers after it are trainable.

    Parameters
    ----------
    conv_base : keras.Model
    first : str
        A layer name or name prefix, e.g. ``"block5_conv1"`` or ``"block6a"``.

    Returns
    -------
    list of str
        Names of the layers that have weights and are now trainable.
    """
    keras_model(conv_base, "conv_base")
    if not isinstance(first, str) or not first:
        # An empty prefix would match the very first layer and unfreeze the whole base.
        raise ValueError(f"first must be a non-empty layer name or prefix, e.g. 'block6a', got {first!r}.")
    names = [layer.name for layer in conv_base.layers]
    start = next((i for i, name in enumerate(names) if name == first or name.startswith(first)), None)
    if start is None:
        raise ValueError(f"no layer of {conv_base.name} is named {first!r} or starts with it.")
    conv_base.trainable = True
    # Each layer is set both ways: a layer frozen on its own earlier (by the lecture's loop, say)
    # is not unfrozen by its model's trainable = True.
    for i, layer in enumerate(conv_base.layers):
        layer.trainable = i >= start
    return [layer.name for layer in conv_base.layers[start:] if layer.weights]


def concatenate_histories(*histories: dict) -> dict:
    """Histories of consecutive trainings, joined epoch after epoch.

    Parameters
    ----------
    *histories : dict of str to list of float
        With the same keys, e.g. ``frozen.history`` and ``fine_tuned.history``.

    Returns
    -------
    dict of str to list of float
    """
    if not all(isinstance(h, dict) for h in histories):
        kinds = sorted({type(h).__name__ for h in histories if not isinstance(h, dict)})
        raise TypeError(f"concatenate_histories takes history dicts (run.history or History.history), "
                        f"got {', '.join(kinds)}.")
    if not histories or any(set(h) != set(histories[0]) for h in histories):
        raise ValueError("concatenate_histories needs one or more histories with the same metrics.")
    return {key: [float(v) for h in histories for v in h[key]] for key in histories[0]}


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
    misfits = [layer.name for layer in conv_base.layers if layer.weights
               and [w.shape for w in layer.weights] != [w.shape for w in targets[layer.name].weights]]
    if misfits:
        raise ValueError(f"layers {misfits[:3]} of {conv_base.name} have other weight shapes than the "
                         f"same-named layers of {classifier.name}; is it the same network?")
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


def _split_fingerprint() -> tuple[str, int]:
    """Fingerprint of the photos (names and sizes) and the number of training photos."""
    from .data import cats_vs_dogs_split
    from .training import fingerprint

    split = cats_vs_dogs_split()
    return fingerprint(*split["train"], *split["validation"]), len(split["train"][0])


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
    from .data import cache_dir
    from .training import fingerprint

    key = fingerprint("cats_vs_dogs_features", "predict_on_batch", _split_fingerprint()[0],
                      list(IMAGE_SIZE), pretrained._PTH_SHA256, pretrained._WEIGHTS_FORMAT,
                      keras.__version__)[:16]
    folder = cache_dir() / "features"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"efficientnet_lite0_cats_vs_dogs-{key}.npz"
    if path.is_file():
        try:
            return _read_features(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            # A truncated .npz is a truncated zip archive: BadZipFile, which is not an OSError.
            warnings.warn(f"Cached features {path.name} are damaged ({type(error).__name__}); "
                          "deleting them and computing them again.", stacklevel=2)
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
        _predict_into(base, photos, arrays[split], 32, pretrained.preprocess_input)
    seconds = time.perf_counter() - start
    arrays.update(train_labels=data["train"][1].astype(np.float32),
                  validation_labels=data["validation"][1].astype(np.float32),
                  seconds=np.float64(seconds))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=".npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; a cache is ordinary data
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
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
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(f)
            if dtype.hasobject:
                raise ValueError(f"{info.filename} in {path.name} holds Python objects.")
            # np.memmap raises ValueError itself if the file is shorter than the array.
            arrays[info.filename.removesuffix(".npy")] = np.memmap(
                path, dtype=dtype, mode="r", offset=f.tell(), shape=shape,
                order="F" if fortran_order else "C")
    return arrays


def _read_features(path: Path) -> Features:
    # The feature maps stay float16, as stored: 256 MB for the 4000 photos instead of 512 MB
    # as float32. Every float16 value is exactly a float32 value, so the Dense layers compute
    # the same numbers (a model converts float16 inputs to its float32 compute type by itself).
    arrays = _memory_mapped_npz(path)
    return Features(arrays["train"], arrays["train_labels"], arrays["validation"],
                    arrays["validation_labels"], float(arrays["seconds"]), True, path)


# ---------------------------------------------------------------------------------------------
# The three trainings


def _compile(model, hp: dict) -> None:
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=hp["learning_rate"]),
                  loss=hp["loss"], metrics=["accuracy"])


def feature_extraction_build(feature_shape, hyperparameters: dict = FEATURE_EXTRACTION):
    """The build function of way 1: the dense classifier for ``feature_shape`` features, compiled."""
    hp = hyperparameters

    def build():
        model = feature_classifier(feature_shape, units=hp["dense"], dropout=hp["dropout"])
        _compile(model, hp)
        return model

    return build


def feature_extraction_run(features: Features | None = None, hyperparameters: dict = FEATURE_EXTRACTION):
    """Way 1: the lecture's dense network with dropout, trained on the stored features.

    Parameters
    ----------
    features : Features, optional
        :func:`cats_vs_dogs_features` (computed or loaded if not given).
    hyperparameters : dict
        :data:`FEATURE_EXTRACTION`.

    Returns
    -------
    lecture_utils.training.TrainingRun
        ``.history`` has ``accuracy``, ``loss``, ``val_accuracy``, ``val_loss`` per epoch.
    """
    from .training import fingerprint, train_or_load

    hp = hyperparameters
    features = features if features is not None else cats_vs_dogs_features()
    build = feature_extraction_build(features.train.shape[1:], hp)

    def fit(model):
        from .images import array_batches

        # Batches are drawn from the stored float16 arrays as they are needed; the model casts
        # each to float32 (every float16 value is a float32 value, so the numbers are the same).
        # Arrays handed to fit() would be copied whole, as float32: 1.1 GB more at the peak.
        train = array_batches(features.train, features.train_labels, hp["batch_size"],
                              shuffle=True, seed=SEED)
        validation = array_batches(features.validation, features.validation_labels,
                                   hp["validation_batch_size"])
        return model.fit(train, epochs=hp["epochs"], validation_data=validation, shuffle=False,
                         verbose=0)

    return train_or_load("cats_vs_dogs_feature_extraction", build, fit,
                         data_fingerprint=fingerprint(features.path.name), hyperparameters=hp,
                         seed=SEED, dtype_policy=hp["precision"],
                         examples_per_epoch=len(features.train))


def _fit_on_photos(model, hp: dict):
    from . import images

    return images.fit_on_photos(model, hp, hp.get("data_seed", SEED))


def frozen_base_build(hyperparameters: dict = FROZEN_BASE):
    """The build function of way 2: the frozen pretrained base + dense classifier, compiled."""
    from . import pretrained

    hp = hyperparameters

    def build():
        base = pretrained.efficientnet_lite0(include_top=False, input_shape=tuple(hp["image_size"]) + (3,))
        model = frozen_base_classifier(base, units=hp["dense"], dropout=hp["dropout"])
        _compile(model, hp)
        return model

    return build


def fine_tuning_build(start_from, hyperparameters: dict = FINE_TUNING):
    """The build function of way 3: the model saved at ``start_from``, unfrozen, compiled.

    Parameters
    ----------
    start_from : path-like or keras.Model
        Way 2's trained model (its ``.keras`` file, or the model itself).
    """
    hp = hyperparameters

    def build():
        model = (start_from if isinstance(start_from, keras.Model)
                 else keras.models.load_model(start_from))
        unfreeze_from(model.get_layer("conv_base").model, hp["unfreeze_from"])
        _compile(model, hp)
        return model

    return build


def frozen_base_run(hyperparameters: dict = FROZEN_BASE):
    """Way 2: the frozen EfficientNet-Lite0 base + dense classifier, on augmented photos.

    Returns
    -------
    lecture_utils.training.TrainingRun
        ``.model`` is :func:`frozen_base_classifier`'s model, trained.
    """
    from .training import train_or_load

    hp = hyperparameters
    photos, n_train = _split_fingerprint()
    return train_or_load("cats_vs_dogs_frozen_base", frozen_base_build(hp),
                         lambda m: _fit_on_photos(m, hp),
                         data_fingerprint=photos, hyperparameters=hp, seed=SEED,
                         dtype_policy=hp["precision"], examples_per_epoch=n_train)


def fine_tuning_run(frozen=None, hyperparameters: dict = FINE_TUNING):
    """Way 3: way 2's trained model, unfrozen from :data:`UNFREEZE_FROM` on, trained further.

    The base stays in inference mode (:class:`InferenceMode`): batch normalisation keeps its
    ImageNet statistics while the unfrozen convolutions and batch-norm scales adapt.

    Parameters
    ----------
    frozen : TrainingRun, optional
        :func:`frozen_base_run` (trained or loaded if not given); its saved model is the
        starting point.
    hyperparameters : dict
        :data:`FINE_TUNING`.

    Returns
    -------
    lecture_utils.training.TrainingRun
    """
    from .training import train_or_load

    hp = hyperparameters
    frozen = frozen if frozen is not None else frozen_base_run()
    start_from = frozen.path  # its name holds the key of the frozen run
    photos, n_train = _split_fingerprint()
    return train_or_load("cats_vs_dogs_fine_tuning", fine_tuning_build(start_from, hp),
                         lambda m: _fit_on_photos(m, hp),
                         data_fingerprint=photos,
                         hyperparameters={**hp, "start_from": start_from.name}, seed=SEED,
                         dtype_policy=hp["precision"], examples_per_epoch=n_train)
