"""Looking inside a trained ConvNet: activations, filter patterns and class activation maps.

Three techniques from the lecture's "Interpreting the model", written for Keras 3 (the
Keras 2 backend functions the lecture took its gradients from no longer exist; gradients come
from ``tf.GradientTape``):

* :func:`activation_model` — a model that returns the feature maps of chosen layers, so that
  one ``predict`` shows what every filter responds to in one image (:func:`channel_mosaic`
  tiles them for display, :func:`empty_channels` and :func:`channels_never_active` find
  the filters that stay silent,
  :func:`edge_correlation` measures how edge-like each channel is, and
  :func:`channel_correlation` how closely it follows any other map of the photo);
* :func:`filter_patterns` — gradient ascent in input space: the images that make chosen
  filters respond most, computed for many filters at once (:func:`deprocess_image` turns them
  into viewable pictures);
* :func:`grad_cam` — Grad-CAM (Selvaraju et al., 2017): which parts of an image pushed the
  score of a class up, as a heatmap at the resolution of a convolutional feature map
  (:func:`overlay_heatmap` upscales it and lays it over the photo);
* :func:`cascading_randomisation` — a sanity check of such maps (Adebayo et al., 2018):
  re-initialise the network from the top down and measure how much the map changes.

Every function accepts any Keras model built with an input (Sequential or functional) and
refers to layers by name.  A "convolutional layer" here is any layer whose output is a
feature map of shape (N, height, width, channels): convolutions, but also the pooling,
activation or add layers that follow them.  Drawing is in :mod:`lecture_utils.plotting`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from .checks import int_in_range, non_negative_int, positive_int, real_in, size_2d

__all__ = [
    "activation_model",
    "channel_mosaic",
    "empty_channels",
    "channels_never_active",
    "edge_correlation",
    "channel_correlation",
    "photo_maps",
    "filter_patterns",
    "deprocess_image",
    "GradCAM",
    "RandomisationCascade",
    "cascading_randomisation",
    "reinitialise_layer",
    "grad_cam",
    "upscale_heatmap",
    "overlay_heatmap",
]


# ---------------------------------------------------------------------------------------------
# Checks shared by the helpers


def _layer(model, layer_name: str):
    """The layer called ``layer_name``; a ValueError naming a few valid choices if none is."""
    if not isinstance(layer_name, str):
        raise ValueError(f"layer names must be strings, got {layer_name!r}.")
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        feature_maps = [layer.name for layer in model.layers if _is_feature_map(layer)]
        raise ValueError(
            f"model {model.name!r} has no layer named {layer_name!r}; its "
            f"convolutional layers include {feature_maps[:6]}."
        )
    return model.get_layer(layer_name)


def _is_feature_map(layer) -> bool:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):  # a layer never called, or called more than once
        return False
    return len(shape) == 4


def _conv_layer(model, layer_name: str):
    """The layer called ``layer_name``, checked to output a (N, H, W, C) feature map."""
    layer = _layer(model, layer_name)
    if not _is_feature_map(layer):
        shape = getattr(getattr(layer, "output", None), "shape", None)
        raise ValueError(
            f"layer {layer_name!r} outputs shape {shape}, not a (height, width, "
            "channels) feature map; choose a convolutional layer."
        )
    return layer


def _single_input(model):
    inputs = model.inputs
    if inputs is None or len(inputs) != 1:
        raise ValueError(
            f"model {model.name!r} must have exactly one input (an image batch), "
            f"it has {0 if inputs is None else len(inputs)}; build it with keras.Input."
        )
    return inputs[0]


def _one_call(model, layer_names, before_activation=()):
    """The input, the named layers' outputs and the output of one and the same call of ``model``.

    A layer called more than once keeps one output per call, and ``layer.output`` is the
    first.  Keras 3's ``Sequential`` calls all its layers again whenever it rebuilds: at
    every ``add`` after an input is known, and so also in ``keras.models.load_model``,
    which adds the layers one by one.  There ``layer.output`` comes from an older call than
    ``model.output``; a model from the input to both computes them on two separate paths,
    and the class score's gradient with respect to the feature map is None.  So the layers
    of a ``Sequential`` are called once more, in order, on a new input; a functional
    model's graph calls each of its layers once, and its tensors are used as they are.

    Parameters
    ----------
    model : keras.Model
        One image input.
    layer_names : sequence of str
        Layers of ``model``.
    before_activation : collection of str
        Of those, the layers whose output is taken before their built-in activation (from a
        linear copy that shares nothing but the weights' values).

    Returns
    -------
    (KerasTensor, list of KerasTensor, KerasTensor)
        Build ``keras.Model(inputs, ...)`` from any of them.
    """
    import keras

    model_input = _single_input(model)
    found, copies = {}, []

    def before(layer, x):
        copies.append((_linear_copy(layer), layer))
        found[layer.name] = copies[-1][0](x)

    if isinstance(model, keras.Sequential):
        inputs = keras.Input(batch_shape=model_input.shape, dtype=model_input.dtype, name=f"{model.name}_input")
        x = inputs
        for layer in model.layers:
            if layer.name in layer_names and layer.name in before_activation:
                before(layer, x)
            x = layer(x)
            found.setdefault(layer.name, x)
        output = x
    else:
        inputs, output = model_input, model.outputs[0]
        for name in layer_names:
            layer = model.get_layer(name)
            if name in before_activation:
                before(layer, layer.input)
            found.setdefault(name, layer.output)
    for linear, layer in copies:  # built by their call: now they can take the weights
        linear.set_weights(layer.get_weights())
    return inputs, [found[name] for name in layer_names], output


def _image_batch(model, image) -> np.ndarray:
    """``image`` as a float32 batch of one, checked against the model's input shape."""
    x = np.asarray(image, dtype=np.float32)
    expected = tuple(_single_input(model).shape[1:])
    if x.ndim == len(expected):
        x = x[None]
    if (
        x.ndim != len(expected) + 1
        or x.shape[0] != 1
        or any(e is not None and e != s for e, s in zip(expected, x.shape[1:]))
    ):
        raise ValueError(
            f"image must have shape {expected} (or a batch of one of them) to fit "
            f"model {model.name!r}, got {np.shape(image)}."
        )
    if not np.isfinite(x).all():
        raise ValueError("image contains NaN or infinite values.")
    return x


# ---------------------------------------------------------------------------------------------
# Intermediate activations


def called_once(model):
    """``model`` itself, or, for a ``Sequential``, a copy with its weights whose layers were called once.

    Keras 3 calls a ``Sequential``'s layers again whenever it rebuilds: at every ``add`` after
    an input is known, and so in ``keras.models.load_model``. ``layer.output`` is the first
    call's, older than ``model.output``, and a model from the input to both computes them on
    two separate paths (the class score's gradient with respect to the feature map is then
    None). A clone calls each new layer once.
    """
    if not isinstance(model, keras.Sequential):
        return model
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def feature_map_layers(model, layer_names) -> list[str]:
    """``layer_names`` as a list, if each names a layer of ``model`` that outputs feature maps.

    Raises
    ------
    ValueError
        For an unknown layer, a layer that is not convolutional (e.g. ``Flatten`` or
        ``Dense``), or an empty list.
    """
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    layer_names = list(layer_names)
    if not layer_names:
        raise ValueError("give at least one layer name.")
    for name in layer_names:
        _conv_layer(model, name)
    return layer_names


# @save
def activation_model(model, layer_names):
    """A model from ``model``'s input to the feature maps of the named layers, with the trained weights."""
    layer_names = feature_map_layers(model, layer_names)  # one sentence for a wrong name
    model = called_once(model)  # else a Sequential's layer outputs may come from an older call
    return keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names])


