"""Named, reproducible trainings that several chapters share.

Each function trains one of the lecture's models with fixed hyperparameters through the
train-or-load cache (:func:`lecture_utils.training.train_or_load`): the first call trains and
stores the model, every later call — from this chapter or another — loads it in seconds.

Precision: the trainings run in ``mixed_bfloat16`` (float32 weights, bfloat16 arithmetic),
which roughly doubles the training speed on CPUs with AVX512-BF16 and keeps the accuracy; the
final sigmoid layer stays in float32.  The policy is set only while the model is built and
restored afterwards, so other chapters are unaffected.  The cached ``.keras`` file records the
bfloat16 policy of every layer; the functions here return a float32 copy of the trained model
(same weights, float32 arithmetic throughout), so that later chapters can compute activations
and gradients at full precision.
"""

from __future__ import annotations

import math

from .images import IMAGE_SIZE, LECTURE_AUGMENTATION

__all__ = [
    "LECTURE_SETTINGS",
    "FROM_SCRATCH",
    "AUGMENTED",
    "SEED",
    "cats_vs_dogs_from_scratch",
    "cats_vs_dogs_augmented",
    "float32_copy",
]

#: Seed of the weights, of the shuffling and of the augmentations.
SEED = 42

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
    # lecture's 1e-4 needs about its 30 epochs to overfit, more than a CPU budget allows, and a
    # constant 1e-3 leaves the validation accuracy jumping by several points between epochs.
    "learning_rate": 1e-3,
    "learning_rate_schedule": "cosine decay to 0",
    "loss": "binary_crossentropy",
    # One epoch is one pass over all 3000 training photos: 150 batches of the lecture's 20.
    "batch_size": 20,
    # Small validation batches keep the peak memory down (a float32 batch of 100 photos makes
    # 280 MB of first-layer activations).
    "validation_batch_size": 20,
    "image_size": list(IMAGE_SIZE),
    "precision": "mixed_bfloat16",
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


def _cats_vs_dogs(name: str, hyperparameters: dict):
    import keras

    from . import images, models
    from .data import cats_vs_dogs_split
    from .training import fingerprint, train_or_load

    hp = hyperparameters
    split = cats_vs_dogs_split()
    # The photos' names and sizes identify the data; decoding is only needed to train.
    data_fingerprint = fingerprint(*split["train"], *split["validation"])

    if hp["learning_rate_schedule"] != "cosine decay to 0":
        raise ValueError(f"unknown learning_rate_schedule {hp['learning_rate_schedule']!r}.")
    steps = hp["epochs"] * math.ceil(len(split["train"][0]) / hp["batch_size"])

    def build():
        # train_or_load clears the Keras session, which resets the policy: set it here.
        keras.config.set_dtype_policy(hp["precision"])
        model = models.cats_vs_dogs_convnet(tuple(hp["image_size"]) + (3,), dropout=hp["dropout"])
        # A bfloat16 sigmoid cannot tell 0.996 from 1: keep the output layer in float32.
        model = _clone(model, lambda layer: layer is model.layers[-1])
        schedule = keras.optimizers.schedules.CosineDecay(hp["learning_rate"], decay_steps=steps)
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=schedule),
                      loss=hp["loss"], metrics=["accuracy"])
        return model

    previous = keras.config.dtype_policy()
    try:
        run = train_or_load(name, build, lambda model: images.fit_on_photos(model, hp, SEED),
                            data_fingerprint=data_fingerprint,
                            hyperparameters=hp, seed=SEED,
                            examples_per_epoch=len(split["train"][0]))
    finally:
        keras.config.set_dtype_policy(previous)
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
