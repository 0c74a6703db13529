"""The explorers and the image helpers fail well: one sentence at the boundary for every bad input.

A tester handed the explorers and the image helpers wrong shapes and types and got NumPy's or
Python's own errors, or silently something back.  Each test below is one kind of bad input,
over the public functions it applies to; like ``test_fail_well.py`` it checks the exception
type, what the message says, that it is one sentence, and that ``lecture_utils`` raised it
itself without a chained low-level exception.  Where an input means something unambiguous (a
list of pixel rows where an array is expected), it is accepted instead, and the tests say so.
"""

import warnings
from functools import partial

import numpy as np
import pytest
from test_fail_well import assert_fails_well

from lecture_utils import architectures as arch
from lecture_utils import convolution as conv
from lecture_utils import data, explorers, filters, images, plotting

RNG = np.random.default_rng(0)
IMAGE = RNG.random((10, 12))  # grayscale, values in [0, 1]
KERNEL = np.ones((3, 3))
RGB = RNG.integers(0, 256, size=(2, 6, 6, 3), dtype=np.uint8)
FRAMES = explorers.gabor_frames(IMAGE, [0.1, 0.2], [0.0], [1.0, 2.0])
BANK = filters.gabor_bank([0.2], [0.0], [1.0])
MAGNITUDES = RNG.random((3, 2, 4, 4))
FEATURES, LABELS = RNG.random((6, 3)), np.array([0, 1, 0, 1, 0, 1])


@pytest.fixture(autouse=True)
def no_figures_left():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def fails_well(function, error, match):
    """Call ``function``; it must raise ``error`` matching ``match``, in one sentence, by lecture_utils."""
    with warnings.catch_warnings():
        # Matplotlib's clipping warning is not the one sentence either.
        warnings.simplefilter("error")
        with pytest.raises(error, match=match) as info:
            function()
    assert_fails_well(info)


def case(function, *args, error=ValueError, match, id, **kwargs):
    return pytest.param(partial(function, *args, **kwargs), error, match, id=id)


def triple_axes(n):
    import matplotlib.pyplot as plt

    return plt.subplots(1, n)[1]


# -- a kernel of another shape than the explorer expects -----------------------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(explorers.convolution_explorer, IMAGE, np.ones((3, 5)), match=r"square \(k, k\)", id="explorer: 3×5"),
        case(explorers.convolution_frames, IMAGE, np.ones((1, 3)), match=r"square \(k, k\)", id="frames: 1×3"),
        case(explorers.convolution_explorer, IMAGE, np.ones((11, 11)), match="does not fit", id="explorer: too big"),
    ],
)
def test_the_convolution_explorer_needs_a_square_kernel_that_fits(function, error, match):
    fails_well(function, error, match)


# -- an empty or missing name --------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(
            explorers.convolution_explorer,
            IMAGE,
            KERNEL,
            image_name="",
            match="image_name must not be empty",
            id="conv: ''",
        ),
        case(
            explorers.convolution_explorer, IMAGE, KERNEL, kernel_name=" ", match="kernel_name must not", id="conv: ' '"
        ),
        case(
            explorers.convolution_explorer,
            IMAGE,
            KERNEL,
            image_name=None,
            error=TypeError,
            match="image_name must be a string",
            id="conv: None",
        ),
        case(
            explorers.gabor_explorer,
            IMAGE,
            [0.1],
            [0.0],
            [1.0],
            image_name="",
            match="image_name must not",
            id="gabor: ''",
        ),
        case(
            explorers.gabor_explorer,
            IMAGE,
            [0.1],
            [0.0],
            [1.0],
            image_name=3,
            error=TypeError,
            match="image_name must be a string",
            id="gabor: 3",
        ),
        case(explorers.describe_gabor_frame, FRAMES, 0, 0, 0, "", match="image_name must not", id="describe: ''"),
    ],
)
def test_names_in_the_explorers_text_must_be_words(function, error, match):
    fails_well(function, error, match)


# -- missing initial values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "initial",
    [(0.2, np.pi / 4), None, (0.2, 0.1, 1.0, 3.0), (np.nan, 0.1, 1.0), ("0.2", 0.1, 1.0), 0.2],
    ids=["two values", "None", "four values", "NaN", "a string", "one number"],
)
def test_the_gabor_explorer_starts_from_three_numbers(initial):
    call = partial(explorers.gabor_explorer, IMAGE, [0.1, 0.2], [0.0], [1.0], initial=initial)
    fails_well(call, ValueError, r"initial must be three finite numbers \(frequency, theta, sigma\)")


