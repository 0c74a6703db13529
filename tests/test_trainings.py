"""The book's trainings: every field of a specification changes the model and the cache key.

Real trainings take minutes; here the same code trains MNIST networks on a few hundred real
digits for an epoch, and the photo trainings on twelve tiny synthetic photos.
"""

import dataclasses
import json

import keras
import numpy as np
import pytest
from real_data import needs_bfloat16, needs_mnist_mirror

from lecture_utils import images, trainings

# A real training of the book, made small: 256 digits, one epoch, as the chapters train them.
TINY = dataclasses.replace(
    trainings.MNIST_CONVNET, name="tiny", epochs=1, batch_size=64, train_images=256, precision="float32"
)

pytestmark = needs_mnist_mirror


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def small(training, **changes):
    return dataclasses.replace(training, epochs=1, batch_size=4, validation_batch_size=4, **changes)


# ---------------------------------------------------------------------------------------------
# Every field is used: a change of it changes what is built or trained, and the cache key


def _first_batch(dataset):
    return next(iter(dataset))


def _optimizer(model):
    return model.optimizer


def _rate(model):
    rate = model.optimizer.learning_rate
    return float(rate.numpy() if hasattr(rate, "numpy") else rate)


FIELD_CHANGES = [
    # field, new value, what it changes (a function of the compiled model or of the pipelines)
    ("name", "tiny_renamed", None),
    ("network", "mnist_gap_convnet", lambda m, d: [type(layer).__name__ for layer in m.layers]),
    ("optimizer", "Adam", lambda m, d: type(_optimizer(m)).__name__),
    ("learning_rate", 1e-3, lambda m, d: _rate(m)),
    ("schedule", None, lambda m, d: type(m.optimizer._learning_rate).__name__),
    ("loss", "categorical_crossentropy", lambda m, d: m.loss),
    ("epochs", 2, lambda m, d: m.optimizer._learning_rate.decay_steps),
    ("batch_size", 32, lambda m, d: tuple(_first_batch(d[0])[0].shape)),
    ("validation_batch_size", 100, lambda m, d: tuple(_first_batch(d[1])[0].shape)),
    ("train_images", 128, lambda m, d: sum(1 for _ in d[0])),
    ("precision", "mixed_bfloat16", lambda m, d: m.layers[0].dtype_policy.name),
    ("seed", 7, lambda m, d: m.layers[0].kernel.numpy().tobytes()),
]


@pytest.mark.parametrize("field, value, probe", FIELD_CHANGES, ids=[c[0] for c in FIELD_CHANGES])
def test_a_changed_field_changes_the_model_and_the_key(field, value, probe):
    assert getattr(TINY, field) != value
    changed = dataclasses.replace(TINY, **{field: value})
    assert trainings.cache_key(changed) != trainings.cache_key(TINY)
    if probe is not None:
        before = probe(trainings.compiled_network(TINY), trainings.training_data(TINY))
        after = probe(trainings.compiled_network(changed), trainings.training_data(changed))
        assert before != after


def test_the_data_is_part_of_the_key(monkeypatch):
    key = trainings.cache_key(TINY)
    data = trainings.DATA["mnist"]
    monkeypatch.setitem(trainings.DATA, "mnist", dataclasses.replace(data, fingerprint=lambda: "other digits"))
    assert trainings.cache_key(TINY) != key


def test_photo_fields_change_the_model_the_pipeline_and_the_key(tiny_photos):
    scratch = small(trainings.FROM_SCRATCH, name="tiny_scratch")
    augmented = dataclasses.replace(scratch, augmentation=dict(images.LECTURE_AUGMENTATION))
    with_dropout = dataclasses.replace(scratch, dropout=0.5)
    keys = {trainings.cache_key(t) for t in (scratch, augmented, with_dropout)}
    assert len(keys) == 3
    # The augmentation changes the training photos, not the validation photos.
    plain_batch = _first_batch(trainings.training_data(scratch)[0])[0].numpy()
    augmented_batch = _first_batch(trainings.training_data(augmented)[0])[0].numpy()
    assert plain_batch.shape == augmented_batch.shape and not np.allclose(plain_batch, augmented_batch)
    np.testing.assert_array_equal(
        _first_batch(trainings.training_data(scratch)[1])[0], _first_batch(trainings.training_data(augmented)[1])[0]
    )
    assert "Dropout" not in [type(layer).__name__ for layer in trainings.compiled_network(scratch).layers]
    assert "Dropout" in [type(layer).__name__ for layer in trainings.compiled_network(with_dropout).layers]


