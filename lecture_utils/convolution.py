"""Image convolution and pooling written out by hand, as the lecture teaches them.

These loops are for reading, not for speed: the library equivalents are
``scipy.signal.correlate2d`` and Keras' ``Conv2D`` / ``MaxPooling2D``, and the unit tests
check these functions against them.

Like every deep-learning library, "convolution" here slides the kernel without flipping it
(mathematically a cross-correlation): ``pixel_out = np.sum(kernel * image_patch)``.
"""

from __future__ import annotations

import numpy as np

from .checks import as_array, grayscale_image, non_negative_int, one_of, pixel_values, positive_int, real_finite

__all__ = ["KERNELS", "to_grayscale", "output_size", "pad_image", "convolve_padded", "convolve2d", "pool2d"]

#: The hand-picked 3×3 kernels of the lecture's demonstrations (plus a blur for contrast).
KERNELS: dict[str, np.ndarray] = {
    "horizontal edge": np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], dtype=float),
    "vertical edge": np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=float),
    "diagonal edge": np.array([[-2, -1, 0], [-1, 0, 1], [0, 1, 2]], dtype=float),
    "edge detect": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "box blur": np.full((3, 3), 1 / 9),
}


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image, as floats in [0, 1].

    Parameters
    ----------
    image : array_like, shape (H, W, 3) or (N, H, W, 3)
        RGB: integers 0–255 (uint8, or e.g. nested lists of ints) or floats 0–1.

    Returns
    -------
    ndarray of float, shape (H, W) or (N, H, W)

    Raises
    ------
    ValueError
        For another shape, an empty image, values that are not finite real numbers, integers
        outside 0–255 or floats outside [0, 1].
    """
    from skimage.color import rgb2gray

    image = as_array(image, "image")
    if image.ndim not in (3, 4) or image.shape[-1] != 3:
        raise ValueError(
            f"to_grayscale expects RGB images of shape (H, W, 3) or (N, H, W, 3), got shape {image.shape}."
        )
    if image.size == 0:
        raise ValueError(f"image is empty (shape {image.shape}).")
    # skimage would reject strings deep inside its colour conversion, and pass NaN through.
    image = pixel_values(real_finite(image, "image"))
    if image.dtype.kind in "iu":
        # skimage scales integers by their dtype's maximum: int64 pixels (a list of ints) would
        # all come out as about 1e-17, uint16 ones 257 times too dark.
        image = image.astype(np.uint8, copy=False)
    return rgb2gray(image)


def _padding_amount(padding, kernel_size: int) -> int:
    # Compare strings only: an array compared with "valid" gives an array, not a truth value.
    if isinstance(padding, str) and padding == "valid":
        return 0
    if isinstance(padding, str) and padding == "same":
        if kernel_size % 2 == 0:
            raise ValueError(f"padding='same' needs an odd kernel size to centre it, got {kernel_size}.")
        return kernel_size // 2
    try:
        return non_negative_int(padding, "padding")
    except ValueError:  # one sentence naming all three kinds of padding, not only the number
        raise ValueError(f"padding must be 'valid', 'same' or a non-negative integer, got {padding!r}.") from None


def output_size(input_size: int, kernel_size: int, padding=0, stride: int = 1) -> int:
    """Side length of a convolution's output: ``(n + 2p - k) // s + 1``.

    Examples
    --------
    >>> output_size(5, 3)                    # a 5×5 image and a 3×3 filter: 3×3
    3
    >>> output_size(5, 3, padding="same")    # zero padding keeps the size
    5
    >>> output_size(5, 3, stride=2)
    2
    """
    input_size = positive_int(input_size, "input_size")
    kernel_size = positive_int(kernel_size, "kernel_size")
    p = _padding_amount(padding, kernel_size)
    s = positive_int(stride, "stride")
    if kernel_size > input_size + 2 * p:
        # The formula would give 0 or a negative size instead of saying the kernel does not fit.
        raise ValueError(
            f"a {kernel_size}-pixel kernel does not fit in {input_size} pixels with padding {p}; "
            "use a smaller kernel or more padding."
        )
    return (input_size + 2 * p - kernel_size) // s + 1


def pad_image(image: np.ndarray, padding: int) -> np.ndarray:
    """Surround an image with ``padding`` rows and columns of zeros on every side.

    Raises
    ------
    ValueError
        For an image that is not a finite 2-D array, or a padding that is not a whole number ≥ 0.
    """
    image = grayscale_image(image)
    padding = non_negative_int(padding, "padding", unit="pixels")
    return np.pad(image, padding, mode="constant", constant_values=0)


# @save
def convolve_padded(padded, kernel, stride=1):
    """The kernel slid over an already padded image: each output is the sum of kernel × patch under it."""
    kh, kw = kernel.shape
    out_h = (padded.shape[0] - kh) // stride + 1
    out_w = (padded.shape[1] - kw) // stride + 1
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            image_patch = padded[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.sum(kernel * image_patch)
    return out


def convolve2d(image, kernel, padding=0, stride: int = 1) -> np.ndarray:
    """Slide a kernel over an image: every output pixel is ``np.sum(kernel * image_patch)``.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A single-channel image.
    kernel : array_like, shape (kh, kw)
        The filter; no larger than the (padded) image.
    padding : {'valid', 'same'} or int, default 0
        Zeros added on every side: ``'valid'`` (0), ``'same'`` (keeps the size at stride 1,
        odd kernels), or a number of pixels.
    stride : int, default 1
        Distance between two windows, in pixels.

    Returns
    -------
    ndarray of float, shape (output_size(H, kh, padding, stride), output_size(W, kw, padding, stride))

    Raises
    ------
    ValueError
        For a non-2-D or non-finite image or kernel, a kernel larger than the padded image,
        a stride below 1, or an unknown padding.
    """
    image = grayscale_image(image)
    kernel = grayscale_image(kernel, "kernel")
    stride = positive_int(stride, "stride")
    kh, kw = kernel.shape
    if isinstance(padding, str) and padding == "same" and kh != kw:
        raise ValueError(f"padding='same' needs a square kernel, got shape {kernel.shape}.")
    p = _padding_amount(padding, kh)
    padded = pad_image(image, p)
    if kh > padded.shape[0] or kw > padded.shape[1]:
        raise ValueError(
            f"kernel of shape {kernel.shape} is larger than the (padded) image of shape "
            f"{padded.shape}; use a smaller kernel or more padding."
        )
    return convolve_padded(padded, kernel, stride)


def pool2d(image, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Max- or average-pooling of a single-channel image (no padding).

    Parameters
    ----------
    image : array_like, shape (H, W)
    size : int, default 2
        Side of the square pooling window, in pixels.
    stride : int, optional
        Distance between windows; defaults to ``size`` (non-overlapping windows).
    mode : {'max', 'average'}

    Returns
    -------
    ndarray of float, shape ((H - size) // stride + 1, (W - size) // stride + 1)
    """
    image = grayscale_image(image)
    size = positive_int(size, "size")
    stride = positive_int(size if stride is None else stride, "stride")
    if size > min(image.shape):
        raise ValueError(f"pooling window {size}×{size} is larger than the image of shape {image.shape}.")
    reduce = {"max": np.max, "average": np.mean}[one_of(mode, "mode", ("max", "average"))]
    out_h = (image.shape[0] - size) // stride + 1
    out_w = (image.shape[1] - size) // stride + 1
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = reduce(image[i * stride : i * stride + size, j * stride : j * stride + size])
    return out