def _check_feature_map(feature_map) -> np.ndarray:
    a = np.asarray(feature_map, dtype=np.float32)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(
            f"a feature map must have shape (height, width, channels) or a batch of "
            f"one of them, got {np.shape(feature_map)}."
        )
    return a


def empty_channels(feature_maps, tolerance: float = 0.0) -> np.ndarray:
    """Indices of the channels that are zero (at most ``tolerance``) everywhere.

    After a ReLU, such a filter found nothing it responds to in the image; given a batch,
    the channels that found nothing in *any* of the images.

    Parameters
    ----------
    feature_maps : array_like, shape (H, W, C) or (N, H, W, C)
        One image's feature map, or a batch of them.
    tolerance : float
        Largest absolute value still counted as "nothing".

    Returns
    -------
    ndarray of int, shape (k,)
        Sorted channel indices.
    """
    a = np.asarray(feature_maps, dtype=np.float32)
    if a.ndim not in (3, 4) or 0 in a.shape:
        raise ValueError(
            f"a feature map must have shape (height, width, channels) or a batch "
            f"(N, height, width, channels), got {np.shape(feature_maps)}."
        )
    return np.flatnonzero(np.abs(a).max(axis=tuple(range(a.ndim - 1))) <= tolerance)


def channels_never_active(activation_model, images, batch_size: int = 25) -> list[np.ndarray]:
    """For every output of an activation model, the channels that are zero on all ``images``.

    Like :func:`empty_channels` on the whole batch at once, but computed batch by batch so
    that the feature maps of many images never have to be in memory together.

    Parameters
    ----------
    activation_model : keras.Model
        E.g. from :func:`activation_model`; every output of shape (N, h, w, channels).
    images : array_like, shape (N, H, W, C)
        Inputs as the model expects them.
    batch_size : int

    Returns
    -------
    list of ndarray of int
        One array of sorted channel indices per model output.
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"images must be a non-empty batch of shape (N, H, W, C), got {x.shape}.")
    batch_size = positive_int(batch_size, "batch_size")
    peaks = None
    for start in range(0, len(x), batch_size):
        # One compiled call per batch: predict() would build a tf.data pipeline per call, whose
        # autotuner stalls its end (images.without_autotuning).
        outputs = activation_model.predict_on_batch(x[start : start + batch_size])
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        if any(np.ndim(o) != 4 for o in outputs):
            raise ValueError("every output of activation_model must be a (N, h, w, channels) feature map.")
        batch_peaks = [np.abs(o).max(axis=(0, 1, 2)) for o in outputs]
        peaks = batch_peaks if peaks is None else [np.maximum(p, b) for p, b in zip(peaks, batch_peaks)]
    return [np.flatnonzero(p == 0) for p in peaks]


def edge_correlation(feature_map, image) -> np.ndarray:
    """How much each channel behaves like an edge detector on this image.

    The Pearson correlation between each channel and the edge strength of the photo (the
    magnitude of the Sobel gradient of its grey values), resized to the feature map's
    resolution.  A channel close to 1 lights up exactly where the photo has edges.

    Parameters
    ----------
    feature_map : array_like, shape (h, w, C) or (1, h, w, C)
    image : array_like, shape (H, W, 3) or (H, W)
        The photo the feature map was computed from (any value range).

    Returns
    -------
    ndarray of float, shape (C,)
        Correlations in [-1, 1]; 0 for a constant (empty) channel.
    """
    from scipy import ndimage

    a = _check_feature_map(feature_map).astype(np.float64)
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        img = img.mean(axis=-1)
    if img.ndim != 2 or min(img.shape) < 3:
        raise ValueError(f"image must have shape (H, W, 3) or (H, W) with H, W >= 3, got {np.shape(image)}.")
    edges = np.hypot(ndimage.sobel(img, axis=0), ndimage.sobel(img, axis=1))
    return channel_correlation(a, edges)


def photo_maps(image) -> dict:
    """Per-pixel properties of a photo that a first-layer channel might follow.

    Parameters
    ----------
    image : array_like, shape (H, W, 3)
        RGB, any value range (``uint8`` or [0, 1]).

    Returns
    -------
    dict of str to ndarray of float64, each shape (H, W)
        ``"edges"``: the magnitude of the Sobel gradient of the grey values (edges in any
        direction); ``"diagonal edges"``: the larger of the two diagonal Sobel responses, in
        absolute value; ``"brightness"``: the grey values; ``"greenness"``: green minus the
        mean of red and blue.
    """
    from scipy import ndimage

    rgb = np.asarray(image, dtype=np.float64)
    if rgb.ndim != 3 or rgb.shape[-1] != 3 or min(rgb.shape[:2]) < 3:
        raise ValueError(f"image must have shape (H, W, 3) with H, W >= 3, got {np.shape(image)}.")
    grey = rgb.mean(axis=-1)
    rising = np.array([[0.0, 1, 2], [-1, 0, 1], [-2, -1, 0]])  # Sobel turned by 45 degrees
    diagonal = np.maximum(np.abs(ndimage.convolve(grey, rising)), np.abs(ndimage.convolve(grey, rising[:, ::-1])))
    return {
        "edges": np.hypot(ndimage.sobel(grey, axis=0), ndimage.sobel(grey, axis=1)),
        "diagonal edges": diagonal,
        "brightness": grey,
        "greenness": rgb[..., 1] - rgb[..., [0, 2]].mean(axis=-1),
    }


def channel_correlation(feature_map, reference) -> np.ndarray:
    """The Pearson correlation between each channel and a map of the photo.

    Parameters
    ----------
    feature_map : array_like, shape (h, w, C) or (1, h, w, C)
    reference : array_like, shape (H, W)
        Any per-pixel property of the photo (edge strength, brightness, how green it is),
        resized bilinearly to (h, w).

    Returns
    -------
    ndarray of float, shape (C,)
        Correlations in [-1, 1]; 0 for a constant channel or a constant reference.
    """
    a = _check_feature_map(feature_map).astype(np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if reference.ndim != 2:
        raise ValueError(f"reference must be a 2-D map of the photo, got shape {reference.shape}.")
    e = upscale_heatmap(reference, a.shape[:2]).astype(np.float64).ravel()
    flat = a.reshape(-1, a.shape[-1])
    centred = flat - flat.mean(axis=0)
    e = e - e.mean()
    denominator = np.sqrt((centred**2).sum(axis=0) * (e**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (centred * e[:, None]).sum(axis=0) / denominator
    return np.where(denominator > 0, r, 0.0)


def channel_mosaic(feature_map, ncols: int = 16, gap: int = 1) -> np.ndarray:
    """Tile the channels of one feature map into one image, each channel contrast-stretched.

    Each channel is standardised on its own (mean 0, standard deviation 1), then mapped to
    ``64 * z + 128`` and clipped to [0, 255], as in the lecture's display code, so that weak
    and strong filters are equally visible.  A constant channel (an empty activation: the
    filter found nothing) is set to 0, the darkest colour, so that empty filters stand out.

    Parameters
    ----------
    feature_map : array_like, shape (H, W, C) or (1, H, W, C)
    ncols : int
        Channels per row; the last row is padded with blank tiles.
    gap : int
        Pixels of blank space between tiles.

    Returns
    -------
    ndarray of float32, shape (rows * (H + gap) - gap, ncols' * (W + gap) - gap)
        Values in [0, 255], with NaN in the gaps and the padding (drawn as background);
        ``ncols' = min(ncols, C)`` and ``rows = ceil(C / ncols')``.
    """
    a = _check_feature_map(feature_map)
    ncols = positive_int(ncols, "ncols")
    gap = non_negative_int(gap, "gap", unit="pixels")
    height, width, channels = a.shape
    ncols = min(ncols, channels)
    nrows = -(-channels // ncols)
    mean = a.mean(axis=(0, 1))
    std = a.std(axis=(0, 1))
    flat = std <= 1e-12
    z = (a - mean) / np.where(flat, 1.0, std)
    tiles = np.clip(64.0 * z + 128.0, 0.0, 255.0)
    tiles[..., flat] = 0.0
    out = np.full((nrows * (height + gap) - gap, ncols * (width + gap) - gap), np.nan, dtype=np.float32)
    for c in range(channels):
        row, col = divmod(c, ncols)
        top, left = row * (height + gap), col * (width + gap)
        out[top : top + height, left : left + width] = tiles[..., c]
    return out


# ---------------------------------------------------------------------------------------------
# Filter patterns by gradient ascent in input space


def _progress(total: int, description: str, enabled: bool):
    """A tqdm bar on stderr (which the book's pages leave out), or a silent stand-in."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, file=sys.stderr, disable=not enabled, leave=False, mininterval=1.0)


def filter_patterns(
    model,
    layer_name: str,
    filter_indices,
    *,
    size=None,
    steps: int = 40,
    step_size: float = 0.01,
    value_range=(0.0, 1.0),
    noise: float = 0.08,
    smoothing: float = 0.0,
    jitter: int = 0,
    pre_activation: bool = False,
    seed: int = 0,
    progress: bool = True,
):
    """Images that maximise the mean activation of chosen filters, by gradient ascent.

    The lecture's recipe: start from a grey image with a little noise, compute the gradient
    of the filter's mean activation with respect to the *input* (weights fixed), divide it by
    its root-mean-square so that every step has the same size, and add it to the image;
    repeat.  All filters are optimised at once: the batch holds one image per filter and one
    ``tf.GradientTape`` differentiates the sum of the per-filter losses.  As every image only
    influences its own filter's loss (layers run in inference mode), that is the same as
    optimising each on its own.

    Plain gradient ascent (the default) favours high-frequency patterns; two common
    regularisers (Yosinski et al., 2015; Olah et al., 2017) make deep layers' patterns more
    legible: ``smoothing`` blurs every gradient with a Gaussian before the step, and
    ``jitter`` shifts the image by a random offset before each gradient is computed, so
    that the pattern cannot rely on exact pixel positions.

    A ReLU has zero gradient wherever its filter is silent, so a filter that responds
    nowhere in the start image can never improve.  ``pre_activation=True`` maximises the
    filter's response *before* the layer's activation function (for layers with one built
    in, like ``Conv2D(..., activation="relu")``): its gradient is never zero, and once the
    response is positive, raising it raises the ReLU's output just as much.

    Parameters
    ----------
    model : keras.Model
        Any model with one image input; only the part up to ``layer_name`` is run.
    layer_name : str
        A convolutional layer (output (N, h, w, channels)).
    filter_indices : sequence of int
        Channels of that layer to visualise, each in [0, channels).
    size : (height, width), optional
        Size of the images; required when the model's input size is not fixed, otherwise
        the model's own size is used (and must be used).
    steps : int
        Gradient-ascent steps (the lecture used 40).
    step_size : float
        Step as a fraction of the input range: every step changes the pixels by
        ``step_size * (high - low)`` in root-mean-square.
    value_range : (low, high)
        Range of the model's input values: (0, 1) for images divided by 255, (-1, 1) for
        :func:`lecture_utils.pretrained.preprocess_input`.  The start image is grey
        (the middle of the range).
    noise : float
        Amplitude of the uniform start noise as a fraction of the range (0.08 is the
        lecture's ``128 ± 10`` on a 0–255 scale).
    smoothing : float
        Standard deviation, in pixels, of the Gaussian blur applied to each gradient; 0
        for none.
    jitter : int
        Largest random shift, in pixels, along each axis (the image is rolled, so nothing
        is lost at the border); 0 for none.
    pre_activation : bool
        Maximise the response before the layer's built-in activation function.
    seed : int
        Seed of the start noise and of the shifts.  Each filter's start image depends only
        on ``seed`` and its own index, and the shifts only on ``seed``, so a filter's pattern
        does not depend on which others share the batch.
    progress : bool
        Show a progress bar (on stderr) over the steps.

    Returns
    -------
    patterns : ndarray of float32, shape (n_filters, height, width, channels)
        The optimised inputs, in the model's input units (not clipped); see
        :func:`deprocess_image` to view them.
    history : ndarray of float32, shape (steps + 1, n_filters)
        Each filter's mean activation (before the activation function with
        ``pre_activation``) before every step (of the shifted image, with ``jitter``) and,
        in the last row, of the final pattern.

    Raises
    ------
    ValueError
        For a non-convolutional layer, a filter index out of range, bad settings, or
        ``pre_activation`` for a layer without a built-in activation function.
    """
    import tensorflow as tf

    layer = _conv_layer(model, layer_name)
    indices = _filter_indices(filter_indices, layer)
    steps = non_negative_int(steps, "steps")
    step_size = real_in(step_size, "step_size", "(0, inf)")
    noise = real_in(noise, "noise", "[0, inf)")
    smoothing = real_in(smoothing, "smoothing", "[0, inf)", unit="pixels")
    jitter = non_negative_int(jitter, "jitter", unit="pixels")
    seed = non_negative_int(seed, "seed")
    low, high = _value_range(value_range)
    shape = _pattern_shape(model, size)

    start = _start_images(indices, shape, (low, high), noise, seed)
    mean_activations = mean_activations_of(_feature_model(model, layer, pre_activation), indices)
    blur = _gaussian_kernel(smoothing, shape[-1]) if smoothing > 0 else None
    ascent_step = gradient_ascent_step(mean_activations, step_size * (high - low), blur)
    shifts = np.random.default_rng([seed, 0]).integers(-jitter, jitter + 1, size=(steps, 2))
    x = tf.constant(start)
    history = []
    with _progress(steps, f"{layer_name}: {len(indices)} filters", progress) as bar:
        for shift in shifts:
            x, per_filter = ascent_step(x, tf.constant(shift, dtype=tf.int32))
            history.append(per_filter.numpy())
            bar.update(1)
    history.append(mean_activations(x).numpy())
    return x.numpy(), np.stack(history).astype(np.float32)


def _filter_indices(filter_indices, layer) -> np.ndarray:
    """``filter_indices`` as a 1-D int array, if every index is a channel of ``layer``."""
    indices = np.asarray(filter_indices)
    if indices.ndim != 1 or indices.size == 0 or indices.dtype.kind not in "iu":
        raise ValueError(f"filter_indices must be a non-empty list of ints, got {filter_indices!r}.")
    n_channels = int(layer.output.shape[-1])
    out_of_range = indices[(indices < 0) | (indices >= n_channels)]
    if out_of_range.size:
        raise ValueError(
            f"filter index {int(out_of_range[0])} is out of range: layer {layer.name!r} "
            f"has {n_channels} filters (0 to {n_channels - 1})."
        )
    return indices


def _value_range(value_range) -> tuple[float, float]:
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range!r}.")
    return low, high


