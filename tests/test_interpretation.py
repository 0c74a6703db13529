"""Activations, filter patterns and Grad-CAM on tiny models whose answers are known."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from lecture_utils import interpretation as it

# -- tiny models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_convnet():
    """Conv → pool → conv → flatten → dense, random weights: a miniature of the lecture's net."""
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            layers.Conv2D(4, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(6, 3, activation="relu", name="conv2"),
            layers.Flatten(name="flatten"),
            layers.Dense(2, name="logits"),
        ],
        name="small",
    )


def _colour_model():
    """A 1×1 conv that copies the colours: channel 0 = red, 1 = green, 2 = blue."""
    inputs = keras.Input((8, 8, 3))
    conv = layers.Conv2D(3, 1, use_bias=False, name="colours")
    features = conv(inputs)
    conv.set_weights([np.eye(3, dtype="float32")[None, None]])
    return inputs, features


def _corner_model():
    """Class 0 = the amount of red in the top-left 4×4 corner, class 1 = green bottom-right."""
    inputs, features = _colour_model()
    top_left = layers.Cropping2D(((0, 4), (0, 4)), name="top_left")(features)
    bottom_right = layers.Cropping2D(((4, 0), (4, 0)), name="bottom_right")(features)
    red = layers.Lambda(lambda t: keras.ops.mean(t[..., 0], axis=(1, 2))[:, None])(top_left)
    green = layers.Lambda(lambda t: keras.ops.mean(t[..., 1], axis=(1, 2))[:, None])(bottom_right)
    return keras.Model(inputs, layers.Concatenate(name="scores")([red, green]), name="corners")


def _two_patch_image():
    """Black 8×8 image, a red 2×2 patch top left and a green 2×2 patch bottom right."""
    image = np.zeros((8, 8, 3), dtype="float32")
    image[1:3, 1:3, 0] = 1.0
    image[5:7, 5:7, 1] = 1.0
    return image


# -- activations ------------------------------------------------------------------------------


def test_activation_model_returns_each_layers_feature_map(small_convnet):
    act = it.activation_model(small_convnet, ["conv1", "pool1", "conv2"])
    x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    outputs = act.predict(x, verbose=0)
    assert [o.shape for o in outputs] == [(2, 14, 14, 4), (2, 7, 7, 4), (2, 5, 5, 6)]
    # Shares the trained layers: the first output is conv1 applied to the input.
    direct = small_convnet.get_layer("conv1")(x)
    np.testing.assert_allclose(outputs[0], keras.ops.convert_to_numpy(direct), rtol=1e-5, atol=1e-6)


def test_activation_model_accepts_a_functional_model():
    inputs = keras.Input((10, 10, 1))
    a = layers.Conv2D(2, 3, padding="same", name="a")(inputs)
    b = layers.Conv2D(2, 5, padding="same", name="b")(inputs)
    added = layers.Add(name="added")([a, b])
    model = keras.Model(inputs, layers.GlobalAveragePooling2D()(added))
    outputs = it.activation_model(model, ["added", "a"]).predict(np.zeros((1, 10, 10, 1)), verbose=0)
    assert [o.shape for o in outputs] == [(1, 10, 10, 2), (1, 10, 10, 2)]


@pytest.mark.parametrize(
    "name, message",
    [
        ("flatten", "not a \\(height, width, channels\\) feature map"),
        ("logits", "choose a convolutional layer"),
        ("conv9", "has no layer named 'conv9'"),
    ],
)
def test_activation_model_rejects_layers_without_a_feature_map(small_convnet, name, message):
    with pytest.raises(ValueError, match=message):
        it.activation_model(small_convnet, ["conv1", name])


def test_activation_model_needs_a_layer(small_convnet):
    with pytest.raises(ValueError, match="at least one layer"):
        it.activation_model(small_convnet, [])


