"""The lecture's networks: the parameter counts and shapes its slides print."""

import pytest

from lecture_utils import models


def output_shapes(model):
    return [tuple(layer.output.shape) for layer in model.layers]


def test_conv_base_shapes_and_parameters():
    base = models.mnist_conv_base()
    assert output_shapes(base) == [
        (None, 26, 26, 32),
        (None, 13, 13, 32),
        (None, 11, 11, 64),
        (None, 5, 5, 64),
        (None, 3, 3, 64),
    ]
    assert [layer.count_params() for layer in base.layers] == [320, 0, 18496, 0, 36928]
    assert base.count_params() == 55_744


def test_convnet_adds_flatten_and_two_dense_layers():
    model = models.mnist_convnet()
    assert output_shapes(model)[-3:] == [(None, 576), (None, 64), (None, 10)]
    assert [layer.count_params() for layer in model.layers[-2:]] == [36928, 650]
    assert model.count_params() == 93_322


def test_gap_convnet_has_far_fewer_weights():
    model = models.mnist_gap_convnet()
    assert output_shapes(model)[-2:] == [(None, 64), (None, 10)]
    assert model.count_params() == 56_394


def test_dense_net():
    model = models.mnist_dense_net()
    assert output_shapes(model) == [(None, 784), (None, 512), (None, 10)]
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10 == 407_050


@pytest.mark.parametrize("dropout", [None, 0.5])
def test_cats_vs_dogs_convnet(dropout):
    model = models.cats_vs_dogs_convnet(dropout=dropout)
    shapes = output_shapes(model)
    assert shapes[0] == (None, 148, 148, 32) and shapes[7] == (None, 7, 7, 128)
    assert shapes[-1] == (None, 1)
    assert model.count_params() == 3_453_121


def test_builders_take_other_input_shapes():
    assert output_shapes(models.mnist_convnet((32, 32, 3)))[-1] == (None, 10)
    assert output_shapes(models.mnist_conv_base((32, 32, 3)))[-1] == (None, 4, 4, 64)


def _batch_norms():
    """A FusedBatchNormalization and a Keras BatchNormalization with the same, non-trivial weights."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 2, 8), rng.normal(size=8), rng.normal(size=8), rng.uniform(0.1, 3, 8)]
    layers = models.FusedBatchNormalization(epsilon=1e-3), keras.layers.BatchNormalization(epsilon=1e-3)
    for layer in layers:
        layer.build((None, 5, 5, 8))
        layer.set_weights([w.astype("float32") for w in weights])
    return layers, rng.normal(size=(4, 5, 5, 8)).astype("float32")


def test_fused_batch_norm_normalises_like_keras_in_inference_with_the_same_gradients():
    import numpy as np
    import tensorflow as tf

    (fused, plain), x = _batch_norms()
    gamma, beta, mean, variance = (w.numpy() for w in plain.weights)
    expected = (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta
    x = tf.constant(x)
    grads = []
    for layer in (fused, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=False)
            loss = tf.reduce_sum(y * tf.range(8, dtype="float32"))
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
        grads.append(tape.gradient(loss, [x, layer.gamma, layer.beta]))
    for fused_grad, plain_grad in zip(*grads):
        np.testing.assert_allclose(fused_grad, plain_grad, rtol=1e-5, atol=1e-5)


def test_fused_batch_norm_trains_like_keras_and_is_frozen_when_not_trainable():
    import numpy as np

    (fused, plain), x = _batch_norms()
    # Training mode: batch statistics, and the moving statistics move, exactly as in Keras.
    np.testing.assert_allclose(fused(x, training=True), plain(x, training=True), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fused.moving_mean, plain.moving_mean, rtol=1e-6)
    # A frozen layer normalises with its stored statistics even when training=True.
    fused.trainable = plain.trainable = False
    before = fused.moving_mean.numpy().copy()
    np.testing.assert_allclose(fused(x, training=True), plain(x, training=False), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(fused.moving_mean, before)


def test_fused_batch_norm_keeps_the_compute_dtype_and_saves():
    import keras
    import numpy as np

    (fused, _), x = _batch_norms()
    half = models.FusedBatchNormalization(dtype="mixed_bfloat16")
    assert keras.ops.convert_to_numpy(half(x)).dtype.name == "bfloat16"
    restored = keras.layers.deserialize(keras.layers.serialize(fused))
    assert type(restored) is models.FusedBatchNormalization
    restored(x)  # builds it
    restored.set_weights(fused.get_weights())
    np.testing.assert_array_equal(restored(x), fused(x))


def test_fused_batch_norm_runs_tensorflows_fused_kernel_in_inference_only():
    import tensorflow as tf

    (fused, _), x = _batch_norms()

    def op_types(training):
        function = tf.function(lambda x: fused(x, training=training))
        return {op.type for op in function.get_concrete_function(tf.TensorSpec(x.shape)).graph.get_operations()}

    assert "FusedBatchNormV3" in op_types(False)
    assert "FusedBatchNormV3" not in op_types(True)  # training mode is Keras' own code
