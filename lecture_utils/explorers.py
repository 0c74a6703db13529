"""Explorers that work on a static web page: frames computed when the book is built.

The lecture explores Gabor filters with ``ipywidgets.interact``, which needs a running kernel;
on the book's website, in its slides and in its PDF there is none.  So the frames are computed
here, on a grid of settings, and shipped in a small self-contained HTML widget (a native
``<input type="range">`` per parameter, a few lines of inline JavaScript, the pictures as one
PNG sprite sheet in a data URI).  It needs no server, no CDN and no kernel, works with the
keyboard, keeps an alt text that describes the current frame, and prints its first frame.

Computation and drawing are apart: :func:`gabor_frames` and :func:`convolution_frames` compute
arrays (reusing :mod:`lecture_utils.filters` and :mod:`lecture_utils.convolution`);
:func:`gabor_explorer` and :func:`convolution_explorer` turn them into an :class:`Explorer`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import math
from dataclasses import dataclass

import numpy as np

from . import convolution as conv
from . import filters
from .checks import as_array, grayscale_image, int_in_range, non_empty_str, number_tuple, positive_int, sequence

__all__ = [
    "GaborFrames",
    "ConvolutionFrames",
    "Explorer",
    "gabor_frames",
    "convolution_frames",
    "describe_gabor_frame",
    "gabor_explorer",
    "convolution_explorer",
    "GABOR_FREQUENCIES",
    "GABOR_THETAS",
    "GABOR_SIGMAS",
]

#: The explorer's default grid: 8 × 8 × 4 = 256 frames, the range of the lecture's sliders.
GABOR_FREQUENCIES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
GABOR_THETAS = tuple(np.deg2rad(np.arange(0, 180, 22.5)))
GABOR_SIGMAS = (1.0, 2.0, 3.0, 4.0)


# ---------------------------------------------------------------------------------------------
# Computation


@dataclass(frozen=True)
class GaborFrames:
    """Every Gabor filter of a parameter grid, and its response on one image.

    Attributes
    ----------
    image : ndarray of float, shape (H, W)
    frequencies : ndarray of float, shape (F,)
        Cycles per pixel.
    thetas : ndarray of float, shape (T,)
        Radians.
    sigmas : ndarray of float, shape (S,)
        Pixels.
    kernels : list of ndarray of complex, F·T·S of them, each (k, k)
        In :meth:`index` order; ``k`` grows with sigma.
    responses : ndarray of complex, shape (F, T, S, H, W)
        The image filtered with each kernel (``filters.filter_images``: same size, mirrored
        borders); ``.real`` is the cosine response, ``abs`` the response magnitude.
    """

    image: np.ndarray
    frequencies: np.ndarray
    thetas: np.ndarray
    sigmas: np.ndarray
    kernels: list
    responses: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        """(F, T, S): the number of values of each parameter."""
        return len(self.frequencies), len(self.thetas), len(self.sigmas)

    def index(self, i_frequency: int, i_theta: int, i_sigma: int) -> int:
        """The flat frame number of a setting (sigma varies fastest).

        Raises
        ------
        ValueError
            For an index that is not an integer from 0 to the number of that parameter's values
            minus 1 (a negative index would silently pick another setting's frame).
        """
        n_f, n_t, n_s = self.shape
        i_frequency, i_theta, i_sigma = (
            int_in_range(i, name, 0, n - 1, note=f" (an index into the grid's {n} {what} value{'s' * (n != 1)})")
            for i, name, n, what in (
                (i_frequency, "i_frequency", n_f, "frequency"),
                (i_theta, "i_theta", n_t, "theta"),
                (i_sigma, "i_sigma", n_s, "sigma"),
            )
        )
        return (i_frequency * n_t + i_theta) * n_s + i_sigma

    def kernel(self, i_frequency: int, i_theta: int, i_sigma: int) -> np.ndarray:
        """The complex kernel of a setting, shape (k, k)."""
        return self.kernels[self.index(i_frequency, i_theta, i_sigma)]


def gabor_frames(image, frequencies=GABOR_FREQUENCIES, thetas=GABOR_THETAS, sigmas=GABOR_SIGMAS) -> GaborFrames:
    """Filter one image with every Gabor filter of a grid of settings.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grayscale, e.g. standardised with ``filters.standardize``.
    frequencies, thetas, sigmas : sequence of float
        Cycles per pixel, radians, pixels (see ``filters.gabor_kernel``).

    Returns
    -------
    GaborFrames
    """
    image = as_array(image, "image")
    if image.ndim != 2:
        raise ValueError(f"gabor_frames filters one grayscale image (H, W), got shape {image.shape}.")
    image = grayscale_image(image)
    # Read each grid once: a generator would be empty the second time.
    frequencies, thetas, sigmas = (
        sequence(values, name, of="numbers")
        for values, name in ((frequencies, "frequencies"), (thetas, "thetas"), (sigmas, "sigmas"))
    )
    bank = filters.gabor_bank(frequencies, thetas, sigmas)  # ordered sigma, frequency, theta
    f, t, s = (np.asarray(v, dtype=float) for v in (frequencies, thetas, sigmas))
    # Reorder to frequency, theta, sigma: the order of the widget's three sliders.
    order = [
        (i_s * len(f) + i_f) * len(t) + i_t for i_f in range(len(f)) for i_t in range(len(t)) for i_s in range(len(s))
    ]
    kernels = [bank[i].kernel() for i in order]
    responses = np.stack([filters.filter_images(image, k) for k in kernels])
    return GaborFrames(image, f, t, s, kernels, responses.reshape(len(f), len(t), len(s), *image.shape))


_STRIPES = ["vertical stripes", "stripes slanting like /", "horizontal stripes", "stripes slanting like \\"]


def describe_gabor_frame(
    frames: GaborFrames, i_frequency: int, i_theta: int, i_sigma: int, image_name: str = "the image"
) -> str:
    """Alt text for one frame: what the kernel looks like and where the image responds.

    Parameters
    ----------
    frames : GaborFrames
    i_frequency, i_theta, i_sigma : int
        The setting, as indices into ``frames.frequencies``, ``.thetas``, ``.sigmas``.
    image_name : str
        How the text names the image.

    Returns
    -------
    str
        A few sentences, computed from the frame's arrays (never a fixed text).

    Raises
    ------
    TypeError
        If ``frames`` is not a :class:`GaborFrames` or ``image_name`` not a string.
    ValueError
        For an index outside the grid, or an empty ``image_name``.
    """
    if not isinstance(frames, GaborFrames):
        raise TypeError(f"frames must be the GaborFrames of gabor_frames(), got {type(frames).__name__}.")
    frames.index(i_frequency, i_theta, i_sigma)  # checks the three indices
    non_empty_str(image_name, "image_name")
    f, theta, sigma = (frames.frequencies[i_frequency], frames.thetas[i_theta], frames.sigmas[i_sigma])
    kernel = frames.kernel(i_frequency, i_theta, i_sigma)
    magnitude = np.abs(frames.responses[i_frequency, i_theta, i_sigma])
    # Image rows grow downwards: the wave runs along (cos θ, sin θ) with y pointing down, and
    # its stripes perpendicular to that, so θ = 45° gives stripes from upper right to lower left.
    stripes = _STRIPES[int(round(math.degrees(theta) / 45)) % 4]
    side = kernel.shape[0]
    row, col = np.unravel_index(magnitude.argmax(), magnitude.shape)
    h, w = magnitude.shape
    where = (
        f"{'top' if row < h / 3 else 'bottom' if row >= 2 * h / 3 else 'middle'}"
        f"{'' if w / 3 <= col < 2 * w / 3 else ' left' if col < w / 3 else ' right'}"
    )
    return (
        f"Gabor kernel with frequency {f:g} cycles per pixel (wavelength {1 / f:.1f} pixels), "
        f"θ = {math.degrees(theta):g}° and σ = {sigma:g} pixels: {side} by {side} pixels of "
        f"{stripes}, about {side * f:.1f} stripes across. The response magnitude of {image_name} "
        f"(mean {magnitude.mean():.2f}) is brightest near the {where}."
    )


@dataclass(frozen=True)
class ConvolutionFrames:
    """Every step of a kernel sliding over an image (valid borders, stride 1).

    Attributes
    ----------
    image : ndarray of float, shape (H, W)
    kernel : ndarray of float, shape (k, k)
    output : ndarray of float, shape (H - k + 1, W - k + 1)
        ``conv.convolve2d(image, kernel)``.
    positions : ndarray of int, shape (P, 2)
        Top-left (row, column) of the window at each step, in reading order; P = output.size.
    patches : ndarray of float, shape (P, k, k)
        The image under the window.
    products : ndarray of float, shape (P, k, k)
        ``kernel * patch``; each sums to the step's output pixel.
    """

    image: np.ndarray
    kernel: np.ndarray
    output: np.ndarray
    positions: np.ndarray
    patches: np.ndarray
    products: np.ndarray


def convolution_frames(image, kernel) -> ConvolutionFrames:
    """The steps of ``conv.convolve2d(image, kernel)``, one per output pixel.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (k, k)

    Returns
    -------
    ConvolutionFrames

    Raises
    ------
    ValueError
        For an image or kernel that is not a finite 2-D array, a kernel that is not square, or
        one larger than the image.
    """
    image, kernel = grayscale_image(image), grayscale_image(kernel, "kernel")
    if kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel must be square (k, k), as the explorer's window is, got shape {kernel.shape}.")
    if kernel.shape[0] > min(image.shape):
        raise ValueError(
            f"kernel of shape {kernel.shape} does not fit in the image of shape {image.shape}; use a smaller kernel."
        )
    output = conv.convolve2d(image, kernel)
    k = kernel.shape[0]
    positions = np.argwhere(np.ones(output.shape, dtype=bool))
    patches = np.stack([image[r : r + k, c : c + k] for r, c in positions])
    return ConvolutionFrames(image, kernel, output, positions, patches, patches * kernel)


# ---------------------------------------------------------------------------------------------
# Drawing: palette PNG sprites and the HTML widget

# Palette entries 0..63: black to white; 64..127: the kernel's blue-white-red.  64 levels look
# smooth on 32×32 pictures and compress to half the size of 256.
_GREYS = 64
_COLOURS = 128


def _palette() -> list[int]:
    from matplotlib import colormaps

    grey = np.linspace(0, 1, _GREYS)[:, None].repeat(3, axis=1)
    diverging = colormaps["RdBu_r"](np.linspace(0, 1, _COLOURS - _GREYS))[:, :3]
    return [int(round(v * 255)) for v in np.concatenate([grey, diverging]).ravel()]


def _grey_indices(values, low=None, high=None) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    low = values.min() if low is None else low
    high = values.max() if high is None else high
    scaled = (values - low) / ((high - low) or 1.0)
    return np.clip(np.round(scaled * (_GREYS - 1)), 0, _GREYS - 1).astype(np.uint8)


def _diverging_indices(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    limit = np.abs(values).max() or 1.0
    return (_GREYS + np.round((values / limit + 1) / 2 * (_COLOURS - 1 - _GREYS))).astype(np.uint8)


def _png(indices: np.ndarray) -> bytes:
    from PIL import Image

    picture = Image.fromarray(indices, mode="P")
    picture.putpalette(_palette())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass(frozen=True)
class Explorer:
    """A self-contained HTML widget; Jupyter, MyST-NB and the slides show its ``html``.

    Attributes
    ----------
    html : str
        One ``<div>`` and one ``<script>``: no external file, no kernel needed.
    frames : GaborFrames or ConvolutionFrames
        What it shows.
    """

    html: str
    frames: object

    @property
    def size_bytes(self) -> int:
        """What the widget adds to a page, in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        return self.html


_CSS = """
.lx{background:#fff;color:#111;border:1px solid #bbb;border-radius:4px;padding:.6em .8em;margin:1em 0;max-width:100%;overflow-x:auto}
.lx .lx-title{font-weight:600;margin:0 0 .4em}
.lx .lx-controls{display:flex;flex-wrap:wrap;gap:.3em 1.4em;margin:.3em 0 .6em;align-items:center}
.lx label{display:flex;gap:.5em;align-items:center;white-space:nowrap}
.lx input[type=range]{width:11em;accent-color:#b2182b}
.lx input[type=range]:focus-visible,.lx button:focus-visible{outline:3px solid #1f4e9c;outline-offset:2px}
.lx output{font-variant-numeric:tabular-nums;min-width:4.5em}
.lx button{font:inherit;padding:.1em .6em;border:1px solid #555;border-radius:3px;background:#f3f3f3;color:#111;cursor:pointer}
.lx .lx-panels{display:flex;flex-wrap:wrap;gap:.8em;align-items:flex-start}
.lx .lx-panel{margin:0;text-align:center}
.lx .lx-panel figcaption,.lx .lx-heads span{font-size:.85em;color:#222}
.lx .lx-view{position:relative;overflow:hidden;background:#fff;outline:1px solid #999}
.lx .lx-view img{position:absolute;max-width:none!important;max-height:none!important;image-rendering:pixelated;margin:0!important;border:0;box-shadow:none}
.lx .lx-heads{display:flex}
.lx .lx-heads span{display:inline-block;text-align:center}
.lx .lx-box{position:absolute;border:2px solid #d7191c;min-width:6px;min-height:6px;box-sizing:border-box;pointer-events:none}
.lx .lx-mask{position:absolute;background:#fff;pointer-events:none}
.lx table.lx-grid{border-collapse:collapse;margin:0 auto;font-size:.85em;font-variant-numeric:tabular-nums}
.lx table.lx-grid td{border:1px solid #999;padding:.15em .35em;text-align:right;min-width:2.6em;background:#fff;color:#111}
.lx .lx-op{align-self:center;font-size:1.3em;padding:0 .1em}
.lx .lx-status{margin:.5em 0 0;font-variant-numeric:tabular-nums}
@media print{.lx .lx-controls{display:none}}
"""


def _widget_id(kind: str, payload: str) -> str:
    # Built from the content, so a rebuild gives the same page (and the same jupyter-cache entry).
    return f"lx-{kind}-{hashlib.sha1(payload.encode()).hexdigest()[:10]}"


def _sprite(cells: np.ndarray, columns: int) -> np.ndarray:
    """Tile frames (N, h, w) of palette indices into one (rows·h, columns·w) sheet, white padding."""
    n, h, w = cells.shape
    rows = math.ceil(n / columns)
    sheet = np.full((rows * h, columns * w), _GREYS - 1, dtype=np.uint8)
    for i, cell in enumerate(cells):
        r, c = divmod(i, columns)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = cell
    return sheet


def gabor_explorer(
    image,
    frequencies=GABOR_FREQUENCIES,
    thetas=GABOR_THETAS,
    sigmas=GABOR_SIGMAS,
    initial=(0.2, np.pi / 4, 2.0),
    image_name: str = "the digit",
    scale: int = 5,
) -> Explorer:
    """A Gabor explorer: sliders for frequency, θ and σ over precomputed frames.

    Each frame shows the kernel's real part (red positive, blue negative, drawn at its true size
    in a fixed box, so σ visibly grows it) and the image's response magnitude (black 0, white
    the frame's largest value).  The real part of the response is left out: it would double
    the page weight, and the chapter's static figures show it.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grayscale image (standardised, as the lecture does).
    frequencies, thetas, sigmas : sequence of float
        The grid (cycles per pixel, radians, pixels).
    initial : (frequency, theta, sigma)
        The setting shown first (and printed); the nearest grid values are used.
    image_name : str
        How the alt text names the image.
    scale : int
        Screen pixels per image pixel.

    Returns
    -------
    Explorer

    Raises
    ------
    ValueError
        For an image that is not a finite 2-D array, a bad grid value, ``initial`` that is not
        three finite numbers, an empty ``image_name`` or a ``scale`` below 1.
    """
    scale = positive_int(scale, "scale", unit="screen pixels")
    initial = number_tuple(initial, "initial", 3, names="(frequency, theta, sigma)")
    image_name = non_empty_str(image_name, "image_name")
    frames = gabor_frames(image, frequencies, thetas, sigmas)
    h, w = frames.image.shape
    box = max(max(k.shape) for k in frames.kernels)
    cell_h, gap = max(box, h), 2
    cells = []
    for i_f in range(frames.shape[0]):
        for i_t in range(frames.shape[1]):
            for i_s in range(frames.shape[2]):
                response = frames.responses[i_f, i_t, i_s]
                cell = np.full((cell_h, box + w + gap), _GREYS - 1, dtype=np.uint8)
                kernel = frames.kernel(i_f, i_t, i_s).real
                kh, kw = kernel.shape
                top, left = (cell_h - kh) // 2, (box - kw) // 2
                cell[top : top + kh, left : left + kw] = _diverging_indices(kernel)
                cell[:h, box + gap :] = _grey_indices(np.abs(response), low=0.0)
                cells.append(cell)
    cells = np.stack(cells)
    columns = 8
    sheet = _data_uri(_png(_sprite(cells, columns)))
    digit = _data_uri(_png(_grey_indices(frames.image)))
    alts = [
        describe_gabor_frame(frames, i_f, i_t, i_s, image_name)
        for i_f in range(frames.shape[0])
        for i_t in range(frames.shape[1])
        for i_s in range(frames.shape[2])
    ]
    start = [
        int(np.abs(np.asarray(values) - v).argmin())
        for values, v in zip((frames.frequencies, frames.thetas, frames.sigmas), initial)
    ]
    sliders = [
        (
            "frequency",
            "frequency",
            [f"{v:g}" for v in frames.frequencies],
            [f"{v:g} cycles per pixel" for v in frames.frequencies],
        ),
        (
            "theta",
            "θ",
            [f"{math.degrees(v):g}°" for v in frames.thetas],
            [f"{math.degrees(v):g} degrees" for v in frames.thetas],
        ),
        ("sigma", "σ", [f"{v:g} px" for v in frames.sigmas], [f"{v:g} pixels" for v in frames.sigmas]),
    ]
    uid = _widget_id("gabor", sheet + json.dumps(start))
    cell_w = cells.shape[2]
    controls = "".join(
        f'<label>{label} <input type="range" min="0" max="{len(shown) - 1}" step="1" value="{s}" '
        f'data-param="{name}" aria-valuetext="{html.escape(spoken[s])}"> <output>{html.escape(shown[s])}</output></label>'
        for (name, label, shown, spoken), s in zip(sliders, start)
    )
    index = frames.index(*start)
    r, c = divmod(index, columns)
    heads = [("kernel (real part)", box), ("response magnitude", w)]
    heads_html = "".join(
        f'<span style="width:{width * scale}px;margin-right:{gap * scale}px">{t}</span>' for t, width in heads
    )
    doc = f"""<div class="lx lx-gabor" id="{uid}" role="group" aria-labelledby="{uid}-title">
<style>{_CSS}</style>
<p class="lx-title" id="{uid}-title">Gabor explorer: move the sliders (or focus one and use the arrow keys) to change the kernel; the digit's response follows.</p>
<div class="lx-controls">{controls}</div>
<div class="lx-panels">
<figure class="lx-panel"><div class="lx-view" style="width:{w * scale}px;height:{h * scale}px"><img src="{digit}" alt="{html.escape(image_name[0].upper() + image_name[1:])}, the image the filters are applied to, in grayscale." style="width:{w * scale}px;left:0;top:0"></div><figcaption>image</figcaption></figure>
<figure class="lx-panel"><div class="lx-heads" aria-hidden="true">{heads_html}</div><div class="lx-view lx-frame" style="width:{cell_w * scale}px;height:{cell_h * scale}px"><img class="lx-sprite" src="{sheet}" alt="{html.escape(alts[index])}" style="width:{columns * cell_w * scale}px;left:-{c * cell_w * scale}px;top:-{r * cell_h * scale}px"></div></figure>
</div>
<p class="lx-status" aria-live="polite">{html.escape(alts[index])}</p>
</div>
<script>(function () {{
  var root = document.getElementById("{uid}"); if (!root || root.dataset.ready) return; root.dataset.ready = "1";
  var alts = {json.dumps(alts, ensure_ascii=False)}, sliders = {json.dumps([[s[2], s[3]] for s in sliders], ensure_ascii=False)};
  var n = {json.dumps(list(frames.shape))}, columns = {columns}, cw = {cell_w * scale}, ch = {cell_h * scale};
  var inputs = root.querySelectorAll("input[type=range]"), img = root.querySelector(".lx-sprite"), status = root.querySelector(".lx-status");
  function update() {{
    var v = Array.prototype.map.call(inputs, function (i) {{ return +i.value; }});
    var k = (v[0] * n[1] + v[1]) * n[2] + v[2];
    img.style.left = -(k % columns) * cw + "px"; img.style.top = -Math.floor(k / columns) * ch + "px";
    img.alt = alts[k]; status.textContent = alts[k];
    inputs.forEach(function (input, j) {{
      input.setAttribute("aria-valuetext", sliders[j][1][v[j]]);
      input.parentNode.querySelector("output").textContent = sliders[j][0][v[j]];
    }});
  }}
  inputs.forEach(function (input) {{ input.addEventListener("input", update); }});
}})();</script>"""
    return Explorer(doc, frames)


def _grid_html(values, cls="lx-grid", label="") -> str:
    rows = "".join("<tr>" + "".join(f"<td>{v:.2f}</td>" for v in row) + "</tr>" for row in values)
    return f'<table class="{cls}" aria-label="{html.escape(label)}">{rows}</table>'


def convolution_explorer(
    image, kernel, kernel_name: str = "kernel", image_name: str = "the digit", initial: int = 0, scale: int = 6
) -> Explorer:
    """A kernel sliding over an image, one output pixel per slider step.

    Each step shows the window on the image, the patch under it, the kernel, their element-wise
    products, their sum, and the output map filled up to that pixel.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Grayscale, values in [0, 1].
    kernel : array_like, shape (k, k)
    kernel_name, image_name : str
        How the text names them.
    initial : int
        The step shown first (and printed).
    scale : int
        Screen pixels per image pixel.

    Returns
    -------
    Explorer

    Raises
    ------
    ValueError
        For an image that is not a finite 2-D array with values in [0, 1], a kernel that is
        not square or larger than the image, empty names, or ``initial`` or ``scale`` out of
        range.
    """
    scale = positive_int(scale, "scale", unit="screen pixels")
    kernel_name = non_empty_str(kernel_name, "kernel_name")
    image_name = non_empty_str(image_name, "image_name")
    frames = convolution_frames(image, kernel)
    low, high = frames.image.min(), frames.image.max()
    if low < 0 or high > 1:
        # The picture draws 0 as black and 1 as white: anything outside would be clipped.
        raise ValueError(
            f"image values must be in [0, 1] (black to white), got values from {low:g} to {high:g}; "
            "divide 0–255 pixels by 255."
        )
    h, w = frames.image.shape
    oh, ow = frames.output.shape
    k = frames.kernel.shape[0]
    steps = len(frames.positions)
    initial = int_in_range(initial, "initial", 0, steps - 1, note=f" (one of the {steps} window positions)")
    picture = _data_uri(_png(_grey_indices(frames.image, 0.0, 1.0)))
    output = _data_uri(_png(_diverging_indices(frames.output)))
    data = {
        "patches": np.round(frames.patches, 2).reshape(steps, -1).tolist(),
        "products": np.round(frames.products, 2).reshape(steps, -1).tolist(),
        "outputs": np.round(frames.output.ravel(), 2).tolist(),
    }
    uid = _widget_id("conv", picture + output + json.dumps(frames.kernel.tolist()))

    def text(step):
        r, c = frames.positions[step]
        return (
            f"Step {step + 1} of {steps}: the {k}×{k} window at row {r}, column {c} of {image_name}. "
            f"The sum of the {k * k} products of patch and {kernel_name} kernel is "
            f"{frames.products[step].sum():.2f}, output pixel ({r}, {c})."
        )

    r0, c0 = frames.positions[initial]
    s = scale
    doc = f"""<div class="lx lx-conv" id="{uid}" role="group" aria-labelledby="{uid}-title">
<style>{_CSS}</style>
<p class="lx-title" id="{uid}-title">Convolution, step by step: move the slider (or focus it and use the arrow keys) to slide the {html.escape(kernel_name)} kernel over {html.escape(image_name)}.</p>
<div class="lx-controls"><label>window position <input type="range" min="0" max="{steps - 1}" step="1" value="{initial}" aria-valuetext="row {r0}, column {c0}"> <output>({r0}, {c0})</output></label>
<button type="button" data-step="-1" aria-label="previous step">◀ step</button><button type="button" data-step="1" aria-label="next step">step ▶</button></div>
<div class="lx-panels">
<figure class="lx-panel"><div class="lx-view lx-frame" style="width:{w * s}px;height:{h * s}px"><img src="{picture}" alt="{html.escape(f"{image_name[0].upper()}{image_name[1:]} in grayscale, {h} by {w} pixels, with a red {k} by {k} window at row {r0}, column {c0}.")}" style="width:{w * s}px;left:0;top:0"><div class="lx-box lx-window" style="left:{c0 * s}px;top:{r0 * s}px;width:{k * s}px;height:{k * s}px"></div></div><figcaption>image and window</figcaption></figure>
<figure class="lx-panel"><div class="lx-patch">{_grid_html(frames.patches[initial], label="patch under the window")}</div><figcaption>patch</figcaption></figure>
<div class="lx-op" aria-hidden="true">×</div>
<figure class="lx-panel">{_grid_html(frames.kernel, label=f"{kernel_name} kernel")}<figcaption>{html.escape(kernel_name)} kernel</figcaption></figure>
<div class="lx-op" aria-hidden="true">=</div>
<figure class="lx-panel"><div class="lx-products">{_grid_html(frames.products[initial], label="element-wise products")}</div><figcaption>products, sum <span class="lx-sum">{frames.products[initial].sum():.2f}</span></figcaption></figure>
<figure class="lx-panel"><div class="lx-view lx-out" style="width:{ow * s}px;height:{oh * s}px"><img src="{output}" alt="{html.escape(f"The output map, {oh} by {ow} pixels, filled in reading order up to pixel ({r0}, {c0}); red positive, blue negative.")}" style="width:{ow * s}px;left:0;top:0"><div class="lx-mask lx-rest" style="left:0;top:{(r0 + 1) * s}px;width:{ow * s}px;height:{(oh - r0 - 1) * s}px"></div><div class="lx-mask lx-row" style="left:{(c0 + 1) * s}px;top:{r0 * s}px;width:{(ow - c0 - 1) * s}px;height:{s}px"></div><div class="lx-box lx-pixel" style="left:{c0 * s}px;top:{r0 * s}px;width:{s}px;height:{s}px"></div></div><figcaption>output so far</figcaption></figure>
</div>
<p class="lx-status" aria-live="polite">{html.escape(text(initial))}</p>
</div>
<script>(function () {{
  var root = document.getElementById("{uid}"); if (!root || root.dataset.ready) return; root.dataset.ready = "1";
  var d = {json.dumps(data, separators=(",", ":"))}, ow = {ow}, oh = {oh}, s = {s}, k = {k}, steps = {steps};
  var names = {json.dumps({"image": image_name, "Image": image_name[0].upper() + image_name[1:], "kernel": kernel_name}, ensure_ascii=False)};
  var input = root.querySelector("input[type=range]"), q = function (sel) {{ return root.querySelector(sel); }};
  function fill(table, values) {{ table.querySelectorAll("td").forEach(function (td, i) {{ td.textContent = values[i].toFixed(2); }}); }}
  function place(el, left, top, width, height) {{ el.style.left = left + "px"; el.style.top = top + "px"; el.style.width = width + "px"; el.style.height = height + "px"; }}
  function update() {{
    var t = +input.value, r = Math.floor(t / ow), c = t % ow, sum = d.outputs[t].toFixed(2);
    place(q(".lx-window"), c * s, r * s, k * s, k * s); place(q(".lx-pixel"), c * s, r * s, s, s);
    place(q(".lx-rest"), 0, (r + 1) * s, ow * s, (oh - r - 1) * s); place(q(".lx-row"), (c + 1) * s, r * s, (ow - c - 1) * s, s);
    fill(q(".lx-patch table"), d.patches[t]); fill(q(".lx-products table"), d.products[t]); q(".lx-sum").textContent = sum;
    input.setAttribute("aria-valuetext", "row " + r + ", column " + c); input.parentNode.querySelector("output").textContent = "(" + r + ", " + c + ")";
    q(".lx-frame img").alt = names.Image + " in grayscale with a red " + k + " by " + k + " window at row " + r + ", column " + c + ".";
    q(".lx-out img").alt = "The output map, filled in reading order up to pixel (" + r + ", " + c + "); red positive, blue negative.";
    q(".lx-status").textContent = "Step " + (t + 1) + " of " + steps + ": the " + k + "×" + k + " window at row " + r + ", column " + c + " of " + names.image +
      ". The sum of the " + (k * k) + " products of patch and " + names.kernel + " kernel is " + sum + ", output pixel (" + r + ", " + c + ").";
  }}
  input.addEventListener("input", update);
  root.querySelectorAll("button[data-step]").forEach(function (b) {{
    b.addEventListener("click", function () {{ input.value = Math.min(steps - 1, Math.max(0, +input.value + +b.dataset.step)); update(); }});
  }});
}})();</script>"""
    return Explorer(doc, frames)