def _pattern_shape(model, size) -> tuple[int, int, int]:
    """(height, width, channels) of the patterns: ``size``, or the model's own if it has one."""
    input_shape = tuple(_single_input(model).shape[1:])
    if len(input_shape) != 3:
        raise ValueError(f"model {model.name!r} must take images of shape (H, W, C), its input is {input_shape}.")
    fixed = input_shape[:2]
    if size is None:
        if None in fixed:
            raise ValueError(f"model {model.name!r} accepts any image size; pass size=(height, width).")
        size = fixed
    size = size_2d(size)
    if any(f is not None and f != s for f, s in zip(fixed, size)):
        raise ValueError(f"size must be (height, width) matching the model's input {fixed}, got {size}.")
    return (*size, input_shape[-1])


def _start_images(indices, shape, value_range, noise: float, seed: int) -> np.ndarray:
    """Grey images with uniform noise, one per filter, each seeded by ``seed`` and its index."""
    low, high = value_range
    uniform = [np.random.default_rng([seed, 1, int(i)]).random(shape) - 0.5 for i in indices]
    return ((low + high) / 2 + (high - low) * noise * np.stack(uniform)).astype(np.float32)


def _feature_model(model, layer, pre_activation: bool):
    """A model from ``model``'s input to ``layer``'s output (before its activation with ``pre_activation``)."""
    inputs, [output], _ = _one_call(model, [layer.name], [layer.name] if pre_activation else ())
    return keras.Model(inputs, output)


