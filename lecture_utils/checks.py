"""Argument checks shared by the helpers.

Each check raises one sentence that says what was wrong and what was expected, *before* the
argument reaches NumPy, scikit-learn or Keras, whose own errors surface many frames deep and
name their internals rather than the caller's argument.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

# -- numbers --------------------------------------------------------------------------------------


def _is_int(value) -> bool:
    # bool is an Integral, but True passed as a size or a seed is a mistake, not a 1.
    return isinstance(value, Integral) and not isinstance(value, bool)


def int_in_range(
    value, name: str, low: int | None = None, high: int | None = None, *, unit: str = "", note: str = ""
) -> int:
    """``value`` as an int, if it is an integer from ``low`` to ``high`` (both included).

    Parameters
    ----------
    value : object
        The argument to check; Python and NumPy integers pass, bools and floats do not.
    name : str
        The argument's name, as the caller spells it.
    low : int, optional
        Smallest value allowed; no lower bound by default.
    high : int, optional
        Largest value allowed; no upper bound by default.
    unit : str, optional
        What the integer counts, e.g. ``"pixels"``, for the message.
    note : str, optional
        Appended to the range in the message, e.g. ``" (the model has 10 outputs)"``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Naming ``name``, the allowed range and the value given.
    """
    if not _is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_integers(low, high, unit)}{note}, got {value!r}.")
    return int(value)


def _integers(low, high, unit: str) -> str:
    """The integers from ``low`` to ``high`` in words, e.g. "a positive integer number of pixels"."""
    of_unit, in_unit = (f" number of {unit}", f" {unit}") if unit else ("", "")
    if low is not None and high is not None:
        return f"an integer from {low} to {high}{in_unit}"
    if high is not None:
        return f"an integer of at most {high}{in_unit}"
    if low is None:
        return f"an integer{of_unit}"
    if low == 1:
        return f"a positive integer{of_unit}"
    if low == 0:
        return f"a non-negative integer{of_unit}"
    return f"an integer of at least {low}{in_unit}"


def positive_int(value, name: str, *, unit: str = "") -> int:
    """``value`` as an int, if it is an integer of at least 1; see :func:`int_in_range`."""
    return int_in_range(value, name, 1, unit=unit)


def non_negative_int(value, name: str, *, unit: str = "") -> int:
    """``value`` as an int, if it is an integer of at least 0; see :func:`int_in_range`."""
    return int_in_range(value, name, 0, unit=unit)


def int_pair(value, name: str) -> tuple[int, int]:
    """An int or an (int, int) as a (height, width) pair of positive ints, like Keras' sizes."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a (height, width) pair, got {value!r}.")
        return positive_int(value[0], name), positive_int(value[1], name)
    value = positive_int(value, name)
    return value, value


def size_2d(size, name: str = "size") -> tuple[int, int]:
    """``size`` as (height, width), if it is a pair of positive integers."""
    try:
        pair = tuple(size)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(_is_int(s) and s > 0 for s in pair):
        raise ValueError(f"{name} must be two positive integers (height, width), got {size!r}.")
    return int(pair[0]), int(pair[1])


def real_in(value, name: str, interval: str, *, unit: str = "", hint: str = "") -> float:
    """``value`` as a float, if it is a real number in ``interval``.

    Parameters
    ----------
    value : object
    name : str
    interval : str
        Written as in mathematics, e.g. ``"(0, 1]"``, ``"[0, 180]"`` or ``"(0, inf)"``; the
        message says "positive" for ``"(0, inf)"``, "non-negative" for ``"[0, inf)"`` and
        "finite" for ``"(-inf, inf)"``.
    unit : str, optional
        What the number measures, e.g. ``"pixels"``, for the message.
    hint : str, optional
        Ends the message, e.g. ``"; higher frequencies alias"``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For anything but a real number in the interval (NaN never is in one).
    """
    low, high = (float(bound) for bound in interval[1:-1].split(","))
    closed_low, closed_high = interval[0] == "[", interval[-1] == "]"
    ok = (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and not math.isnan(value)
        and ((low <= value if closed_low else low < value) and (value <= high if closed_high else value < high))
    )
    if not ok:
        of = f" number of {unit}" if unit else " number"
        wanted = {"(0, inf)": "a positive" + of, "[0, inf)": "a non-negative" + of, "(-inf, inf)": "a finite" + of}.get(
            interval, f"a number in {interval}" + (f" {unit}" if unit else "")
        )
        raise ValueError(f"{name} must be {wanted}, got {value!r}{hint}.")
    return float(value)


