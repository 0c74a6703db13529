"""Named, reproducible trainings that several chapters share.

Each function trains one of the lecture's models with fixed hyperparameters through the
train-or-load cache (:func:`lecture_utils.training.train_or_load`): the first call trains and
stores the model, every later call — from this chapter or another — loads it in seconds.

Precision: the ConvNet trainings run in the policy :func:`lecture_utils.precision.training_precision`
picks for the machine: ``mixed_bfloat16`` (float32 weights, bfloat16 arithmetic) where the CPU
computes bfloat16 natively, which roughly doubles the training speed and keeps the accuracy, and
float32 everywhere else.  The precision is part of the settings, so of the cache key.  In
``mixed_bfloat16`` the final sigmoid layer stays in float32.  The policy is set only while the
model is built, so other chapters are unaffected; the cats-vs-dogs functions return a float32
copy of the trained model (same weights, float32 arithmetic throughout), so that later chapters
compute activations and gradients at full precision.
"""

from __future__ import annotations

import math

from .images import IMAGE_SIZE, LECTURE_AUGMENTATION
from .precision import training_precision

__all__ = [
    "PRECISION",
    "MNIST",
    "MNIST_RESNET",
    "mnist_run",
    "LECTURE_SETTINGS",
    "FROM_SCRATCH",
    "AUGMENTED",
    "SEED",
    "mnist_digits",
    "mnist_build",
    "cats_vs_dogs_build",
    "cats_vs_dogs_from_scratch",
    "cats_vs_dogs_augmented",
    "float32_copy",
]

#: Seed of the weights, of the shuffling and of the augmentations.
SEED = 42

#: The dtype policy of the ConvNet trainings on this machine, and why (see the module doc).
PRECISION = training_precision()

#: The MNIST networks of chapter 3: RMSprop, the lecture's optimizer, from 2e-3 decayed to zero
#: along a half cosine; validated on the 10,000 test digits after every epoch.
MNIST = {
    "optimizer": "RMSprop",
    "learning_rate": 2e-3,
    "loss": "sparse_categorical_crossentropy",
    "epochs": 5,
    "batch_size": 128,
    "validation": "MNIST test set",
    "precision": PRECISION.policy,
}

#: The small residual network of chapter 3: Adam, 2 epochs on the first 10,000 training digits.
MNIST_RESNET = {
    "optimizer": "Adam",
    "loss": "sparse_categorical_crossentropy",
    "epochs": 2,
    "batch_size": 64,
    "train_images": 10_000,
    "precision": PRECISION.policy,
}

#: How the lecture trained its cats-vs-dogs networks (for comparison; not used to train).
LECTURE_SETTINGS = {
    "optimizer": "RMSprop",
    "learning_rate": 1e-4,
    "batch_size": 20,
    "steps_per_epoch": 100,
    "epochs": 30,
}

_COMMON = {
    "optimizer": "RMSprop",
    # Ten times the lecture's rate, decayed to zero along a half cosine over the training: the
    # lecture's 1e-4 needs about its 30 epochs to overfit, more than a CPU budget allows, and the
    # decay steadies the last epochs.
    "learning_rate": 1e-3,
    "learning_rate_schedule": "cosine decay to 0",
    "loss": "binary_crossentropy",
    # One epoch is one pass over all 3000 training photos: 150 batches of the lecture's 20.
    "batch_size": 20,
    # Small validation batches keep the peak memory down (a float32 batch of 100 photos makes
    # 280 MB of first-layer activations).
    "validation_batch_size": 20,
    "image_size": list(IMAGE_SIZE),
    "precision": PRECISION.policy,
}

#: The lecture's ConvNet trained from scratch on the raw photos.
FROM_SCRATCH = {**_COMMON, "epochs": 10, "dropout": None, "augmentation": None}

#: The same ConvNet with Dropout(0.5) before the Dense layer, trained on augmented photos.
AUGMENTED = {**_COMMON, "epochs": 30, "dropout": 0.5, "augmentation": dict(LECTURE_AUGMENTATION)}


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


def _mnist_builders():
    from . import architectures, models

    return {
        "mnist_convnet": (models.mnist_convnet, MNIST),
        "mnist_gap_convnet": (models.mnist_gap_convnet, MNIST),
        "mnist_dense_net": (lambda: models.mnist_dense_net((28, 28, 1)), MNIST),
        "mnist_small_resnet": (architectures.small_resnet, MNIST_RESNET),
    }


def mnist_digits():
    """MNIST as the networks take it: ((x_train, y_train), (x_test, y_test)).

    ``x`` is float32 in [0, 1], shape (n, 28, 28, 1); ``y`` the digits 0–9.
    """
    from .data import load_mnist

    (train_images, train_labels), (test_images, test_labels) = load_mnist()
    return (((train_images[..., None] / 255.0).astype("float32"), train_labels),
            ((test_images[..., None] / 255.0).astype("float32"), test_labels))


def mnist_build(name: str, train_size: int):
    """The build function of the MNIST training ``name``: its network, compiled.

    Parameters
    ----------
    name : str
        One of ``"mnist_convnet"``, ``"mnist_gap_convnet"``, ``"mnist_dense_net"``,
        ``"mnist_small_resnet"``.
    train_size : int
        Training digits per epoch (sets the length of the learning-rate schedule).

    Returns
    -------
    callable () -> keras.Model
    """
    import keras

    builders = _mnist_builders()
    if name not in builders:
        raise ValueError(f"unknown MNIST training {name!r}; choose one of {sorted(builders)}.")
    builder, hp = builders[name]

    # [mnist-build]
    def build():
        model = builder()
        optimizer = getattr(keras.optimizers, hp["optimizer"])
        if "learning_rate" in hp:  # decayed to zero along a half cosine over the training
            steps = hp["epochs"] * math.ceil(train_size / hp["batch_size"])
            optimizer = optimizer(learning_rate=keras.optimizers.schedules.CosineDecay(
                hp["learning_rate"], decay_steps=steps))
        else:
            optimizer = optimizer()
        model.compile(optimizer=optimizer, loss=hp["loss"], metrics=["accuracy"])
        return model
    # [mnist-build-end]

    return build