# @save
def mean_activations_of(feature_model, filter_indices):
    """A function from a batch of images, one per filter, to each filter's mean activation."""
    select = tf.one_hot(filter_indices, feature_model.output.shape[-1], dtype=tf.float32)  # (n, channels)

    def mean_activations(x):
        activation = tf.cast(feature_model(x, training=False), tf.float32)
        return tf.reduce_sum(tf.reduce_mean(activation, axis=(1, 2)) * select, axis=1)  # (n,)

    return mean_activations


# @save
def gradient_ascent_step(mean_activations, step, blur=None):
    """One gradient-ascent step for every image of a batch, of root-mean-square size ``step``.

    The images are rolled by ``shift`` pixels before the gradient is taken (jitter), and the
    gradient is blurred by the depthwise kernel ``blur`` if one is given.
    """

    @tf.function(reduce_retracing=True)
    def ascent_step(x, shift):
        shifted = tf.roll(x, shift, axis=(1, 2))
        with tf.GradientTape() as tape:
            tape.watch(shifted)
            per_filter = mean_activations(shifted)
            loss = tf.reduce_sum(per_filter)
        grads = tf.roll(tape.gradient(loss, shifted), -shift, axis=(1, 2))
        if blur is not None:
            grads = tf.nn.depthwise_conv2d(grads, blur, strides=(1, 1, 1, 1), padding="SAME")
        rms = tf.sqrt(tf.reduce_mean(tf.square(grads), axis=(1, 2, 3), keepdims=True))
        return x + step * grads / (rms + 1e-8), per_filter

    return ascent_step


