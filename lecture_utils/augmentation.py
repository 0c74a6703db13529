"""The lecture's augmentation as one random affine map per image, resampled once.

:func:`lecture_utils.images.augmentation_layers` rebuilds the lecture's (Keras 2) data generator
from five Keras preprocessing layers.  Four of them (rotation, shift, shear, zoom) each
resample the whole batch with bilinear interpolation, so an augmented batch is interpolated
four times — four times the work, and four times the blur.  The generator itself composed its
transformations into one matrix per image and resampled once; :class:`RandomAffine` does the
same as a Keras preprocessing layer, with the very transformations of the five layers:

========  ===========================================================================
rotation  by an angle drawn from [-40°, 40°], about the image centre (``RandomRotation``)
shift     by fractions drawn from [-0.2, 0.2] of the width and of the height (``RandomTranslation``)
shear     horizontal, by a factor drawn from [-0.2, 0.2], about the top-left corner, as
          ``RandomShear`` does: row ``y`` moves sideways by ``factor * y`` pixels
zoom      by factors drawn from [0.8, 1.2] for the width and, independently, the height,
          about the centre (``RandomZoom``)
flip      left–right for half of the images (``RandomFlip``)
========  ===========================================================================

composed in the order the five layers apply them, with the uncovered border filled with the
nearest pixel.

Coordinates
-----------
Pixel ``(x, y)`` is column ``x`` and row ``y``, from 0 at the top-left pixel's centre.  A
transformation is stored as the 3×3 matrix ``M`` that maps each *output* pixel to the point
of the *input* it is read from, ``input(M @ [x, y, 1])``, as
``tf.raw_ops.ImageProjectiveTransformV3`` (behind ``keras.ops.image.affine_transform``) reads
it; the composition of transformations applied one after the other, ``A`` first, is
``M_A @ M_B``.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from .checks import real_in

__all__ = ["RandomAffine", "affine_from_settings", "checked_settings", "GENERATOR_SETTINGS"]

#: The data-generator settings :meth:`RandomAffine.from_settings` understands, with
#: the generator's defaults (no transformation).
GENERATOR_SETTINGS = {
    "rotation_range": 0.0,
    "width_shift_range": 0.0,
    "height_shift_range": 0.0,
    "shear_range": 0.0,
    "zoom_range": 0.0,
    "horizontal_flip": False,
    "fill_mode": "nearest",
}

_FILL_MODES = ("nearest", "reflect", "wrap", "constant")
_INTERPOLATIONS = ("bilinear", "nearest")
#: Columns of the uniform draws, one row per image (see RandomAffine.random_parameters).
_DRAWS = ("angle", "shift_x", "shift_y", "shear", "zoom_x", "zoom_y", "flip")


def _flip(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def _fill_mode(value, name: str) -> str:
    if value not in _FILL_MODES:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, _FILL_MODES))}, got {value!r}.")
    return value


def checked_settings(settings, name: str = "settings") -> dict:
    """Data-generator-style settings, complete, if every key is known and every value fits.

    The one check of such settings: :meth:`RandomAffine.from_settings` turns what it returns
    into a layer, and :class:`lecture_utils.trainings.Training` calls it when a training is
    made, so that bad settings fail then rather than when the photos are first augmented.

    Parameters
    ----------
    settings : dict
        Any of the keys of :data:`GENERATOR_SETTINGS`: ``rotation_range`` in [0, 180]
        degrees; ``width_shift_range``, ``height_shift_range``, ``shear_range`` and
        ``zoom_range`` in [0, 1); ``horizontal_flip`` True or False; ``fill_mode`` one of
        "nearest", "reflect", "wrap" and "constant".
    name : str, optional
        What the caller calls the dict, for the message.

    Returns
    -------
    dict
        Every key of :data:`GENERATOR_SETTINGS`; a missing key has the generator's default (no
        such transformation).

    Raises
    ------
    ValueError
        If ``settings`` is not a dict, has a key the layer does not implement, or a value out
        of range, named as the caller wrote it.
    """
    if not isinstance(settings, dict):
        raise ValueError(f"{name} must be a dict like LECTURE_AUGMENTATION, got {type(settings).__name__}.")
    unknown = sorted(map(str, set(settings) - set(GENERATOR_SETTINGS)))
    if unknown:
        raise ValueError(
            f"RandomAffine does not implement the generator setting(s) {', '.join(unknown)}; "
            f"it knows {', '.join(GENERATOR_SETTINGS)}."
        )
    s = {**GENERATOR_SETTINGS, **settings}
    real_in(s["rotation_range"], "rotation_range", "[0, 180]", unit="degrees")
    for key in ("width_shift_range", "height_shift_range", "shear_range", "zoom_range"):
        real_in(s[key], key, "[0, 1)")
    _flip(s["horizontal_flip"], "horizontal_flip")
    _fill_mode(s["fill_mode"], "fill_mode")
    return s


def _shape(images) -> tuple | None:
    """The shape of ``images``; None where its rank cannot be known before the call."""
    shape = getattr(images, "shape", None)
    try:
        return tuple(np.shape(images) if shape is None else shape)
    except (TypeError, ValueError):  # a tensor of unknown rank, a ragged list
        return None


@keras.saving.register_keras_serializable(package="lecture_utils")
class RandomAffine(keras.layers.Layer):
    """Rotate, shift, shear, zoom and flip each image by one random affine map, resampled once.

    The same random transformations as :func:`lecture_utils.images.augmentation_layers` with
    the same settings (see the module docstring), composed into one matrix per image and
    applied with a single ``keras.ops.image.affine_transform``, as the lecture's data generator did.
    The result differs from the five layers' only in being interpolated once instead of four
    times (sharper), and in filling the border from the original image's edge rather than from
    the edges of intermediate images.

    The random draws come from a ``keras.random.SeedGenerator``: two layers with the same seed
    produce the same sequence of transformations, call after call, also inside a ``tf.data``
    pipeline that calls the layer on one batch at a time (with the TensorFlow backend, as the
    built-in random layers).

    Parameters
    ----------
    rotation_degrees : float
        Largest rotation, in degrees, either way; in [0, 180].
    width_shift, height_shift : float
        Largest shift, as a fraction of the width (horizontally) and of the height
        (vertically), either way; in [0, 1).
    shear : float
        Largest horizontal shear factor (pixels of sideways shift per row), either way; in
        [0, 1).  0.2 is about 11°.  Not degrees: the lecture's data generator read its
        ``shear_range`` in degrees, which made the lecture's 0.2 invisible.
    zoom : float
        Largest zoom, as a fraction: the width and the height are each scaled by a factor
        drawn from [1 - zoom, 1 + zoom] (a factor above 1 shows more of the scene, smaller);
        in [0, 1).
    horizontal_flip : bool
        Mirror half of the images left–right.
    fill_mode : {"nearest", "reflect", "wrap", "constant"}
        How the points outside the input are filled.
    interpolation : {"bilinear", "nearest"}
    fill_value : float
        The value of the border with ``fill_mode="constant"``.
    seed : int, optional
        Seed of the random draws; None draws a fresh one (not reproducible).
    **kwargs
        Passed to ``keras.layers.Layer`` (``name``, ...); ``dtype`` defaults to float32, so that
        a mixed-precision policy does not turn the images into bfloat16 before the model does.

    Notes
    -----
    Called on a batch of shape (batch, height, width, channels) or one image of shape
    (height, width, channels), channels last, of any real dtype; returns the compute dtype
    (float32).  As the built-in random layers, it transforms when called with
    ``training=True`` or without ``training``, and passes the images through unchanged with
    ``training=False`` (``model.predict`` and ``model.evaluate`` pass that).

    Examples
    --------
    >>> augment = RandomAffine.from_settings(LECTURE_AUGMENTATION, seed=0)  # doctest: +SKIP
    >>> make_dataset(x, y, batch_size=20, augment=augment)                 # doctest: +SKIP
    """

    def __init__(
        self,
        rotation_degrees: float = 40.0,
        width_shift: float = 0.2,
        height_shift: float = 0.2,
        shear: float = 0.2,
        zoom: float = 0.2,
        horizontal_flip: bool = True,
        fill_mode: str = "nearest",
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.rotation_degrees = real_in(rotation_degrees, "rotation_degrees", "[0, 180]", unit="degrees")
        self.width_shift = real_in(width_shift, "width_shift", "[0, 1)")
        self.height_shift = real_in(height_shift, "height_shift", "[0, 1)")
        self.shear = real_in(shear, "shear", "[0, 1)")
        self.zoom = real_in(zoom, "zoom", "[0, 1)")
        self.horizontal_flip = _flip(horizontal_flip, "horizontal_flip")
        _fill_mode(fill_mode, "fill_mode")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be 'bilinear' or 'nearest', got {interpolation!r}.")
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = real_in(fill_value, "fill_value", "(-inf, inf)")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"seed must be an integer or None, got {seed!r}.")
        self.seed = None if seed is None else int(seed)
        self.generator = keras.random.SeedGenerator(self.seed)
        self.supports_jit = False  # as Keras's own affine layers: keeps a model holding it off XLA

    @classmethod
    def from_settings(cls, settings: dict, seed: int | None = None, **kwargs) -> "RandomAffine":
        """The layer for data-generator-style settings such as ``LECTURE_AUGMENTATION``.

        Parameters
        ----------
        settings : dict
            Any of the keys of :data:`GENERATOR_SETTINGS`; a missing key means the generator's
            default (no such transformation).  ``rotation_range`` is in degrees,
            ``width_shift_range`` and ``height_shift_range`` are fractions, ``shear_range`` is
            read as a shear factor (see :class:`RandomAffine`), ``zoom_range`` a fraction.
        seed : int, optional
        **kwargs
            Passed to the constructor (``name``, ``interpolation``, ...).

        Raises
        ------
        ValueError
            If ``settings`` is not a dict, has a key the layer does not implement, or a value
            out of range (:func:`checked_settings`).
        """
        # Checked under the settings' own names, which are what the caller wrote.
        s = checked_settings(settings)
        return cls(
            rotation_degrees=s["rotation_range"],
            width_shift=s["width_shift_range"],
            height_shift=s["height_shift_range"],
            shear=s["shear_range"],
            zoom=s["zoom_range"],
            horizontal_flip=s["horizontal_flip"],
            fill_mode=s["fill_mode"],
            seed=seed,
            **kwargs,
        )

    def __call__(self, images, *args, **kwargs):
        # Checked before Keras' call machinery, which would wrap the sentence in its own
        # seven lines ("Exception encountered when calling RandomAffine.call()...").
        shape = _shape(images)
        if shape is not None and len(shape) not in (3, 4):
            raise ValueError(
                "RandomAffine takes images of shape (batch, height, width, channels) or "
                f"(height, width, channels), got shape {shape}."
            )
        return super().__call__(images, *args, **kwargs)

    # -- the transformation, in three steps: draw, compose, resample ------------------------------

    def random_parameters(self, batch_size) -> dict:
        """Draw one set of transformation parameters per image.

        Parameters
        ----------
        batch_size : int or scalar int tensor

        Returns
        -------
        dict of float32 tensors of shape (batch_size,)
            ``angle`` (degrees, counter-clockwise as seen on screen for positive values, as
            ``RandomRotation``), ``shift_x`` and ``shift_y`` (fractions of the width and
            height), ``shear`` (factor), ``zoom_x`` and ``zoom_y`` (scale factors of the
            sampling grid), ``flip`` (1.0 to mirror, 0.0 not to).
        """
        ops = keras.ops
        # One draw per call: one step of the seed state per batch, whatever the settings.
        u = keras.random.uniform((batch_size, len(_DRAWS)), seed=self.generator, dtype="float32")
        draw = dict(zip(_DRAWS, ops.unstack(u, axis=1)))

        def symmetric(name, largest):
            return (2.0 * draw[name] - 1.0) * largest

        return {
            "angle": symmetric("angle", self.rotation_degrees),
            "shift_x": symmetric("shift_x", self.width_shift),
            "shift_y": symmetric("shift_y", self.height_shift),
            "shear": symmetric("shear", self.shear),
            "zoom_x": 1.0 + symmetric("zoom_x", self.zoom),
            "zoom_y": 1.0 + symmetric("zoom_y", self.zoom),
            # RandomFlip flips where its draw is <= 0.5; the same rate.
            "flip": ops.cast(draw["flip"] < 0.5, "float32") if self.horizontal_flip else ops.zeros_like(draw["flip"]),
        }

    @staticmethod
    def matrices(parameters: dict, height, width):
        """The 3×3 matrices mapping output pixels to input pixels for ``parameters``.

        Parameters
        ----------
        parameters : dict of array_like, each of shape (batch,)
            As :meth:`random_parameters` returns them; any missing key means no such
            transformation.
        height, width : int or scalar tensor
            Image size, in pixels.

        Returns
        -------
        tensor of float32, shape (batch, 3, 3)
            ``M`` such that output pixel ``(x, y)`` is read from input point ``M @ (x, y, 1)``:
            the product rotation @ shift @ shear @ zoom @ flip, the order in which
            ``augmentation_layers`` applies them.
        """
        ops = keras.ops
        p = {k: ops.cast(ops.convert_to_tensor(v), "float32") for k, v in parameters.items()}
        batch = ops.shape(next(iter(p.values())))[0]
        zero, one = ops.zeros((batch,), "float32"), ops.ones((batch,), "float32")
        w = ops.cast(width, "float32")
        h = ops.cast(height, "float32")
        cx, cy = (w - 1.0) / 2.0, (h - 1.0) / 2.0

        def matrix(a0, a1, a2, b0, b1, b2):
            rows = [
                ops.stack([a0, a1, a2], axis=-1),
                ops.stack([b0, b1, b2], axis=-1),
                ops.stack([zero, zero, one], axis=-1),
            ]
            return ops.stack(rows, axis=-2)

        theta = p.get("angle", zero) * (math.pi / 180.0)
        cos, sin = ops.cos(theta), ops.sin(theta)
        # RandomRotation: rotation about the centre ((w - 1) / 2, (h - 1) / 2).
        rotation = matrix(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)
        # RandomTranslation: the image moves by +shift, so output x is read from x - shift.
        shift = matrix(one, zero, -p.get("shift_x", zero) * w, zero, one, -p.get("shift_y", zero) * h)
        # RandomShear (x only) shears about the origin, the top-left pixel, not the centre.
        shear = matrix(one, p.get("shear", zero), zero, zero, one, zero)
        # RandomZoom: scales the sampling grid about the centre.
        zx, zy = p.get("zoom_x", one), p.get("zoom_y", one)
        zoom = matrix(zx, zero, cx * (1.0 - zx), zero, zy, cy * (1.0 - zy))
        f = p.get("flip", zero)
        flip = matrix(1.0 - 2.0 * f, zero, f * (w - 1.0), zero, one, zero)
        return rotation @ shift @ shear @ zoom @ flip

    def transform(self, images, matrices):
        """Resample ``images`` once through ``matrices``.

        Parameters
        ----------
        images : tensor, shape (batch, height, width, channels)
        matrices : tensor, shape (batch, 3, 3)
            As :meth:`matrices` returns them (only the first two rows are used: affine).

        Returns
        -------
        tensor of the compute dtype, shape (batch, height, width, channels)
        """
        ops = keras.ops
        flat = ops.reshape(matrices, (-1, 9))[:, :8]
        return ops.image.affine_transform(
            ops.cast(images, self.compute_dtype),
            flat,
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format="channels_last",
        )

    def call(self, images, training=True):
        ops = keras.ops
        images = ops.cast(images, self.compute_dtype)
        if not training:
            return images
        single = len(images.shape) == 3
        batch = images[None] if single else images
        shape = ops.shape(batch)
        parameters = self.random_parameters(shape[0])
        out = self.transform(batch, self.matrices(parameters, shape[1], shape[2]))
        return out[0] if single else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rotation_degrees": self.rotation_degrees,
            "width_shift": self.width_shift,
            "height_shift": self.height_shift,
            "shear": self.shear,
            "zoom": self.zoom,
            "horizontal_flip": self.horizontal_flip,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }


def affine_from_settings(settings: dict | None, seed: int):
    """:class:`RandomAffine` for generator-style settings, or None for None.

    The one-layer counterpart of :func:`lecture_utils.images.augmentation_from_settings`.

    Parameters
    ----------
    settings : dict or None
        Keys as in :data:`lecture_utils.images.LECTURE_AUGMENTATION`.
    seed : int

    Returns
    -------
    RandomAffine or None
    """
    return None if settings is None else RandomAffine.from_settings(settings, seed=seed, name="augmentation")