def number_tuple(values, name: str, length: int | None = None, *, names: str = "", integers: bool = False) -> tuple:
    """``values`` as a tuple of floats (or ints), if it is a sequence of finite real numbers.

    Parameters
    ----------
    values : object
        The argument to check; a list, tuple or 1-D array.  Bools, text and NaN never pass.
    name : str
        The argument's name, as the caller spells it.
    length : int, optional
        How many numbers there must be; any number of them (at least one) by default.
    names : str, optional
        What the numbers are, for the message, e.g. ``"(frequency, theta, sigma)"``.
    integers : bool, optional
        Ask for integers, returned as ints.

    Returns
    -------
    tuple of float, or of int with ``integers=True``

    Raises
    ------
    ValueError
        Naming ``name``, how many numbers of which kind it needs and what was given.
    """
    kind = "integers" if integers else "finite numbers"
    count = {1: "one", 2: "two", 3: "three", 4: "four"}.get(length, str(length)) if length else "a sequence of"
    wanted = f"{name} must be {count} {kind}{f' {names}' if names else ''}, got {_brief(values)}."
    if _not_a_sequence(values) or (isinstance(values, np.ndarray) and values.ndim != 1):
        raise ValueError(wanted)
    values = tuple(values)
    ok = (
        all(_is_int(v) for v in values)
        if integers
        else all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in values)
    )
    if not ok or not values or (length is not None and len(values) != length):
        raise ValueError(wanted)
    return tuple(int(v) for v in values) if integers else tuple(float(v) for v in values)


def one_of(value, name: str, choices):
    """``value``, if it is one of ``choices`` (a sequence or a dict's keys)."""
    choices = list(choices)
    if value not in choices:
        names = [repr(choice) for choice in choices]
        listed = " or ".join(names) if len(names) <= 2 else f"one of {', '.join(names[:-1])} or {names[-1]}"
        raise ValueError(f"{name} must be {listed}, got {value!r}.")
    return value


def non_empty_str(value, name: str) -> str:
    """``value``, if it is a string with at least one character that is not a space.

    Parameters
    ----------
    value : object
    name : str
        The argument's name, as the caller spells it.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        For anything but a str.
    ValueError
        For an empty or blank string.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}.")
    if not value.strip():
        raise ValueError(f"{name} must not be empty, got {value!r}.")
    return value


def sequence(values, name: str, *, of: str = "values") -> list:
    """``values`` as a list, if it is a sequence (a list, tuple, array or other iterable, not text).

    Parameters
    ----------
    values : object
    name : str
        The argument's name, as the caller spells it.
    of : str, optional
        What its items are, for the message, e.g. ``"numbers"`` or ``"kernels"``.

    Returns
    -------
    list
        Its items; a generator is read once, here.

    Raises
    ------
    TypeError
        For a single number, a string, None or anything else that is not a sequence.
    """
    if _not_a_sequence(values):
        raise TypeError(f"{name} must be a sequence of {of} (a list, tuple or array), got {_brief(values)}.")
    return list(values)


def _brief(value) -> str:
    """``value`` for a one-line message: its repr if short, else what it is."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"an array of shape {value.shape}"
    shown = repr(value)
    return shown if len(shown) <= 80 and "\n" not in shown else f"a {type(value).__name__}"


def _not_a_sequence(values) -> bool:
    # A string is iterable too, but its letters are never what was meant; a 0-d array is not.
    return (
        isinstance(values, (str, bytes))
        or not isinstance(values, Iterable)
        or (isinstance(values, np.ndarray) and values.ndim == 0)
    )