def _linear_copy(layer):
    """A new layer like ``layer`` without its activation function (it takes ``layer``'s
    weights once a call has built it)."""
    import keras

    activation = getattr(layer, "activation", None)
    if activation is None or activation is keras.activations.linear:
        raise ValueError(
            f"layer {layer.name!r} has no built-in activation function to leave out; use pre_activation=False."
        )
    config = layer.get_config()
    config["activation"] = "linear"
    config["name"] = f"{layer.name}_before_activation"
    return layer.__class__.from_config(config)


def _gaussian_kernel(sigma: float, channels: int):
    """A normalised 2-D Gaussian as a depthwise kernel, shape (k, k, channels, 1)."""
    import tensorflow as tf

    radius = max(1, int(np.ceil(2 * sigma)))
    t = np.arange(-radius, radius + 1)
    g = np.exp(-(t**2) / (2 * sigma**2))
    kernel = np.outer(g, g) / g.sum() ** 2
    return tf.constant(np.repeat(kernel[:, :, None, None], channels, axis=2), dtype=tf.float32)


def deprocess_image(pattern) -> np.ndarray:
    """Turn an optimised input into a viewable RGB image, as in the lecture.

    Standardise (mean 0, std 1), scale to std 0.1 around 0.5, clip to [0, 1] and convert to
    0–255.  Works per image, so a batch of patterns with very different ranges stays visible.

    Parameters
    ----------
    pattern : array_like, shape (H, W, C) or (N, H, W, C)

    Returns
    -------
    ndarray of uint8, same shape
    """
    x = np.asarray(pattern, dtype=np.float64)
    if x.ndim not in (3, 4):
        raise ValueError(f"pattern must have shape (H, W, C) or (N, H, W, C), got {x.shape}.")
    if not np.isfinite(x).all():
        raise ValueError("pattern contains NaN or infinite values.")
    axes = tuple(range(x.ndim - 3, x.ndim))
    x = x - x.mean(axis=axes, keepdims=True)
    x = x / (x.std(axis=axes, keepdims=True) + 1e-5)
    x = np.clip(0.5 + 0.1 * x, 0.0, 1.0)
    return np.round(255 * x).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Class activation maps