# -- a frame index out of range ------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(
            explorers.describe_gabor_frame, FRAMES, 2, 0, 0, match="i_frequency must be an integer from 0 to 1", id="2"
        ),
        case(explorers.describe_gabor_frame, FRAMES, -1, 0, 0, match="i_frequency must be an integer from 0", id="-1"),
        case(explorers.describe_gabor_frame, FRAMES, 0, 0, 1.0, match="i_sigma must be an integer", id="1.0"),
        case(explorers.describe_gabor_frame, FRAMES, True, 0, 0, match="i_frequency must be an integer", id="True"),
        case(FRAMES.kernel, 0, 1, 0, match=r"i_theta must be an integer from 0 to 0 \(an index", id="kernel()"),
        case(FRAMES.index, 0, 0, 2, match="i_sigma must be an integer from 0 to 1", id="index()"),
        case(FRAMES.kernel, -1, 0, 0, match="i_frequency", id="kernel(-1)"),
        case(
            explorers.describe_gabor_frame,
            None,
            0,
            0,
            0,
            error=TypeError,
            match="frames must be the GaborFrames",
            id="no frames",
        ),
    ],
)
def test_a_frame_outside_the_grid_is_refused(function, error, match):
    fails_well(function, error, match)


# -- lists where arrays are expected: accepted when they mean an array ----------------------------


def test_lists_of_pixels_mean_arrays_of_pixels():
    # A nested list of 0–255 ints is int64: skimage scaled it by 2**63 - 1, giving ~1e-17.
    pixels = RGB[0].tolist()
    assert np.array_equal(conv.to_grayscale(pixels), conv.to_grayscale(RGB[0]))
    # make_dataset stacks a list of photos instead of refusing it ("got shape None").
    (batch, labels) = next(iter(images.make_dataset(list(RGB), [0, 1], batch_size=2)))
    assert np.allclose(batch.numpy(), RGB / 255.0) and labels.numpy().tolist() == [0.0, 1.0]
    # array_batches read x.dtype of a list.
    (x, y) = next(iter(images.array_batches([[1.0, 2.0], [3.0, 4.0]], [0, 1], batch_size=2)))
    assert x.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]] and y.numpy().tolist() == [0, 1]


def test_a_grid_given_as_generators_is_read_once():
    frames = explorers.gabor_frames(IMAGE, (f for f in (0.1, 0.2)), iter([0.0]), iter([1.0]))
    assert frames.shape == (2, 1, 1) and frames.responses.shape == (2, 1, 1, 10, 12)


def test_one_metric_name_is_one_metric():
    history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.9]}
    figure = plotting.plot_history(history, metrics="loss")  # was read as the metrics 'l', 'o', 's', 's'
    assert len(figure.axes) == 1 and figure.axes[0].get_ylabel() == "loss"


def test_kernels_all_none_on_the_same_scale_draw_the_responses():
    figure = plotting.plot_kernel_responses([None], [IMAGE], ["magnitude"], same_scale=True)
    assert figure.axes[1].get_title() == "magnitude"


