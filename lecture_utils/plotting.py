"""Figures for the chapters.  Drawing only: every function takes computed arrays.

The functions are ordered by the chapter that first draws with them, after the few that every
chapter uses; the computations they draw live in the module named in each section's heading.
All figures get an opaque white background so they stay readable in a dark-mode browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .checks import as_array, number_tuple, pixel_values, positive_int, real_finite, real_in, sequence

__all__ = [
    # Style and panels shared by the chapters
    "use_book_style",
    "plot_image_grid",
    "plot_history",
    # Chapter 1: convolution by hand
    "plot_matrix",
    "plot_filtering",
    # Chapter 2: filter banks
    "plot_gabor_demo",
    "plot_kernel_responses",
    "plot_filter_bank",
    "plot_filter_usefulness",
    # Chapter 3: ConvNets
    "plot_receptive_fields",
    "plot_shift_sensitivity",
    "plot_metric_comparison",
    "plot_accuracy_under_shift",
    "plot_kernel_grid",
    # Chapter 5: interpreting the model
    "plot_channel_mosaics",
    "plot_top_predictions",
    "plot_grad_cam",
    "plot_randomisation_cascade",
    # Chapter 6: transfer learning
    "plot_training_phases",
]


# ---------------------------------------------------------------------------------------------
# Style and panels shared by the chapters


def use_book_style() -> None:
    """Opaque white figures, readable fonts, no top/right spines."""
    mpl.rcParams.update(
        {
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.transparent": False,
            "figure.dpi": 100,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def _panel_size(size, name: str = "size") -> float:
    """``size`` in inches, if it is a positive number (a bool is not one)."""
    return real_in(size, name, "(0, inf)", unit="inches")


def _colormap(cmap, name: str = "cmap"):
    """``cmap``, if Matplotlib knows it: a registered name or a Colormap."""
    if not isinstance(cmap, mpl.colors.Colormap) and cmap not in mpl.colormaps:
        raise ValueError(f"{name} must be a Matplotlib colormap name such as 'gray' or 'viridis', got {cmap!r}.")
    return cmap


def _show(ax, image, title=None, cmap="gray"):
    image = as_array(image, "an image to draw")
    # Matplotlib's own message ("Invalid shape ... for image data") does not say which panel.
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] in (3, 4))) or 0 in image.shape:
        raise ValueError(
            f"an image to draw must have shape (H, W), (H, W, 3) or (H, W, 4), "
            f"got shape {image.shape}{f' for {title!r}' if title else ''}."
        )
    if image.dtype == object or not np.issubdtype(image.dtype, np.number) and image.dtype != bool:
        raise ValueError(f"an image to draw must hold numbers, got dtype {image.dtype}.")
    if image.ndim == 3 and image.dtype != bool:
        # Matplotlib would clip colours outside 0–255 (integers) or [0, 1] (floats) with a warning.
        pixel_values(real_finite(image, "an RGB image to draw"), "an RGB image to draw")
    ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)


def _show_kernel(ax, kernel, title=None, window: int | None = None):
    """A kernel's weights (the real part of a complex one): red positive, blue negative, white 0.

    With ``window``, the kernel is drawn at the scale of a ``window × window`` pixel square
    around its centre, so kernels of different sizes can be compared.
    """
    weights = np.real(as_array(kernel, "a kernel to draw"))
    if weights.ndim != 2 or 0 in weights.shape:
        raise ValueError(f"a kernel to draw must be a 2-D array (kh, kw), got shape {weights.shape}.")
    limit = np.abs(weights).max() or 1.0
    h, w = weights.shape
    ax.imshow(
        weights, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest", extent=(-w / 2, w / 2, h / 2, -h / 2)
    )
    if window is not None:
        ax.set_xlim(-window / 2, window / 2)
        ax.set_ylim(window / 2, -window / 2)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)


def plot_image_grid(images, titles=None, ncols: int = 4, cmap: str = "gray", size: float = 2.0):
    """A grid of images with optional titles.

    Parameters
    ----------
    images : sequence of ndarray, each (H, W) or (H, W, 3)
    titles : sequence of str, optional
    ncols : int
    cmap : str
        For single-channel images.
    size : float
        Width and height of one panel, in inches.

    Returns
    -------
    matplotlib Figure
    """
    images = sequence(images, "images", of="images")
    if not images:
        raise ValueError("plot_image_grid needs at least one image.")
    ncols = positive_int(ncols, "ncols")
    size = _panel_size(size)
    _colormap(cmap)
    # A single string is not a list of titles, even one of the right length.
    titles = None if titles is None else sequence(titles, "titles", of="strings")
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"plot_image_grid needs one title per image, got {len(titles)} titles for {len(images)} images."
        )
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(images) :]:
        ax.axis("off")
    for i, (ax, image) in enumerate(zip(axes.flat, images)):
        _show(ax, image, titles[i] if titles is not None else None, cmap=cmap)
    fig.tight_layout()
    return fig


def plot_history(history: dict, metrics=("accuracy", "loss"), title: str | None = None, smooth=None):
    """Learning curves: training and validation values of each metric per epoch.

    Parameters
    ----------
    history : dict of str to list of float
        ``History.history`` (or a cached run's ``.history``), with ``val_``-prefixed keys for
        the validation curves.
    metrics : sequence of str
        One panel per metric.
    title : str, optional
    smooth : callable, optional
        Applied to each curve before drawing (e.g. ``lecture_utils.trainings.smooth_curve``).

    Returns
    -------
    matplotlib Figure
    """
    if not isinstance(history, Mapping):
        hint = "; pass its .history" if hasattr(history, "history") else ""
        raise TypeError(
            f"history must be a dict of metric name to values per epoch, got {type(history).__name__}{hint}."
        )
    # One name is one metric, not a sequence of letters.
    metrics = [metrics] if isinstance(metrics, str) else sequence(metrics, "metrics", of="metric names")
    if not metrics:
        raise ValueError("plot_history needs at least one metric to draw, got none.")
    if smooth is not None and not callable(smooth):
        raise TypeError(
            f"smooth must be a function of a curve, such as trainings.smooth_curve, got {type(smooth).__name__}."
        )
    missing = [m for m in metrics if m not in history]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(history)}.")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for key, style, label in ((metric, "o-", "training"), (f"val_{metric}", "s-", "validation")):
            if key in history:
                values = np.asarray(history[key], dtype=float)
                values = smooth(values) if smooth is not None else values
                ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Chapter 1: convolution by hand; computations in lecture_utils.convolution


def plot_matrix(
    values,
    ax=None,
    title: str | None = None,
    cmap: str = "Greys",
    fmt: str = "{:g}",
    highlight: tuple[int, int, int, int] | None = None,
):
    """Show a small 2-D array as a grid of numbers, the way the lecture draws images and kernels.

    Parameters
    ----------
    values : array_like, shape (H, W)
    ax : matplotlib Axes, optional
    title : str, optional
    cmap : str
        Colour map for the cell shading.
    fmt : str
        Format of the numbers written in the cells.
    highlight : (row, col, height, width), optional
        A window to outline in red (e.g. the patch under the kernel).
    """
    values = real_finite(values, "values").astype(float)
    if values.ndim != 2:
        raise ValueError(f"plot_matrix draws 2-D arrays, got shape {values.shape}.")
    if values.size == 0:
        raise ValueError(f"values is empty (shape {values.shape}).")
    _colormap(cmap)
    if highlight is not None:
        highlight = number_tuple(highlight, "highlight", 4, names="(row, col, height, width)", integers=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * values.shape[1] + 0.6, 0.45 * values.shape[0] + 0.6))
    ax.imshow(values, cmap=cmap, alpha=0.6)
    span = np.ptp(values) or 1.0
    for (i, j), v in np.ndenumerate(values):
        dark = (v - values.min()) / span > 0.6 and cmap == "Greys"
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_xticks(np.arange(-0.5, values.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0], 1), minor=True)
    ax.grid(which="minor", color="grey", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="red", linewidth=2))
    if title:
        ax.set_title(title)
    return ax


def _axes(axes, n: int, what: str) -> list:
    """``axes`` as a list of ``n`` Matplotlib Axes."""
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) != n:
        raise ValueError(f"axes must be {n} Matplotlib Axes ({what}), got {len(axes)}.")
    for ax in axes:
        if not isinstance(ax, mpl.axes.Axes):
            raise TypeError(f"axes must be Matplotlib Axes, such as a row of plt.subplots, got {type(ax).__name__}.")
    return axes


def plot_filtering(image, kernel, filtered, kernel_name: str = "Kernel", axes=None):
    """The lecture's triptych: the image (kernel window outlined), the kernel, the filtered image.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    kernel : ndarray, shape (k, k)
    filtered : ndarray, shape (H', W')
        The result of filtering ``image`` with ``kernel``.
    kernel_name : str
        Used in the kernel panel's title.
    axes : sequence of 3 Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    kernel = as_array(kernel, "kernel")
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be a 2-D array (kh, kw), got shape {kernel.shape}.")
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    else:
        axes = _axes(axes, 3, "image, kernel and filtered image")
        fig = axes[0].figure
    _show(axes[0], image, "Image and kernel")
    k = kernel.shape[0]
    axes[0].add_patch(plt.Rectangle((-0.5, -0.5), k, k, fill=False, edgecolor="red", linewidth=1.5))
    plot_matrix(kernel, ax=axes[1], title=f"{kernel_name} filter", cmap="coolwarm")
    _show(axes[2], filtered, "Filtered image")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Chapter 2: filter banks; computations in lecture_utils.filters


def plot_gabor_demo(image, kernel, outputs: dict, title: str | None = None, axes=None):
    """One row: the image, the kernel, and what filtering the image with it gives.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    kernel : ndarray, shape (k, k)
        Real or complex; a complex kernel is drawn by its real part.
    outputs : dict of str to ndarray (H, W)
        Panel title → filtered image, e.g. ``{"response magnitude": ...}``.
    title : str, optional
        Written left of the row (e.g. the filter's parameters).
    axes : sequence of ``2 + len(outputs)`` Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    if not isinstance(outputs, Mapping):
        raise TypeError(
            f"outputs must be a dict of panel title to filtered image, got {type(outputs).__name__}; "
            "e.g. {'response magnitude': magnitude}."
        )
    n = 2 + len(outputs)
    if axes is None:
        fig, axes = plt.subplots(1, n, figsize=(2.3 * n, 2.6))
    else:
        fig = axes[0].figure
    if len(axes) != n:
        raise ValueError(f"plot_gabor_demo needs {n} axes (image, kernel and {len(outputs)} outputs), got {len(axes)}.")
    _show(axes[0], image, "image")
    if title:
        axes[0].set_ylabel(title)
    _show_kernel(axes[1], kernel, "kernel (real part)" if np.iscomplexobj(kernel) else "kernel")
    for ax, (name, output) in zip(axes[2:], outputs.items()):
        _show(ax, output, name)
    fig.tight_layout()
    return fig


def plot_kernel_responses(kernels, responses, titles, axes=None, size: float = 1.5, same_scale: bool = False):
    """Kernels in the top row and the filtered images below them.

    Parameters
    ----------
    kernels : sequence of ndarray (k, k) or None
        None leaves the kernel panel empty (for a response that is not one kernel's, such as
        an edge magnitude combined from two).
    responses : sequence of ndarray (H, W)
    titles : sequence of str
        One per column.
    axes : ndarray of Axes, shape (2, len(kernels)), optional
    size : float
        Width and height of one panel, in inches (when ``axes`` is not given).
    same_scale : bool
        Draw all kernels at the same pixel scale (that of the largest), so that their sizes
        can be compared.

    Returns
    -------
    matplotlib Figure
    """
    kernels = sequence(kernels, "kernels", of="kernels")
    responses = sequence(responses, "responses", of="images")
    titles = sequence(titles, "titles", of="strings")
    size = _panel_size(size)
    if not (len(kernels) == len(responses) == len(titles)) or not kernels:
        raise ValueError(
            f"need as many kernels, responses and titles (at least one), got "
            f"{len(kernels)}, {len(responses)} and {len(titles)}."
        )
    if axes is None:
        fig, axes = plt.subplots(2, len(kernels), figsize=(size * len(kernels), 2 * size + 0.4), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(2, -1)
        fig = axes[0, 0].figure
    drawn = [k for k in kernels if k is not None]
    window = max(max(np.shape(k)) for k in drawn) if same_scale and drawn else None
    for column, (kernel, response, title) in enumerate(zip(kernels, responses, titles)):
        if kernel is None:
            axes[0, column].axis("off")
        else:
            _show_kernel(axes[0, column], kernel, title, window=window)
        _show(axes[1, column], response, None if kernel is not None else title)
    return fig


def plot_filter_bank(images, kernels, responses, filter_titles, image_titles=None, ncols: int = 8, size: float = 1.1):
    """A filter bank applied to a few images, as a grid.

    The filters are laid out in blocks of ``ncols`` columns; in every block the top row shows
    the kernels and each further row one image: the original in the first column, then its
    response to each filter.  The responses to one filter share a grey scale (black 0, white
    that filter's largest response), so the images can be compared filter by filter.

    Parameters
    ----------
    images : ndarray, shape (N, H, W)
    kernels : sequence of F ndarray
        Drawn by their real part.
    responses : ndarray, shape (N, F, H, W)
        Non-negative, e.g. response magnitudes.
    filter_titles : sequence of F str
    image_titles : sequence of N str, optional
    ncols : int
        Filters per block.
    size : float
        Width and height of one panel, in inches.

    Returns
    -------
    matplotlib Figure
    """
    images, responses = as_array(images, "images"), real_finite(responses, "responses")
    kernels = sequence(kernels, "kernels", of="kernels")
    filter_titles = sequence(filter_titles, "filter_titles", of="strings")
    ncols = positive_int(ncols, "ncols")
    size = _panel_size(size)
    n_images, n_filters = len(images), len(kernels)
    if responses.ndim != 4 or responses.shape[:2] != (n_images, n_filters) or len(filter_titles) != n_filters:
        raise ValueError(
            f"responses must have shape (N images, F filters, H, W) = ({n_images}, {n_filters}, ...) "
            f"with F filter titles, got {responses.shape} and {len(filter_titles)} titles."
        )
    brightest = responses.max(axis=(0, 2, 3))
    blocks = -(-n_filters // ncols)
    rows = blocks * (n_images + 1)
    fig, axes = plt.subplots(rows, ncols + 1, figsize=(size * (ncols + 1), size * rows + 0.3 * blocks), squeeze=False)
    for block in range(blocks):
        top = block * (n_images + 1)
        axes[top, 0].axis("off")
        for i, image in enumerate(images):
            _show(axes[top + 1 + i, 0], image)
            if image_titles is not None:
                axes[top + 1 + i, 0].set_ylabel(image_titles[i], fontsize=8)
        for column in range(ncols):
            f = block * ncols + column
            if f >= n_filters:
                for row in range(top, top + n_images + 1):
                    axes[row, column + 1].axis("off")
                continue
            _show_kernel(axes[top, column + 1], kernels[f])
            axes[top, column + 1].set_title(filter_titles[f], fontsize=7)
            for i in range(n_images):
                ax = axes[top + 1 + i, column + 1]
                ax.imshow(responses[i, f], cmap="gray", vmin=0, vmax=brightest[f] or 1.0)
                ax.set_xticks([])
                ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_filter_usefulness(labels, energy, accuracy, references: dict | None = None):
    """Two bar charts per filter: its response energy and the accuracy of its features alone.

    Parameters
    ----------
    labels : sequence of F str
    energy : ndarray, shape (F,)
        E.g. :func:`lecture_utils.filters.response_energy`.
    accuracy : ndarray, shape (F,)
        Test accuracy of a classifier on each filter's features.
    references : dict of str to float, optional
        Accuracies to draw as vertical lines (e.g. raw pixels, the whole bank).

    Returns
    -------
    matplotlib Figure
    """
    labels, energy, accuracy = list(labels), np.asarray(energy, float), np.asarray(accuracy, float)
    if not (len(labels) == len(energy) == len(accuracy)):
        raise ValueError(
            f"need one label, energy and accuracy per filter, got {len(labels)}, {len(energy)} and {len(accuracy)}."
        )
    references = references or {}
    y = np.arange(len(labels))
    fig, (ax_energy, ax_accuracy) = plt.subplots(
        1, 2, figsize=(11, 0.28 * len(labels) + 1.4), sharey=True, layout="constrained"
    )
    ax_energy.barh(y, energy, color="tab:gray")
    ax_energy.set_yticks(y, labels, fontsize=8)
    ax_energy.invert_yaxis()
    ax_energy.set_xlabel("response energy (mean squared magnitude)")
    ax_accuracy.barh(y, accuracy, color="tab:blue")
    values = [*accuracy, *references.values()]
    ax_accuracy.set_xlim(max(0.0, min(values) - 0.05), min(1.0, max(values) + 0.04))
    ax_accuracy.set_xlabel("test accuracy of this filter's features alone")
    for ax in (ax_energy, ax_accuracy):
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5))
    for (name, value), style in zip(references.items(), ["--", ":", "-.", "-"]):
        ax_accuracy.axvline(value, color="black", linestyle=style, linewidth=1.2, label=f"{name}: {value:.3f}")
    if references:
        # Outside the axes: the bars fill the panel's left and the lines its right.
        fig.legend(loc="outside right upper", fontsize=8, framealpha=1)
    return fig


# ---------------------------------------------------------------------------------------------
# Chapter 3: ConvNets; computations in lecture_utils.architectures
# (plot_metric_comparison compares trainings in chapter 4 too)


def plot_receptive_fields(image, sizes: dict, centre: tuple[int, int], ax=None, title: str | None = None):
    """An image with the receptive fields of successive layers drawn as nested squares.

    Parameters
    ----------
    image : ndarray, shape (H, W)
    sizes : dict of str to int
        Label of each layer → side of its receptive field in pixels, smallest first.
    centre : (row, col)
        The input pixel the squares are centred on.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    image = as_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"plot_receptive_fields draws a 2-D image, got shape {image.shape}.")
    if not isinstance(sizes, Mapping):
        raise TypeError(f"sizes must be a dict of layer label to receptive-field side, got {type(sizes).__name__}.")
    for label, side in sizes.items():
        positive_int(side, f"the side of {label!r} in sizes", unit="pixels")
    row, col = number_tuple(centre, "centre", 2, names="(row, col)", integers=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.6))
    _show(ax, image, title)
    colours = plt.get_cmap("autumn")(np.linspace(0, 0.85, max(len(sizes), 1)))
    for colour, (label, side) in zip(colours, sizes.items()):
        # A side-s window centred on a pixel starts s // 2 pixels before it (one more left/up if s is even).
        top, left = row - side // 2, col - side // 2
        ax.add_patch(
            plt.Rectangle(
                (left - 0.5, top - 0.5),
                side,
                side,
                fill=False,
                edgecolor=colour,
                linewidth=2,
                label=f"{label}: {side}×{side}",
            )
        )
    ax.set_xlim(-0.5, image.shape[1] - 0.5)
    ax.set_ylim(image.shape[0] - 0.5, -0.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8, frameon=False)
    return ax


