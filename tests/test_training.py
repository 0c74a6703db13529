"""The train-or-load cache: trains once, loads after, survives damage and interruption."""

import json

import numpy as np
import pytest

from lecture_utils import training


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path))
    return tmp_path


def tiny_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("float32")


def build():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run(epochs=2, fit=None):
    x, y = tiny_data()
    fit = fit or (lambda m: m.fit(x, y, epochs=epochs, verbose=0))
    return training.train_or_load("tiny", build, fit, data_fingerprint=training.fingerprint(x, y),
                                  hyperparameters={"epochs": epochs}, seed=1)


def test_trains_once_then_loads_the_same_model():
    first = run()
    assert not first.loaded and first.epochs == 2
    assert first.path.suffix == ".keras"
    second = run()
    assert second.loaded and second.history == first.history
    x, _ = tiny_data()
    np.testing.assert_allclose(second.model.predict(x, verbose=0), first.model.predict(x, verbose=0), rtol=1e-6)
    record = json.loads(first.path.with_name(first.path.name.replace(".keras", ".history.json")).read_text())
    assert set(record) == {"history", "seconds", "meta"}


def test_a_changed_hyperparameter_trains_again():
    assert not run(epochs=2).loaded
    assert not run(epochs=3).loaded


def test_a_damaged_model_file_is_rebuilt(cache):
    first = run()
    first.path.write_bytes(first.path.read_bytes()[:100])
    with pytest.warns(UserWarning, match="could not be loaded"):
        again = run()
    assert not again.loaded and again.path.stat().st_size > 100


def test_an_interrupted_training_leaves_nothing_behind(cache):
    def interrupted(model):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(fit=interrupted)
    assert not list(training.models_dir().iterdir())


def test_same_seed_gives_identical_training():
    first = run()
    first.path.unlink()
    second = run()
    assert not second.loaded and second.history == first.history


def test_smooth_curve():
    np.testing.assert_allclose(training.smooth_curve([1, 1, 1]), [1, 1, 1])
    np.testing.assert_allclose(training.smooth_curve([0, 1], factor=0.5), [0, 0.5])
    with pytest.raises(ValueError, match="factor"):
        training.smooth_curve([1], factor=1)


def test_dtype_policy_applies_to_the_build_only():
    import keras

    x, y = tiny_data()

    def train(policy):
        return training.train_or_load("tiny", build, lambda m: m.fit(x, y, epochs=1, verbose=0),
                                      data_fingerprint=training.fingerprint(x, y), hyperparameters={},
                                      seed=1, dtype_policy=policy)

    first = train("mixed_bfloat16")
    assert first.model.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"
    again = train("mixed_bfloat16")
    assert again.loaded and again.model.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert not train(None).loaded  # another precision is another model