def test_empty_channels_finds_silent_filters():
    fmap = np.ones((4, 4, 3))
    fmap[..., 1] = 0
    assert it.empty_channels(fmap).tolist() == [1]
    assert it.empty_channels(fmap[None]).tolist() == [1]
    other = np.zeros((4, 4, 3))
    other[0, 0, 1] = 0.5  # channel 1 fires in the second image only
    assert it.empty_channels(other).tolist() == [0, 2]
    assert it.empty_channels(np.stack([fmap, other])).tolist() == []  # empty in every image
    assert it.empty_channels(np.stack([fmap, other]), tolerance=0.5).tolist() == [1]
    with pytest.raises(ValueError, match="feature map must have shape"):
        it.empty_channels(np.ones((4, 4)))


def test_channel_mosaic_tiles_and_stretches_every_channel():
    rng = np.random.default_rng(1)
    fmap = rng.random((5, 6, 7)).astype("float32") * np.arange(1, 8)  # very different scales
    fmap[..., 3] = 0.0
    mosaic = it.channel_mosaic(fmap, ncols=4, gap=1)
    assert mosaic.shape == (2 * 5 + 1, 4 * 6 + 3)
    tiles = [mosaic[r * 6 : r * 6 + 5, c * 7 : c * 7 + 6] for r in range(2) for c in range(4)]
    # Each non-empty channel is standardised on its own: its mean lands near 128.
    for c in (0, 1, 2, 4, 5, 6):
        assert abs(np.mean(tiles[c]) - 128) < 12
    assert np.all(tiles[3] == 0)  # the empty channel is dark
    assert np.all(np.isnan(tiles[7]))  # padding
    assert np.all(np.isnan(mosaic[5, :]))  # gap between the rows
    assert np.nanmin(mosaic) >= 0 and np.nanmax(mosaic) <= 255


# -- filter patterns --------------------------------------------------------------------------


def test_gradient_ascent_finds_the_colour_a_filter_wants():
    """Filter 0 = red minus blue, filter 1 = green: the patterns turn red and green."""
    inputs = keras.Input((12, 12, 3))
    conv = layers.Conv2D(2, 1, use_bias=False, name="detect")
    model = keras.Model(inputs, conv(inputs))
    conv.set_weights([np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype="float32")[None, None]])
    patterns, history = it.filter_patterns(model, "detect", [0, 1], steps=10, progress=False)
    assert patterns.shape == (2, 12, 12, 3) and history.shape == (11, 2)
    means = patterns.mean(axis=(1, 2))  # (filter, colour)
    assert means[0, 0] > 0.5 + 0.05 > 0.5 - 0.05 > means[0, 2]
    assert means[1, 1] > 0.5 + 0.05 and abs(means[1, 0] - 0.5) < 0.02
    assert np.all(np.diff(history, axis=0) > 0)  # the mean activation rises at every step


def test_a_filters_pattern_does_not_depend_on_its_batch(small_convnet):
    together, _ = it.filter_patterns(
        small_convnet, "conv2", [0, 3, 5], steps=5, seed=7, smoothing=1.0, jitter=2, progress=False
    )
    alone, _ = it.filter_patterns(small_convnet, "conv2", [3], steps=5, seed=7, smoothing=1.0, jitter=2, progress=False)
    np.testing.assert_allclose(together[1], alone[0], rtol=1e-4, atol=1e-5)
    again, _ = it.filter_patterns(
        small_convnet, "conv2", [0, 3, 5], steps=5, seed=7, smoothing=1.0, jitter=2, progress=False
    )
    np.testing.assert_array_equal(together, again)


def test_filter_patterns_of_a_model_of_any_input_size():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, layers.Conv2D(3, 3, name="conv")(inputs))
    patterns, _ = it.filter_patterns(model, "conv", [2], size=(9, 7), steps=2, value_range=(-1, 1), progress=False)
    assert patterns.shape == (1, 9, 7, 3)
    with pytest.raises(ValueError, match="accepts any image size"):
        it.filter_patterns(model, "conv", [0], steps=1, progress=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"layer_name": "conv2", "filter_indices": [6]}, "filter index 6 is out of range: layer 'conv2' has 6"),
        ({"layer_name": "conv2", "filter_indices": [-1]}, "filter index -1 is out of range"),
        ({"layer_name": "conv2", "filter_indices": []}, "non-empty list of ints"),
        ({"layer_name": "flatten", "filter_indices": [0]}, "choose a convolutional layer"),
        ({"layer_name": "conv1", "filter_indices": [0], "size": (20, 20)}, "matching the model's input"),
        ({"layer_name": "conv1", "filter_indices": [0], "value_range": (1, 0)}, "low < high"),
        ({"layer_name": "conv1", "filter_indices": [0], "jitter": -1}, "jitter must be"),
    ],
)
def test_filter_patterns_rejects_bad_input(small_convnet, kwargs, message):
    with pytest.raises(ValueError, match=message):
        it.filter_patterns(small_convnet, steps=1, progress=False, **kwargs)