def plot_shift_sensitivity(layer_names, shifts, changes, title: str | None = None):
    """Relative change of every layer's output when the input is shifted, one line per shift.

    Parameters
    ----------
    layer_names : sequence of str
        One per column of ``changes``.
    shifts : sequence of int
        One per row of ``changes``, in pixels.
    changes : ndarray, shape (len(shifts), len(layer_names))
        From ``lecture_utils.architectures.relative_change_per_layer``.
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    changes = np.asarray(changes, dtype=float)
    if changes.shape != (len(shifts), len(layer_names)):
        raise ValueError(
            f"changes must have shape ({len(shifts)}, {len(layer_names)}) (shifts × layers), got {changes.shape}."
        )
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for shift, row in zip(shifts, changes):
        ax.plot(np.arange(len(layer_names)), row, "o-", markersize=4, label=f"{shift} pixel{'s' if shift != 1 else ''}")
    ax.set_xticks(np.arange(len(layer_names)), layer_names, rotation=20, ha="right")
    ax.set_ylabel("relative change of the output")
    ax.set_ylim(bottom=0)
    ax.legend(title="shift", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_metric_comparison(histories: dict, metric: str = "val_accuracy", title: str | None = None):
    """One metric of several trainings, per epoch, on one set of axes.

    Parameters
    ----------
    histories : dict of str to dict
        Label of each training → its history (``History.history`` or a cached run's
        ``.history``); the trainings may have different numbers of epochs.
    metric : str
        Key to draw from every history, e.g. ``"val_accuracy"``.
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    missing = [label for label, history in histories.items() if metric not in history]
    if not histories or missing:
        raise ValueError(f"every history needs a {metric!r} curve; missing in {missing or 'an empty dict'}.")
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for label, history in histories.items():
        values = np.asarray(history[metric], dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, "o-", markersize=3, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_accuracy_under_shift(shifts, accuracies: dict, title: str | None = None):
    """Test accuracy of several models on images shifted by an increasing number of pixels.

    Parameters
    ----------
    shifts : sequence of int
        Shifts in pixels.
    accuracies : dict of str to sequence of float
        Model label → accuracy (0–1) at each shift.
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    wrong = [label for label, values in accuracies.items() if len(values) != len(shifts)]
    if not accuracies or wrong:
        raise ValueError(
            f"every model needs one accuracy per shift ({len(shifts)}); wrong for {wrong or 'an empty dict'}."
        )
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for label, values in accuracies.items():
        ax.plot(shifts, 100 * np.asarray(values, dtype=float), "o-", markersize=4, label=label)
    ax.set_xticks(list(shifts))
    ax.set_xlabel("shift to the right (pixels)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_kernel_grid(kernels, ncols: int = 8, size: float = 0.9, titles=None):
    """A grid of small kernels, each on its own symmetric scale: red positive, blue negative, white 0.

    Parameters
    ----------
    kernels : array_like, shape (n, kh, kw)
        E.g. the first-layer weights of a trained Conv2D layer, moved to the first axis.
    ncols : int
    size : float
        Width and height of one panel, in inches.
    titles : sequence of str, optional

    Returns
    -------
    matplotlib Figure
    """
    kernels = real_finite(kernels, "kernels").astype(float)
    if kernels.ndim != 3 or len(kernels) == 0:
        raise ValueError(
            f"plot_kernel_grid draws a stack of 2-D kernels of shape (n, kh, kw), got shape {kernels.shape}."
        )
    ncols = positive_int(ncols, "ncols")
    size = _panel_size(size)
    titles = None if titles is None else sequence(titles, "titles", of="strings")
    if titles is not None and len(titles) != len(kernels):
        raise ValueError(f"plot_kernel_grid needs one title per kernel, got {len(titles)} for {len(kernels)} kernels.")
    ncols = min(ncols, len(kernels))
    nrows = -(-len(kernels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(kernels) :]:
        ax.axis("off")
    for i, (ax, kernel) in enumerate(zip(axes.flat, kernels)):
        _show_kernel(ax, kernel, titles[i] if titles is not None else None)
        ax.spines[:].set_visible(False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Chapter 5: interpreting the model; computations in lecture_utils.interpretation


def plot_channel_mosaics(mosaics, titles, cmap: str = "viridis", width: float = 10.0):
    """Every channel of several layers: one mosaic per layer, stacked, each as wide as the page.

    Parameters
    ----------
    mosaics : sequence of ndarray, each (h, w)
        Tiled channels, e.g. from :func:`lecture_utils.interpretation.channel_mosaic`;
        NaN (gaps and padding) is drawn white.
    titles : sequence of str
        One per mosaic.
    cmap : str
    width : float
        Figure width in inches; the height follows the mosaics' aspect ratios.

    Returns
    -------
    matplotlib Figure
    """
    mosaics = [as_array(m, "every mosaic").astype(float) for m in sequence(mosaics, "mosaics", of="2-D arrays")]
    titles = sequence(titles, "titles", of="strings")
    width = _panel_size(width, "width")
    _colormap(cmap)
    if not mosaics or len(titles) != len(mosaics) or any(m.ndim != 2 for m in mosaics):
        raise ValueError("plot_channel_mosaics needs one title per 2-D mosaic, and at least one.")
    ratios = [m.shape[0] / m.shape[1] for m in mosaics]
    fig, axes = plt.subplots(
        len(mosaics),
        1,
        squeeze=False,
        figsize=(width, width * sum(ratios) + 0.35 * len(mosaics)),
        gridspec_kw={"height_ratios": ratios},
    )
    colours = mpl.colormaps[cmap].with_extremes(bad="white")
    for ax, mosaic, title in zip(axes.flat, mosaics, titles):
        ax.imshow(mosaic, cmap=colours, vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, loc="left")
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_top_predictions(predictions, title: str | None = None, ax=None):
    """A horizontal bar chart of the top predicted classes and their probabilities.

    Parameters
    ----------
    predictions : sequence of (wnid, class_name, probability)
        One image's list from :func:`lecture_utils.pretrained.decode_predictions`.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    predictions = sequence(predictions, "predictions", of="(wnid, class_name, probability) triples")
    if not predictions:
        raise ValueError("plot_top_predictions needs at least one prediction.")
    for row in predictions:
        if _not_a_triple(row):
            raise ValueError(
                f"every prediction must be a (wnid, class_name, probability) triple, as decode_predictions "
                f"gives, got {row!r}."
            )
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 0.4 * len(predictions) + 0.9))
    names = [name.replace("_", " ") for _, name, _ in predictions][::-1]
    probs = [p for _, _, p in predictions][::-1]
    bars = ax.barh(names, probs, color="tab:blue")
    ax.bar_label(bars, labels=[f"{p:.3f}" for p in probs], padding=3)
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("probability")
    if title:
        ax.set_title(title)
    ax.figure.tight_layout()
    return ax.figure


