"""The book's trainings, each one complete specification, trained once and then loaded.

A :class:`Training` says everything that decides a trained model: the network, the data, the
optimizer and its learning-rate schedule, the epochs, the batch sizes, the precision, the
augmentation and the seed.  Every field is used, and the cache key is derived from all of
them, so a lecturer who changes one (``dataclasses.replace(MNIST_CONVNET, epochs=3)``) gets
a model trained that way, under its own key, and the chapters print what was trained.

:func:`train_or_load` is the lecture's tip ("save the trained model and its history to disk so
that you can reload it later"), automated: the first call trains and stores the model as a
``.keras`` file with its history as JSON (never pickle) in the cache
(:mod:`lecture_utils.cache`); every later call, from any chapter, loads it in seconds.  A
damaged entry is detected, deleted and trained again.

Precision: the ConvNets train in :data:`PRECISION`, the policy
:func:`lecture_utils.precision.training_precision` picks for the machine (``mixed_bfloat16``
where the CPU computes bfloat16 natively, float32 everywhere else); their output layer always
computes in float32, as Keras' mixed-precision guide advises.  The transfer-learning trainings
run in float32 on every CPU (:data:`TRANSFER_PRECISION`).  Whatever the precision of the
training, :func:`train_or_load` returns a model that computes in float32 with the trained
weights, so that later chapters compute activations and gradients at full precision.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from . import models
from .augmentation import checked_settings
from .cache import atomic_write, cache_folder, fingerprint
from .checks import int_in_range, one_of, positive_int, real_in
from .images import IMAGE_SIZE, LECTURE_AUGMENTATION
from .precision import POLICIES, Precision, training_precision

__all__ = [
    "SEED",
    "PRECISION",
    "TRANSFER_PRECISION",
    "Training",
    "TrainingRun",
    "MNIST_CONVNET",
    "MNIST_GAP_CONVNET",
    "MNIST_DENSE_NET",
    "MNIST_SMALL_RESNET",
    "LECTURE_CATS_VS_DOGS",
    "FROM_SCRATCH",
    "AUGMENTED",
    "FEATURE_EXTRACTION",
    "FROZEN_BASE",
    "FINE_TUNING",
    "BOOK_TRAININGS",
    "train_or_load",
    "cache_key",
    "CacheEntry",
    "cache_entries",
    "compiled_network",
    "training_data",
    "mnist_digits",
    "float32_copy",
    "smooth_curve",
]

#: Seed of the weights, of the shuffling and of the augmentations.
SEED = 42

#: The dtype policy of the ConvNet trainings on this machine, and why.
PRECISION = training_precision()

#: The precision of the transfer-learning trainings, on every machine, and why.
TRANSFER_PRECISION = Precision(
    "float32",
    "chosen on every CPU, since mixed_bfloat16 did not speed up "
    "EfficientNet-Lite0 even where the CPU computes bfloat16 natively "
    "(benchmarks/results.md: its depthwise convolutions gain nothing)",
)

#: The learning-rate schedules a training may name.
SCHEDULES = (None, "cosine decay to 0")

# Classes of keras.optimizers that are no optimizer of their own: the base class, and wrappers
# that take other optimizers.
_NOT_OPTIMIZERS = ("Optimizer", "LossScaleOptimizer", "MultiOptimizer")


def _optimizer_names() -> list[str]:
    """The classes of ``keras.optimizers`` a training can name, e.g. ``"RMSprop"``."""
    import keras

    return sorted(
        name
        for name in dir(keras.optimizers)
        if isinstance(cls := getattr(keras.optimizers, name), type)
        and issubclass(cls, keras.optimizers.Optimizer)
        and name not in _NOT_OPTIMIZERS
    )


def _is_keras_loss(loss) -> bool:
    import keras

    if not isinstance(loss, str):
        return False
    if loss.lower() in ("crossentropy", "ce"):  # compile() picks the crossentropy from the labels
        return True
    try:
        keras.losses.get(loss)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Training:
    """Everything that decides one trained model.

    Attributes
    ----------
    name : str
        File-name-safe; names the cache entry.
    network : str
        A key of :data:`NETWORKS`: the builder in :mod:`lecture_utils.models`.
    data : str
        A key of :data:`DATA`: ``"mnist"`` (validated on the 10,000 test digits),
        ``"cats_vs_dogs_photos"`` (3000 training and 1000 validation photos, 150×150) or
        ``"cats_vs_dogs_features"`` (those photos through EfficientNet-Lite0's frozen base).
    epochs, batch_size : int
        One epoch is one pass over the training examples.
    optimizer : str
        A class of ``keras.optimizers``, e.g. ``"RMSprop"`` or ``"Adam"``.
    learning_rate : float or None
        The initial rate; None for the optimizer's default (then no schedule).
    schedule : {None, "cosine decay to 0"}
        None keeps the rate constant; the cosine decays it to zero along a half cosine over
        all the training's steps.
    loss : str
        A Keras loss name.
    validation_batch_size : int or None
        Examples per validation batch; None for ``batch_size``.  It changes the speed and the
        peak memory, not the result.
    train_images : int or None
        Train on the first ``train_images`` examples only; None for all.
    precision : {"float32", "mixed_bfloat16"}
        Keras dtype policy of the network while it trains.
    augmentation : dict or None
        Generator-style settings (:data:`lecture_utils.images.LECTURE_AUGMENTATION`), applied
        to the training photos in the input pipeline; photos only.
    dropout : float or None
        Rate of the network's Dropout layer, for the networks that have one.
    dense_units : int or None
        Width of the hidden Dense layer, for the classifiers on a pretrained base.
    unfreeze_from : str or None
        With ``start_from``: the first layer of the pretrained base that is trained.
    start_from : Training or None
        Continue from this training's trained model instead of a new network (fine-tuning).
    seed : int
        Seed of the initial weights, the shuffling, the dropout and the augmentations.
    """

    name: str
    network: str
    data: str
    epochs: int
    batch_size: int
    optimizer: str = "RMSprop"
    learning_rate: float | None = None
    schedule: str | None = None
    loss: str = "binary_crossentropy"
    validation_batch_size: int | None = None
    train_images: int | None = None
    precision: str = "float32"
    augmentation: dict | None = None
    dropout: float | None = None
    dense_units: int | None = None
    unfreeze_from: str | None = None
    start_from: Training | None = None
    seed: int = SEED

    def __post_init__(self):
        if (
            not isinstance(self.name, str)
            or not self.name
            or any(c in self.name for c in "/\\:")
            or self.name.startswith(".")
        ):
            raise ValueError(
                f"name must be a non-empty file-name-safe string such as 'mnist_convnet', got {self.name!r}."
            )
        if self.network not in NETWORKS:
            raise ValueError(f"network must be one of {sorted(NETWORKS)}, got {self.network!r}.")
        if self.data not in DATA:
            raise ValueError(f"data must be one of {sorted(DATA)}, got {self.data!r}.")
        if NETWORKS[self.network].data != self.data:
            raise ValueError(f"network {self.network!r} takes data={NETWORKS[self.network].data!r}, not {self.data!r}.")
        for name in ("epochs", "batch_size"):
            positive_int(getattr(self, name), name)
        for name in ("validation_batch_size", "train_images", "dense_units"):
            if getattr(self, name) is not None:
                positive_int(getattr(self, name), name)
        # Checked here, so that a slip fails when the training is written down, not after the
        # network was built, or after the training ran, as the optimizer or the loss first meets it.
        one_of(self.optimizer, "optimizer", _optimizer_names())
        if self.learning_rate is not None:
            real_in(self.learning_rate, "learning_rate", "(0, inf)")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")
        if self.schedule is not None and self.learning_rate is None:
            raise ValueError("a schedule needs a learning_rate to start from.")
        if not _is_keras_loss(self.loss):
            raise ValueError(
                "loss must be the name of a Keras loss, such as 'binary_crossentropy' or "
                f"'sparse_categorical_crossentropy', got {self.loss!r}."
            )
        if self.precision not in POLICIES:
            raise ValueError(f"precision must be one of {POLICIES}, got {self.precision!r}.")
        if self.augmentation is not None:
            if self.data != "cats_vs_dogs_photos":
                raise ValueError("augmentation applies to photos: use it with data='cats_vs_dogs_photos'.")
            # The check of RandomAffine.from_settings, which turns the settings into the layer.
            checked_settings(self.augmentation, "augmentation")
        if self.dropout is not None:
            real_in(self.dropout, "dropout", "[0, 1)")
        int_in_range(self.seed, "seed", 0, 2**32 - 1)
        if self.start_from is not None and not isinstance(self.start_from, Training):
            raise TypeError(
                f"start_from must be a Training, such as trainings.FROZEN_BASE, got {type(self.start_from).__name__}."
            )
        unused = [
            name for name in _OPTIONS if getattr(self, name) is not None and name not in NETWORKS[self.network].options
        ]
        if unused:
            raise ValueError(
                f"network {self.network!r} does not use {', '.join(unused)}: set "
                f"{'it' if len(unused) == 1 else 'them'} to None."
            )
        if (self.unfreeze_from is None) != (self.start_from is None):
            raise ValueError(
                "unfreeze_from and start_from go together: fine-tuning continues "
                "start_from's trained model with its base unfrozen from unfreeze_from."
            )
        if self.start_from is not None and self.start_from.network != self.network:
            raise ValueError(f"start_from trains {self.start_from.network!r}, not {self.network!r}.")

    def settings(self) -> dict:
        """The fields as a JSON-able dict; ``start_from`` by its name."""
        settings = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if self.start_from is not None:
            settings["start_from"] = self.start_from.name
        return settings

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(training_size(self) / self.batch_size)


@dataclass
class TrainingRun:
    """A trained model with its history, as returned by :func:`train_or_load`.

    Attributes
    ----------
    training : Training
    model : keras.Model
        Computes in float32, with the trained weights.
    history : dict of str to list of float
        ``History.history``: one value per epoch for each metric.
    seconds : float
        Wall time of the training when it ran (also when loaded from the cache).
    loaded : bool
        True when the model came from the cache rather than being trained now.
    path : Path
        The ``.keras`` file: in the cache, or in the temporary folder a warning named when the
        cache could not store it.
    meta : dict
        What was recorded with the model: ``settings``, ``keras``, ``trained_at``,
        ``examples_per_epoch``, ``cores_busy`` (absent in models trained before it was kept).
    origin : {"trained", "cache", "class folder", "store"}
        Trained now, or loaded from the user's cache, the class folder or the model store.
    source : str
        The folder or address it was loaded from.
    """

    training: Training
    model: object
    history: dict
    seconds: float
    loaded: bool
    path: Path
    meta: dict = dataclasses.field(default_factory=dict)
    origin: str = "trained"
    source: str = "this machine"

    @property
    def provenance(self) -> str:
        """Where the model came from, when and in what precision it was trained: one sentence."""
        trained = (
            f"trained {self.meta.get('trained_at', 'at an unknown time')} in "
            f"{self.meta.get('settings', {}).get('precision', 'an unknown precision')}"
        )
        where = {
            "trained": "Trained here just now",
            "cache": "Loaded from this machine's cache",
            "class folder": f"Loaded from the class folder {self.source}",
            "store": f"Downloaded from the model store {self.source}",
        }[self.origin]
        return f"{where} ({trained}, {self.seconds / 60:.1f} minutes)."

    @property
    def epochs(self) -> int:
        return len(next(iter(self.history.values()), []))

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(self.epochs, 1)


# ---------------------------------------------------------------------------------------------
# Networks and data, by name


@dataclass(frozen=True)
class _Network:
    builder: str  # the function of lecture_utils.models that builds it
    arguments: callable  # (training) -> the builder's keyword arguments
    data: str  # the data it takes
    options: tuple = ()  # the optional fields of Training that this network uses


def _efficientnet_lite0_base(weights: str | None):
    from . import pretrained

    return pretrained.efficientnet_lite0(include_top=False, input_shape=IMAGE_SIZE + (3,), weights=weights)


def _on_features(training):
    # The shape of the stored features, from the base's architecture (no weights needed).
    shape = _efficientnet_lite0_base(None).output_shape[1:]
    return {"feature_shape": shape, "units": training.dense_units, "dropout": training.dropout}


def _on_frozen_base(training):
    return {
        "conv_base": _efficientnet_lite0_base("imagenet"),
        "units": training.dense_units,
        "dropout": training.dropout,
    }


_OPTIONS = ("dropout", "dense_units", "unfreeze_from", "start_from")

#: The networks a training can name, and the optional fields each one uses.
NETWORKS = {
    "mnist_convnet": _Network("mnist_convnet", lambda t: {}, "mnist"),
    "mnist_gap_convnet": _Network("mnist_gap_convnet", lambda t: {}, "mnist"),
    "mnist_dense_net": _Network("mnist_dense_net", lambda t: {"input_shape": (28, 28, 1)}, "mnist"),
    "small_resnet": _Network("small_resnet", lambda t: {}, "mnist"),
    "cats_vs_dogs_convnet": _Network(
        "cats_vs_dogs_convnet",
        lambda t: {"input_shape": IMAGE_SIZE + (3,), "dropout": t.dropout},
        "cats_vs_dogs_photos",
        ("dropout",),
    ),
    "dense_on_features": _Network(
        "feature_classifier", _on_features, "cats_vs_dogs_features", ("dense_units", "dropout")
    ),
    "frozen_efficientnet_lite0": _Network(
        "frozen_base_classifier",
        _on_frozen_base,
        "cats_vs_dogs_photos",
        ("dense_units", "dropout", "unfreeze_from", "start_from"),
    ),
}


@functools.lru_cache(maxsize=1)
def mnist_digits():
    """MNIST as the networks take it: ``((x_train, y_train), (x_test, y_test))``, read-only.

    ``x`` is float32 in [0, 1] of shape (n, 28, 28, 1), ``y`` the digits 0–9.  One copy per
    process (220 MB), shared by every MNIST training and the chapter: each training's input
    pipeline keeps a reference to its arrays, and a copy per training took chapter 3's kernel
    past 2 GB.
    """
    from .data import load_mnist

    (train_images, train_labels), (test_images, test_labels) = load_mnist()
    arrays = (
        (train_images[..., None] / 255.0).astype("float32"),
        train_labels,
        (test_images[..., None] / 255.0).astype("float32"),
        test_labels,
    )
    for array in arrays:
        array.flags.writeable = False
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def _mnist_pipelines(training):
    from .images import array_batches

    (x_train, y_train), (x_test, y_test) = mnist_digits()
    n = training_size(training)
    return (
        array_batches(x_train[:n], y_train[:n], training.batch_size, shuffle=True, seed=training.seed),
        array_batches(x_test, y_test, _validation_batch_size(training)),
    )


def _photo_pipelines(training):
    from . import images
    from .augmentation import affine_from_settings

    data = images.load_cats_vs_dogs(IMAGE_SIZE)
    x_train, y_train = (a[: training_size(training)] for a in data["train"])
    # The lecture's five transformations as one affine map per photo, resampled once: the
    # same distribution as the five Keras layers in a row, at a quarter of their cost.
    augment = affine_from_settings(training.augmentation, training.seed)
    return (
        images.make_dataset(
            x_train, y_train, batch_size=training.batch_size, shuffle=True, augment=augment, seed=training.seed
        ),
        images.make_dataset(*data["validation"], batch_size=_validation_batch_size(training)),
    )


def _feature_pipelines(training):
    from .images import array_batches
    from .transfer import cats_vs_dogs_features

    # Batches are drawn from the stored float16 arrays as they are needed; the model casts
    # each to float32 (every float16 value is a float32 value, so the numbers are the same).
    # Arrays handed to fit() would be copied whole, as float32: 1.1 GB more at the peak.
    features = cats_vs_dogs_features()
    n = training_size(training)
    return (
        array_batches(
            features.train[:n], features.train_labels[:n], training.batch_size, shuffle=True, seed=training.seed
        ),
        array_batches(features.validation, features.validation_labels, _validation_batch_size(training)),
    )


def _mnist_fingerprint():
    from .data import REGISTRY

    return fingerprint(
        *(REGISTRY[f"mnist/{part}"].checksum for part in ("train-images", "train-labels", "test-images", "test-labels"))
    )


def _photos_fingerprint():
    from .data import cats_vs_dogs_split

    split = cats_vs_dogs_split()
    return fingerprint(*split["train"], *split["validation"])


def _features_fingerprint():
    from .transfer import cats_vs_dogs_features_path

    return cats_vs_dogs_features_path().name  # its name holds the key of the features


def _photos_count():
    from .data import cats_vs_dogs_split

    return len(cats_vs_dogs_split()["train"][0])


@dataclass(frozen=True)
class _Data:
    pipelines: callable  # (training) -> (train dataset, validation dataset)
    fingerprint: callable  # () -> str, without loading the examples
    size: callable  # () -> number of training examples
    pipeline: str  # what the pipelines do, in words: part of the key, so a new pipeline retrains


#: The data a training can name.
DATA = {
    "mnist": _Data(_mnist_pipelines, _mnist_fingerprint, lambda: 60_000, "arrays in [0, 1], batches gathered by index"),
    "cats_vs_dogs_photos": _Data(
        _photo_pipelines,
        _photos_fingerprint,
        _photos_count,
        "decoded once to uint8, rescaled per batch, augmented by RandomAffine",
    ),
    "cats_vs_dogs_features": _Data(
        _feature_pipelines, _features_fingerprint, _photos_count, "stored float16 features, batches gathered by index"
    ),
}


def training_size(training: Training) -> int:
    """Training examples per epoch: all of the data's, or the first ``train_images``."""
    size = DATA[training.data].size()
    return min(size, training.train_images) if training.train_images else size


def _validation_batch_size(training: Training) -> int:
    return training.validation_batch_size or training.batch_size


def training_data(training: Training):
    """The training and validation pipelines of ``training``.

    Returns
    -------
    (tf.data.Dataset, tf.data.Dataset)
        Batches of (examples, labels): training batches of ``batch_size``, shuffled every
        epoch and augmented if the training says so; validation batches of
        ``validation_batch_size``, in order.
    """
    return DATA[training.data].pipelines(training)


# ---------------------------------------------------------------------------------------------
# The book's trainings

#: The MNIST networks of chapter 3: RMSprop, the lecture's optimizer, from 2e-3 decayed to zero
#: along a half cosine; validated on the 10,000 test digits after every epoch.
MNIST_CONVNET = Training(
    "mnist_convnet",
    "mnist_convnet",
    "mnist",
    epochs=5,
    batch_size=128,
    optimizer="RMSprop",
    learning_rate=2e-3,
    schedule="cosine decay to 0",
    loss="sparse_categorical_crossentropy",
    precision=PRECISION.policy,
)
MNIST_GAP_CONVNET = dataclasses.replace(MNIST_CONVNET, name="mnist_gap_convnet", network="mnist_gap_convnet")
MNIST_DENSE_NET = dataclasses.replace(MNIST_CONVNET, name="mnist_dense_net", network="mnist_dense_net")

#: The small residual network of chapter 3: Adam at its default rate, 2 epochs on the first
#: 10,000 training digits.
MNIST_SMALL_RESNET = Training(
    "mnist_small_resnet",
    "small_resnet",
    "mnist",
    epochs=2,
    batch_size=64,
    optimizer="Adam",
    loss="sparse_categorical_crossentropy",
    train_images=10_000,
    precision=PRECISION.policy,
)

#: How the lecture trained its cats-vs-dogs networks (for comparison; not used to train).
LECTURE_CATS_VS_DOGS = {
    "optimizer": "RMSprop",
    "learning_rate": 1e-4,
    "batch_size": 20,
    "steps_per_epoch": 100,
    "epochs": 30,
}

#: The lecture's ConvNet trained from scratch on the raw photos.  Ten times the lecture's rate,
#: decayed to zero along a half cosine: the lecture's 1e-4 needs about its 30 epochs to overfit,
#: more than a CPU budget allows, and the decay steadies the last epochs.  One epoch is one pass
#: over all 3000 training photos: 150 batches of the lecture's 20.
FROM_SCRATCH = Training(
    "cats_vs_dogs_from_scratch",
    "cats_vs_dogs_convnet",
    "cats_vs_dogs_photos",
    epochs=10,
    batch_size=20,
    optimizer="RMSprop",
    learning_rate=1e-3,
    schedule="cosine decay to 0",
    loss="binary_crossentropy",
    validation_batch_size=100,
    precision=PRECISION.policy,
)
# (Validation in batches of 100: a validation pass then costs little more than its forward
# passes, and its 280 MB of float32 first-layer activations fit in the 2 GB with the rest.)

#: The same ConvNet with Dropout(0.5) before the Dense layer, trained on augmented photos.
AUGMENTED = dataclasses.replace(
    FROM_SCRATCH, name="cats_vs_dogs_augmented", epochs=30, dropout=0.5, augmentation=dict(LECTURE_AUGMENTATION)
)

# What the transfer-learning trainings share, as in the lecture: RMSprop at 2e-5, batches of
# 20, a Dense(256) head.  Validation batches of 32: a batch of 100 photos through
# EfficientNet-Lite0 holds about 0.4 GB more activations, and 2 GB must hold it all.
_TRANSFER = dict(
    batch_size=20,
    optimizer="RMSprop",
    learning_rate=2e-5,
    loss="binary_crossentropy",
    validation_batch_size=32,
    precision=TRANSFER_PRECISION.policy,
    dense_units=256,
)

#: Way 1 of chapter 6: Dense(256) + Dropout(0.5) on the stored features.
FEATURE_EXTRACTION = Training(
    "cats_vs_dogs_feature_extraction", "dense_on_features", "cats_vs_dogs_features", epochs=10, dropout=0.5, **_TRANSFER
)

#: Way 2: the frozen EfficientNet-Lite0 base + Flatten + Dense(256) + Dense(1), on augmented photos.
FROZEN_BASE = Training(
    "cats_vs_dogs_frozen_base",
    "frozen_efficientnet_lite0",
    "cats_vs_dogs_photos",
    epochs=5,
    augmentation=dict(LECTURE_AUGMENTATION),
    **_TRANSFER,
)

#: Way 3: way 2's trained model with the base unfrozen from block6a on (like ``block5_conv1``
#: in VGG16, it starts the base's last stage), at half the rate.  Its own seed, so that its
#: input pipeline does not replay way 2's augmented photos.
FINE_TUNING = dataclasses.replace(
    FROZEN_BASE,
    name="cats_vs_dogs_fine_tuning",
    learning_rate=1e-5,
    unfreeze_from="block6a",
    start_from=FROZEN_BASE,
    seed=SEED + 1,
)

#: Every training of the book, by name.
BOOK_TRAININGS = {
    t.name: t
    for t in (
        MNIST_CONVNET,
        MNIST_GAP_CONVNET,
        MNIST_DENSE_NET,
        MNIST_SMALL_RESNET,
        FROM_SCRATCH,
        AUGMENTED,
        FEATURE_EXTRACTION,
        FROZEN_BASE,
        FINE_TUNING,
    )
}


# ---------------------------------------------------------------------------------------------
# Building, training, caching


def _clone(model, float32: callable):
    """Rebuild ``model`` with the layers for which ``float32(layer)`` holds computing in float32."""
    import keras

    def clone_layer(layer):
        config = layer.get_config()
        if float32(layer):
            config["dtype"] = "float32"
        return layer.__class__.from_config(config)

    return keras.models.clone_model(model, clone_function=clone_layer)


def float32_copy(model):
    """A copy of a trained model that computes in float32 throughout, with the same weights.

    Parameters
    ----------
    model : keras.Model
        Sequential or functional, e.g. one trained under ``mixed_bfloat16``.

    Returns
    -------
    keras.Model
        Same architecture and layer names; compiled like ``model`` if it was compiled.
    """
    copy = _clone(model, lambda layer: True)
    copy.set_weights(model.get_weights())
    if model.compiled:
        copy.compile_from_config(model.get_compile_config())
    return copy


def _as_returned(model):
    """``model`` computing in float32, each of its layers called once (a copy if need be).

    ``keras.models.load_model`` rebuilds a ``Sequential`` after adding each layer, so each
    layer keeps one output per rebuild and ``layer.output`` is not the tensor that
    ``model.output`` was computed from: ``keras.Model(model.input, [layer.output,
    model.output])``, as Grad-CAM builds it, would compute them on separate paths.  A clone
    calls its new layers once.
    """
    import keras

    if isinstance(model, keras.Sequential) or any(layer.dtype_policy.name != "float32" for layer in model.layers):
        return float32_copy(model)
    return model


def _builder(training: Training, network):
    """The function that builds ``training``'s network: ``network`` if given, else the package's."""
    name = NETWORKS[training.network].builder
    if network is None:
        return getattr(models, name)
    if not callable(network):
        raise TypeError(f"network must be a function that builds the network, such as {name}, got {network!r}.")
    if training.start_from is not None:
        raise ValueError(f"{training.name} continues {training.start_from.name}'s trained model: it takes no network.")
    return network


def _network(training: Training, start_from: Path | None, network=None):
    """The uncompiled network of ``training``, or start_from's trained model, unfrozen."""
    import keras

    if training.start_from is not None:
        from .transfer import unfreeze_from

        model = keras.models.load_model(start_from)
        unfreeze_from(model.get_layer("conv_base").model, training.unfreeze_from)
        return model
    model = _builder(training, network)(**NETWORKS[training.network].arguments(training))
    if training.precision != "float32":
        # A bfloat16 sigmoid cannot tell 0.996 from 1: the output layer computes in float32.
        model = _clone(model, lambda layer: layer is model.layers[-1])
    return model


# @save
def compile_for(model, training):
    """``model`` compiled with the optimizer, learning rate and loss of ``training``, measuring accuracy.

    The rate stays constant, or decays to zero along a half cosine over all the training's steps.
    """
    optimizer = getattr(keras.optimizers, training.optimizer)
    rate = training.learning_rate
    if training.schedule == "cosine decay to 0":
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=training.epochs * training.steps_per_epoch)
    model.compile(
        optimizer=optimizer() if rate is None else optimizer(learning_rate=rate),
        loss=training.loss,
        metrics=["accuracy"],
    )
    return model


