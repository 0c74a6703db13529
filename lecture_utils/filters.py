"""Filter banks: families of hand-designed kernels (Gabor, Sobel, Haar) run on every image.

Filtering here slides the kernel without flipping it, as in :mod:`lecture_utils.convolution`
and every deep-learning library (``pixel_out = np.sum(kernel * image_patch)``), with the
output the size of the input.  :func:`filter_images` does that for a whole stack of images at
once through the FFT, and gives the same numbers as ``scipy.ndimage.correlate`` with the same
border ``mode``.

Gabor kernels are complex: a Gaussian envelope times a complex wave
``exp(i 2π f x')``.  Their real part (a cosine) responds to bright or dark lines, the imaginary
part (a sine) to edges; the *response magnitude* ``sqrt(real² + imag²)`` responds to both and
hardly depends on exactly where the wave's crest falls.  It equals the magnitude that
``skimage.filters.gabor`` gives (scikit-image convolves, i.e. flips the kernel, which changes
only the sign of the imaginary part).
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from .checks import as_array, int_in_range, number_tuple, one_of, positive_int, real_finite, real_in, sequence, size_2d

__all__ = [
    "GaborFilter",
    "gabor_kernel",
    "gabor_bank",
    "grating",
    "grating_responses",
    "standardize",
    "filter_images",
    "response_magnitude",
    "bank_magnitudes",
    "average_pool",
    "bank_features",
    "response_energy",
    "response_correlation",
    "prune_bank",
    "SOBEL_KERNELS",
    "sobel_responses",
    "haar_kernel",
    "linear_probe_accuracy",
    "per_filter_accuracy",
]

# scipy.ndimage's names for the border modes, and numpy.pad's names for the same extensions.
_PAD_MODES = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap", "constant": "constant"}


class GaborFilter(NamedTuple):
    """The three parameters the lecture varies.

    Attributes
    ----------
    frequency : float
        Spatial frequency of the wave, in cycles per pixel (its wavelength is ``1 / frequency``
        pixels).
    theta : float
        Direction of the wave, in radians; 0 is a wave along x, i.e. vertical stripes.
    sigma : float
        Standard deviation of the Gaussian envelope, in pixels (the size of the filter).
    """

    frequency: float
    theta: float
    sigma: float

    @property
    def label(self) -> str:
        """A short title, e.g. ``'θ=45° f=0.25 σ=3'``."""
        return f"θ={math.degrees(self.theta):.0f}° f={self.frequency:g} σ={self.sigma:g}"

    def kernel(self) -> np.ndarray:
        """The complex kernel, see :func:`gabor_kernel`."""
        return gabor_kernel(self.frequency, self.theta, self.sigma)


def gabor_kernel(frequency: float, theta: float = 0.0, sigma: float = 2.0) -> np.ndarray:
    """Complex Gabor kernel with a round Gaussian envelope (``skimage.filters.gabor_kernel``).

    Parameters
    ----------
    frequency : float in (0, 0.5]
        Spatial frequency, in cycles per pixel; above 0.5 a wave cannot be represented on a
        pixel grid (it aliases).
    theta : float
        Direction of the wave, in radians (0: wave along x, vertical stripes).
    sigma : float > 0
        Standard deviation of the envelope in pixels, equal in both directions.

    Returns
    -------
    ndarray of complex128, shape (k, k)
        ``k = 2 * ceil(3 * sigma * max(|cos θ|, |sin θ|)) + 1``: the kernel covers three
        standard deviations on either side of its centre.  Normalised by ``1 / (2π σ²)``.
    """
    from skimage.filters import gabor_kernel as skimage_gabor_kernel

    frequency = real_in(
        frequency, "frequency", "(0, 0.5]", unit="cycles per pixel", hint="; higher frequencies alias on a pixel grid"
    )
    theta = real_in(theta, "theta", "(-inf, inf)", unit="radians")
    sigma = real_in(sigma, "sigma", "(0, inf)", unit="pixels")
    return skimage_gabor_kernel(frequency, theta=theta, sigma_x=sigma, sigma_y=sigma)


def gabor_bank(frequencies, thetas, sigmas) -> list[GaborFilter]:
    """Every combination of the given parameters: a Gabor filter bank.

    Parameters
    ----------
    frequencies, thetas, sigmas : sequence of float
        Values of each parameter (cycles per pixel, radians, pixels).

    Returns
    -------
    list of GaborFilter
        ``len(sigmas) * len(frequencies) * len(thetas)`` filters, ordered by sigma, then
        frequency, then theta (theta varies fastest).
    """
    values = {
        name: sequence(vals, name, of="numbers")
        for name, vals in (("frequencies", frequencies), ("thetas", thetas), ("sigmas", sigmas))
    }
    for name, vals in values.items():
        if not vals:
            raise ValueError(f"gabor_bank needs at least one value in {name}, got none.")
        # float() below would turn True into 1.0 and "0.1" into 0.1 without a word.
        number_tuple(vals, name)
    bank = [
        GaborFilter(float(f), float(t), float(s))
        for s, f, t in itertools.product(values["sigmas"], values["frequencies"], values["thetas"])
    ]
    for gabor in bank:  # fail early, with gabor_kernel's message, on a bad value
        gabor_kernel(*gabor)
    return bank


def grating(shape: tuple[int, int], frequency: float, theta: float = 0.0, phase: float = 0.0) -> np.ndarray:
    """A sinusoidal stripe pattern: ``cos(2π f (x cos θ + y sin θ) + phase)``.

    Parameters
    ----------
    shape : (height, width)
    frequency : float
        Cycles per pixel.
    theta : float
        Direction of the wave in radians, as in :func:`gabor_kernel` (0: vertical stripes).
    phase : float
        Radians.

    Returns
    -------
    ndarray of float, shape ``shape``, values in [-1, 1]

    Raises
    ------
    ValueError
        For a shape that is not two positive integers, or a parameter that is not a finite number.
    """
    shape = size_2d(shape, "shape")
    # Checked, not converted: a float32 frequency keeps computing in float32, as it always did.
    real_in(frequency, "frequency", "(-inf, inf)", unit="cycles per pixel")
    real_in(theta, "theta", "(-inf, inf)", unit="radians")
    real_in(phase, "phase", "(-inf, inf)", unit="radians")
    y, x = np.mgrid[: shape[0], : shape[1]]
    return np.cos(2 * np.pi * frequency * (x * np.cos(theta) + y * np.sin(theta)) + phase)


def grating_responses(kernel, thetas, frequencies, shape: tuple[int, int] = (64, 64)) -> np.ndarray:
    """Mean response magnitude of a kernel to stripe patterns of every direction and frequency.

    Shows what a kernel is tuned to: a Gabor kernel responds most to the stripes of its own
    ``theta`` and ``frequency``.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
        Real or complex.
    thetas : sequence of float
        Directions of the stripe patterns, in radians (see :func:`grating`).
    frequencies : sequence of float
        Their frequencies, in cycles per pixel.
    shape : (height, width)
        Size of each stripe image, in pixels.

    Returns
    -------
    ndarray of float, shape (len(thetas), len(frequencies))
        The response magnitude averaged over each stripe image.
    """
    thetas, frequencies = sequence(thetas, "thetas", of="numbers"), sequence(frequencies, "frequencies", of="numbers")
    if not thetas or not frequencies:
        raise ValueError(f"need at least one theta and one frequency, got {len(thetas)} and {len(frequencies)}.")
    gratings = np.stack([grating(shape, f, t) for t in thetas for f in frequencies])
    magnitudes = response_magnitude(gratings, kernel)
    return magnitudes.mean(axis=(1, 2)).reshape(len(thetas), len(frequencies))


def _as_stack(images) -> tuple[np.ndarray, bool]:
    images = as_array(images, "images")
    if images.ndim not in (2, 3):
        raise ValueError(
            f"images must be one image (H, W) or a stack (N, H, W), got shape {images.shape}; "
            "convert colour images with convolution.to_grayscale first."
        )
    if not np.issubdtype(images.dtype, np.number) or np.iscomplexobj(images):
        raise ValueError(f"images must hold real numbers, got dtype {images.dtype}.")
    if images.size == 0:
        raise ValueError(f"images is empty (shape {images.shape}).")
    if not np.all(np.isfinite(images)):
        raise ValueError("images contain NaN or infinite values; clean them before filtering.")
    single = images.ndim == 2
    return (images[None] if single else images).astype(float), single


def standardize(images) -> np.ndarray:
    """Give every image zero mean and unit standard deviation, as the lecture does before filtering.

    Responses of different images are then comparable whatever their brightness and contrast.

    Parameters
    ----------
    images : array_like, shape (H, W) or (N, H, W)

    Returns
    -------
    ndarray of float, same shape
        A constant image (standard deviation 0) becomes all zeros.
    """
    stack, single = _as_stack(images)
    centred = stack - stack.mean(axis=(1, 2), keepdims=True)
    std = stack.std(axis=(1, 2), keepdims=True)
    out = np.divide(centred, std, out=np.zeros_like(centred), where=std > 0)
    return out[0] if single else out


def filter_images(images, kernel, mode: str = "reflect") -> np.ndarray:
    """Filter one image or a stack of images with one kernel, keeping the image size.

    Output pixel ``(i, j)`` is ``np.sum(kernel * patch)`` for the patch whose ``(kh // 2,
    kw // 2)`` element is input pixel ``(i, j)``; outside the image, pixels are extended
    according to ``mode``.  Computed with FFTs over the whole stack at once; equal (to
    rounding) to ``scipy.ndimage.correlate(image, kernel, mode=mode)`` for every image.

    Parameters
    ----------
    images : array_like, shape (H, W) or (N, H, W)
        Grayscale image(s).
    kernel : array_like, shape (kh, kw)
        Real or complex (a Gabor kernel: the real and imaginary responses at once).
    mode : {'reflect', 'mirror', 'nearest', 'wrap', 'constant'}
        How the image is extended beyond its border, with ``scipy.ndimage``'s meaning
        ('constant' pads with zeros).

    Returns
    -------
    ndarray, same shape as ``images``
        Float, or complex for a complex kernel.
    """
    stack, single = _as_stack(images)
    (out,) = _filter_stack(stack, [kernel], mode)
    return out[0] if single else out


def _check_kernel(kernel) -> np.ndarray:
    kernel = as_array(kernel, "kernel")
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError(f"kernel must be a non-empty 2-D array (kh, kw), got shape {kernel.shape}.")
    if not np.issubdtype(kernel.dtype, np.number):  # bools are not numbers here either
        raise ValueError(f"kernel must hold real or complex numbers, got dtype {kernel.dtype}.")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("kernel must hold finite numbers, not NaN or infinite values.")
    return kernel


def _bank_kernels(bank) -> list:
    """The kernels of a bank: a sequence of GaborFilters or of 2-D kernels."""
    if isinstance(bank, GaborFilter) or (isinstance(bank, np.ndarray) and bank.ndim == 2):
        # A GaborFilter is a tuple of three numbers, and a 2-D array a sequence of rows.
        raise TypeError(
            f"bank must be a sequence of filters, got one {type(bank).__name__}; put it in a list: [filter]."
        )
    bank = sequence(bank, "bank", of="GaborFilters or 2-D kernels")
    if not bank:
        raise ValueError("bank must hold at least one filter, got none.")
    return [f.kernel() if isinstance(f, GaborFilter) else f for f in bank]


def _filter_stack(stack: np.ndarray, kernels, mode: str):
    """Yield the response of a stack (N, H, W) to each kernel, sharing one forward FFT.

    The stack is extended by ``mode`` far enough for the largest kernel, and each response is a
    circular correlation of that extended stack: the part that wraps around only ever lands in
    the extension, which is cropped off.
    """
    from scipy import fft

    kernels = [_check_kernel(k) for k in kernels]
    one_of(mode, "mode", sorted(_PAD_MODES))
    n, h, w = stack.shape
    # Output (i, j) reads the extended image from (i - kh // 2, j - kw // 2) on, kh × kw pixels.
    before = [max(k.shape[axis] // 2 for k in kernels) for axis in (0, 1)]
    after = [max(k.shape[axis] - 1 - k.shape[axis] // 2 for k in kernels) for axis in (0, 1)]
    padded = np.pad(stack, ((0, 0), (before[0], after[0]), (before[1], after[1])), mode=_PAD_MODES[mode])
    size = [fft.next_fast_len(padded.shape[axis], real=True) for axis in (1, 2)]
    spectrum = fft.rfft2(padded, s=size, axes=(1, 2))

    def correlate(real_kernel):
        kh, kw = real_kernel.shape
        # The flipped kernel, rolled so that kernel element (kh // 2, kw // 2) sits at the origin:
        # a circular convolution with it slides the kernel itself over the image.
        placed = np.zeros(size)
        placed[:kh, :kw] = real_kernel[::-1, ::-1]
        placed = np.roll(placed, (kh // 2 - (kh - 1), kw // 2 - (kw - 1)), axis=(0, 1))
        full = fft.irfft2(spectrum * fft.rfft2(placed), s=size, axes=(1, 2))
        return full[:, before[0] : before[0] + h, before[1] : before[1] + w]

    for kernel in kernels:
        # Sliding a complex kernel multiplies without a complex conjugate: the real and the
        # imaginary part are two real filters (and two real FFTs are faster than one complex).
        if np.iscomplexobj(kernel):
            yield correlate(kernel.real.astype(float)) + 1j * correlate(kernel.imag.astype(float))
        else:
            yield correlate(kernel.astype(float))


def response_magnitude(images, kernel, mode: str = "reflect") -> np.ndarray:
    """Magnitude of a complex filter's response, ``sqrt(real² + imag²)``.

    Parameters
    ----------
    images : array_like, shape (H, W) or (N, H, W)
    kernel : array_like of complex, shape (kh, kw)
    mode : str
        Border mode, see :func:`filter_images`.

    Returns
    -------
    ndarray of float, same shape as ``images``
    """
    return np.abs(filter_images(images, kernel, mode=mode))


def bank_magnitudes(images, bank, mode: str = "reflect") -> np.ndarray:
    """Response magnitudes of every filter of a bank on every image.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
    bank : sequence of GaborFilter or of complex kernels
    mode : str
        Border mode, see :func:`filter_images`.

    Returns
    -------
    ndarray of float, shape (N, len(bank), H, W)
    """
    kernels = _bank_kernels(bank)
    stack, _ = _as_stack(images)
    return np.stack([np.abs(r) for r in _filter_stack(stack, kernels, mode)], axis=1)


def average_pool(images, size: int) -> np.ndarray:
    """Average over non-overlapping ``size × size`` blocks of the last two axes.

    Parameters
    ----------
    images : ndarray, shape (..., H, W)
        H and W must be multiples of ``size``.
    size : int
        Block side, in pixels.

    Returns
    -------
    ndarray of float, shape (..., H // size, W // size)
    """
    images = real_finite(images, "images").astype(float)
    size = positive_int(size, "size")
    if images.ndim < 2:
        raise ValueError(f"average_pool needs at least 2 dimensions (H, W), got shape {images.shape}.")
    h, w = images.shape[-2:]
    if h % size or w % size:
        raise ValueError(f"image sides {h}×{w} must be multiples of the pooling size {size}.")
    blocks = images.reshape(*images.shape[:-2], h // size, size, w // size, size)
    return blocks.mean(axis=(-3, -1))


def bank_features(images, bank, pool: int = 4, mode: str = "reflect") -> np.ndarray:
    """Pooled response magnitudes of a bank: compact features for a classifier.

    The same as ``average_pool(bank_magnitudes(images, bank), pool)``, computed one filter at a
    time so that thousands of images fit in memory.

    Parameters
    ----------
    images : array_like, shape (N, H, W)
    bank : sequence of GaborFilter or of complex kernels
    pool : int
        Side of the averaging blocks, in pixels; H and W must be multiples of it.
    mode : str
        Border mode, see :func:`filter_images`.

    Returns
    -------
    ndarray of float, shape (N, len(bank), H // pool, W // pool)
    """
    kernels = _bank_kernels(bank)
    stack, _ = _as_stack(images)
    average_pool(stack[:1], pool)  # check the pooling size before any filtering
    return np.stack([average_pool(np.abs(r), pool) for r in _filter_stack(stack, kernels, mode)], axis=1)


def _check_magnitudes(magnitudes) -> np.ndarray:
    magnitudes = real_finite(magnitudes, "magnitudes")
    if magnitudes.ndim != 4:
        raise ValueError(f"magnitudes must have shape (N, F, H, W), got shape {magnitudes.shape}.")
    if magnitudes.size == 0:
        raise ValueError(f"magnitudes is empty (shape {magnitudes.shape}).")
    return magnitudes.astype(float)


def response_energy(magnitudes) -> np.ndarray:
    """Mean squared response magnitude of each filter: how strongly it reacts to the images.

    Parameters
    ----------
    magnitudes : array_like, shape (N, F, H, W) or (N, F, h, w)
        Response magnitudes (or pooled magnitudes) of F filters on N images.

    Returns
    -------
    ndarray of float, shape (F,)
    """
    magnitudes = _check_magnitudes(magnitudes)
    return (magnitudes**2).mean(axis=(0, 2, 3))


def response_correlation(magnitudes) -> np.ndarray:
    """Pearson correlation between the responses of every pair of filters.

    Two filters whose responses correlate near 1 over all images and positions measure the
    same thing: one of them is redundant.

    Parameters
    ----------
    magnitudes : array_like, shape (N, F, H, W) or (N, F, h, w)
        Response magnitudes (or pooled magnitudes) of F filters on N images.

    Returns
    -------
    ndarray of float, shape (F, F)
        Symmetric, ones on the diagonal.
    """
    magnitudes = _check_magnitudes(magnitudes)
    per_filter = np.moveaxis(magnitudes, 1, 0).reshape(magnitudes.shape[1], -1)
    if np.any(per_filter.std(axis=1) == 0):
        raise ValueError("a filter's responses are constant, so their correlation is undefined.")
    return np.corrcoef(per_filter)


def prune_bank(energy, correlation, n_weakest: int = 0, max_correlation: float = 1.0) -> np.ndarray:
    """Which filters of a bank to keep: drop the weakest and the near-duplicates, without labels.

    First the ``n_weakest`` filters with the lowest response energy are dropped; then, going
    through the others from the highest energy down, every filter whose responses correlate
    more than ``max_correlation`` with a filter already kept is dropped too.

    Parameters
    ----------
    energy : array_like, shape (F,)
        E.g. :func:`response_energy`.
    correlation : array_like, shape (F, F)
        E.g. :func:`response_correlation`.
    n_weakest : int
        How many of the lowest-energy filters to drop, ``0 <= n_weakest < F``.
    max_correlation : float in (0, 1]
        1 keeps every filter that is not among the weakest.

    Returns
    -------
    ndarray of int
        Indices of the kept filters, in increasing order.
    """
    energy = real_finite(energy, "energy").astype(float)
    correlation = real_finite(correlation, "correlation").astype(float)
    n = len(energy) if energy.ndim else 0
    if energy.ndim != 1 or n == 0 or correlation.shape != (n, n):
        raise ValueError(
            f"energy must have shape (F,) and correlation (F, F) with F ≥ 1, got {energy.shape} and "
            f"{correlation.shape}."
        )
    n_weakest = int_in_range(n_weakest, "n_weakest", 0, n - 1, note=" (F - 1)")
    max_correlation = real_in(max_correlation, "max_correlation", "(0, 1]")
    strongest_first = np.argsort(-energy, kind="stable")[: n - n_weakest]
    kept: list[int] = []
    for f in strongest_first:
        if all(correlation[f, k] <= max_correlation for k in kept):
            kept.append(int(f))
    return np.sort(np.array(kept, dtype=int))


#: Sobel kernels for :func:`filter_images`, scaled as in scikit-image (``sobel_h`` / ``sobel_v``):
#: "horizontal" responds to horizontal edges (brightness changing from top to bottom),
#: "vertical" to vertical edges.
SOBEL_KERNELS: dict[str, np.ndarray] = {
    "horizontal": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float) / 4,
    "vertical": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float) / 4,
}


def sobel_responses(images, mode: str = "reflect") -> dict[str, np.ndarray]:
    """Sobel edge maps: horizontal and vertical responses and the edge magnitude.

    Equal to ``skimage.filters.sobel_h``, ``sobel_v`` and ``sobel`` on each image (with
    ``mode='reflect'``), for a whole stack at once.

    Parameters
    ----------
    images : array_like, shape (H, W) or (N, H, W)
    mode : str
        Border mode, see :func:`filter_images`.

    Returns
    -------
    dict
        ``"horizontal"``, ``"vertical"`` and ``"magnitude"`` (``sqrt((h² + v²) / 2)``, as
        scikit-image's ``sobel``), each the shape of ``images``.
    """
    h = filter_images(images, SOBEL_KERNELS["horizontal"], mode=mode)
    v = filter_images(images, SOBEL_KERNELS["vertical"], mode=mode)
    return {"horizontal": h, "vertical": v, "magnitude": np.sqrt((h**2 + v**2) / 2)}


_HAAR_KINDS = ("horizontal edge", "vertical edge", "line", "diagonal")


def haar_kernel(kind: str, size: int = 4) -> np.ndarray:
    """A Haar-like kernel: rectangles of +w and -w whose response is a difference of mean brightness.

    The response is (mean of the positive rectangles) − (mean of the negative rectangles)
    under the kernel, in image units.  The 2×2 kernels are, up to a factor 2, the three
    detail filters of one level of the 2-D Haar wavelet transform.

    Parameters
    ----------
    kind : {'horizontal edge', 'vertical edge', 'line', 'diagonal'}
        'horizontal edge': bright bottom half, dark top half; 'vertical edge': bright right
        half, dark left half; 'line': a bright horizontal band between two dark ones (three
        equal bands); 'diagonal': a 2×2 checkerboard of blocks.
    size : int
        Side of the square kernel in pixels: even, and for 'line' a multiple of 3.

    Returns
    -------
    ndarray of float, shape (size, size)
        Sums to zero.
    """
    one_of(kind, "kind", _HAAR_KINDS)
    size = int_in_range(size, "size", 2, unit="pixels")
    if kind == "line" and size % 3:
        raise ValueError(f"a 'line' kernel has three equal bands, so size must be a multiple of 3, got {size}.")
    if kind != "line" and size % 2:
        raise ValueError(f"a {kind!r} kernel has two equal halves, so size must be even, got {size}.")
    rows = np.arange(size)[:, None] * np.ones((1, size))
    cols = rows.T
    half = size // 2
    positive = {
        "horizontal edge": rows >= half,
        "vertical edge": cols >= half,
        "line": (rows >= size // 3) & (rows < 2 * size // 3),
        "diagonal": (rows < half) == (cols < half),
    }[kind]
    return np.where(positive, 1 / positive.sum(), -1 / (~positive).sum())


def linear_probe_accuracy(x_train, y_train, x_test, y_test, C: float = 1.0, random_state: int = 0) -> float:
    """Test accuracy of a linear classifier on given features: how well they separate the classes.

    Standardises every feature on the training set, fits scikit-learn's multinomial
    ``LogisticRegression`` (L2 penalty ``C``), and scores it on the test set.

    Parameters
    ----------
    x_train : array_like, shape (n_train, ...)
        Features; all axes after the first are flattened.
    y_train : array_like of int, shape (n_train,)
    x_test : array_like, shape (n_test, ...)
    y_test : array_like of int, shape (n_test,)
    C : float
        Inverse regularisation strength.
    random_state : int

    Returns
    -------
    float
        Fraction of test examples classified correctly.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    # scikit-learn would find these problems too, but only deep inside fit() and in its own terms.
    x_train = real_finite(x_train, "x_train").astype(float)
    x_test = real_finite(x_test, "x_test").astype(float)
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(f"{name} must hold at least one example (n, ...), got shape {x.shape}.")
    y_train, y_test = _class_labels(y_train, "y_train"), _class_labels(y_test, "y_test")
    C = real_in(C, "C", "(0, inf)", hint="; it is the inverse regularisation strength")
    if random_state is not None:
        random_state = int_in_range(random_state, "random_state", 0, 2**32 - 1)
    if len(np.unique(y_train)) < 2:
        raise ValueError(f"y_train must hold at least two classes to separate, got {np.unique(y_train).tolist()}.")
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(
            f"features and labels differ in length: {len(x_train)} vs {len(y_train)} (train), "
            f"{len(x_test)} vs {len(y_test)} (test)."
        )
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    if x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"train and test features differ in size: {x_train.shape[1]} vs {x_test.shape[1]}.")
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=random_state))
    # A problem this small gains nothing from BLAS threads, and on a busy machine they wait for
    # each other: one thread was ten times faster than two on the book's 2-core build machine.
    with threadpool_limits(limits=1):
        model.fit(x_train, y_train)
        return float(model.score(x_test, y_test))


def _class_labels(labels, name: str) -> np.ndarray:
    """``labels`` as a 1-D array, if it holds class numbers: integers (or whole floats)."""
    labels = as_array(labels, name)
    integral = labels.dtype.kind in "iub" or (
        labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))
    )
    if labels.ndim != 1 or not integral:
        raise ValueError(
            f"{name} must be a 1-D array of integer class labels, got shape {labels.shape}, dtype {labels.dtype}."
        )
    return labels


def per_filter_accuracy(
    features_train, y_train, features_test, y_test, C: float = 1.0, random_state: int = 0
) -> np.ndarray:
    """:func:`linear_probe_accuracy` of each filter's features on their own.

    Parameters
    ----------
    features_train : array_like, shape (n_train, F, ...)
        E.g. the output of :func:`bank_features`.
    y_train : array_like of int, shape (n_train,)
    features_test : array_like, shape (n_test, F, ...)
    y_test : array_like of int, shape (n_test,)
    C, random_state
        As in :func:`linear_probe_accuracy`.

    Returns
    -------
    ndarray of float, shape (F,)
    """
    features_train, features_test = as_array(features_train, "features_train"), as_array(features_test, "features_test")
    if features_train.ndim < 2 or features_test.ndim < 2 or features_train.shape[1] != features_test.shape[1]:
        raise ValueError(
            f"features must have shape (n, F, ...) with the same F for train and test, got "
            f"{features_train.shape} and {features_test.shape}."
        )
    return np.array(
        [
            linear_probe_accuracy(
                features_train[:, f], y_train, features_test[:, f], y_test, C=C, random_state=random_state
            )
            for f in range(features_train.shape[1])
        ]
    )