def test_deprocess_image_makes_viewable_pictures():
    rng = np.random.default_rng(0)
    batch = np.stack([rng.normal(0, 1, (6, 6, 3)), rng.normal(500, 40, (6, 6, 3))])
    images = it.deprocess_image(batch)
    assert images.dtype == np.uint8 and images.shape == batch.shape
    for image in images:  # each image is stretched on its own, around mid-grey
        assert abs(image.mean() - 127.5) < 3
    np.testing.assert_array_equal(it.deprocess_image(batch[1]), images[1])
    with pytest.raises(ValueError, match="NaN"):
        it.deprocess_image(np.full((2, 2, 3), np.nan))


# -- Grad-CAM ---------------------------------------------------------------------------------


def test_grad_cam_lights_up_the_corner_the_class_depends_on():
    model = _corner_model()
    image = _two_patch_image()
    red = it.grad_cam(model, image, "colours", class_index=0)
    green = it.grad_cam(model, image, "colours", class_index=1)
    expected_red = np.zeros((8, 8))
    expected_red[1:3, 1:3] = 1
    np.testing.assert_allclose(red.heatmap, expected_red, atol=1e-6)
    np.testing.assert_allclose(green.heatmap, np.rot90(expected_red, 2), atol=1e-6)
    # Only the red channel matters for class 0: a gradient of 1/16 at each of the 16 corner
    # positions, averaged over all 64 positions of the map.
    np.testing.assert_allclose(red.channel_weights, [1 / 64, 0, 0], atol=1e-8)
    assert red.class_index == 0 and red.score == pytest.approx(4 / 16)
    # Without a class, the top-scoring one (both score 0.25: the first) is explained.
    assert it.grad_cam(model, image, "colours").class_index == 0