def mnist_run(name: str, digits=None):
    """Train (or load) one of chapter 3's MNIST networks with :data:`MNIST` or :data:`MNIST_RESNET`.

    Parameters
    ----------
    name : str
        As for :func:`mnist_build`.
    digits : tuple, optional
        :func:`mnist_digits` (loaded if not given).

    Returns
    -------
    lecture_utils.training.TrainingRun
        ``.history`` has ``accuracy``, ``loss``, ``val_accuracy`` and ``val_loss`` per epoch,
        validated on the 10,000 test digits.
    """
    from .training import fingerprint, train_or_load

    (x_train, y_train), (x_test, y_test) = digits if digits is not None else mnist_digits()
    hp = _mnist_builders()[name][1]
    n = min(len(x_train), hp.get("train_images", len(x_train)))
    x_train, y_train = x_train[:n], y_train[:n]
    build = mnist_build(name, n)

    # [mnist-fit]
    def fit(model):
        return model.fit(x_train, y_train, epochs=hp["epochs"], batch_size=hp["batch_size"],
                         validation_data=(x_test, y_test), verbose=0)
    # [mnist-fit-end]

    return train_or_load(name, build, fit,
                         data_fingerprint=fingerprint(x_train, y_train, x_test, y_test),
                         hyperparameters=hp, seed=SEED, dtype_policy=hp["precision"],
                         examples_per_epoch=n)


def cats_vs_dogs_build(hyperparameters: dict, train_size: int):
    """The build function of a cats-vs-dogs training: the lecture's ConvNet, compiled.

    Parameters
    ----------
    hyperparameters : dict
        :data:`FROM_SCRATCH` or :data:`AUGMENTED`.
    train_size : int
        Training photos per epoch (sets the length of the learning-rate schedule).

    Returns
    -------
    callable () -> keras.Model
        To be called under the policy ``hyperparameters["precision"]``.
    """
    import keras

    from . import models

    hp = hyperparameters
    if hp["learning_rate_schedule"] != "cosine decay to 0":
        raise ValueError(f"unknown learning_rate_schedule {hp['learning_rate_schedule']!r}; "
                         "the trainings know 'cosine decay to 0'.")
    steps = hp["epochs"] * math.ceil(train_size / hp["batch_size"])

    def build():
        model = models.cats_vs_dogs_convnet(tuple(hp["image_size"]) + (3,), dropout=hp["dropout"])
        # A bfloat16 sigmoid cannot tell 0.996 from 1: keep the output layer in float32.
        model = _clone(model, lambda layer: layer is model.layers[-1])
        schedule = keras.optimizers.schedules.CosineDecay(hp["learning_rate"], decay_steps=steps)
        optimizer = getattr(keras.optimizers, hp["optimizer"])(learning_rate=schedule)
        model.compile(optimizer=optimizer, loss=hp["loss"], metrics=["accuracy"])
        return model

    return build


def _cats_vs_dogs(name: str, hyperparameters: dict):
    from . import images
    from .data import cats_vs_dogs_split
    from .training import fingerprint, train_or_load

    hp = hyperparameters
    split = cats_vs_dogs_split()
    # The photos' names and sizes identify the data; decoding is only needed to train.
    data_fingerprint = fingerprint(*split["train"], *split["validation"])
    train_size = len(split["train"][0])
    run = train_or_load(name, cats_vs_dogs_build(hp, train_size),
                        lambda model: images.fit_on_photos(model, hp, SEED),
                        data_fingerprint=data_fingerprint, hyperparameters=hp, seed=SEED,
                        dtype_policy=hp["precision"], examples_per_epoch=train_size)
    run.model = float32_copy(run.model)
    return run


def cats_vs_dogs_from_scratch():
    """The lecture's ConvNet (3,453,121 parameters) trained from scratch, without augmentation.

    Hyperparameters: :data:`FROM_SCRATCH`.  Trains on the 3000 training photos of
    :func:`lecture_utils.images.load_cats_vs_dogs` and validates on the 1000 others after
    every epoch.

    Returns
    -------
    lecture_utils.training.TrainingRun
        ``.model`` is a float32 copy of the trained model (see :func:`float32_copy`);
        ``.history`` has ``accuracy``, ``loss``, ``val_accuracy`` and ``val_loss`` per epoch.
    """
    return _cats_vs_dogs("cats_vs_dogs_from_scratch", FROM_SCRATCH)


def cats_vs_dogs_augmented():
    """The lecture's ConvNet with Dropout(0.5), trained on augmented photos.

    Hyperparameters: :data:`AUGMENTED`; the augmentation is
    :func:`lecture_utils.images.augmentation_layers` applied in the input pipeline, so the
    model itself holds only the network: ``model.layers[:8]`` are the four Conv2D and four
    MaxPooling2D layers (148×148×32 … 7×7×128).

    Returns
    -------
    lecture_utils.training.TrainingRun
        As :func:`cats_vs_dogs_from_scratch`.
    """
    return _cats_vs_dogs("cats_vs_dogs_augmented", AUGMENTED)
