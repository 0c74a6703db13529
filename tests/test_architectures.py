"""Receptive fields, convolution costs, shifts, residual blocks and forward timing."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from lecture_utils import architectures as arch
from lecture_utils import models

# ---------------------------------------------------------------------------------------------
# Receptive fields


def test_receptive_field_of_stacked_3x3_convolutions_grows_by_2():
    assert arch.receptive_field_sizes([3, 3, 3, 3]) == [3, 5, 7, 9]


def test_receptive_field_of_the_lecture_conv_base():
    # conv 3×3, pool 2×2/2, conv 3×3, pool 2×2/2, conv 3×3
    assert arch.receptive_field_sizes([3, 2, 3, 2, 3], [1, 2, 1, 2, 1]) == [3, 4, 8, 10, 18]


def test_receptive_field_with_strided_convolutions():
    assert arch.receptive_field_sizes([7, 3, 3], [2, 2, 1]) == [7, 11, 19]


@pytest.mark.parametrize(
    "kernels, strides", [([3, 0], None), ([3, 2.5], None), ([3, 3], [1]), ([3, 3], [1, -1]), ([True], None)]
)
def test_receptive_field_rejects_bad_layers(kernels, strides):
    with pytest.raises(ValueError):
        arch.receptive_field_sizes(kernels, strides)


def measured_receptive_field(model, input_side):
    """Side of the input region that influences the centre output unit (by its gradient).

    Linear layers with positive weights and average pooling, so no gradient is zeroed by a
    ReLU or a max.
    """
    x = tf.Variable(tf.zeros((1, input_side, input_side, 1)))
    with tf.GradientTape() as tape:
        y = model(x)
        centre = y[0, y.shape[1] // 2, y.shape[2] // 2, 0]
    grad = tape.gradient(centre, x).numpy()[0, :, :, 0]
    rows, cols = np.nonzero(grad)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_receptive_field_matches_the_gradient_of_a_keras_stack():
    ones = keras.initializers.Ones()
    model = keras.Sequential(
        [
            keras.Input((40, 40, 1)),
            layers.Conv2D(1, 3, kernel_initializer=ones, use_bias=False),
            layers.AveragePooling2D(2),
            layers.Conv2D(1, 3, kernel_initializer=ones, use_bias=False),
            layers.AveragePooling2D(2),
            layers.Conv2D(1, (3, 1), kernel_initializer=ones, use_bias=False),
        ]
    )
    fields = arch.receptive_fields_of_layers(model)
    assert [size for _, size in fields] == [(3, 3), (4, 4), (8, 8), (10, 10), (18, 10)]
    assert measured_receptive_field(model, 40) == (18, 10)


def test_receptive_fields_of_the_lecture_model_stop_at_flatten():
    fields = arch.receptive_fields_of_layers(models.mnist_convnet())
    assert [size[0] for _, size in fields] == [3, 4, 8, 10, 18]
    assert fields[-1][0].startswith("conv2d")


def test_receptive_fields_of_a_functional_chain():
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(4, 3, padding="same")(x)
    fields = arch.receptive_fields_of_layers(keras.Model(inputs, x))
    assert [size for _, size in fields] == [(3, 3), (4, 4), (8, 8)]


def test_receptive_fields_of_layers_needs_a_single_chain():
    with pytest.raises(ValueError, match="chain"):
        arch.receptive_fields_of_layers(models.small_resnet())


# ---------------------------------------------------------------------------------------------
# Costs


def test_parameter_counts_of_the_lecture_layers():
    assert arch.conv2d_parameter_count(3, 1, 32) == 320
    assert arch.conv2d_parameter_count(3, 32, 64) == 18_496
    assert arch.conv2d_parameter_count(3, 64, 64) == 36_928
    assert arch.conv2d_parameter_count((1, 3), 64, 64, use_bias=False) == 3 * 64 * 64


@pytest.mark.parametrize(
    "kernel, cin, filters, bias", [(3, 3, 8, True), ((1, 3), 5, 7, False), ((5, 2), 2, 4, True), (1, 192, 16, True)]
)
def test_parameter_count_matches_keras(kernel, cin, filters, bias):
    layer = layers.Conv2D(filters, kernel, use_bias=bias)
    layer.build((None, 9, 9, cin))
    assert arch.conv2d_parameter_count(kernel, cin, filters, bias) == layer.count_params()


def test_multiply_adds_of_one_layer():
    assert arch.conv2d_multiply_adds(26, 3, 1, 32) == 26 * 26 * 9 * 32
    assert arch.conv2d_multiply_adds((28, 28), 5, 192, 32) == 120_422_400


def test_factorised_3x3_is_a_third_cheaper():
    full = arch.conv2d_multiply_adds(10, 3, 16, 16)
    factorised = arch.conv2d_multiply_adds(10, (1, 3), 16, 16) + arch.conv2d_multiply_adds(10, (3, 1), 16, 16)
    assert factorised / full == pytest.approx(2 / 3)


@pytest.mark.parametrize("args", [(0, 3, 1, 1), (5, (3, 3, 3), 1, 1), (5, 3, 0, 1), (5, 3, 1, 2.0)])
def test_multiply_adds_reject_bad_sizes(args):
    with pytest.raises(ValueError):
        arch.conv2d_multiply_adds(*args)


def test_model_multiply_adds_of_the_lecture_convnet():
    expected = (
        26 * 26 * 9 * 1 * 32
        + 11 * 11 * 9 * 32 * 64
        + 3 * 3 * 9 * 64 * 64  # convolutions
        + 576 * 64
        + 64 * 10
    )  # dense layers
    assert arch.model_multiply_adds(models.mnist_convnet()) == expected == 2_794_240


def test_model_multiply_adds_counts_nested_models():
    inner = models.mnist_conv_base()
    outer = keras.Sequential([keras.Input((28, 28, 1)), inner, layers.Flatten(), layers.Dense(10)])
    assert arch.model_multiply_adds(outer) == arch.model_multiply_adds(inner) + 576 * 10


def test_layer_multiply_adds_of_each_kind_of_layer():
    x = keras.Input((10, 10, 4))
    depthwise = layers.DepthwiseConv2D(3, name="dw")(x)  # 8×8×4 outputs, a 3×3 window each
    conv = layers.Conv2D(6, 1, name="pointwise")(depthwise)  # 8×8×6 outputs, 4 inputs each
    pooled = layers.GlobalAveragePooling2D(name="gap")(conv)
    dense = layers.Dense(5, name="dense")(pooled)
    model = keras.Model(x, dense)
    counts = {name: arch.layer_multiply_adds(model.get_layer(name)) for name in ("dw", "pointwise", "gap", "dense")}
    assert counts == {"dw": 8 * 8 * 4 * 9, "pointwise": 8 * 8 * 6 * 4, "gap": 0, "dense": 6 * 5}
    with pytest.raises(ValueError, match="grouped or separable"):
        arch.layer_multiply_adds(layers.SeparableConv2D(2, 3, name="sep"))


def test_model_multiply_adds_rejects_depthwise_convolutions():
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.DepthwiseConv2D(3)])
    with pytest.raises(ValueError, match="depthwise"):
        arch.model_multiply_adds(model)


# ---------------------------------------------------------------------------------------------
# Shifts


def test_shifted_images_moves_right_and_down_with_zeros():
    images = np.arange(1, 10).reshape(1, 3, 3)
    np.testing.assert_array_equal(arch.shifted_images(images, dx=1)[0], [[0, 1, 2], [0, 4, 5], [0, 7, 8]])
    np.testing.assert_array_equal(arch.shifted_images(images, dy=-1)[0], [[4, 5, 6], [7, 8, 9], [0, 0, 0]])
    np.testing.assert_array_equal(arch.shifted_images(images, dx=-2, dy=2)[0], [[0, 0, 0], [0, 0, 0], [3, 0, 0]])
    assert arch.shifted_images(images).dtype == images.dtype


def test_shifted_images_keeps_channels():
    images = np.ones((2, 4, 4, 3))
    out = arch.shifted_images(images, dx=1)
    assert out.shape == images.shape and out[:, :, 0].sum() == 0 and out[:, :, 1:].sum() == 2 * 4 * 3 * 3


@pytest.mark.parametrize(
    "images, dx, dy", [(np.ones((3, 3)), 1, 0), (np.ones((1, 3, 3)), 3, 0), (np.ones((1, 3, 3)), 0.5, 0)]
)
def test_shifted_images_rejects_bad_input(images, dx, dy):
    with pytest.raises(ValueError):
        arch.shifted_images(images, dx, dy)


def test_relative_change():
    reference = np.array([[3.0, 4.0]])
    assert arch.relative_change(reference, reference) == 0
    assert arch.relative_change(reference, 2 * reference) == pytest.approx(1)
    assert arch.relative_change(reference, [[3.0, 0.0]]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="shapes"):
        arch.relative_change(reference, [3.0, 4.0])
    with pytest.raises(ValueError, match="zeros"):
        arch.relative_change(np.zeros(2), np.ones(2))


# ---------------------------------------------------------------------------------------------
# Residual blocks


def block_model(input_shape, filters, stride):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, models.residual_block(inputs, filters, stride, name="b"))


def test_identity_block_keeps_the_shape_and_adds_the_input():
    model = block_model((8, 8, 16), 16, 1)
    names = [layer.name for layer in model.layers]
    assert model.output.shape == (None, 8, 8, 16) and "b_shortcut" not in names
    # two 3×3×16×16 convolutions without bias, two BN layers of 4 × 16
    assert model.count_params() == 2 * (9 * 16 * 16) + 2 * 64
    # zeroing the last BN's scale and shift leaves relu(input): the shortcut is the identity
    model.get_layer("b_bn2").set_weights([np.zeros(16)] * 2 + model.get_layer("b_bn2").get_weights()[2:])
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 16)).astype("float32")
    np.testing.assert_allclose(model.predict_on_batch(x), np.maximum(x, 0), atol=1e-6)


def test_projection_block_halves_the_resolution():
    model = block_model((28, 28, 16), 32, 2)
    assert model.output.shape == (None, 14, 14, 32)
    shortcut = model.get_layer("b_shortcut")
    assert tuple(shortcut.kernel_size) == (1, 1) and tuple(shortcut.strides) == (2, 2)
    assert model.count_params() == (16 * 32 + 4 * 32) + (9 * 16 * 32 + 4 * 32) + (9 * 32 * 32 + 4 * 32)


def test_residual_block_rejects_bad_input():
    with pytest.raises(ValueError, match="4-D"):
        models.residual_block(keras.Input((10,)), 8)
    with pytest.raises(ValueError, match="filters"):
        models.residual_block(keras.Input((8, 8, 3)), 0)


def test_small_resnet_shapes():
    model = models.small_resnet()
    assert model.output.shape == (None, 10)
    assert model.get_layer("stem_pool").output.shape == (None, 14, 14, 16)
    assert model.get_layer("block1_out").output.shape == (None, 14, 14, 16)
    assert model.get_layer("block3_out").output.shape == (None, 4, 4, 64)
    shortcuts = [layer.name for layer in model.layers if layer.name.endswith("_shortcut")]
    assert shortcuts == ["block2_shortcut", "block3_shortcut"]
    with pytest.raises(ValueError):
        models.small_resnet(filters=())


# ---------------------------------------------------------------------------------------------
# Forward cost


def test_forward_seconds_per_image_is_a_small_positive_time():
    model = models.mnist_convnet()
    seconds = arch.forward_seconds_per_image(model, np.zeros((4, 28, 28, 1), "float32"), repeats=2)
    assert 0 < seconds < 1


def test_forward_seconds_per_image_rejects_an_empty_batch():
    with pytest.raises(ValueError, match="non-empty"):
        arch.forward_seconds_per_image(models.mnist_convnet(), np.zeros((0, 28, 28, 1)))


def test_relative_change_per_layer_is_zero_without_a_shift_and_drops_after_global_pooling():
    keras.utils.set_random_seed(0)
    model = models.mnist_gap_convnet()
    rng = np.random.default_rng(0)
    images = np.zeros((8, 28, 28, 1), "float32")
    images[:, 8:20, 8:20] = rng.uniform(size=(8, 12, 12, 1))
    changes = arch.relative_change_per_layer(model, images, [0, 2])
    assert changes.shape == (2, len(model.layers))
    np.testing.assert_allclose(changes[0], 0, atol=1e-6)
    # a 2-pixel shift moves a 2×2-pooled map by exactly one cell; the global average barely moves
    assert changes[1, 5] < 0.5 * changes[1, 0]


def test_relative_change_per_layer_rejects_bad_input():
    with pytest.raises(ValueError, match="Sequential"):
        arch.relative_change_per_layer(models.small_resnet(), np.zeros((1, 28, 28, 1)), [1])
    with pytest.raises(ValueError, match="N, H, W, C"):
        arch.relative_change_per_layer(models.mnist_convnet(), np.zeros((28, 28, 1)), [1])


# ---------------------------------------------------------------------------------------------
# Keras layers with known kernels


def test_conv2d_layer_with_kernels_computes_the_cross_correlation():
    from scipy.signal import correlate2d

    from lecture_utils.convolution import KERNELS

    kernels = np.stack([KERNELS["vertical edge"], KERNELS["diagonal edge"]])
    image = np.random.default_rng(0).uniform(size=(9, 11)).astype("float32")
    layer = arch.conv2d_layer_with_kernels(kernels)
    out = keras.ops.convert_to_numpy(layer(image[None, :, :, None]))
    assert out.shape == (1, 7, 9, 2) and layer.count_params() == 2 * 9 + 2
    for channel, kernel in enumerate(kernels):
        np.testing.assert_allclose(out[0, :, :, channel], correlate2d(image, kernel, mode="valid"), atol=1e-5)


def test_conv2d_layer_with_kernels_passes_options():
    layer = arch.conv2d_layer_with_kernels(np.ones((3, 1, 3)), padding="same", strides=2, use_bias=False)
    assert layer(np.ones((1, 8, 8, 1), "float32")).shape == (1, 4, 4, 3) and layer.count_params() == 9


def test_conv2d_layer_with_kernels_rejects_a_single_2d_kernel():
    with pytest.raises(ValueError, match=r"\(d, kh, kw\)"):
        arch.conv2d_layer_with_kernels(np.ones((3, 3)))


def test_forward_seconds_per_image_keeps_retracing_warnings_quiet(caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        level = logging.getLogger("tensorflow").level
        for _ in range(7):  # one new predict function per model: TensorFlow would warn from the 6th
            arch.forward_seconds_per_image(models.mnist_dense_net(), np.zeros((2, 28, 28), "float32"), repeats=1)
        assert logging.getLogger("tensorflow").level == level
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_architecture_without_weights_counts_vgg16_without_allocating_it():
    import keras

    keras.backend.clear_session()
    vgg16 = arch.architecture_without_weights(keras.applications.VGG16)
    assert vgg16.count_params() == 138_357_544
    assert arch.model_multiply_adds(vgg16) == arch.model_multiply_adds(
        arch.architecture_without_weights(keras.applications.VGG16)
    )
    # Nothing was allocated: the variables hold no value yet.
    assert all(variable._value is None for variable in vgg16.weights)
    keras.backend.clear_session()


def test_with_zero_weights_builds_the_same_network_with_zero_kernels():
    import keras

    keras.backend.clear_session()
    mobilenet = arch.architecture_without_weights(keras.applications.MobileNet, alpha=0.25, input_shape=(64, 64, 3))
    config, count = mobilenet.get_config(), mobilenet.count_params()
    keras.backend.clear_session()
    zero = arch.with_zero_weights(config)
    assert zero.count_params() == count
    kernels = [w for w in zero.weights if w.path.endswith("kernel")]
    assert kernels and all(not np.any(keras.ops.convert_to_numpy(w)) for w in kernels)
    assert zero.predict(np.ones((2, 64, 64, 3), "float32"), verbose=0).shape == (2, 1000)
    with pytest.raises(ValueError, match="functional model's get_config"):
        arch.with_zero_weights({"name": "not a model"})
    keras.backend.clear_session()