# @save
def fit_for(model, training, callbacks=()):
    """Train ``model`` on the data of ``training`` for its epochs, validating after each; Keras' ``History``."""
    train, validation = training_data(training)  # batches, shuffled every epoch, augmented if it says so
    return model.fit(
        train, validation_data=validation, epochs=training.epochs, shuffle=False, verbose=0, callbacks=list(callbacks)
    )


def compiled_network(training: Training, start_from: Path | None = None, network=None):
    """The network of ``training``, compiled, under its precision, with seeded initial weights.

    Parameters
    ----------
    training : Training
    start_from : Path, optional
        For a training that continues another (``training.start_from``): that training's
        ``.keras`` file (trained or loaded now if not given).
    network : callable, optional
        Builds the network instead of the function of :mod:`lecture_utils.models` that
        ``training.network`` names, with the same arguments: a chapter's own definition.

    Returns
    -------
    keras.Model
        The global dtype policy is the same after the call as before.
    """
    import keras

    from .runtime import seed_everything

    if training.start_from is not None and start_from is None:
        start_from = train_or_load(training.start_from).path

    # Auto-generated layer names ("dense_3") would change the key between runs of a chapter;
    # a fresh session numbers them from zero again. Clearing the session also resets the dtype
    # policy, so the training's is set afterwards, and the caller's restored after the build.
    policy_before = keras.config.dtype_policy()
    keras.backend.clear_session()
    seed_everything(training.seed)
    keras.config.set_dtype_policy(training.precision)
    try:
        model = _network(training, start_from, network)
    finally:
        keras.config.set_dtype_policy(policy_before)
    return compile_for(model, training)


