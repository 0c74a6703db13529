"""Figures for the chapters.  Drawing only: every function takes computed arrays.

All figures get an opaque white background so they stay readable in a dark-mode browser.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["use_book_style", "plot_matrix", "plot_filtering", "plot_image_grid", "plot_history"]


def use_book_style() -> None:
    """Opaque white figures, readable fonts, no top/right spines."""
    mpl.rcParams.update({
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.transparent": False,
        "figure.dpi": 100,
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })


def plot_matrix(values, ax=None, title: str | None = None, cmap: str = "Greys", fmt: str = "{:g}",
                highlight: tuple[int, int, int, int] | None = None):
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
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"plot_matrix draws 2-D arrays, got shape {values.shape}.")
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


def _show(ax, image, title=None, cmap="gray"):
    image = np.asarray(image)
    ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)


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
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    else:
        fig = axes[0].figure
    _show(axes[0], image, "Image and kernel")
    k = np.asarray(kernel).shape[0]
    axes[0].add_patch(plt.Rectangle((-0.5, -0.5), k, k, fill=False, edgecolor="red", linewidth=1.5))
    plot_matrix(kernel, ax=axes[1], title=f"{kernel_name} filter", cmap="coolwarm")
    _show(axes[2], filtered, "Filtered image")
    fig.tight_layout()
    return fig


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
    images = list(images)
    if not images:
        raise ValueError("plot_image_grid needs at least one image.")
    ncols = min(ncols, len(images))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(images):]:
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
        Applied to each curve before drawing (e.g. ``lecture_utils.training.smooth_curve``).

    Returns
    -------
    matplotlib Figure
    """
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