@dataclass
class GradCAM:
    """The result of :func:`grad_cam`.

    Attributes
    ----------
    heatmap : ndarray of float32, shape (h, w)
        ReLU of the weighted sum of the feature map's channels, divided by its maximum:
        values in [0, 1] (all zero if no location speaks for the class).
    class_index : int
        The class explained.
    score : float
        The model's output for that class (a logit or a probability, whatever the model
        returns).
    channel_weights : ndarray of float32, shape (channels,)
        The gradient of the score with respect to each channel, averaged over the map.
    raw : ndarray of float32, shape (h, w)
        The weighted sum before the ReLU and the normalisation.
    """

    heatmap: np.ndarray
    class_index: int
    score: float
    channel_weights: np.ndarray
    raw: np.ndarray


def grad_cam_input(model, image, layer_name: str, class_index: int | None = None) -> np.ndarray:
    """``image`` as a float32 batch of one, after checking what :func:`grad_cam` is given.

    Parameters
    ----------
    model : keras.Model
        One image input, one output of shape (N, n_classes).
    image : array_like, shape (H, W, C) or (1, H, W, C)
        Preprocessed the way the model expects.
    layer_name : str
        A convolutional layer, usually the last one (the best compromise between meaning
        and resolution).
    class_index : int, optional
        The class to explain; by default the top-scoring class.

    Returns
    -------
    ndarray of float32, shape (1, H, W, C)

    Raises
    ------
    ValueError
        For a non-convolutional layer, a model without one (N, n_classes) output, a class
        index outside [0, n_classes), or an image that does not fit the model.
    """
    _conv_layer(model, layer_name)
    outputs = model.outputs
    if len(outputs) != 1 or len(outputs[0].shape) != 2:
        raise ValueError(
            f"model {model.name!r} must have one output of shape (N, n_classes) for "
            f"Grad-CAM, it has {[tuple(o.shape) for o in outputs]}."
        )
    n_classes = int(outputs[0].shape[-1])
    if class_index is not None:
        int_in_range(class_index, "class_index", 0, n_classes - 1, note=f" (the model has {n_classes} outputs)")
    return _image_batch(model, image)


