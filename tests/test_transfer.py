"""Transfer learning: inference mode, unfreezing, cached features, the classifiers on a base.

The real runs take minutes; here a tiny base (conv + batch norm + dropout) stands in for
EfficientNet-Lite0 and twelve synthetic 32×32 photos for the cats and dogs.
"""

import keras
import numpy as np
import pytest

from lecture_utils import models, pretrained, transfer


def tiny_base(input_shape=(32, 32, 3), include_top=False, **kwargs):
    """Conv → BN → Dropout → Conv (stride 2) → BN, named like a real base's layers."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(4, 3, padding="same", name="block1a_conv")(inputs)
    x = keras.layers.BatchNormalization(name="block1a_bn")(x)
    x = keras.layers.Dropout(0.5, name="block1a_drop")(x)
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="block2a_conv")(x)
    x = keras.layers.BatchNormalization(name="block2a_bn")(x)
    return keras.Model(inputs, x, name="tiny_base")


def _batch(n=8, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, size, size, 3)).astype("float32"), (np.arange(n) % 2).astype("float32")


def test_unit_to_efficientnet_matches_preprocess_input():
    pixels = np.random.default_rng(0).integers(0, 256, size=(2, 5, 5, 3), dtype=np.uint8)
    scaled = np.asarray(models.unit_to_efficientnet()(pixels.astype("float32") / 255))
    np.testing.assert_allclose(scaled, pretrained.preprocess_input(pixels), atol=1e-5)


def test_inference_mode_keeps_statistics_and_trains_unfrozen_layers(tmp_path):
    base = tiny_base()
    model = models.frozen_base_classifier(base, units=8)
    assert not base.trainable and model.get_layer("conv_base").model is base
    assert {w.path.split("/")[0] for w in model.trainable_weights} == {"dense", "output"}

    unfrozen = transfer.unfreeze_from(base, "block2a")
    assert unfrozen == ["block2a_conv", "block2a_bn"]
    assert not base.get_layer("block1a_conv").trainable and base.get_layer("block2a_conv").trainable
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    x, y = _batch()
    bn, conv = base.get_layer("block2a_bn"), base.get_layer("block2a_conv")
    mean, kernel = bn.moving_mean.numpy().copy(), conv.kernel.numpy().copy()
    frozen_kernel = base.get_layer("block1a_conv").kernel.numpy().copy()
    model.fit(x, y, epochs=2, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mean)  # inference mode inside fit
    assert not np.allclose(conv.kernel.numpy(), kernel)  # unfrozen: trained
    np.testing.assert_array_equal(base.get_layer("block1a_conv").kernel.numpy(), frozen_kernel)
    # The base's dropout is off even when the outer model is called in training mode.
    np.testing.assert_array_equal(np.asarray(model(x, training=True)), np.asarray(model(x, training=True)))

    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert (
        [layer.trainable for layer in loaded.get_layer("conv_base").model.layers if layer.weights]
        == [layer.trainable for layer in base.layers if layer.weights]
        == [False, False, True, True]
    )


def test_inference_mode_rejects_a_plain_layer():
    with pytest.raises(ValueError, match="keras.Model"):
        models.InferenceMode(keras.layers.Dense(2))


def test_unfreeze_from_an_unknown_layer():
    with pytest.raises(ValueError, match="block9"):
        transfer.unfreeze_from(tiny_base(), "block9")


def test_feature_classifier_has_the_lecture_parameter_count():
    model = models.feature_classifier(transfer.VGG16_FEATURE_SHAPE)
    # 4*4*512 inputs → 256 → 1, as the lecture's Dense(256, input_dim=4 * 4 * 512).
    assert model.count_params() == 8192 * 256 + 256 + 257
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert model.output_shape == (None, 1)
    with pytest.raises(ValueError, match="feature_shape"):
        models.feature_classifier((5, 0, 3))


def test_extract_features_is_the_base_on_preprocessed_photos():
    base = tiny_base()
    photos = np.random.default_rng(1).integers(0, 256, size=(5, 32, 32, 3), dtype=np.uint8)
    features = transfer.extract_features(base, photos, batch_size=2)
    assert features.shape == (5, 16, 16, 4) and features.dtype == np.float32
    expected = np.asarray(base(pretrained.preprocess_input(photos), training=False))
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        transfer.extract_features(base, photos, preprocess=lambda x: x / 255.0),
        np.asarray(base(photos / 255.0, training=False)),
        rtol=1e-5,
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="uint8"):
        transfer.extract_features(base, photos.astype("float32"))
    with pytest.raises(ValueError, match="batch_size"):
        transfer.extract_features(base, photos, batch_size=0)


@pytest.fixture
def tiny_photos(tiny_cats_vs_dogs, monkeypatch):
    """The tiny photo split, and the tiny base as 'EfficientNet-Lite0' on 32×32 photos."""
    monkeypatch.setattr(pretrained, "efficientnet_lite0", tiny_base)
    monkeypatch.setattr(transfer, "IMAGE_SIZE", (32, 32))


def test_features_are_computed_once(tiny_photos):
    first = transfer.cats_vs_dogs_features()
    assert not first.loaded and first.path.suffix == ".npz" and first.images == 12
    assert first.train.shape == (8, 16, 16, 4) and first.validation.dtype == np.float16
    again = transfer.cats_vs_dogs_features()
    assert again.loaded and again.seconds == first.seconds
    np.testing.assert_array_equal(again.train, first.train)
    np.testing.assert_array_equal(again.validation_labels, [0, 1, 0, 1])


def test_transplant_base_copies_changed_layers_only():
    classifier_base = tiny_base()
    outputs = keras.layers.Dense(3, name="predictions")(keras.layers.Flatten()(classifier_base.output))
    classifier = keras.Model(classifier_base.input, outputs)
    tuned = tiny_base()
    tuned.set_weights(classifier_base.get_weights())
    conv = tuned.get_layer("block2a_conv")
    conv.set_weights([w + 1 for w in conv.get_weights()])
    assert transfer.transplant_base(classifier, tuned) == ["block2a_conv"]
    np.testing.assert_array_equal(
        classifier.get_layer("block2a_conv").kernel.numpy(), tuned.get_layer("block2a_conv").kernel.numpy()
    )
    with pytest.raises(ValueError, match="no layers named"):
        transfer.transplant_base(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), tuned)


def test_plot_training_phases_joins_and_marks_the_phases():
    import matplotlib

    matplotlib.use("Agg")
    from lecture_utils import plotting

    first = {"accuracy": [0.5, 0.6], "val_accuracy": [0.55, 0.6], "loss": [1, 0.9], "val_loss": [1, 0.95]}
    second = {"accuracy": [0.7], "val_accuracy": [0.65], "loss": [0.8], "val_loss": [0.9]}
    fig = plotting.plot_training_phases({"frozen": first, "tuned": second})
    accuracy_axes = fig.axes[0]
    np.testing.assert_array_equal(accuracy_axes.lines[0].get_ydata(), [0.5, 0.6, 0.7])
    assert accuracy_axes.lines[2].get_xdata()[0] == 2.5  # the dashed line between the phases
    assert [t.get_text() for t in accuracy_axes.texts] == ["frozen", "tuned"]
    smoothed = plotting.plot_training_phases(
        {"frozen": first, "tuned": second}, metrics=["loss"], smooth=lambda v: v * 0
    )
    assert not smoothed.axes[0].lines[0].get_ydata().any()
    with pytest.raises(ValueError, match="val_loss|loss"):
        plotting.plot_training_phases({"frozen": {"loss": [1]}}, metrics=["loss"])


def test_unfreeze_from_also_unfreezes_layers_frozen_one_by_one():
    base = tiny_base()
    for layer in base.layers:
        layer.trainable = False  # as the lecture's loop leaves the layers before its start
    names = [layer.name for layer in base.layers if layer.weights]
    unfrozen = transfer.unfreeze_from(base, names[-1])
    assert unfrozen == [names[-1]]
    assert [layer.name for layer in base.layers if layer.trainable and layer.weights] == unfrozen
