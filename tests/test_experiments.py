"""The shared cats-vs-dogs trainings: their settings, precision handling and caching.

The real trainings take minutes; here the same code path trains on eight tiny synthetic
photos for one epoch.
"""

import keras
import numpy as np

from lecture_utils import experiments, images


def test_hyperparameters_follow_the_lecture():
    for hp in (experiments.FROM_SCRATCH, experiments.AUGMENTED):
        assert hp["optimizer"] == experiments.LECTURE_SETTINGS["optimizer"] == "RMSprop"
        assert hp["learning_rate"] == 10 * experiments.LECTURE_SETTINGS["learning_rate"] == 1e-3
        assert hp["learning_rate_schedule"] == "cosine decay to 0"
        assert hp["loss"] == "binary_crossentropy" and hp["image_size"] == [150, 150]
        assert hp["precision"] == "mixed_bfloat16" and hp["epochs"] > 0
    assert experiments.FROM_SCRATCH["dropout"] is None and experiments.FROM_SCRATCH["augmentation"] is None
    assert experiments.AUGMENTED["dropout"] == 0.5
    assert experiments.AUGMENTED["augmentation"] == images.LECTURE_AUGMENTATION
    assert images.LECTURE_AUGMENTATION == {
        "rotation_range": 40, "width_shift_range": 0.2, "height_shift_range": 0.2, "shear_range": 0.2,
        "zoom_range": 0.2, "horizontal_flip": True, "fill_mode": "nearest"}


def test_float32_copy_keeps_weights_and_names():
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="hidden"),
                                  keras.layers.Dense(1, name="out")])
    finally:
        keras.config.set_dtype_policy("float32")
    model.compile(optimizer="rmsprop", loss="mse")
    copy = experiments.float32_copy(model)
    assert [layer.name for layer in copy.layers] == ["hidden", "out"]
    assert {layer.dtype_policy.name for layer in copy.layers} == {"float32"}
    for a, b in zip(model.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    assert np.asarray(copy(x)).dtype == np.float32
    np.testing.assert_allclose(np.asarray(copy(x)), np.asarray(model(x), dtype=np.float32), atol=0.05)
    assert copy.compiled


def test_a_training_runs_in_bfloat16_and_returns_a_float32_model(tiny_cats_vs_dogs):
    hp = {**experiments.AUGMENTED, "epochs": 1, "batch_size": 4, "validation_batch_size": 4,
          "image_size": [64, 64]}
    run = experiments._cats_vs_dogs("tiny_cats_vs_dogs", hp)
    assert not run.loaded and run.epochs == 1
    assert set(run.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert keras.config.dtype_policy().name == "float32"  # restored
    assert {layer.dtype_policy.name for layer in run.model.layers} == {"float32"}
    assert [type(layer).__name__ for layer in run.model.layers[:8]] == ["Conv2D", "MaxPooling2D"] * 4
    assert any(type(layer).__name__ == "Dropout" for layer in run.model.layers)

    saved = keras.models.load_model(run.path)
    policies = [layer.dtype_policy.name for layer in saved.layers]
    assert policies[-1] == "float32" and set(policies[:-1]) == {"mixed_bfloat16"}

    again = experiments._cats_vs_dogs("tiny_cats_vs_dogs", hp)
    assert again.loaded and again.history == run.history
    x = images.load_cats_vs_dogs((64, 64))["validation"][0].astype("float32") / 255
    np.testing.assert_allclose(again.model.predict(x, verbose=0), run.model.predict(x, verbose=0), rtol=1e-6)