def cache_key(training: Training, network=None) -> str:
    """The key of ``training``'s cache entry: 16 hex digits of a sha256.

    It covers every field of the training, the network's architecture (so a changed builder,
    or an edited ``network``, trains again), the data's fingerprint and the Keras version.
    Builds the network; for a training that continues another, that one is trained or loaded
    first.
    """
    start_from = train_or_load(training.start_from).path if training.start_from is not None else None
    return _key(training, compiled_network(training, start_from, network), start_from)


def _key(training: Training, model, start_from: Path | None) -> str:
    import keras

    settings = training.settings()
    if start_from is not None:  # its file name holds its own key
        settings["start_from"] = start_from.name
    data = DATA[training.data]
    return fingerprint(settings, data.fingerprint(), data.pipeline, model.to_json(), keras.__version__)[:16]


@dataclass(frozen=True)
class CacheEntry:
    """A trained model in a cache folder, with what was recorded when it was trained."""

    path: Path  # the .keras file
    history: dict
    seconds: float
    meta: dict


def cache_entries(folder: Path | None = None) -> list[CacheEntry]:
    """The complete entries of a models folder (default: the cache's), oldest first.

    An entry is complete when its history file exists (it is written last); files that cannot
    be read are left out.
    """
    folder = Path(folder) if folder is not None else cache_folder("models")
    entries = []
    for history_path in sorted(folder.glob("*.history.json"), key=lambda p: p.stat().st_mtime):
        model_path = history_path.with_name(history_path.name.removesuffix(".history.json") + ".keras")
        try:
            record = json.loads(history_path.read_text())
            entries.append(CacheEntry(model_path, record["history"], record["seconds"], record.get("meta", {})))
        except (OSError, ValueError, KeyError):
            continue
    return [entry for entry in entries if entry.path.is_file()]


