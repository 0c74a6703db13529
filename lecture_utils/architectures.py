"""The arithmetic behind ConvNet architectures, and the building blocks of real-world CNNs.

- receptive fields: how far the view of a unit reaches into the input, layer after layer;
- the cost of a convolution: parameters and multiply-adds, per layer and for a whole model;
- translation invariance: shifting images and measuring how much a feature map changes;
- real-world networks without their weights (to count and time them in little memory);
- forward cost: the measured wall-clock time per image of a model.

Everything here is plain arithmetic on integers or arrays except the builders, which return
Keras tensors and models, and :func:`forward_seconds_per_image`, which runs a model.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from .checks import (
    as_array,
    batch_fits_model,
    int_in_range,
    int_pair,
    keras_model,
    model_input_shape,
    positive_int,
    real_finite,
    sequence,
)

__all__ = [
    "conv2d_layer_with_kernels",
    "receptive_field_sizes",
    "receptive_fields_of_layers",
    "conv2d_parameter_count",
    "conv2d_multiply_adds",
    "layer_multiply_adds",
    "model_multiply_adds",
    "shifted_images",
    "relative_change",
    "relative_change_per_layer",
    "architecture_without_weights",
    "with_zero_weights",
    "forward_seconds_per_image",
]


def conv2d_layer_with_kernels(kernels, **options):
    """A Keras Conv2D layer whose filters are given kernels (and zero biases), for one-channel input.

    A trained layer learns its kernels; one holding known kernels shows what the layer computes.

    Parameters
    ----------
    kernels : array_like, shape (d, kh, kw)
        The d filters, e.g. the edge detectors of ``lecture_utils.convolution.KERNELS``.
    **options
        Passed to ``keras.layers.Conv2D`` (``padding``, ``strides``, ``activation``, ``name`` …).

    Returns
    -------
    keras.layers.Conv2D
        Built for inputs of shape (batch, H, W, 1); its output has d channels.
    """
    from keras import layers

    kernels = real_finite(kernels, "kernels").astype("float32")
    if kernels.ndim != 3 or 0 in kernels.shape:
        raise ValueError(f"kernels must be a stack of 2-D kernels of shape (d, kh, kw), got shape {kernels.shape}.")
    layer = layers.Conv2D(kernels.shape[0], kernels.shape[1:], **options)
    layer.build((None, None, None, 1))
    weights = [np.transpose(kernels, (1, 2, 0))[:, :, None, :]]  # Keras order: (kh, kw, in, out)
    if layer.use_bias:
        weights.append(np.zeros(kernels.shape[0], dtype="float32"))
    layer.set_weights(weights)
    return layer


# ---------------------------------------------------------------------------------------------
# Receptive fields


def receptive_field_sizes(kernel_sizes, strides=None) -> list[int]:
    """Side of the receptive field after each layer of a stack of convolutions and poolings.

    A unit after layer :math:`l` sees :math:`r_l = r_{l-1} + (k_l - 1)\\, j_{l-1}` input pixels
    per dimension, where :math:`j_{l-1} = s_1 \\cdots s_{l-1}` is the distance, in input pixels,
    between neighbouring units of layer :math:`l-1` (:math:`r_0 = j_0 = 1`). Padding does not
    change the receptive field, only how many units there are.

    Parameters
    ----------
    kernel_sizes : sequence of int
        Kernel (or pooling window) side of each layer, in the order the input passes them.
    strides : sequence of int, optional
        Stride of each layer; default 1 for every layer.

    Returns
    -------
    list of int, one per layer
        Receptive-field side in input pixels, e.g. ``[3, 5, 7]`` for three 3×3 convolutions.

    Raises
    ------
    ValueError
        If a kernel size or stride is not a positive integer, or the two lengths differ.
    """
    kernel_sizes = [positive_int(k, "every kernel size") for k in sequence(kernel_sizes, "kernel_sizes", of="integers")]
    if strides is None:
        strides = [1] * len(kernel_sizes)
    strides = [positive_int(s, "every stride") for s in sequence(strides, "strides", of="integers")]
    if len(strides) != len(kernel_sizes):
        raise ValueError(f"Got {len(kernel_sizes)} kernel sizes but {len(strides)} strides; give one stride per layer.")
    sizes, field, jump = [], 1, 1
    for kernel, stride in zip(kernel_sizes, strides):
        field += (kernel - 1) * jump
        jump *= stride
        sizes.append(field)
    return sizes


def receptive_fields_of_layers(model) -> list[tuple[str, tuple[int, int]]]:
    """Receptive field of every convolution and pooling layer of a model that is a single chain.

    Parameters
    ----------
    model : keras.Model
        A Sequential model, or a functional one in which every layer takes the previous
        layer's output (like VGG16; not ResNet or Inception, whose branches have different
        receptive fields). Conv2D, MaxPooling2D and AveragePooling2D layers are counted; layers
        that do not look at neighbouring pixels (activations, batch normalisation, dropout) are
        skipped; the first Flatten, Dense or global pooling ends the spatial part of the model.

    Returns
    -------
    list of (layer name, (height, width))
        Receptive field in input pixels after each spatial layer.

    Raises
    ------
    ValueError
        If the model branches, has a dilated convolution, or has no convolution or pooling.
    TypeError
        If ``model`` is not a Keras model.
    """
    import keras
    from keras import layers

    keras_model(model)
    if not isinstance(model, keras.Sequential):
        for previous, layer in zip(model.layers, model.layers[1:]):
            if layer.input is not previous.output:
                raise ValueError(
                    f"{model.name} is not a single chain of layers ({layer.name} does not take only "
                    f"the output of {previous.name}); use receptive_field_sizes along one path."
                )
    names, kernels, strides = [], [], []
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            if tuple(layer.dilation_rate) != (1, 1):
                raise ValueError(f"Layer {layer.name} is dilated ({layer.dilation_rate}); dilation is not supported.")
            kernel, stride = layer.kernel_size, layer.strides
        elif isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            kernel, stride = layer.pool_size, layer.strides
        elif isinstance(
            layer, (layers.Flatten, layers.Dense, layers.GlobalAveragePooling2D, layers.GlobalMaxPooling2D)
        ):
            break
        else:
            continue
        names.append(layer.name)
        kernels.append(tuple(kernel))
        strides.append(tuple(stride))
    if not names:
        raise ValueError(
            f"{model.name} has no Conv2D or pooling layer before its first Flatten, Dense or "
            "global pooling layer, so it has no receptive field to compute."
        )
    heights = receptive_field_sizes([k[0] for k in kernels], [s[0] for s in strides])
    widths = receptive_field_sizes([k[1] for k in kernels], [s[1] for s in strides])
    return [(name, (h, w)) for name, h, w in zip(names, heights, widths)]


# ---------------------------------------------------------------------------------------------
# Cost of convolutions


def conv2d_parameter_count(kernel_size, in_channels: int, filters: int, use_bias: bool = True) -> int:
    """Number of weights of a Conv2D layer: ``(kh * kw * in_channels + bias) * filters``.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Kernel side, or (height, width).
    in_channels : int
        Channels of the input feature map.
    filters : int
        Number of filters (output channels).
    use_bias : bool
        One bias per filter.

    Returns
    -------
    int
        e.g. 320 for 32 3×3 filters on a 1-channel image.
    """
    kh, kw = int_pair(kernel_size, "kernel_size")
    in_channels = positive_int(in_channels, "in_channels")
    filters = positive_int(filters, "filters")
    return (kh * kw * in_channels + int(bool(use_bias))) * filters


def conv2d_multiply_adds(output_size, kernel_size, in_channels: int, filters: int) -> int:
    """Multiply-adds of one Conv2D layer for one image: ``oh * ow * kh * kw * in_channels * filters``.

    Every output value (``oh * ow`` positions × ``filters`` channels) is a dot product of the
    kernel with a ``kh × kw × in_channels`` window. Biases and activations are not counted.

    Parameters
    ----------
    output_size : int or (int, int)
        Side, or (height, width), of the output feature map in pixels.
    kernel_size : int or (int, int)
    in_channels, filters : int

    Returns
    -------
    int
        Multiply-add operations per image (1 multiply-add ≈ 2 FLOPs).
    """
    oh, ow = int_pair(output_size, "output_size")
    kh, kw = int_pair(kernel_size, "kernel_size")
    return oh * ow * kh * kw * positive_int(in_channels, "in_channels") * positive_int(filters, "filters")


def layer_multiply_adds(layer) -> int:
    """Multiply-adds of one built Conv2D, DepthwiseConv2D or Dense layer, for one image.

    A depthwise convolution filters every channel with its own kernel:
    ``oh * ow * channels * kh * kw``. Any other layer (pooling, normalisation, activations,
    additions) counts 0.

    Parameters
    ----------
    layer : keras.layers.Layer
        Built, inside a model with a known input shape.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For a separable or grouped convolution, whose cost this does not model.
    """
    from keras import layers

    if isinstance(layer, layers.SeparableConv2D) or getattr(layer, "groups", 1) != 1:
        raise ValueError(
            f"Layer {layer.name} is a grouped or separable convolution; "
            "layer_multiply_adds counts only Conv2D, DepthwiseConv2D and Dense layers."
        )
    if isinstance(layer, layers.DepthwiseConv2D):
        _, oh, ow, channels = layer.output.shape
        kh, kw = layer.kernel_size
        return int(oh * ow * channels * kh * kw)
    if isinstance(layer, layers.Conv2D):
        _, oh, ow, filters = layer.output.shape
        return conv2d_multiply_adds((oh, ow), tuple(layer.kernel_size), layer.input.shape[-1], filters)
    if isinstance(layer, layers.Dense):
        positions = int(np.prod(layer.output.shape[1:-1], dtype=np.int64))
        return positions * layer.input.shape[-1] * layer.units
    return 0


def model_multiply_adds(model) -> int:
    """Multiply-adds of all Conv2D and Dense layers of a built Keras model, for one image.

    Pooling, batch normalisation, activations and additions are not counted: they are a small
    fraction of the work in the networks of this book. Nested models are counted layer by layer.

    Parameters
    ----------
    model : keras.Model
        Built, with a known input shape.

    Returns
    -------
    int
        Multiply-adds per image.

    Raises
    ------
    ValueError
        If the model has a grouped, depthwise or separable convolution, whose cost this does not
        model.
    """
    import keras
    from keras import layers

    keras_model(model)
    if not model.built or model_input_shape(model) is None:
        raise ValueError(f"{model.name} has no known input shape yet; build it with a keras.Input first.")
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += model_multiply_adds(layer)
        elif isinstance(layer, (layers.DepthwiseConv2D, layers.SeparableConv2D)) or getattr(layer, "groups", 1) != 1:
            raise ValueError(
                f"Layer {layer.name} is a grouped, depthwise or separable convolution; "
                "model_multiply_adds counts only plain Conv2D and Dense layers."
            )
        else:
            total += layer_multiply_adds(layer)
    return int(total)


# ---------------------------------------------------------------------------------------------
# Translation invariance


def shifted_images(images, dx: int = 0, dy: int = 0) -> np.ndarray:
    """Images moved ``dx`` pixels right and ``dy`` pixels down, with zeros shifted in.

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, H, W, C)
    dx, dy : int
        Shift in pixels; negative values move left / up. Pixels shifted out are lost.

    Returns
    -------
    ndarray, same shape and dtype as ``images``
    """
    images = as_array(images, "images")
    if images.ndim not in (3, 4):
        raise ValueError(
            f"shifted_images expects a batch of shape (N, H, W) or (N, H, W, C), got shape {images.shape}."
        )
    height, width = images.shape[1:3]
    dx, dy = int_in_range(dx, "dx", unit="pixels"), int_in_range(dy, "dy", unit="pixels")
    if abs(dy) >= height or abs(dx) >= width:
        raise ValueError(f"A shift of ({dx}, {dy}) pixels moves a {height}×{width} image out of view.")
    out = np.zeros_like(images)
    src_rows = slice(max(0, -dy), height - max(0, dy))
    dst_rows = slice(max(0, dy), height - max(0, -dy))
    src_cols = slice(max(0, -dx), width - max(0, dx))
    dst_cols = slice(max(0, dx), width - max(0, -dx))
    out[:, dst_rows, dst_cols] = images[:, src_rows, src_cols]
    return out


def relative_change(reference, other) -> float:
    """How much a feature map changed: ``‖other − reference‖ / ‖reference‖`` (Frobenius norms).

    0 means identical; 1 means the change is as large as the features themselves.

    Parameters
    ----------
    reference, other : array_like of the same shape

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ, a map holds NaN or infinite values, or the reference is all zeros.
    """
    reference = real_finite(reference, "reference").astype(float)
    other = real_finite(other, "other").astype(float)
    if reference.shape != other.shape:
        raise ValueError(f"Cannot compare feature maps of shapes {reference.shape} and {other.shape}.")
    norm = np.linalg.norm(reference)
    if norm == 0:
        raise ValueError("The reference feature map is all zeros, so a relative change is undefined.")
    return float(np.linalg.norm(other - reference) / norm)


def relative_change_per_layer(model, images, shifts) -> np.ndarray:
    """How much the output of every layer changes when the input images are shifted sideways.

    Parameters
    ----------
    model : keras.Sequential
    images : ndarray, shape (N, H, W, C)
        The reference images (e.g. a few hundred test digits).
    shifts : sequence of int
        Horizontal shifts in pixels (see :func:`shifted_images`).

    Returns
    -------
    ndarray of float, shape (len(shifts), len(model.layers))
        Entry ``[i, j]`` is :func:`relative_change` between the outputs of ``model.layers[j]``
        for the whole batch of images and for the batch shifted by ``shifts[i]`` pixels.
    """
    import keras

    if not isinstance(model, keras.Sequential):
        raise ValueError(f"relative_change_per_layer follows a Sequential stack, got a {type(model).__name__}.")
    images = as_array(images, "images")
    if images.ndim != 4:
        raise ValueError(f"images must be a batch of shape (N, H, W, C), got shape {images.shape}.")
    images = real_finite(batch_fits_model(images, model), "images")
    shifts = sequence(shifts, "shifts", of="integers")
    if not shifts:
        raise ValueError("relative_change_per_layer needs at least one shift, got none.")

    def layer_outputs(batch):
        outputs, x = [], batch
        for layer in model.layers:
            x = layer(x)
            outputs.append(keras.ops.convert_to_numpy(x))
        return outputs

    reference = layer_outputs(images)
    changes = np.empty((len(shifts), len(model.layers)))
    for i, shift in enumerate(shifts):
        moved = layer_outputs(shifted_images(images, dx=shift))
        changes[i] = [relative_change(r, m) for r, m in zip(reference, moved)]
    return changes


# ---------------------------------------------------------------------------------------------
# Real-world networks in little memory

# Initialisers of the layers' large tensors; batch-norm statistics and scales are small.
_WEIGHT_INITIALIZERS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer", "bias_initializer")


def architecture_without_weights(application, **options):
    """A ``keras.applications`` network with its layers and shapes but no weights allocated.

    Enough to count parameters, multiply-adds and receptive fields: VGG16's 138 M parameters
    are counted at TensorFlow's own 0.6 GB, where random weights take 1.4 GB more.  Built in
    a ``keras.StatelessScope`` that leaves the weights uninitialised; call
    ``keras.backend.clear_session()`` before building anything else, or that build initialises
    them after all.

    Parameters
    ----------
    application : callable
        E.g. ``keras.applications.VGG16``; called with ``weights=None`` and ``options``.

    Returns
    -------
    keras.Model
        Not callable on data (its weights do not exist).
    """
    import keras

    if not callable(application):
        raise TypeError(
            f"application must be a keras.applications builder such as "
            f"keras.applications.VGG16, got {type(application).__name__}."
        )
    with keras.StatelessScope(initialize_variables=False):
        return application(weights=None, **options)


def with_zero_weights(config: dict):
    """The functional network of ``config`` (``model.get_config()``), its weights all zero.

    A forward pass costs the same whatever the weights are, so this is what to time; zeros are
    allocated once, where random initialisation also holds its temporaries (VGG16: 0.57 GB of
    weights at a peak of 1.3 GB more than TensorFlow's own, against 0.8 GB more with zeros).

    Parameters
    ----------
    config : dict
        The config of a functional model, e.g. of :func:`architecture_without_weights`.

    Returns
    -------
    keras.Model
    """
    import copy

    import keras

    if not isinstance(config, dict) or "layers" not in config:
        raise ValueError("config must be a functional model's get_config() dict, with 'layers'.")
    config = copy.deepcopy(config)
    for layer in config["layers"]:
        for key in _WEIGHT_INITIALIZERS:
            if key in layer["config"]:
                layer["config"][key] = "zeros"
    return keras.Model.from_config(config)


# ---------------------------------------------------------------------------------------------
# Forward cost


def forward_seconds_per_image(model, images, repeats: int = 3) -> float:
    """Measured wall-clock seconds per image of one forward pass (inference) of ``model``.

    The batch is run once through ``model.predict_on_batch`` to warm up (tracing the graph,
    allocating memory), then ``repeats`` times; the fastest run is divided by the batch size —
    the least disturbed by other work on the machine.

    Parameters
    ----------
    model : keras.Model
    images : ndarray, shape (N, ...) matching the model's input
    repeats : int
        Timed runs after the warm-up.

    Returns
    -------
    float
        Seconds per image.
    """
    keras_model(model)
    images = as_array(images, "images")
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"forward_seconds_per_image needs a non-empty batch of inputs, got shape {images.shape}.")
    batch_fits_model(images, model)
    repeats = positive_int(repeats, "repeats")
    # Every new model traces its own predict function once, which is expected here; timing a
    # few models in a row would otherwise make TensorFlow warn about "excessive retracing".
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        model.predict_on_batch(images)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.predict_on_batch(images)
            timings.append(time.perf_counter() - start)
    finally:
        tf_logger.setLevel(level)
    return min(timings) / len(images)
