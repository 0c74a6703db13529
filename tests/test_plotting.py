"""Figures: drawing functions return a figure and reject data they cannot draw."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lecture_utils import plotting  # noqa: E402


def test_plot_metric_comparison_draws_one_line_per_training():
    fig = plotting.plot_metric_comparison({"a": {"val_accuracy": [0.5, 0.6]}, "b": {"val_accuracy": [0.5, 0.7, 0.8]}})
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [0.5, 0.7, 0.8])


def test_plot_metric_comparison_rejects_a_missing_metric():
    with pytest.raises(ValueError, match="missing in"):
        plotting.plot_metric_comparison({"a": {"accuracy": [0.5]}})
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_metric_comparison({})