# @save
def grad_cam(model, image, layer_name, class_index=None):
    """Grad-CAM: where in ``image`` the evidence for a class (default: the top one) lies, seen from one layer."""
    x = grad_cam_input(model, image, layer_name, class_index)  # one sentence for bad input
    model = called_once(model)  # else a Sequential's layer outputs may come from an older call
    grad_model = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        feature_map, scores = grad_model(tf.constant(x), training=False)
        feature_map, scores = tf.cast(feature_map, tf.float32), tf.cast(scores, tf.float32)
        if class_index is None:
            class_index = int(tf.argmax(scores[0]))
        score = scores[0, class_index]
    grads = tape.gradient(score, feature_map)[0].numpy()  # (h, w, channels)
    weights = grads.mean(axis=(0, 1))  # one per channel: how much it pushes the class score up
    raw = feature_map[0].numpy() @ weights
    positive = np.maximum(raw, 0.0)
    heatmap = positive / positive.max() if positive.max() > 0 else positive
    return GradCAM(heatmap, int(class_index), float(score), weights, raw)


# ---------------------------------------------------------------------------------------------
# Sanity checks for saliency maps (Adebayo et al., 2018)


@dataclass
class RandomisationCascade:
    """The result of :func:`cascading_randomisation`.

    Attributes
    ----------
    stages : list of str
        ``"original"``, then the label of each stage, in the order they were re-initialised.
    heatmaps : ndarray of float32, shape (n_stages + 1, h, w)
        The Grad-CAM heatmap (ReLU, divided by its maximum) after each stage; row 0 is the
        trained network's.
    raw : ndarray of float32, shape (n_stages + 1, h, w)
        The weighted sums before ReLU and normalisation.
    rank_correlation : ndarray of float64, shape (n_stages + 1,)
        Spearman's rank correlation between each raw map and the trained network's (1 for
        row 0): 1 means the same ordering of the cells, 0 an unrelated one.
    weights_redrawn : ndarray of int, shape (n_stages + 1,)
        How many weights have been re-initialised up to and including each stage.
    class_index : int
        The class explained, the same at every stage.
    """

    stages: list
    heatmaps: np.ndarray
    raw: np.ndarray
    rank_correlation: np.ndarray
    weights_redrawn: np.ndarray
    class_index: int


def reinitialise_layer(layer, seed: int) -> int:
    """Give a layer the weights it had before training, drawn again from its initialisers.

    Kernels and biases are drawn from the layer's own ``*_initializer`` with ``seed``;
    batch normalisation goes back to its initial identity (scale 1, shift 0, moving mean 0,
    moving variance 1).

    Parameters
    ----------
    layer : keras.layers.Layer
        Changed in place.
    seed : int

    Returns
    -------
    int
        The number of weights redrawn.

    Raises
    ------
    ValueError
        For a weight whose initialiser the layer does not name.
    """
    import keras

    count = 0
    for k, variable in enumerate(layer.weights):
        name = variable.name.split("/")[-1]
        attribute = f"{name}_initializer"
        if not hasattr(layer, attribute) and name in ("kernel", "depthwise_kernel"):
            attribute = "depthwise_initializer"  # DepthwiseConv2D calls its kernel "kernel"
        initializer = getattr(layer, attribute, None)
        if initializer is None:
            raise ValueError(f"layer {layer.name!r} has no {attribute} for its weight {name!r}.")
        config = initializer.get_config()
        if "seed" in config:  # a random initialiser: seeded, so that the cascade is repeatable
            initializer = type(initializer).from_config({**config, "seed": seed + k})
        variable.assign(keras.ops.cast(initializer(tuple(variable.shape)), variable.dtype))
        count += int(np.prod(variable.shape))
    return count