def file_path(value, name: str = "path"):
    """``value``, if it is a file-system path: a str or a ``pathlib.Path``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str or pathlib.Path), got {type(value).__name__}.")
    return value


# -- arrays ---------------------------------------------------------------------------------------


def as_array(value, name: str) -> np.ndarray:
    """``value`` as an ndarray, if it is one or a nested sequence that NumPy reads as one.

    Parameters
    ----------
    value : array_like
        An array, or (nested) lists of numbers with rows of equal length.
    name : str
        The argument's name, as the caller spells it.

    Returns
    -------
    ndarray
        ``np.asarray(value)``: an array given is returned as it is, not copied.

    Raises
    ------
    TypeError
        For None or a string.
    ValueError
        For a ragged nested list (rows of different lengths), which NumPy cannot make an array.
    """
    if value is None or isinstance(value, (str, bytes)):
        shown = "None" if value is None else f"the string {value!r}"
        raise TypeError(f"{name} must be an array of numbers, got {shown}.")
    try:
        return np.asarray(value)
    except ValueError:
        # NumPy: "setting an array element with a sequence ... inhomogeneous shape after 1 dimensions".
        raise ValueError(
            f"{name} is a ragged nested list (its rows differ in length); give rows of equal length."
        ) from None


def real_finite(array, name: str) -> np.ndarray:
    """``array`` as an ndarray, if it holds real numbers that are all finite."""
    array = as_array(array, name)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}.")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean it first.")
    return array


def grayscale_image(image, name: str = "image") -> np.ndarray:
    """``image`` as a float ndarray, if it is a non-empty 2-D array of finite real numbers."""
    image = as_array(image, name)
    if image.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (height, width), got shape {image.shape}; "
            "convert colour images with to_grayscale first."
        )
    if image.size == 0:
        raise ValueError(f"{name} is empty (shape {image.shape}).")
    return real_finite(image, name).astype(float)


def pixel_values(image, name: str = "image") -> np.ndarray:
    """``image``, if its values are pixel values: integers from 0 to 255, or floats from 0 to 1.

    Parameters
    ----------
    image : ndarray
        Real and finite (see :func:`real_finite`), not empty.
    name : str

    Returns
    -------
    ndarray
        ``image`` itself.

    Raises
    ------
    ValueError
        Giving the range found, and the range its dtype calls for.
    """
    low, high = image.min(), image.max()
    if image.dtype.kind == "f":
        if low < 0 or high > 1:
            raise ValueError(
                f"{name} holds floats from {low:g} to {high:g}, but float pixel values must be in [0, 1]; "
                "divide 0–255 values by 255, or pass them as uint8."
            )
    elif low < 0 or high > 255:
        raise ValueError(
            f"{name} holds integers from {low} to {high}, but pixel values must be from 0 to 255; "
            "rescale it to that range, or to floats in [0, 1]."
        )
    return image


# -- models ---------------------------------------------------------------------------------------


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
        want is None or have == want for have, want in zip(images.shape[1:], expected[1:])
    )
    if not fits:
        wanted = "(N, " + ", ".join("any" if s is None else str(s) for s in expected[1:]) + ")"
        raise ValueError(
            f"{name} of shape {images.shape} do not fit {model.name}, which takes batches of shape {wanted}."
        )
    return images


def image_input_shape(input_shape, name: str = "input_shape", min_side: int = 1) -> tuple[int, int, int]:
    """``input_shape`` as (height, width, channels) of positive ints, sides at least ``min_side``."""
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if shape is None or len(shape) != 3 or not all(_is_int(s) and s > 0 for s in shape):
        raise ValueError(f"{name} must be (height, width, channels) with positive integers, got {input_shape!r}.")
    if min(shape[:2]) < min_side:
        raise ValueError(
            f"{name} {shape} is too small: this network needs images of at least {min_side}×{min_side} pixels."
        )
    return tuple(int(s) for s in shape)
