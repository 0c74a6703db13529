"""The hand-written convolution and pooling, checked against SciPy and NumPy references."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import correlate2d
from skimage.measure import block_reduce

from lecture_utils import convolution as conv


def reference_convolution(image, kernel, padding, stride):
    p = {"valid": 0, "same": kernel.shape[0] // 2}.get(padding, padding)
    full = correlate2d(np.pad(image, p), kernel, mode="valid")
    return full[::stride, ::stride]


@pytest.mark.parametrize("seed", range(12))
def test_convolve2d_matches_scipy_for_random_inputs(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(5, 20, size=2)
    k = int(rng.choice([1, 3, 5]))
    kernel = rng.normal(size=(k, k))
    image = rng.normal(size=(h, w))
    padding = rng.choice(["valid", "same", 0, 1, 2]).item()
    padding = int(padding) if str(padding).isdigit() else padding
    stride = int(rng.integers(1, 4))
    ours = conv.convolve2d(image, kernel, padding=padding, stride=stride)
    expected = reference_convolution(image, kernel, padding, stride)
    assert ours.shape == expected.shape
    assert ours.shape[0] == conv.output_size(h, k, padding, stride)
    np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_rectangular_kernel_matches_scipy():
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(9, 11)), rng.normal(size=(2, 4))
    np.testing.assert_allclose(conv.convolve2d(image, kernel), correlate2d(image, kernel, mode="valid"))


def test_same_padding_matches_scipy_same_mode():
    rng = np.random.default_rng(2)
    image, kernel = rng.normal(size=(10, 7)), rng.normal(size=(3, 3))
    np.testing.assert_allclose(conv.convolve2d(image, kernel, padding="same"), correlate2d(image, kernel, mode="same"))


def test_lecture_border_effect_numbers():
    assert conv.convolve2d(np.ones((5, 5)), np.ones((3, 3))).shape == (3, 3)
    assert conv.convolve2d(np.ones((5, 5)), np.ones((3, 3)), padding="same").shape == (5, 5)
    assert conv.convolve2d(np.ones((5, 5)), np.ones((3, 3)), stride=2).shape == (2, 2)
    assert conv.output_size(28, 3) == 26 and conv.output_size(150, 3) == 148


def test_kernel_is_not_flipped():
    image = np.zeros((3, 3))
    image[0, 0] = 1
    kernel = np.arange(9.0).reshape(3, 3)
    assert conv.convolve2d(image, kernel)[0, 0] == kernel[0, 0]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode, reduce", [("max", np.max), ("average", np.mean)])
def test_pool2d_matches_block_reduce(seed, mode, reduce):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=tuple(rng.integers(4, 17, size=2)))
    size = int(rng.integers(2, 4))
    ours = conv.pool2d(image, size=size, mode=mode)
    h, w = (image.shape[0] // size) * size, (image.shape[1] // size) * size
    expected = block_reduce(image[:h, :w], (size, size), reduce)
    np.testing.assert_allclose(ours, expected)


def test_pool2d_with_overlapping_windows_matches_sliding_windows():
    image = np.random.default_rng(3).normal(size=(9, 8))
    windows = sliding_window_view(image, (3, 3))[::2, ::2]
    np.testing.assert_allclose(conv.pool2d(image, size=3, stride=2), windows.max(axis=(2, 3)))


def test_max_pooling_halves_each_dimension():
    assert conv.pool2d(np.ones((26, 26))).shape == (13, 13)
    assert conv.pool2d(np.ones((11, 11))).shape == (5, 5)


@pytest.mark.parametrize(
    "image, kernel, kwargs, message",
    [
        (np.ones((3, 3, 3)), np.ones((3, 3)), {}, "2-D"),
        (np.ones((5, 5)), np.ones(3), {}, "2-D"),
        (np.ones((2, 2)), np.ones((3, 3)), {}, "larger than"),
        (np.ones((5, 5)), np.ones((3, 3)), {"stride": 0}, "stride"),
        (np.ones((5, 5)), np.ones((3, 3)), {"stride": 1.5}, "stride"),
        (np.array([[1, np.nan], [0, 0]]), np.ones((1, 1)), {}, "NaN"),
        (np.ones((5, 5)), np.array([[np.inf]]), {}, "NaN"),
        (np.ones((5, 5)), np.ones((3, 3)), {"padding": "full"}, "padding"),
        (np.ones((5, 5)), np.ones((2, 2)), {"padding": "same"}, "odd"),
        (np.array([["a", "b"]]), np.ones((1, 1)), {}, "real numbers"),
    ],
)
def test_convolve2d_rejects_bad_input_with_a_clear_error(image, kernel, kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv.convolve2d(image, kernel, **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"size": 5}, "larger than"),
        ({"mode": "median"}, "mode"),
        ({"size": 0}, "positive"),
    ],
)
def test_pool2d_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv.pool2d(np.ones((4, 4)), **kwargs)


def test_to_grayscale_checks_shape_and_range():
    rgb = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    rgb[..., :] = 255
    gray = conv.to_grayscale(rgb)
    assert gray.shape == (2, 4, 4) and np.allclose(gray, 1.0)
    with pytest.raises(ValueError, match="RGB"):
        conv.to_grayscale(np.zeros((4, 4)))