def _not_a_triple(row) -> bool:
    if not isinstance(row, (tuple, list)) or len(row) != 3:
        return True
    name, probability = row[1], row[2]
    return not isinstance(name, str) or not isinstance(probability, Real) or isinstance(probability, bool)


def plot_grad_cam(image, heatmap, overlay, title: str | None = None, heatmap_title: str = "Heatmap"):
    """Grad-CAM in three panels: the photo, the heatmap at its own resolution, the overlay.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
    heatmap : ndarray, shape (h, w)
        Values in [0, 1]; each cell is drawn as a square so its coarseness stays visible.
    overlay : ndarray, shape (H, W, 3)
        The heatmap upscaled and superimposed on the photo.
    title : str, optional
        Figure title.
    heatmap_title : str

    Returns
    -------
    matplotlib Figure
    """
    heatmap = real_finite(heatmap, "heatmap").astype(float)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be 2-D, got shape {heatmap.shape}.")
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
    _show(axes[0], image, "Photo")
    shown = axes[1].imshow(heatmap, cmap="jet", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title(f"{heatmap_title} ({heatmap.shape[0]}×{heatmap.shape[1]})")
    axes[1].set_xticks([])
    axes[1].set_yticks([])
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    _show(axes[2], overlay, "Superimposed")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_randomisation_cascade(cascades: dict, size: float = 1.05):
    """Grad-CAM heatmaps as a network is re-initialised from the top, and their rank correlation.

    One row of heatmaps per network, left to right from the trained network to the fully
    re-initialised one; below them, one line per network: the rank correlation of each map
    with the trained network's map, against the number of stages re-initialised.

    Parameters
    ----------
    cascades : dict of str to (stages, heatmaps, rank_correlation)
        Name of each network → the stage labels (``"original"`` first), the heatmaps, shape
        (n_stages + 1, h, w) with values in [0, 1], and the correlations, shape
        (n_stages + 1,); e.g. from :func:`lecture_utils.interpretation.cascading_randomisation`.
    size : float
        Width and height of one heatmap panel, in inches.

    Returns
    -------
    matplotlib Figure
    """
    size = _panel_size(size)
    if not cascades:
        raise ValueError("plot_randomisation_cascade needs at least one network.")
    for name, (stages, heatmaps, correlation) in cascades.items():
        heatmaps = np.asarray(heatmaps)
        if heatmaps.ndim != 3 or not len(stages) == len(heatmaps) == len(correlation):
            raise ValueError(
                f"{name!r}: need one (h, w) heatmap and one correlation per stage, got "
                f"{len(stages)} stages, heatmaps of shape {heatmaps.shape} and "
                f"{len(correlation)} correlations."
            )
    ncols = max(len(stages) for stages, _, _ in cascades.values())
    nrows = len(cascades)
    fig = plt.figure(figsize=(size * ncols + 0.6, size * 1.45 * nrows + 2.8))
    grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[size * 1.45] * nrows + [2.6])
    for row, (name, (stages, heatmaps, correlation)) in enumerate(cascades.items()):
        for col in range(ncols):
            ax = fig.add_subplot(grid[row, col])
            ax.set_xticks([])
            ax.set_yticks([])
            if col >= len(stages):
                ax.axis("off")
                continue
            ax.imshow(np.asarray(heatmaps[col], dtype=float), cmap="jet", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"{stages[col]}\nρ = {correlation[col]:.2f}", fontsize=7)
            if col == 0:
                ax.set_ylabel(name, fontsize=8)
    ax = fig.add_subplot(grid[nrows, :])
    for name, (_stages, _, correlation) in cascades.items():
        ax.plot(np.arange(len(correlation)), correlation, "o-", markersize=4, label=name)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("stages re-initialised, from the top")
    ax.set_ylabel("rank correlation with\nthe trained map")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Chapter 6: transfer learning; computations in lecture_utils.transfer