def test_dense_units_change_the_classifier_and_the_key(tiny_photos):
    frozen = small(trainings.FROZEN_BASE, name="tiny_frozen", dense_units=8)
    wider = dataclasses.replace(frozen, dense_units=16)
    assert trainings.cache_key(frozen) != trainings.cache_key(wider)
    assert trainings.compiled_network(frozen).get_layer("dense").units == 8
    assert trainings.compiled_network(wider).get_layer("dense").units == 16


# ---------------------------------------------------------------------------------------------
# Train once, load after


def test_trains_once_then_loads_the_same_model():
    first = trainings.train_or_load(TINY)
    assert not first.loaded and first.epochs == 1 and first.path.suffix == ".keras"
    assert set(first.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert first.meta["settings"] == TINY.settings() and first.meta["examples_per_epoch"] == 256
    second = trainings.train_or_load(TINY)
    assert second.loaded and second.history == first.history and second.path == first.path
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(second.model.predict(x, verbose=0), first.model.predict(x, verbose=0), rtol=1e-6)
    record = json.loads(first.path.with_suffix(".history.json").read_text())
    assert set(record) == {"history", "seconds", "meta"}


def test_the_same_seed_gives_the_same_training():
    first = trainings.train_or_load(TINY)
    first.path.unlink()
    again = trainings.train_or_load(TINY)
    assert not again.loaded and again.history == first.history


@pytest.mark.parametrize("damaged", ["model", "history"])
def test_a_damaged_entry_is_trained_again(damaged):
    first = trainings.train_or_load(TINY)
    victim = first.path if damaged == "model" else first.path.with_suffix(".history.json")
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.warns(UserWarning, match="could not be loaded"):
        again = trainings.train_or_load(TINY)
    assert not again.loaded and again.path.stat().st_size == first.path.stat().st_size
    assert json.loads(first.path.with_suffix(".history.json").read_text())["history"]


def test_an_interrupted_training_leaves_nothing_behind(cache, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trainings.train_or_load(TINY)
    # Only the lock file, released, is left: no model, no history, no partial file.
    assert [p.name for p in (cache / "models").iterdir()] == [f".{TINY.name}-{trainings.cache_key(TINY)}.lock"]


@needs_bfloat16
def test_bfloat16_training_returns_a_float32_model_and_restores_the_policy():
    run = trainings.train_or_load(dataclasses.replace(TINY, precision="mixed_bfloat16"))
    assert keras.config.dtype_policy().name == "float32"
    assert {layer.dtype_policy.name for layer in run.model.layers} == {"float32"}
    saved = [layer.dtype_policy.name for layer in keras.models.load_model(run.path).layers]
    assert saved[-1] == "float32" and set(saved[:-1]) == {"mixed_bfloat16"}  # float32 output layer


def test_the_three_transfer_trainings_run_and_load(tiny_photos):
    extraction = trainings.train_or_load(small(trainings.FEATURE_EXTRACTION, dense_units=8))
    assert not extraction.loaded and extraction.epochs == 1

    frozen_training = small(trainings.FROZEN_BASE, dense_units=8)
    frozen = trainings.train_or_load(frozen_training)
    base = frozen.model.get_layer("conv_base").model
    assert not base.trainable and frozen.meta["examples_per_epoch"] == 8
    statistics = base.get_layer("block1a_bn").moving_variance.numpy().copy()

    tuning = small(trainings.FINE_TUNING, dense_units=8, start_from=frozen_training, unfreeze_from="block2a")
    tuned = trainings.train_or_load(tuning)
    tuned_base = tuned.model.get_layer("conv_base").model
    assert tuned_base.get_layer("block2a_conv").trainable and not tuned_base.get_layer("block1a_conv").trainable
    # The base stays in inference mode: its batch-norm statistics do not move.
    np.testing.assert_array_equal(tuned_base.get_layer("block1a_bn").moving_variance.numpy(), statistics)
    assert not np.allclose(
        tuned_base.get_layer("block2a_conv").kernel.numpy(), base.get_layer("block2a_conv").kernel.numpy()
    )
    assert trainings.cache_key(tuning) != trainings.cache_key(dataclasses.replace(tuning, unfreeze_from="block1a"))
    again = trainings.train_or_load(tuning)
    assert again.loaded and again.history == tuned.history


# ---------------------------------------------------------------------------------------------
# The book's trainings


def test_the_book_trainings_follow_the_lecture():
    lecture = trainings.LECTURE_CATS_VS_DOGS
    for t in (trainings.FROM_SCRATCH, trainings.AUGMENTED):
        assert t.optimizer == lecture["optimizer"] == "RMSprop"
        assert t.learning_rate == 10 * lecture["learning_rate"] and t.batch_size == lecture["batch_size"]
        assert t.precision == trainings.PRECISION.policy
    assert trainings.FROM_SCRATCH.dropout is None and trainings.FROM_SCRATCH.augmentation is None
    assert trainings.AUGMENTED.dropout == 0.5 and trainings.AUGMENTED.augmentation == images.LECTURE_AUGMENTATION
    assert trainings.FEATURE_EXTRACTION.learning_rate == trainings.FROZEN_BASE.learning_rate == 2e-5
    assert trainings.FINE_TUNING.learning_rate == 1e-5 and trainings.FINE_TUNING.unfreeze_from == "block6a"
    assert trainings.FINE_TUNING.start_from == trainings.FROZEN_BASE
    assert {t.precision for t in (trainings.FEATURE_EXTRACTION, trainings.FROZEN_BASE, trainings.FINE_TUNING)} == {
        "float32"
    }
    assert len(trainings.BOOK_TRAININGS) == 9


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"network": "resnet"}, "network must be one of"),
        ({"data": "cats_vs_dogs_photos"}, "takes data='mnist'"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"schedule": "linear"}, "schedule must be one of"),
        ({"learning_rate": None}, "a schedule needs a learning_rate"),
        ({"precision": "float16"}, "precision must be one of"),
        ({"dropout": 0.5}, "does not use dropout"),
        ({"augmentation": {}}, "augmentation applies to photos"),
        ({"name": "../x"}, "file-name-safe"),
    ],
)
def test_a_bad_specification_says_what_is_wrong(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **changes)


def test_train_or_load_takes_a_training():
    with pytest.raises(TypeError, match="takes a Training"):
        trainings.train_or_load("mnist_convnet")


def test_float32_copy_keeps_weights_and_names():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(3, activation="relu", name="hidden"),
                keras.layers.Dense(1, name="out"),
            ]
        )
    finally:
        keras.config.set_dtype_policy("float32")
    model.compile(optimizer="rmsprop", loss="mse")
    copy = trainings.float32_copy(model)
    assert [layer.name for layer in copy.layers] == ["hidden", "out"]
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(copy(x)), np.asarray(model(x), dtype=np.float32), atol=0.05)
    assert copy.compiled


def test_smooth_curve():
    np.testing.assert_allclose(trainings.smooth_curve([1, 1, 1]), [1, 1, 1])
    np.testing.assert_allclose(trainings.smooth_curve([0, 1], factor=0.5), [0, 0.5])
    with pytest.raises(ValueError, match="factor"):
        trainings.smooth_curve([1], factor=1)