# -- one thing where a sequence is expected, or a sequence where one thing is ---------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(
            filters.gabor_bank,
            0.1,
            [0.0],
            [1.0],
            error=TypeError,
            match="frequencies must be a sequence",
            id="bank: 0.1",
        ),
        case(
            filters.gabor_bank, "0.1", [0.0], [1.0], error=TypeError, match="frequencies must be a sequence", id="'0.1'"
        ),
        case(explorers.gabor_frames, IMAGE, [0.1], 0.0, [1.0], error=TypeError, match="thetas must be", id="frames"),
        case(
            filters.grating_responses,
            KERNEL,
            0.0,
            [0.1],
            error=TypeError,
            match="thetas must be",
            id="grating_responses",
        ),
        case(
            filters.bank_magnitudes,
            IMAGE[None],
            BANK[0],
            error=TypeError,
            match=r"got one GaborFilter; put it in a list",
            id="bank_magnitudes: one filter",
        ),
        case(
            filters.bank_features, IMAGE[None], None, error=TypeError, match="bank must be a sequence", id="bank None"
        ),
        case(arch.receptive_field_sizes, 3, error=TypeError, match="kernel_sizes must be a sequence", id="rf sizes: 3"),
        case(
            images.decode_images,
            None,
            error=TypeError,
            match="paths must be a sequence of image files",
            id="paths None",
        ),
        case(
            plotting.plot_image_grid,
            [IMAGE, IMAGE],
            titles="ab",
            error=TypeError,
            match="titles must be a sequence of strings",
            id="titles: 'ab'",
        ),
        case(plotting.plot_image_grid, None, error=TypeError, match="images must be a sequence", id="images None"),
        case(
            plotting.plot_gabor_demo,
            IMAGE,
            KERNEL,
            [IMAGE],
            error=TypeError,
            match="outputs must be a dict",
            id="gabor_demo: a list",
        ),
        case(
            plotting.plot_history,
            [0.5, 0.6],
            error=TypeError,
            match="history must be a dict",
            id="history: a list",
        ),
        case(
            plotting.plot_top_predictions,
            [("n1", 0.5)],
            match=r"every prediction must be a \(wnid, class_name, probability\)",
            id="predictions: pairs",
        ),
        case(
            plotting.plot_matrix,
            IMAGE,
            highlight=(0, 0, 3),
            match=r"highlight must be four integers \(row, col, height, width\)",
            id="highlight: three",
        ),
        case(
            plotting.plot_receptive_fields,
            IMAGE,
            {"conv": 3},
            5,
            match=r"centre must be two integers \(row, col\)",
            id="centre: 5",
        ),
    ],
)
def test_sequences_and_single_things_are_not_confused(function, error, match):
    fails_well(function, error, match)


# -- a bool where a size or an integer is expected -------------------------------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(
            plotting.plot_image_grid,
            [IMAGE],
            size=True,
            match="size must be a positive number of inches, got True",
            id="grid",
        ),
        case(
            plotting.plot_kernel_responses,
            [KERNEL],
            [IMAGE],
            ["a"],
            size=True,
            match="size must be",
            id="kernel_responses",
        ),
        case(
            plotting.plot_filter_bank,
            IMAGE[None],
            [KERNEL],
            np.ones((1, 1, 10, 12)),
            ["a"],
            size=True,
            match="size must be",
            id="filter_bank",
        ),
        case(plotting.plot_kernel_grid, np.ones((2, 3, 3)), size=True, match="size must be", id="kernel_grid"),
        case(
            plotting.plot_randomisation_cascade,
            {"net": (["original"], np.ones((1, 2, 2)), [1.0])},
            size=True,
            match="size must be",
            id="cascade",
        ),
        case(plotting.plot_channel_mosaics, [IMAGE], ["a"], width=True, match="width must be", id="mosaics"),
        case(
            plotting.plot_receptive_fields,
            IMAGE,
            {"conv": True},
            (5, 5),
            match="the side of 'conv' in sizes must be a positive integer",
            id="receptive field True",
        ),
        case(
            filters.grating,
            True,
            0.1,
            match=r"shape must be two positive integers \(height, width\)",
            id="grating: True",
        ),
        case(filters.grating, (True, 3), 0.1, match="shape must be two positive integers", id="grating: (True, 3)"),
        case(
            filters.gabor_bank,
            [0.1],
            [True],
            [1.0],
            match="thetas must be a sequence of finite numbers",
            id="theta True",
        ),
        case(filters.linear_probe_accuracy, FEATURES, LABELS, FEATURES, LABELS, C=True, match="C must be", id="C True"),
        case(
            filters.linear_probe_accuracy,
            FEATURES,
            LABELS,
            FEATURES,
            LABELS,
            random_state=True,
            match="random_state must be an integer",
            id="random_state True",
        ),
        case(images.augmentation_layers, seed=True, match="seed must be an integer, got True", id="augmentation seed"),
        case(images.make_dataset, RGB, [0, 1], seed=True, match="seed must be an integer", id="make_dataset seed"),
        case(
            images.decode_images, ["x.jpg"], batch_size=True, match="batch_size must be a positive integer", id="decode"
        ),
    ],
)
def test_a_bool_is_never_a_size_or_an_integer(function, error, match):
    fails_well(function, error, match)


