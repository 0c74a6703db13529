"""Filter banks: Gabor, Sobel and Haar kernels, stack filtering, and the usefulness measures,
checked against scikit-image, SciPy and hand-computed values."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import skimage.filters  # noqa: E402
from scipy import ndimage  # noqa: E402

from lecture_utils import filters, plotting  # noqa: E402

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


# --- Gabor kernels -----------------------------------------------------------------------------


@pytest.mark.parametrize("frequency, theta, sigma", [(0.16, 1.2, 4.0), (0.31, 0.0, 3.6), (0.36, 1.6, 1.3)])
def test_gabor_kernel_is_scikit_image_with_round_envelope(frequency, theta, sigma):
    kernel = filters.gabor_kernel(frequency, theta, sigma)
    expected = skimage.filters.gabor_kernel(frequency, theta=theta, sigma_x=sigma, sigma_y=sigma)
    np.testing.assert_allclose(kernel, expected)
    half = math.ceil(3 * sigma * max(abs(math.cos(theta)), abs(math.sin(theta))))
    assert kernel.shape == (2 * half + 1, 2 * half + 1)


def test_lecture_kernel_sizes():
    sizes = [filters.gabor_kernel(f, t, s).shape for f, t, s in [(0.16, 1.2, 4.0), (0.31, 0, 3.6), (0.36, 1.6, 1.3)]]
    assert sizes == [(25, 25), (23, 23), (9, 9)]


def test_gabor_kernel_centre_and_normalisation():
    kernel = filters.gabor_kernel(0.2, 0.0, 2.0)
    centre = kernel[kernel.shape[0] // 2, kernel.shape[1] // 2]
    assert centre == pytest.approx(1 / (2 * np.pi * 2.0**2))  # cos(0) = 1, sin(0) = 0
    # The real part is point-symmetric, the imaginary part antisymmetric.
    np.testing.assert_allclose(kernel.real, kernel.real[::-1, ::-1], atol=1e-15)
    np.testing.assert_allclose(kernel.imag, -kernel.imag[::-1, ::-1], atol=1e-15)


def test_theta_zero_kernel_responds_most_to_vertical_stripes_of_its_own_frequency():
    kernel = filters.gabor_kernel(0.25, 0.0, 3.0)
    angles = np.deg2rad([0, 30, 60, 90, 120, 150])
    frequencies = [0.08, 0.15, 0.2, 0.25, 0.3, 0.35, 0.45]
    response = np.array(
        [
            [
                filters.response_magnitude(filters.grating((48, 48), f, a), kernel)[12:36, 12:36].mean()
                for f in frequencies
            ]
            for a in angles
        ]
    )
    assert np.unravel_index(response.argmax(), response.shape) == (0, frequencies.index(0.25))
    # The magnitude hardly depends on where the crests fall (the phase); not exactly, because
    # the cosine part of a Gabor kernel does not sum to zero.
    shifted = filters.response_magnitude(filters.grating((48, 48), 0.25, 0.0, phase=1.0), kernel)
    unshifted = filters.response_magnitude(filters.grating((48, 48), 0.25, 0.0), kernel)
    np.testing.assert_allclose(shifted[12:36, 12:36], unshifted[12:36, 12:36], rtol=0.01)


def test_theta_quarter_turn_kernel_prefers_horizontal_stripes():
    kernel = filters.gabor_kernel(0.2, np.pi / 2, 2.0)
    vertical = filters.response_magnitude(filters.grating((40, 40), 0.2, 0.0), kernel).mean()
    horizontal = filters.response_magnitude(filters.grating((40, 40), 0.2, np.pi / 2), kernel).mean()
    assert horizontal > 20 * vertical


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"frequency": 0.0}, "frequency"),
        ({"frequency": 0.6}, "frequency"),
        ({"frequency": np.nan}, "frequency"),
        ({"sigma": 0.0}, "sigma"),
        ({"sigma": -1.0}, "sigma"),
        ({"theta": np.inf}, "theta"),
    ],
)
def test_gabor_kernel_rejects_bad_parameters(kwargs, message):
    arguments = {"frequency": 0.2, "theta": 0.0, "sigma": 2.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        filters.gabor_kernel(**arguments)


def test_gabor_filter_label_and_kernel():
    gabor = filters.GaborFilter(0.25, np.pi / 4, 3.0)
    assert gabor.label == "θ=45° f=0.25 σ=3"
    np.testing.assert_array_equal(gabor.kernel(), filters.gabor_kernel(0.25, np.pi / 4, 3.0))


def test_gabor_bank_order_and_size():
    bank = filters.gabor_bank([0.1, 0.25], [0.0, np.pi / 2], [1.0, 3.0])
    assert len(bank) == 8
    assert bank[0] == filters.GaborFilter(0.1, 0.0, 1.0)
    assert bank[1] == filters.GaborFilter(0.1, np.pi / 2, 1.0)  # theta varies fastest
    assert bank[2] == filters.GaborFilter(0.25, 0.0, 1.0)
    assert bank[4].sigma == 3.0  # sigma slowest


def test_gabor_bank_rejects_empty_and_bad_values():
    with pytest.raises(ValueError, match="thetas"):
        filters.gabor_bank([0.1], [], [1.0])
    with pytest.raises(ValueError, match="frequency"):
        filters.gabor_bank([0.9], [0.0], [1.0])


def test_grating_values():
    stripes = filters.grating((3, 4), 0.25)
    np.testing.assert_allclose(stripes, [[1, 0, -1, 0]] * 3, atol=1e-12)  # vertical stripes
    np.testing.assert_allclose(filters.grating((4, 2), 0.5, np.pi / 2), [[1, 1], [-1, -1]] * 2, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        filters.grating((0, 4), 0.25)


def test_grating_responses_peak_at_the_kernels_own_stripes():
    thetas, frequencies = np.deg2rad([0, 45, 90]), [0.1, 0.2, 0.3]
    responses = filters.grating_responses(filters.gabor_kernel(0.2, np.pi / 2, 3.0), thetas, frequencies, (40, 40))
    assert responses.shape == (3, 3)
    assert np.unravel_index(responses.argmax(), responses.shape) == (2, 1)
    expected = filters.response_magnitude(
        filters.grating((40, 40), 0.3, thetas[1]), filters.gabor_kernel(0.2, np.pi / 2, 3.0)
    ).mean()
    assert responses[1, 2] == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least one"):
        filters.grating_responses(np.ones((3, 3)), [], [0.1])


# --- Standardising and filtering ---------------------------------------------------------------


def test_standardize_stack_and_single_image():
    rng = np.random.default_rng(0)
    stack = rng.uniform(0, 255, size=(5, 6, 7))
    out = filters.standardize(stack)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1)
    np.testing.assert_allclose(filters.standardize(stack[2]), out[2])
    np.testing.assert_array_equal(filters.standardize(np.full((3, 3), 7.0)), np.zeros((3, 3)))


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((2, 3, 4, 3)), "shape"),
        (np.array([[1, np.nan]]), "NaN"),
        (np.zeros((2, 2), dtype=complex), "real"),
        (np.zeros((0, 3)), "empty"),
    ],
)
def test_standardize_rejects_bad_images(bad, message):
    with pytest.raises(ValueError, match=message):
        filters.standardize(bad)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (2, 5), (1, 1), (25, 25)])
def test_filter_images_matches_ndimage_correlate(mode, shape):
    rng = np.random.default_rng(hash((mode, shape)) % 2**32)
    images = rng.normal(size=(3, 17, 20))
    kernel = rng.normal(size=shape)
    out = filters.filter_images(images, kernel, mode=mode)
    assert out.shape == images.shape and out.dtype == float
    for image, result in zip(images, out):
        np.testing.assert_allclose(result, ndimage.correlate(image, kernel, mode=mode), atol=1e-10)


def test_filter_images_does_not_flip_the_kernel():
    image = np.zeros((5, 5))
    image[2, 2] = 1
    kernel = np.arange(9.0).reshape(3, 3)
    # A single bright pixel gives the kernel back point-reflected: out[1, 1] sees it at kernel[2, 2].
    out = filters.filter_images(image, kernel, mode="constant")
    np.testing.assert_allclose(out[1:4, 1:4], kernel[::-1, ::-1], atol=1e-12)
    assert out[1, 1] == pytest.approx(kernel[2, 2])


def test_filter_images_complex_kernel_is_real_and_imaginary_parts():
    rng = np.random.default_rng(3)
    image = rng.normal(size=(12, 15))
    kernel = rng.normal(size=(5, 5)) + 1j * rng.normal(size=(5, 5))
    out = filters.filter_images(image, kernel)
    np.testing.assert_allclose(out.real, ndimage.correlate(image, kernel.real, mode="reflect"), atol=1e-10)
    np.testing.assert_allclose(out.imag, ndimage.correlate(image, kernel.imag, mode="reflect"), atol=1e-10)


@pytest.mark.parametrize("frequency, theta, sigma", [(0.16, 1.2, 4.0), (0.31, 0.0, 3.6), (0.36, 1.6, 1.3)])
def test_gabor_response_matches_scikit_image(frequency, theta, sigma):
    image = np.random.default_rng(4).uniform(size=(32, 32))
    response = filters.filter_images(image, filters.gabor_kernel(frequency, theta, sigma))
    real, imag = skimage.filters.gabor(image, frequency, theta=theta, sigma_x=sigma, sigma_y=sigma)
    np.testing.assert_allclose(response.real, real, atol=1e-10)
    np.testing.assert_allclose(response.imag, -imag, atol=1e-10)  # scikit-image flips the kernel
    np.testing.assert_allclose(
        filters.response_magnitude(image, filters.gabor_kernel(frequency, theta, sigma)),
        np.sqrt(real**2 + imag**2),
        atol=1e-10,
    )


def test_filter_images_single_image_equals_stack_entry():
    rng = np.random.default_rng(5)
    images = rng.normal(size=(4, 10, 10))
    kernel = filters.gabor_kernel(0.2, 0.5, 1.5)
    np.testing.assert_allclose(filters.filter_images(images[1], kernel), filters.filter_images(images, kernel)[1])


@pytest.mark.parametrize(
    "kernel, mode, message",
    [
        (np.ones((3, 3, 3)), "reflect", "2-D"),
        (np.ones((0, 3)), "reflect", "2-D"),
        (np.array([[1.0, np.inf]]), "reflect", "finite"),
        (np.ones((3, 3)), "periodic", "mode"),
    ],
)
def test_filter_images_rejects_bad_kernel_or_mode(kernel, mode, message):
    with pytest.raises(ValueError, match=message):
        filters.filter_images(np.ones((5, 5)), kernel, mode=mode)


def test_filter_images_rejects_colour_images():
    with pytest.raises(ValueError, match="to_grayscale"):
        filters.filter_images(np.ones((2, 5, 5, 3)), np.ones((3, 3)))


# --- Banks, pooling and the usefulness measures ------------------------------------------------


def test_bank_magnitudes_and_features():
    rng = np.random.default_rng(6)
    images = rng.normal(size=(3, 12, 12))
    bank = filters.gabor_bank([0.1, 0.3], [0.0, np.pi / 4], [1.0, 2.5])
    magnitudes = filters.bank_magnitudes(images, bank)
    assert magnitudes.shape == (3, 8, 12, 12)
    for f, gabor in enumerate(bank):
        np.testing.assert_allclose(magnitudes[:, f], filters.response_magnitude(images, gabor.kernel()), atol=1e-12)
    features = filters.bank_features(images, bank, pool=4)
    assert features.shape == (3, 8, 3, 3)
    np.testing.assert_allclose(features, filters.average_pool(magnitudes, 4), atol=1e-12)
    # Plain kernels work too.
    np.testing.assert_allclose(filters.bank_magnitudes(images, [g.kernel() for g in bank]), magnitudes)


def test_bank_functions_reject_empty_bank_and_bad_pool():
    with pytest.raises(ValueError, match="at least one"):
        filters.bank_magnitudes(np.ones((1, 4, 4)), [])
    with pytest.raises(ValueError, match="multiples"):
        filters.bank_features(np.ones((1, 10, 10)), [filters.GaborFilter(0.2, 0.0, 1.0)], pool=4)


def test_average_pool_known_values():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(filters.average_pool(x, 2), [[2.5, 4.5], [10.5, 12.5]])
    assert filters.average_pool(np.ones((2, 3, 6, 6)), 3).shape == (2, 3, 2, 2)
    with pytest.raises(ValueError, match="multiples"):
        filters.average_pool(np.ones((5, 4)), 2)
    with pytest.raises(ValueError, match="positive integer"):
        filters.average_pool(np.ones((4, 4)), 0)


def test_response_energy_known_values():
    magnitudes = np.zeros((2, 3, 2, 2))
    magnitudes[:, 1] = 2.0
    magnitudes[0, 2] = 1.0
    np.testing.assert_allclose(filters.response_energy(magnitudes), [0.0, 4.0, 0.5])
    with pytest.raises(ValueError, match="shape"):
        filters.response_energy(np.ones((3, 4)))


def test_response_correlation_known_values():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(20, 1, 3, 3))
    b = rng.normal(size=(20, 1, 3, 3))
    stack = np.concatenate([a, 2 * a + 1, -a, b], axis=1)
    c = filters.response_correlation(stack)
    assert c.shape == (4, 4)
    assert c[0, 1] == pytest.approx(1) and c[0, 2] == pytest.approx(-1)
    assert abs(c[0, 3]) < 0.3
    with pytest.raises(ValueError, match="constant"):
        filters.response_correlation(np.concatenate([a, np.ones_like(a)], axis=1))
    with pytest.raises(ValueError, match="shape"):
        filters.response_correlation(np.ones((2, 3)))


def test_prune_bank_drops_weakest_and_duplicates():
    energy = np.array([5.0, 4.0, 0.1, 3.0, 0.2])
    correlation = np.eye(5)
    correlation[0, 1] = correlation[1, 0] = 0.99  # filter 1 duplicates the stronger filter 0
    correlation[3, 4] = correlation[4, 3] = 0.99  # filter 4 is among the weakest anyway
    np.testing.assert_array_equal(filters.prune_bank(energy, correlation, n_weakest=2, max_correlation=0.95), [0, 3])
    np.testing.assert_array_equal(filters.prune_bank(energy, correlation), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(filters.prune_bank(energy, correlation, max_correlation=0.95), [0, 2, 3])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_weakest": 5}, "n_weakest"),
        ({"n_weakest": -1}, "n_weakest"),
        ({"max_correlation": 0.0}, "max_correlation"),
        ({"correlation": np.eye(4)}, "shape"),
    ],
)
def test_prune_bank_rejects_bad_input(kwargs, message):
    arguments = {"energy": np.ones(5), "correlation": np.eye(5), **kwargs}
    with pytest.raises(ValueError, match=message):
        filters.prune_bank(**arguments)


# --- Sobel and Haar ----------------------------------------------------------------------------


def test_sobel_responses_match_scikit_image():
    image = np.random.default_rng(8).uniform(size=(20, 24))
    sobel = filters.sobel_responses(image)
    np.testing.assert_allclose(sobel["horizontal"], skimage.filters.sobel_h(image), atol=1e-12)
    np.testing.assert_allclose(sobel["vertical"], skimage.filters.sobel_v(image), atol=1e-12)
    np.testing.assert_allclose(sobel["magnitude"], skimage.filters.sobel(image), atol=1e-12)
    stack = filters.sobel_responses(np.stack([image, 2 * image]))
    np.testing.assert_allclose(stack["horizontal"][1], 2 * sobel["horizontal"], atol=1e-12)


def test_sobel_horizontal_responds_to_horizontal_edge():
    step = np.zeros((8, 8))
    step[4:] = 1.0  # dark top, bright bottom
    sobel = filters.sobel_responses(step)
    assert sobel["horizontal"][3:5, 2:6].min() > 0.4
    np.testing.assert_allclose(sobel["vertical"], 0, atol=1e-12)


def test_haar_kernels_known_values():
    np.testing.assert_allclose(filters.haar_kernel("horizontal edge", 2), [[-0.5, -0.5], [0.5, 0.5]])
    np.testing.assert_allclose(filters.haar_kernel("vertical edge", 2), [[-0.5, 0.5], [-0.5, 0.5]])
    np.testing.assert_allclose(filters.haar_kernel("diagonal", 2), [[0.5, -0.5], [-0.5, 0.5]])
    line = filters.haar_kernel("line", 3)
    np.testing.assert_allclose(line, [[-1 / 6] * 3, [1 / 3] * 3, [-1 / 6] * 3])
    for kind in ("horizontal edge", "vertical edge", "line", "diagonal"):
        assert abs(filters.haar_kernel(kind, 6).sum()) < 1e-12


def test_haar_two_by_two_kernels_are_haar_wavelet_details():
    # One level of the 2-D Haar wavelet transform: detail filters with entries ±1/2.
    wavelet = {
        "horizontal edge": np.array([[1, 1], [-1, -1]]) / 2,
        "vertical edge": np.array([[1, -1], [1, -1]]) / 2,
        "diagonal": np.array([[1, -1], [-1, 1]]) / 2,
    }
    for kind, detail in wavelet.items():
        kernel = filters.haar_kernel(kind, 2)
        assert np.allclose(kernel, detail) or np.allclose(kernel, -detail)


def test_haar_response_is_difference_of_mean_brightness():
    image = np.zeros((8, 8))
    image[:, 4:] = 3.0  # left half 0, right half 3
    response = filters.filter_images(image, filters.haar_kernel("vertical edge", 4), mode="nearest")
    assert response.max() == pytest.approx(3.0)  # the window straddling the edge: 3 - 0


@pytest.mark.parametrize(
    "kind, size, message",
    [
        ("circle", 4, "kind"),
        ("line", 4, "multiple of 3"),
        ("diagonal", 3, "even"),
        ("vertical edge", 1, "at least 2"),
    ],
)
def test_haar_kernel_rejects_bad_input(kind, size, message):
    with pytest.raises(ValueError, match=message):
        filters.haar_kernel(kind, size)


# --- Linear probes -----------------------------------------------------------------------------


def _two_class_problem(n, informative, seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    features = rng.normal(size=(n, 2, 3))
    features[:, 0, 0] += 4 * labels if informative else 0  # filter 0 carries the class
    return features, labels


def test_linear_probe_accuracy_separable_and_noise():
    x_train, y_train = _two_class_problem(200, True, 0)
    x_test, y_test = _two_class_problem(200, True, 1)
    assert filters.linear_probe_accuracy(x_train, y_train, x_test, y_test) > 0.95
    per_filter = filters.per_filter_accuracy(x_train, y_train, x_test, y_test)
    assert per_filter.shape == (2,)
    assert per_filter[0] > 0.95 and per_filter[1] < 0.7


def test_linear_probe_is_deterministic():
    x_train, y_train = _two_class_problem(100, True, 2)
    x_test, y_test = _two_class_problem(100, True, 3)
    runs = {filters.linear_probe_accuracy(x_train, y_train, x_test, y_test) for _ in range(2)}
    assert len(runs) == 1


def test_linear_probe_rejects_mismatched_input():
    x, y = _two_class_problem(20, True, 4)
    with pytest.raises(ValueError, match="length"):
        filters.linear_probe_accuracy(x, y[:-1], x, y)
    with pytest.raises(ValueError, match="size"):
        filters.linear_probe_accuracy(x, y, x[:, :1], y)
    with pytest.raises(ValueError, match="same F"):
        filters.per_filter_accuracy(x, y, x[:, :1], y)


# --- The chapter's figures ---------------------------------------------------------------------


def test_plot_gabor_demo_and_kernel_responses():
    image = np.random.default_rng(9).uniform(size=(16, 16))
    kernel = filters.gabor_kernel(0.2, 0.0, 2.0)
    fig = plotting.plot_gabor_demo(
        image, kernel, {"magnitude": np.abs(filters.filter_images(image, kernel))}, title="θ=0° f=0.2 σ=2"
    )
    assert len(fig.axes) == 3 and fig.axes[1].get_title() == "kernel (real part)"
    with pytest.raises(ValueError, match="axes"):
        plotting.plot_gabor_demo(image, kernel, {"a": image}, axes=plt.subplots(1, 2)[1])
    fig = plotting.plot_kernel_responses([kernel, None], [image, image], ["a", "b"], same_scale=True)
    assert len(fig.axes) == 4 and not fig.axes[1].axison  # the missing kernel's panel is blank
    with pytest.raises(ValueError, match="as many"):
        plotting.plot_kernel_responses([kernel], [image, image], ["a"])
    plt.close("all")


def test_plot_filter_bank_and_usefulness():
    rng = np.random.default_rng(10)
    images = rng.uniform(size=(2, 8, 8))
    bank = filters.gabor_bank([0.2], [0.0, 1.0, 2.0], [1.0])
    responses = filters.bank_magnitudes(images, bank)
    fig = plotting.plot_filter_bank(
        images, [g.kernel() for g in bank], responses, [g.label for g in bank], image_titles=["a", "b"], ncols=2
    )
    assert len(fig.axes) == 2 * 3 * 3  # two blocks of (1 + 2 images) rows × (1 + 2) columns
    with pytest.raises(ValueError, match="responses"):
        plotting.plot_filter_bank(images, [g.kernel() for g in bank], responses[:, :2], [g.label for g in bank])
    fig = plotting.plot_filter_usefulness(["a", "b"], [1.0, 0.1], [0.8, 0.7], {"pixels": 0.75})
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="one label"):
        plotting.plot_filter_usefulness(["a"], [1.0, 0.1], [0.8, 0.7])
    plt.close("all")
