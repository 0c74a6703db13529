"""The precomputed explorers: their frames are the library's own results, their widget shows them."""

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from lecture_utils import convolution as conv
from lecture_utils import explorers, filters

RNG = np.random.default_rng(0)
IMAGE = RNG.random((20, 24))


def _data_uris(html):
    return re.findall(r'src="data:image/png;base64,([^"]+)"', html)


def _decode(uri):
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))))


def test_gabor_frames_are_the_filters_responses():
    freqs, thetas, sigmas = (0.1, 0.3), (0.0, np.pi / 3, np.pi / 2), (1.0, 2.5)
    frames = explorers.gabor_frames(IMAGE, freqs, thetas, sigmas)
    assert frames.shape == (2, 3, 2) and frames.responses.shape == (2, 3, 2, 20, 24)
    for i_f, f in enumerate(freqs):
        for i_t, t in enumerate(thetas):
            for i_s, s in enumerate(sigmas):
                kernel = filters.gabor_kernel(f, t, s)
                assert np.array_equal(frames.kernel(i_f, i_t, i_s), kernel)
                assert np.allclose(frames.responses[i_f, i_t, i_s], filters.filter_images(IMAGE, kernel))
    assert sorted(frames.index(*i) for i in np.ndindex(frames.shape)) == list(range(12))


def test_gabor_frames_reject_a_stack():
    with pytest.raises(ValueError, match="one grayscale image"):
        explorers.gabor_frames(np.zeros((2, 8, 8)))


@pytest.mark.parametrize(
    "degrees, words",
    [(0, "vertical stripes"), (90, "horizontal stripes"), (45, "slanting like /"), (135, "slanting like \\")],
)
def test_alt_text_names_the_stripes_of_the_kernel(degrees, words):
    frames = explorers.gabor_frames(IMAGE, [0.25], [np.deg2rad(degrees)], [2.0])
    text = explorers.describe_gabor_frame(frames, 0, 0, 0, "the test image")
    assert words in text and "the test image" in text
    assert f"{frames.kernel(0, 0, 0).shape[0]} by" in text


def test_alt_text_locates_the_strongest_response():
    image = np.zeros((30, 30))
    image[2:6, :] = np.tile([1.0, -1.0], 15)  # vertical stripes in the top rows only
    frames = explorers.gabor_frames(image, [0.5], [0.0], [1.0])
    assert "brightest near the top" in explorers.describe_gabor_frame(frames, 0, 0, 0)


def test_convolution_frames_sum_to_convolve2d():
    kernel = RNG.normal(size=(3, 3))
    frames = explorers.convolution_frames(IMAGE, kernel)
    expected = conv.convolve2d(IMAGE, kernel)
    assert np.array_equal(frames.output, expected)
    assert frames.positions.shape == (18 * 22, 2) and tuple(frames.positions[23]) == (1, 1)
    assert np.allclose(frames.products.sum(axis=(1, 2)), expected.ravel())
    r, c = frames.positions[100]
    assert np.array_equal(frames.patches[100], IMAGE[r : r + 3, c : c + 3])


def test_gabor_widget_shows_the_initial_frame():
    freqs, thetas, sigmas = (0.1, 0.2, 0.3), (0.0, np.pi / 2), (1.0, 2.0)
    explorer = explorers.gabor_explorer(
        IMAGE, freqs, thetas, sigmas, initial=(0.2, np.pi / 2, 1.0), image_name="the noise", scale=1
    )
    html = explorer.html
    ranges = re.findall(r'<input type="range" min="0" max="(\d+)" step="1" value="(\d+)"', html)
    assert ranges == [("2", "1"), ("1", "1"), ("1", "0")]
    alts = json.loads(re.search(r"var alts = (\[.*?\]), sliders", html).group(1))
    assert len(alts) == 12 and len(set(alts)) == 12
    index = explorer.frames.index(1, 1, 0)
    assert f'alt="{alts[index]}"' in html.replace("&#x27;", "'")
    # The sprite sheet's cell for the initial frame holds that frame's magnitude, brightest at its maximum.
    sheet = _decode(_data_uris(html)[1])
    box = max(k.shape[0] for k in explorer.frames.kernels)
    left, top = (int(v) for v in re.search(r'class="lx-sprite"[^>]*left:-(\d+)px;top:-(\d+)px', html).groups())
    cell = sheet[top : top + 20, left + box + 2 : left + box + 2 + 24]
    magnitude = np.abs(explorer.frames.responses[1, 1, 0])
    assert cell[np.unravel_index(magnitude.argmax(), magnitude.shape)] == explorers._GREYS - 1
    assert cell[np.unravel_index(magnitude.argmin(), magnitude.shape)] < explorers._GREYS // 2


def test_widgets_are_self_contained_and_reproducible():
    gabor = explorers.gabor_explorer(IMAGE, (0.1, 0.2), (0.0,), (1.0,))
    convolution = explorers.convolution_explorer(IMAGE, conv.KERNELS["vertical edge"])
    for explorer in (gabor, convolution):
        assert not re.search(r"(src|href)=\"(?!data:)", explorer.html), "the widget loads a file"
        assert "http" not in explorer.html
        assert explorer._repr_html_() == explorer.html and explorer.size_bytes == len(explorer.html.encode())
    assert explorers.gabor_explorer(IMAGE, (0.1, 0.2), (0.0,), (1.0,)).html == gabor.html


def test_convolution_widget_carries_every_step():
    kernel = conv.KERNELS["edge detect"]
    explorer = explorers.convolution_explorer(IMAGE, kernel, initial=5)
    data = json.loads(re.search(r"var d = (\{.*?\}), ow", explorer.html).group(1))
    assert len(data["outputs"]) == len(data["patches"]) == 18 * 22
    assert np.allclose(data["outputs"], np.round(conv.convolve2d(IMAGE, kernel).ravel(), 2))
    assert np.allclose(data["products"][5], np.round((IMAGE[0:3, 5:8] * kernel).ravel(), 2))
    assert 'max="395"' in explorer.html and "Step 6 of 396" in explorer.html
    with pytest.raises(
        ValueError, match="initial must be an integer from 0 to 395 \\(one of the 396 window positions\\)"
    ):
        explorers.convolution_explorer(IMAGE, kernel, initial=396)


@pytest.mark.parametrize(
    "make", [explorers.convolution_explorer, lambda image, kernel, scale: explorers.gabor_explorer(image, scale=scale)]
)
def test_explorers_need_a_whole_number_of_screen_pixels(make):
    with pytest.raises(ValueError, match="scale must be a positive integer number of screen pixels, got 2.5"):
        make(IMAGE, conv.KERNELS["edge detect"], scale=2.5)