def plot_training_phases(phases: dict, metrics=("accuracy", "loss"), smooth=None, title: str | None = None):
    """Learning curves of consecutive trainings of one model, joined, with the phases marked.

    Parameters
    ----------
    phases : dict of str to dict
        Name of each phase, in order (e.g. ``{"frozen base": h1, "fine-tuning": h2}``) → its
        history (``History.history`` or a cached run's ``.history``), with ``val_`` keys.
    metrics : sequence of str
        One panel per metric.
    smooth : callable, optional
        Applied to each joined curve (e.g. ``lecture_utils.trainings.smooth_curve``).
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    histories = list(phases.values())
    missing = [(name, m) for name, h in phases.items() for m in metrics if m not in h or f"val_{m}" not in h]
    if not histories or missing:
        raise ValueError(
            f"every phase needs training and validation curves of {list(metrics)}; "
            f"missing {missing or 'all: no phases given'}."
        )
    lengths = [len(h[metrics[0]]) for h in histories]
    keys = [key for m in metrics for key in (m, f"val_{m}")]
    joined = {key: np.concatenate([np.asarray(h[key], dtype=float) for h in histories]) for key in keys}
    fig = plot_history(joined, metrics=metrics, title=title, smooth=smooth)
    for ax in fig.axes[: len(metrics)]:
        for boundary in np.cumsum(lengths)[:-1]:
            ax.axvline(boundary + 0.5, color="grey", linestyle="--", linewidth=1)
        for start, length, name in zip(np.cumsum([0, *lengths[:-1]]), lengths, phases):
            ax.text(
                start + 0.5 + length / 2,
                1.0,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
                color="dimgrey",
            )
    fig.tight_layout()
    return fig
