"""Argument checks shared by the helpers.

Each check raises one sentence that says what was wrong and what was expected, *before* the
argument reaches NumPy, scikit-learn or Keras, whose own errors surface many frames deep and
name their internals rather than the caller's argument.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np


def positive_int(value, name: str) -> int:
    """``value`` as an int, if it is a positive integer (bools are not counted as integers)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def real_finite(array, name: str) -> np.ndarray:
    """``array`` as an ndarray, if it holds real numbers that are all finite."""
    array = np.asarray(array)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean it first.")
    return array


def keras_model(model, name: str = "model"):
    """``model``, if it is a ``keras.Model`` (a Sequential or functional network)."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(model).__name__}.")
    return model


def model_input_shape(model) -> tuple | None:
    """The input shape of a single-input model, e.g. (None, 28, 28, 1); None if it has none yet."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError):  # a Sequential model without an Input is not built yet
        return None
    if isinstance(shape, list):  # several inputs: nothing simple to check
        return None
    return tuple(shape)


def batch_fits_model(images, model, name: str = "images") -> np.ndarray:
    """``images`` as an ndarray, if its shape is a batch of what ``model`` takes as input."""
    images = np.asarray(images)
    expected = model_input_shape(model)
    if expected is None:
        return images
    fits = images.ndim == len(expected) and all(
        want is None or have == want for have, want in zip(images.shape[1:], expected[1:]))
    if not fits:
        wanted = "(N, " + ", ".join("any" if s is None else str(s) for s in expected[1:]) + ")"
        raise ValueError(f"{name} of shape {images.shape} do not fit {model.name}, which takes "
                         f"batches of shape {wanted}.")
    return images


def image_input_shape(input_shape, name: str = "input_shape", min_side: int = 1) -> tuple[int, int, int]:
    """``input_shape`` as (height, width, channels) of positive ints, sides at least ``min_side``."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) != 3 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape):
        raise ValueError(f"{name} must be (height, width, channels) with positive integers, got {input_shape!r}.")
    if min(shape[:2]) < min_side:
        raise ValueError(f"{name} {shape} is too small: this network needs images of at least "
                         f"{min_side}×{min_side} pixels.")
    return tuple(int(s) for s in shape)