def _load(training: Training, found) -> TrainingRun | None:
    """The run stored at ``found``; None (with a warning) if its files cannot be read."""
    import keras

    try:
        record = json.loads(found.history.read_text())
        loaded = keras.models.load_model(found.model)
        return TrainingRun(
            training,
            _as_returned(loaded),
            record["history"],
            record["seconds"],
            True,
            found.model,
            record.get("meta", {}),
            found.origin,
            found.source,
        )
    except Exception as error:  # a damaged entry: train again
        if found.origin == "class folder":  # read-only, the lecturer's to repair
            warnings.warn(
                f"The trained model {found.model} in the class folder could not be loaded "
                f"({type(error).__name__}); training it here instead.",
                stacklevel=3,
            )
        else:
            warnings.warn(
                f"Cached model {found.model.name} could not be loaded ({type(error).__name__}); "
                "deleting it and training again.",
                stacklevel=3,
            )
            # A read-only cache keeps it: train_or_load then says so before training.
            with contextlib.suppress(OSError):
                found.model.unlink(missing_ok=True)
                found.history.unlink(missing_ok=True)
        return None


@contextlib.contextmanager
def _only_one_trainer(folder: Path, entry: str):
    """Hold a lock on ``entry`` in ``folder`` while it trains, so that two kernels never train it at once.

    A second kernel waits, and then finds the first one's model in the cache.  The operating
    system releases the lock of a process that dies, however it dies.
    """
    from filelock import FileLock

    try:
        lock = FileLock(folder / f".{entry}.lock")
        lock.acquire()
    except OSError:  # a file system without locks, or a folder changed since it was checked
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _store(model, files: dict[str, Path], record: dict) -> Path:
    """Store a trained model and its record in the cache, or elsewhere if that fails.

    A training is never lost to a failed save (a full disk, a folder whose permissions changed
    while it trained): the model and its history then go to a new temporary folder, and a
    warning says where; only if that fails too is the model kept in memory alone.

    Returns
    -------
    Path
        The ``.keras`` file the model is in (its place in the cache if it is in memory only).
    """
    try:
        atomic_write(files["model"], model.save)
        # The history is written last, so its presence marks a complete entry.
        atomic_write(files["history"], lambda tmp: _write_record(tmp, record))
        return files["model"]
    except Exception as error:  # whatever stopped the save, the trained model must survive it
        # strerror ("No space left on device") or the class alone: other errors' texts run long.
        reason = getattr(error, "strerror", None) or type(error).__name__
    with contextlib.suppress(OSError):
        files["model"].unlink(missing_ok=True)
    folder = files["model"].parent
    elsewhere = _saved_elsewhere(model, files, record)
    if elsewhere is None:
        warnings.warn(
            f"The trained model could not be stored in {folder} ({reason}), nor in a temporary "
            "folder, so it is kept only in memory, for this session: set LECTURE_CACHE_DIR to a "
            "writable folder with space before the next training.",
            stacklevel=3,
        )
        return files["model"]
    warnings.warn(
        f"The trained model could not be stored in {folder} ({reason}), so it was saved in "
        f"{elsewhere.parent} instead: move the two files there into {folder} once it can be "
        "written, or set LECTURE_CACHE_DIR to a writable folder with space, else it is trained "
        "again next time.",
        stacklevel=3,
    )
    return elsewhere