# -- pixel values outside 0–255 (or floats outside [0, 1]) -------------------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(
            conv.to_grayscale,
            np.full((2, 2, 3), 1000),
            match="integers from 1000 to 1000, but pixel values",
            id="int 1000",
        ),
        case(conv.to_grayscale, np.full((2, 2, 3), -5), match="from 0 to 255", id="int -5"),
        case(conv.to_grayscale, np.full((2, 2, 3), 1000, np.uint16), match="from 0 to 255", id="uint16 1000"),
        case(
            conv.to_grayscale,
            np.full((2, 2, 3), 255.0),
            match=r"float pixel values must be in \[0, 1\]",
            id="float 255",
        ),
        case(conv.to_grayscale, np.full((2, 2, 3), -3.0), match=r"must be in \[0, 1\]", id="float -3"),
        case(plotting.plot_image_grid, [np.full((4, 4, 3), 1000)], match="from 0 to 255", id="grid: int RGB 1000"),
        case(plotting.plot_image_grid, [np.full((4, 4, 3), 255.0)], match=r"in \[0, 1\]", id="grid: float RGB 255"),
        case(
            explorers.convolution_explorer,
            IMAGE * 255,
            KERNEL,
            match=r"image values must be in \[0, 1\] \(black to white\)",
            id="explorer: 0–255 image",
        ),
    ],
)
def test_pixel_values_out_of_range_are_refused(function, error, match):
    fails_well(function, error, match)


# -- ragged nested lists ---------------------------------------------------------------------------

RAGGED = [[1.0, 2.0, 3.0], [4.0, 5.0]]


@pytest.mark.parametrize(
    "function, name",
    [
        (partial(conv.convolve2d, RAGGED, np.ones((1, 1))), "image"),
        (partial(conv.convolve2d, IMAGE, [[1.0, 2.0], [3.0]]), "kernel"),
        (partial(conv.pool2d, RAGGED), "image"),
        (partial(conv.to_grayscale, [[[1, 2, 3]], [[1, 2]]]), "image"),
        (partial(explorers.gabor_frames, RAGGED, [0.1], [0.0], [1.0]), "image"),
        (partial(explorers.convolution_explorer, RAGGED, KERNEL), "image"),
        (partial(filters.standardize, RAGGED), "images"),
        (partial(filters.filter_images, IMAGE, [[1.0, 2.0], [3.0]]), "kernel"),
        (partial(filters.average_pool, RAGGED, 1), "images"),
        (partial(filters.response_energy, [[1.0], [1.0, 2.0]]), "magnitudes"),
        (partial(filters.linear_probe_accuracy, RAGGED, [0, 1], RAGGED, [0, 1]), "x_train"),
        (partial(plotting.plot_matrix, RAGGED), "values"),
        (partial(plotting.plot_image_grid, [RAGGED]), "an image to draw"),
        (partial(arch.shifted_images, [RAGGED, RAGGED]), "images"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.func.__name__,
)
def test_a_ragged_nested_list_is_named(function, name):
    fails_well(function, ValueError, f"^{name} is a ragged nested list")


# -- NaN and infinity ------------------------------------------------------------------------------


def nan_in(array):
    array = np.array(array, dtype=float)
    array.flat[0] = np.nan
    return array


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(filters.average_pool, nan_in(np.ones((4, 4))), 2, match="images contains NaN", id="average_pool"),
        case(filters.response_energy, nan_in(MAGNITUDES), match="magnitudes contains NaN", id="response_energy"),
        case(
            filters.response_correlation, nan_in(MAGNITUDES), match="magnitudes contains NaN", id="response_correlation"
        ),
        case(filters.prune_bank, [np.nan, 1.0], np.eye(2), match="energy contains NaN", id="prune_bank"),
        case(filters.grating, (4, 4), np.nan, match="frequency must be a finite number", id="grating"),
        case(
            filters.linear_probe_accuracy,
            FEATURES,
            nan_in(LABELS),
            FEATURES,
            LABELS,
            match="y_train must be a 1-D array of integer class labels",
            id="linear_probe: NaN label",
        ),
        case(plotting.plot_matrix, nan_in(np.ones((2, 2))), match="values contains NaN", id="plot_matrix"),
        case(plotting.plot_image_grid, [nan_in(np.ones((2, 2, 3)))], match="contains NaN", id="plot_image_grid: RGB"),
        case(
            plotting.plot_grad_cam, RGB[0], np.full((2, 2), np.inf), RGB[0], match="heatmap contains NaN", id="grad_cam"
        ),
    ],
)
def test_nan_and_infinity_are_refused(function, error, match):
    fails_well(function, error, match)