def test_grad_cam_of_a_gap_network_is_the_class_activation_map():
    """Conv → global average pooling → dense: the weights are the dense weights / (h·w)."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((9, 9, 3))
    features = layers.Conv2D(5, 3, activation="relu", name="features")(inputs)
    pooled = layers.GlobalAveragePooling2D()(features)
    dense = layers.Dense(4, name="logits")
    model = keras.Model(inputs, dense(pooled))
    image = np.random.default_rng(3).random((9, 9, 3)).astype("float32")
    cam = it.grad_cam(model, image[None], "features", class_index=2)
    np.testing.assert_allclose(cam.channel_weights, dense.get_weights()[0][:, 2] / 49, rtol=1e-5)
    fmap = it.activation_model(model, ["features"]).predict(image[None], verbose=0)[0]
    np.testing.assert_allclose(cam.raw, fmap @ cam.channel_weights, rtol=1e-5, atol=1e-7)
    assert cam.heatmap.max() == pytest.approx(1.0) and cam.heatmap.min() >= 0


def test_grad_cam_without_evidence_for_the_class_is_all_zero():
    inputs, features = _colour_model()
    score = layers.Lambda(lambda t: -keras.ops.mean(t, axis=(1, 2, 3))[:, None])(features)
    model = keras.Model(inputs, layers.Concatenate()([score, score]))
    cam = it.grad_cam(model, _two_patch_image(), "colours", class_index=1)
    assert np.all(cam.heatmap == 0) and cam.raw.max() <= 0


@pytest.mark.parametrize(
    "layer, class_index, image_shape, message",
    [
        ("colours", 2, (8, 8, 3), "class_index must be an integer from 0 to 1"),
        ("colours", -1, (8, 8, 3), "class_index must be an integer from 0 to 1"),
        ("colours", 1.0, (8, 8, 3), "class_index must be an integer"),
        ("scores", 0, (8, 8, 3), "choose a convolutional layer"),
        ("colours", 0, (9, 9, 3), "image must have shape \\(8, 8, 3\\)"),
        ("colours", 0, (2, 8, 8, 3), "batch of one"),
    ],
)
def test_grad_cam_rejects_bad_input(layer, class_index, image_shape, message):
    with pytest.raises(ValueError, match=message):
        it.grad_cam(_corner_model(), np.zeros(image_shape), layer, class_index)


def test_overlay_heatmap_upscales_and_blends():
    image = np.full((40, 60, 3), 100, dtype=np.uint8)
    heatmap = np.zeros((4, 6), dtype="float32")
    heatmap[0, 0] = 1.0
    up = it.upscale_heatmap(heatmap, (40, 60))
    assert up.shape == (40, 60) and up[0, 0] == pytest.approx(1.0) and up[-1, -1] == 0
    overlay = it.overlay_heatmap(image, heatmap, alpha=0.5)
    assert overlay.dtype == np.uint8 and overlay.shape == image.shape
    # jet: 1 is dark red, 0 is dark blue.
    assert overlay[0, 0, 0] > overlay[0, 0, 2] and overlay[-1, -1, 2] > overlay[-1, -1, 0]
    np.testing.assert_array_equal(it.overlay_heatmap(image, heatmap, alpha=0.0), image)
    with pytest.raises(ValueError, match="values must be in \\[0, 1\\]"):
        it.overlay_heatmap(image, heatmap * 3)
    with pytest.raises(ValueError, match="uint8 RGB"):
        it.overlay_heatmap(image.astype("float32"), heatmap)


def test_edge_correlation_recognises_an_edge_map():
    from scipy import ndimage

    image = np.zeros((20, 20, 3))
    image[5:15, 5:15] = 200.0  # a bright square: edges along its outline
    grey = image.mean(axis=-1)
    edges = np.hypot(ndimage.sobel(grey, axis=0), ndimage.sobel(grey, axis=1))
    fmap = np.stack([edges, -edges, np.zeros_like(edges), grey], axis=-1)
    r = it.edge_correlation(fmap, image)
    np.testing.assert_allclose(r[:3], [1.0, -1.0, 0.0], atol=1e-6)
    assert abs(r[3]) < 0.5  # brightness is not edges
    # A coarser feature map is compared with the edge map resized to its resolution.
    assert it.edge_correlation(fmap[::2, ::2], image).shape == (4,)
    with pytest.raises(ValueError, match="image must have shape"):
        it.edge_correlation(fmap, np.zeros((2, 2)))


# -- drawing ----------------------------------------------------------------------------------


def test_the_chapters_figures_draw_computed_arrays():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lecture_utils import plotting

    rng = np.random.default_rng(0)
    mosaics = [it.channel_mosaic(rng.random((6, 6, 8)), ncols=4), it.channel_mosaic(rng.random((3, 3, 4)))]
    fig = plotting.plot_channel_mosaics(mosaics, ["a", "b"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["a", "b"]
    image = (rng.random((32, 32, 3)) * 255).astype(np.uint8)
    heatmap = rng.random((4, 4)).astype("float32")
    fig = plotting.plot_grad_cam(image, heatmap, it.overlay_heatmap(image, heatmap), title="t")
    assert "4×4" in fig.axes[1].get_title()
    fig = plotting.plot_top_predictions([("n1", "African_elephant", 0.9), ("n2", "tusker", 0.05)])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["tusker", "African elephant"]
    plt.close("all")
    with pytest.raises(ValueError, match="one title per 2-D mosaic"):
        plotting.plot_channel_mosaics(mosaics, ["only one"])
    with pytest.raises(ValueError, match="at least one prediction"):
        plotting.plot_top_predictions([])


def test_pre_activation_rescues_a_filter_that_is_silent_at_the_start():
    """A ReLU filter that is negative on grey has zero gradient, unless we look before the ReLU."""
    inputs = keras.Input((10, 10, 3))
    conv = layers.Conv2D(1, 3, activation="relu", name="silent")
    model = keras.Model(inputs, conv(inputs))
    # Responds to red, and a bias that keeps it silent on anything near grey.
    conv.set_weights(
        [np.pad(np.ones((1, 1, 1, 1), "float32"), ((1, 1), (1, 1), (0, 2), (0, 0))), np.array([-1.0], "float32")]
    )
    stuck, history = it.filter_patterns(model, "silent", [0], steps=20, progress=False)
    assert np.all(history == 0)  # the gradient of a silent ReLU is zero: nothing moves
    rescued, history = it.filter_patterns(
        model, "silent", [0], steps=20, step_size=0.05, pre_activation=True, progress=False
    )
    assert history[0, 0] < 0 < history[-1, 0]
    assert rescued[0, ..., 0].mean() > 1.0  # the red channel grew until the filter fired
    assert keras.ops.convert_to_numpy(model(rescued)).mean() > 0
    assert model.get_layer("silent").activation is keras.activations.relu  # model untouched
    with pytest.raises(ValueError, match="no built-in activation function"):
        it.filter_patterns(_corner_model(), "colours", [0], steps=1, pre_activation=True, progress=False)


def test_channels_never_active_over_many_images_in_batches(small_convnet):
    act = it.activation_model(small_convnet, ["conv1", "conv2"])
    x = np.random.default_rng(5).random((7, 16, 16, 3)).astype("float32")
    expected = [it.empty_channels(o) for o in act.predict(x, verbose=0)]
    for batch_size in (1, 3, 7):
        result = it.channels_never_active(act, x, batch_size=batch_size)
        assert [r.tolist() for r in result] == [e.tolist() for e in expected]
    # A black image leaves every channel of a bias-free filter at zero.
    inputs = keras.Input((6, 6, 3))
    silent = it.activation_model(keras.Model(inputs, layers.Conv2D(2, 3, use_bias=False, name="c")(inputs)), ["c"])
    assert it.channels_never_active(silent, np.zeros((2, 6, 6, 3)))[0].tolist() == [0, 1]
    with pytest.raises(ValueError, match="non-empty batch"):
        it.channels_never_active(act, np.zeros((16, 16, 3)))


# -- sanity checks: cascading randomisation ---------------------------------------------------


def test_cascading_randomisation_changes_the_map_and_leaves_the_model_alone(small_convnet):
    image = np.random.default_rng(1).random((16, 16, 3)).astype("float32")
    before = [w.copy() for w in small_convnet.get_weights()]
    stages = {"logits": ["logits"], "conv2": ["conv2"], "conv1": ["conv1"]}
    cascade = it.cascading_randomisation(small_convnet, image, "conv2", stages, class_index=1, seed=0)
    assert cascade.stages == ["original", "logits", "conv2", "conv1"]
    assert cascade.heatmaps.shape == cascade.raw.shape == (4, 5, 5)
    assert cascade.rank_correlation[0] == 1.0
    assert np.all(cascade.rank_correlation[1:] < 0.99)  # the learned weights are gone
    assert list(cascade.weights_redrawn) == [
        0,
        6 * 25 * 2 + 2,
        6 * 25 * 2 + 2 + 4 * 9 * 6 + 6,
        small_convnet.count_params(),
    ]
    np.testing.assert_allclose(cascade.raw[0], it.grad_cam(small_convnet, image, "conv2", 1).raw)
    assert all(np.array_equal(a, b) for a, b in zip(before, small_convnet.get_weights()))
    again = it.cascading_randomisation(small_convnet, image, "conv2", stages, class_index=1, seed=0)
    np.testing.assert_array_equal(again.raw, cascade.raw)  # seeded: repeatable


def test_a_map_that_ignores_the_weights_fails_the_randomisation_test():
    """A fixed 1×1 colour copy has no weights to randomise above it but the scoring layer, and
    a score that only sums its input: its map depends on the image alone and stays the same."""
    inputs, features = _colour_model()
    pooled = layers.GlobalAveragePooling2D(name="pool")(features)
    scores = layers.Dense(2, name="scores", kernel_initializer="ones")(pooled)
    model = keras.Model(inputs, scores)
    model.get_layer("scores").set_weights([np.ones((3, 2), "float32"), np.zeros(2, "float32")])
    cascade = it.cascading_randomisation(model, _two_patch_image(), "colours", {"scores": ["scores"]}, class_index=0)
    assert cascade.rank_correlation[1] == pytest.approx(1.0)  # re-drawn "ones" are ones again


def test_reinitialise_layer_resets_batch_normalisation_and_depthwise_kernels():
    inputs = keras.Input((6, 6, 2))
    x = layers.DepthwiseConv2D(3, name="dw")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    model = keras.Model(inputs, x)
    bn = model.get_layer("bn")
    bn.set_weights([np.full(2, 3.0), np.full(2, 2.0), np.full(2, 5.0), np.full(2, 7.0)])
    dw = model.get_layer("dw")
    trained = np.full(dw.get_weights()[0].shape, 9.0, "float32")
    dw.set_weights([trained, np.ones(2, "float32")])
    assert it.reinitialise_layer(bn, seed=0) == 8
    np.testing.assert_array_equal(np.stack(bn.get_weights()), [[1, 1], [0, 0], [0, 0], [1, 1]])
    assert it.reinitialise_layer(dw, seed=0) == 3 * 3 * 2 + 2
    kernel, bias = dw.get_weights()
    assert np.all(np.abs(kernel) < 9) and np.array_equal(bias, [0, 0])


def test_cascading_randomisation_rejects_bad_stages(small_convnet):
    image = np.zeros((16, 16, 3), "float32")
    with pytest.raises(ValueError, match="at least one layer"):
        it.cascading_randomisation(small_convnet, image, "conv2", {"empty": []})
    with pytest.raises(ValueError, match="nope"):
        it.cascading_randomisation(small_convnet, image, "conv2", {"x": ["nope"]})


def test_plot_randomisation_cascade_draws_a_row_per_network():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lecture_utils import plotting

    rng = np.random.default_rng(0)
    fig = plotting.plot_randomisation_cascade(
        {
            "big": (["original", "a", "b"], rng.random((3, 7, 7)), [1.0, 0.3, -0.1]),
            "small": (["original", "a"], rng.random((2, 5, 5)), [1.0, 0.2]),
        }
    )
    assert len(fig.axes) == 2 * 3 + 1
    assert [len(line.get_ydata()) for line in fig.axes[-1].get_lines() if line.get_label() in ("big", "small")] == [
        3,
        2,
    ]
    plt.close("all")
    with pytest.raises(ValueError, match="one .* heatmap and one correlation per stage"):
        plotting.plot_randomisation_cascade({"bad": (["original"], rng.random((2, 5, 5)), [1.0])})


def test_channel_correlation_tells_a_green_channel_from_a_red_one():
    image = np.zeros((20, 20, 3), "float32")
    image[:, :10, 1] = 1.0  # green left half
    image[5:15, 12:18, 0] = 1.0  # a red patch on the right
    greenness = image[..., 1] - image[..., [0, 2]].mean(axis=-1)
    feature_map = np.stack([image[::2, ::2, 1], image[::2, ::2, 0], np.zeros((10, 10))], axis=-1)
    r = it.channel_correlation(feature_map, greenness)
    assert r[0] > 0.9 and r[1] < 0 and r[2] == 0
    with pytest.raises(ValueError, match="2-D map"):
        it.channel_correlation(feature_map, image)


def test_photo_maps_find_a_diagonal_edge_and_a_green_patch():
    image = np.zeros((12, 12, 3))
    rows, cols = np.indices((12, 12))
    image[rows > cols] = [0, 1, 0]  # green below the main diagonal
    maps = it.photo_maps(image)
    assert set(maps) == {"edges", "diagonal edges", "brightness", "greenness"}
    near_diagonal = np.abs(rows - cols) <= 1
    assert maps["diagonal edges"][near_diagonal].mean() > 5 * maps["diagonal edges"][~near_diagonal].mean()
    np.testing.assert_allclose(maps["greenness"], (rows > cols).astype(float))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        it.photo_maps(np.zeros((12, 12)))
