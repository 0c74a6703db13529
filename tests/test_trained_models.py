"""Chapters 5 and 6 analyse trained models as ``train_or_load`` returns them, however they come.

A model comes freshly trained, from the user's cache or from a class folder, trained in
float32 (every laptop without bfloat16, Apple silicon, GitHub's runners) or in mixed_bfloat16.
Keras 3 rebuilds a loaded ``Sequential`` once per layer, so ``layer.output`` there is not the
tensor the model's output comes from; Grad-CAM once got no gradient from such a model. Each
analysis of the chapters runs here on every kind of model, after a real save and reload, on
twelve tiny photos.
"""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf
from real_data import needs_bfloat16

from lecture_utils import interpretation, model_store, pretrained, trainings, transfer

PRECISIONS = ["float32", pytest.param("mixed_bfloat16", marks=needs_bfloat16)]


def small(training, **changes):
    return dataclasses.replace(training, epochs=1, batch_size=4, validation_batch_size=4, **changes)


def _runs(training, tmp_path, monkeypatch):
    """The run trained now, then loaded from the cache, then from a class folder."""
    trained = trainings.train_or_load(training)
    cached = trainings.train_or_load(training)
    model_store.export(tmp_path / "class")
    monkeypatch.setenv("LECTURE_MODELS_DIR", str(tmp_path / "class"))
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "empty cache"))
    from_class = trainings.train_or_load(training)
    assert [run.origin for run in (trained, cached, from_class)] == ["trained", "cache", "class folder"]
    return {run.origin: run.model for run in (trained, cached, from_class)}


@pytest.mark.parametrize("precision", PRECISIONS)
def test_chapter_5_analyses_every_convnet_however_it_comes(tiny_cats_vs_dogs, tmp_path, monkeypatch, precision):
    models = _runs(small(trainings.AUGMENTED, precision=precision), tmp_path, monkeypatch)
    photo = np.random.default_rng(1).random(trainings.IMAGE_SIZE + (3,)).astype("float32")
    results = {}
    for origin, model in models.items():
        assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}, origin
        conv_names = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        last_conv = conv_names[-1]

        # Grad-CAM as keras.io writes it (a Sequential has no .output in Keras 3: .outputs[0]),
        # on the model as returned: the score
        # must depend on the feature map.
        grad_model = keras.Model(model.inputs[0], [model.get_layer(last_conv).output, model.outputs[0]])
        with tf.GradientTape() as tape:
            feature_map, scores = grad_model(photo[None])
            score = scores[0, 0]
        assert tape.gradient(score, feature_map) is not None, origin

        activations = interpretation.activation_model(model, conv_names).predict(photo[None], verbose=0)
        never = interpretation.channels_never_active(interpretation.activation_model(model, conv_names), photo[None])
        patterns, history = interpretation.filter_patterns(model, conv_names[0], range(3), steps=2, progress=False)
        linear, _ = interpretation.filter_patterns(
            model, conv_names[1], range(2), steps=2, pre_activation=True, progress=False
        )
        cam = interpretation.grad_cam(model, photo, last_conv, class_index=0)
        stages = {layer.name: [layer.name] for layer in reversed(model.layers) if layer.weights}
        cascade = interpretation.cascading_randomisation(model, photo, last_conv, stages, class_index=0)
        assert cascade.weights_redrawn[-1] == model.count_params(), origin
        assert np.isfinite(cam.raw).all() and np.isfinite(history).all(), origin
        results[origin] = [*activations, *never, patterns, linear, cam.raw, cascade.raw]

    # The same trained weights give the same answers, whichever way the model came.
    for origin in ("cache", "class folder"):
        for a, b in zip(results["trained"], results[origin], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=origin)


def test_grad_cam_of_a_sequential_built_with_add():
    """The lecture builds its ConvNets with ``model.add``, which rebuilds the model each time."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(name="added")
    model.add(keras.Input((16, 16, 1)))
    model.add(keras.layers.Conv2D(4, 3, activation="relu", name="conv"))
    model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(2, name="scores"))
    image = np.random.default_rng(0).random((16, 16, 1)).astype("float32")
    cam = interpretation.grad_cam(model, image, "conv", class_index=1)
    # Grad-CAM's channel weights are the mean gradients: check them against a fresh, once-built copy.
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    grad_model = keras.Model(copy.inputs[0], [copy.get_layer("conv").output, copy.outputs[0]])
    with tf.GradientTape() as tape:
        feature_map, scores = grad_model(image[None])
        score = scores[0, 1]
    expected = tape.gradient(score, feature_map)[0].numpy().mean(axis=(0, 1))
    np.testing.assert_allclose(cam.channel_weights, expected, rtol=1e-5, atol=1e-7)


def test_chapter_6_transfer_models_however_they_come(tiny_photos, tmp_path, monkeypatch):
    frozen = small(trainings.FROZEN_BASE, dense_units=8)
    tuned = small(trainings.FINE_TUNING, dense_units=8, start_from=frozen, unfreeze_from="block2a")
    photos = np.random.default_rng(1).random((2, *trainings.IMAGE_SIZE, 3)).astype("float32")
    predictions = {}
    for origin, model in _runs(tuned, tmp_path, monkeypatch).items():
        base = model.get_layer("conv_base").model
        assert base.get_layer("block2a_conv").trainable and not base.get_layer("block1a_conv").trainable, origin
        # Chapter 6's forgetting measure: the tuned base under the original classifier.
        classifier = pretrained.efficientnet_lite0(include_top=True, input_shape=trainings.IMAGE_SIZE + (3,))
        assert "block2a_conv" in transfer.transplant_base(classifier, base), origin
        assert not transfer.transplant_base(classifier, base), origin  # now the same weights
        predictions[origin] = model.predict(photos, verbose=0)
    for origin in ("cache", "class folder"):
        np.testing.assert_allclose(predictions[origin], predictions["trained"], rtol=1e-5, err_msg=origin)
