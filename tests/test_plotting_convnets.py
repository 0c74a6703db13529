"""Figures of the ConvNets chapter: what they draw, and the data they reject."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecture_utils import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_receptive_fields_draws_one_centred_square_per_layer():
    ax = plotting.plot_receptive_fields(np.zeros((28, 28)), {"a": 3, "b": 8}, centre=(14, 14))
    squares = ax.patches
    assert [(p.get_width(), p.get_height()) for p in squares] == [(3, 3), (8, 8)]
    assert squares[0].get_xy() == (12.5, 12.5) and squares[1].get_xy() == (9.5, 9.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a: 3×3", "b: 8×8"]


def test_plot_receptive_fields_rejects_a_colour_image():
    with pytest.raises(ValueError, match="2-D"):
        plotting.plot_receptive_fields(np.zeros((28, 28, 3)), {"a": 3}, centre=(1, 1))


def test_plot_shift_sensitivity_draws_one_line_per_shift():
    changes = np.array([[0.6, 0.4, 0.1], [0.9, 0.7, 0.2]])
    fig = plotting.plot_shift_sensitivity(["conv", "pool", "gap"], [1, 2], changes)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["1 pixel", "2 pixels"]
    np.testing.assert_array_equal(lines[1].get_ydata(), changes[1])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["conv", "pool", "gap"]


def test_plot_shift_sensitivity_rejects_a_mismatched_table():
    with pytest.raises(ValueError, match="shifts × layers"):
        plotting.plot_shift_sensitivity(["a", "b"], [1, 2], np.zeros((2, 3)))


def test_plot_accuracy_under_shift_draws_percentages():
    fig = plotting.plot_accuracy_under_shift([0, 1], {"net": [0.99, 0.5]})
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [99, 50])
    assert line.get_label() == "net"


def test_plot_accuracy_under_shift_needs_one_value_per_shift():
    with pytest.raises(ValueError, match="one accuracy per shift"):
        plotting.plot_accuracy_under_shift([0, 1, 2], {"net": [0.9, 0.8]})
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_accuracy_under_shift([0], {})


def test_plot_kernel_grid_draws_each_kernel_on_a_symmetric_scale():
    kernels = np.stack([np.array([[1.0, -2.0], [0.0, 0.5]]), np.ones((2, 2))])
    fig = plotting.plot_kernel_grid(kernels, ncols=8)
    assert len(fig.axes) == 2
    image = fig.axes[0].get_images()[0]
    assert image.get_clim() == (-2.0, 2.0)
    np.testing.assert_array_equal(image.get_array(), kernels[0])


def test_plot_kernel_grid_rejects_a_single_kernel():
    with pytest.raises(ValueError, match="n, kh, kw"):
        plotting.plot_kernel_grid(np.ones((3, 3)))