def _saved_elsewhere(model, files: dict[str, Path], record: dict) -> Path | None:
    """The model and its record saved under their names in a new temporary folder; None if that fails."""
    try:
        folder = Path(tempfile.mkdtemp(prefix="lecture9-models-"))
    except OSError:
        return None
    try:
        model.save(folder / files["model"].name)
        _write_record(folder / files["history"].name, record)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return folder / files["model"].name


def _write_record(path: Path, record: dict) -> None:
    path.write_text(json.dumps(record, indent=1))


def train_or_load(training: Training, network=None) -> TrainingRun:
    """Load the trained model of ``training``, or build, train and cache it.

    The model is looked for in the class folder (``LECTURE_MODELS_DIR``), the cache and the
    model store (``LECTURE_MODELS_URL``), in that order (:mod:`lecture_utils.model_store`);
    ``LECTURE_TRAIN=always`` trains it whatever is found.

    Parameters
    ----------
    training : Training
        E.g. :data:`MNIST_CONVNET`, or a variation made with ``dataclasses.replace``.
    network : callable, optional
        The function that builds the network, instead of the one of
        :mod:`lecture_utils.models` that ``training.network`` names: the chapter's own
        definition, so that an edit to it trains a new model (the key covers the
        architecture), and an unchanged one loads the same model.

    Returns
    -------
    TrainingRun
        ``.history`` has ``accuracy``, ``loss``, ``val_accuracy`` and ``val_loss`` per epoch;
        ``.model`` computes in float32; ``.provenance`` says where it came from.

    Raises
    ------
    NotADirectoryError, PermissionError, OSError
        Before training, if the cache's ``models`` folder cannot be created or written (one
        sentence naming it).  A save that fails after the training does not raise: the model is
        returned, saved elsewhere, with a warning that says where.
    """
    import keras

    from . import model_store
    from .progress import training_progress

    if not isinstance(training, Training):
        raise TypeError(
            f"train_or_load takes a Training, such as trainings.MNIST_CONVNET, got {type(training).__name__}."
        )
    start_from = train_or_load(training.start_from).path if training.start_from is not None else None
    model = compiled_network(training, start_from, network)
    entry = f"{training.name}-{_key(training, model, start_from)}"
    found = model_store.find_trained(entry)
    if found is not None and (run := _load(training, found)) is not None:
        return run

    # A cache that could not keep the model is said now, not after the whole training.
    files = model_store.entry_files(entry, cache_folder("models", writable=True))
    with _only_one_trainer(files["model"].parent, entry):
        # Another kernel may have trained it while this one waited for the lock.
        found = None if model_store.train_locally() else model_store.find_in_cache(entry)
        if found is not None and (run := _load(training, found)) is not None:
            return run
        progress = training_progress(training.name, training.epochs, training.steps_per_epoch)
        start, cpu_start = time.perf_counter(), time.process_time()
        history = fit_for(model, training, callbacks=[progress])
        seconds = time.perf_counter() - start
        values = {k: [float(v) for v in vs] for k, vs in history.history.items()}
        meta = {
            # CPU seconds of all the kernel's threads per second: how many cores the training used.
            "cores_busy": round((time.process_time() - cpu_start) / seconds, 2),
            "settings": training.settings(),
            "keras": keras.__version__,
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "examples_per_epoch": training_size(training),
        }
        path = _store(model, files, {"history": values, "seconds": seconds, "meta": meta})
    return TrainingRun(training, _as_returned(model), values, seconds, False, path, meta, "trained", "this machine")


def smooth_curve(points, factor: float = 0.8) -> np.ndarray:
    """Exponential moving average of a learning curve, as in the lecture's fine-tuning plots.

    Parameters
    ----------
    points : sequence of float
    factor : float in [0, 1)
        Weight of the previous smoothed value; 0 returns the points unchanged.

    Returns
    -------
    ndarray of float, same length as ``points``
    """
    if not 0 <= factor < 1:
        raise ValueError(f"factor must be in [0, 1), got {factor}.")
    smoothed = []
    for point in points:
        smoothed.append(smoothed[-1] * factor + point * (1 - factor) if smoothed else point)
    return np.array(smoothed, dtype=float)