def cascading_randomisation(
    model, image, layer_name: str, stages: dict, class_index: int | None = None, seed: int = 0
) -> RandomisationCascade:
    """Adebayo et al.'s model-parameter randomisation test for Grad-CAM, cascading from the top.

    A copy of ``model`` has its layers re-initialised stage by stage, from the output down,
    and Grad-CAM of the same class at ``layer_name`` is recomputed after every stage. An
    explanation that depends on what the network learned must change as the learned
    weights are destroyed; one that stays the same shows the image (or the architecture),
    not the model's reasoning. ``model`` itself is not changed.

    Parameters
    ----------
    model : keras.Model
        One image input, one output of shape (N, n_classes).
    image : array_like, shape (H, W, C) or (1, H, W, C)
        Preprocessed the way the model expects.
    layer_name : str
        The convolutional layer Grad-CAM is computed at.
    stages : dict of str to list of str
        Label → names of the layers re-initialised in that stage, in cascade order (top
        first); every stage is added to those before it.
    class_index : int, optional
        The class to explain; by default the trained network's top class (kept for every
        stage).
    seed : int
        Seed of the new weights (stage ``i`` uses ``seed + 1000 * i`` and up).

    Returns
    -------
    RandomisationCascade

    Raises
    ------
    ValueError
        For a layer that is not in ``model``, a stage without layers, or bad Grad-CAM input.
    """
    import keras
    from scipy.stats import spearmanr

    layer = _conv_layer(model, layer_name)
    if not stages or any(not names for names in stages.values()):
        raise ValueError(f"every stage needs at least one layer, got {stages!r}.")
    for names in stages.values():
        for name in names:
            _layer(model, name)
    original = grad_cam(model, image, layer.name, class_index)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    raw, heatmaps, redrawn = [original.raw], [original.heatmap], [0]
    for i, names in enumerate(stages.values(), start=1):
        count = sum(reinitialise_layer(copy.get_layer(name), seed + 1000 * i + 10 * j) for j, name in enumerate(names))
        cam = grad_cam(copy, image, layer.name, original.class_index)
        raw.append(cam.raw)
        heatmaps.append(cam.heatmap)
        redrawn.append(redrawn[-1] + count)
    correlation = [1.0] + [float(spearmanr(original.raw.ravel(), r.ravel()).statistic) for r in raw[1:]]
    return RandomisationCascade(
        ["original", *stages],
        np.stack(heatmaps),
        np.stack(raw),
        np.asarray(correlation),
        np.asarray(redrawn),
        original.class_index,
    )


def upscale_heatmap(heatmap, size) -> np.ndarray:
    """Resize a heatmap to an image's size with bilinear interpolation.

    Parameters
    ----------
    heatmap : array_like, shape (h, w)
    size : (height, width)

    Returns
    -------
    ndarray of float32, shape (height, width)
    """
    from PIL import Image

    h = np.asarray(heatmap, dtype=np.float32)
    if h.ndim != 2 or 0 in h.shape:
        raise ValueError(f"heatmap must be a non-empty 2-D array, got shape {h.shape}.")
    if not np.isfinite(h).all():
        raise ValueError("heatmap contains NaN or infinite values.")
    height, width = size_2d(size)
    return np.asarray(Image.fromarray(h, mode="F").resize((width, height), Image.BILINEAR), dtype=np.float32)


def overlay_heatmap(image, heatmap, alpha: float = 0.4, cmap: str = "jet") -> np.ndarray:
    """Superimpose a heatmap, upscaled and coloured, on an RGB image.

    Parameters
    ----------
    image : array_like of uint8, shape (H, W, 3)
    heatmap : array_like, shape (h, w)
        Values in [0, 1] (e.g. :attr:`GradCAM.heatmap`).
    alpha : float
        Opacity of the heatmap, in [0, 1].
    cmap : str
        A Matplotlib colour map.

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)
        ``(1 - alpha) * image + alpha * colour(heatmap)``.
    """
    import matplotlib

    img = np.asarray(image)
    if img.ndim != 3 or img.shape[-1] != 3 or img.dtype != np.uint8:
        raise ValueError(f"image must be uint8 RGB of shape (H, W, 3), got {img.dtype} {img.shape}.")
    alpha = real_in(alpha, "alpha", "[0, 1]")
    h = np.asarray(heatmap, dtype=np.float32)
    if h.ndim == 2 and h.size and (h.min() < 0 or h.max() > 1):
        raise ValueError("heatmap values must be in [0, 1]; normalise it first (grad_cam does).")
    up = upscale_heatmap(h, img.shape[:2])
    colour = matplotlib.colormaps[cmap](np.clip(up, 0, 1))[..., :3] * 255.0
    blended = (1 - alpha) * img.astype(np.float32) + alpha * colour
    return np.clip(np.round(blended), 0, 255).astype(np.uint8)