# -- empty arrays ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(conv.to_grayscale, np.zeros((0, 2, 3)), match=r"image is empty \(shape \(0, 2, 3\)\)", id="to_grayscale"),
        case(filters.response_energy, np.zeros((0, 1, 2, 2)), match="magnitudes is empty", id="response_energy"),
        case(
            filters.response_correlation, np.zeros((0, 2, 2, 2)), match="magnitudes is empty", id="response_correlation"
        ),
        case(filters.prune_bank, [], np.zeros((0, 0)), match="with F ≥ 1", id="prune_bank"),
        case(plotting.plot_matrix, np.zeros((0, 3)), match="values is empty", id="plot_matrix"),
        case(
            filters.linear_probe_accuracy,
            FEATURES,
            LABELS,
            np.zeros((0, 3)),
            [],
            match="x_test must hold at least one example",
            id="linear_probe: no test examples",
        ),
    ],
)
def test_empty_arrays_are_refused(function, error, match):
    fails_well(function, error, match)


# -- wrong types: text, bools and other dtypes where numbers are expected --------------------------


@pytest.mark.parametrize(
    "function, error, match",
    [
        case(
            filters.gabor_bank,
            ["0.1"],
            [0.0],
            [1.0],
            match="frequencies must be a sequence of finite numbers",
            id="'0.1'",
        ),
        case(filters.grating, (4, 4), "0.1", match="frequency must be a finite number", id="grating frequency"),
        case(filters.grating, (2.5, 3), 0.1, match="shape must be two positive integers", id="grating: 2.5 rows"),
        case(filters.average_pool, [["a", "b"]], 1, match="images must hold real numbers", id="average_pool"),
        case(filters.response_energy, np.full((1, 1, 2, 2), "a"), match="must hold real numbers", id="response_energy"),
        case(filters.prune_bank, ["a", "b"], np.eye(2), match="energy must hold real numbers", id="prune_bank"),
        case(
            filters.filter_images,
            IMAGE,
            np.ones((3, 3), bool),
            match="real or complex numbers, got dtype bool",
            id="bool kernel",
        ),
        case(
            filters.linear_probe_accuracy,
            FEATURES,
            LABELS,
            FEATURES,
            LABELS,
            C="1",
            match="C must be a positive",
            id="C '1'",
        ),
        case(
            filters.linear_probe_accuracy,
            FEATURES,
            LABELS,
            FEATURES,
            LABELS,
            C=0,
            match="C must be a positive",
            id="C 0",
        ),
        case(
            filters.linear_probe_accuracy,
            FEATURES,
            LABELS + 0.5,
            FEATURES,
            LABELS,
            match="integer class labels",
            id="labels 0.5",
        ),
        case(
            explorers.gabor_frames, [["a", "b"]], [0.1], [0.0], [1.0], match="image must hold real numbers", id="frames"
        ),
        case(plotting.plot_matrix, [["a", "b"]], match="values must hold real numbers", id="plot_matrix"),
        case(images.make_dataset, RGB, ["cat", "dog"], match="labels must be finite numbers", id="string labels"),
        case(
            conv.convolve2d,
            IMAGE,
            KERNEL,
            padding=np.array([1, 1]),
            match="padding must be 'valid', 'same' or a non-negative integer",
            id="padding array",
        ),
        case(
            conv.convolve2d,
            None,
            KERNEL,
            error=TypeError,
            match="image must be an array of numbers, got None",
            id="None",
        ),
        case(conv.convolve2d, "abc", KERNEL, error=TypeError, match="got the string 'abc'", id="a string"),
        case(
            data.fetch, ["mnist/train-images"], error=TypeError, match="key must be the name of a data file", id="fetch"
        ),
        case(
            data.read_rgb_image, None, error=TypeError, match=r"path must be a file path \(str or", id="read_rgb_image"
        ),
        case(
            plotting.plot_image_grid,
            [IMAGE],
            cmap="nope",
            match="cmap must be a Matplotlib colormap name",
            id="unknown colormap",
        ),
        case(
            plotting.plot_history,
            {"loss": [1.0]},
            metrics=["loss"],
            smooth=3,
            error=TypeError,
            match="smooth must be a function",
            id="smooth 3",
        ),
        case(
            plotting.plot_filtering,
            IMAGE,
            3,
            IMAGE,
            match=r"kernel must be a 2-D array \(kh, kw\), got shape \(\)",
            id="plot_filtering: a number as kernel",
        ),
    ],
)
def test_wrong_types_are_named(function, error, match):
    fails_well(function, error, match)


def test_plot_filtering_needs_three_axes():
    fails_well(
        lambda: plotting.plot_filtering(IMAGE, KERNEL, IMAGE, axes=triple_axes(2)),
        ValueError,
        r"axes must be 3 Matplotlib Axes \(image, kernel and filtered image\), got 2",
    )
