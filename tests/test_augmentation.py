"""RandomAffine: the lecture's augmentation as one affine map per image, resampled once.

Known values against NumPy and SciPy, each of its transformations against the Keras layer it
replaces, the distribution of its random maps against the five layers' (measured, for both,
from what they do to an image of pixel coordinates), determinism, serialisation, bad input.
"""

import keras
import numpy as np
import pytest
from scipy import ndimage, stats

from lecture_utils import images
from lecture_utils.augmentation import GENERATOR_SETTINGS, RandomAffine, affine_from_settings

IDENTITY = dict(rotation_degrees=0, width_shift=0, height_shift=0, shear=0, zoom=0, horizontal_flip=False)


def random_image(height=12, width=16, seed=0):
    return np.random.default_rng(seed).random((height, width, 3)).astype(np.float32)


def apply(parameters, image, **layer_kwargs):
    """``image`` (H, W, C) resampled by RandomAffine for one set of ``parameters`` (scalars)."""
    layer = RandomAffine(**layer_kwargs)
    batch = image[None]
    matrices = layer.matrices({k: [v] for k, v in parameters.items()}, *image.shape[:2])
    return np.asarray(layer.transform(batch, matrices))[0]


# -- known values -------------------------------------------------------------------------------


def test_zero_ranges_give_the_input_back():
    x = np.stack([random_image(seed=s) for s in range(4)])
    out = RandomAffine(**IDENTITY, seed=0)(x, training=True)
    np.testing.assert_allclose(np.asarray(out), x, atol=1e-6)


def test_a_90_degree_rotation_is_numpys_rot90():
    x = random_image(9, 9)
    # Positive angles turn the picture counter-clockwise on screen, as RandomRotation does.
    np.testing.assert_allclose(apply({"angle": 90.0}, x), np.rot90(x, k=1, axes=(0, 1)), atol=1e-5)
    np.testing.assert_allclose(apply({"angle": -90.0}, x), np.rot90(x, k=-1, axes=(0, 1)), atol=1e-5)


def test_a_shift_moves_the_picture_and_repeats_the_edge():
    x = random_image(10, 10)
    out = apply({"shift_x": 0.3, "shift_y": -0.2}, x)  # 3 pixels right, 2 up
    expected = np.empty_like(x)
    rows = np.clip(np.arange(10) + 2, 0, 9)
    columns = np.clip(np.arange(10) - 3, 0, 9)
    expected[:] = x[rows][:, columns]
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_a_flip_mirrors_left_right():
    x = random_image()
    np.testing.assert_allclose(apply({"flip": 1.0}, x), x[:, ::-1], atol=1e-6)


@pytest.mark.parametrize(
    "parameters",
    [
        {"angle": 33.0, "shift_x": 0.1, "shift_y": -0.15, "shear": 0.2, "zoom_x": 0.85, "zoom_y": 1.1},
        {"angle": -20.0, "shift_x": -0.2, "shift_y": 0.05, "shear": -0.1, "zoom_x": 1.2, "zoom_y": 0.9, "flip": 1.0},
    ],
)
def test_a_composed_map_resamples_like_scipy(parameters):
    x = random_image(12, 16)  # not square, so that swapped axes would show
    matrix = np.asarray(RandomAffine.matrices({k: [v] for k, v in parameters.items()}, 12, 16))[0]
    # SciPy indexes (row, column) = (y, x): swap the axes of the (x, y) map.
    swap = np.array([[0, 1], [1, 0]])
    expected = np.stack(
        [
            ndimage.affine_transform(
                x[..., c], swap @ matrix[:2, :2] @ swap, offset=swap @ matrix[:2, 2], order=1, mode="nearest"
            )
            for c in range(3)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(apply(parameters, x), expected, atol=1e-5)


# -- each transformation is the Keras layer's -------------------------------------------------------


@pytest.mark.parametrize(
    "keras_layer, parameters",
    [
        (lambda: keras.layers.RandomRotation((0.1, 0.1), fill_mode="nearest"), {"angle": 36.0}),
        (
            lambda: keras.layers.RandomTranslation((-0.15, -0.15), (0.1, 0.1), fill_mode="nearest"),
            {"shift_x": 0.1, "shift_y": -0.15},
        ),
        (
            lambda: keras.layers.RandomZoom((0.1, 0.1), (-0.05, -0.05), fill_mode="nearest"),
            {"zoom_x": 0.95, "zoom_y": 1.1},
        ),
    ],
    ids=["rotation", "shift", "zoom"],
)
def test_each_transformation_is_the_keras_layers(keras_layer, parameters):
    # Ranges of one value make the Keras layer deterministic; the whole image, fill included,
    # must match, since both resample once with the same op.
    x = random_image(20, 24)
    expected = np.asarray(keras_layer()(x[None], training=True))[0]
    np.testing.assert_allclose(apply(parameters, x), expected, atol=1e-5)


def test_the_shear_is_keras_random_shears_either_way():
    x = random_image(20, 24)
    batch = np.repeat(x[None], 8, axis=0)
    # RandomShear flips the sign of its factor at random, so each image is one of the two.
    sheared = np.asarray(
        keras.layers.RandomShear(x_factor=(0.1, 0.1), fill_mode="nearest", seed=3)(batch, training=True)
    )
    mine = {sign: apply({"shear": sign * 0.1}, x) for sign in (1, -1)}
    signs = [next(s for s, m in mine.items() if np.allclose(image, m, atol=1e-5)) for image in sheared]
    assert set(signs) == {1, -1}


def test_inference_passes_the_images_through_as_float32():
    x = (random_image() * 255).astype(np.uint8)[None]
    out = RandomAffine(seed=0)(x, training=False)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_array_equal(np.asarray(out), x.astype(np.float32))


def test_stays_float32_under_a_mixed_precision_policy():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = RandomAffine(seed=0)
        out = layer(random_image()[None], training=True)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


def test_a_single_image_gets_a_single_image_back():
    x = random_image()
    out = np.asarray(RandomAffine(seed=0)(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)


# -- the distribution of its maps is the five layers' ---------------------------------------------

SIZE = 150  # the lecture's photos: shifts are in pixels and rotations about the centre
N_MAPS = 1000
# The maps are measured on the central (2 R + 1)² pixels.  For the five layers those must
# never have been filled at an intermediate step: traced back through the worst-case zoom
# (1.2), shear (0.2 of up to 87 rows) and shift (30 pixels), they stay within 73 pixels of
# the centre, inside the 74.5 the rotation keeps in the picture.
R = 8


def measured_maps(augment, n=N_MAPS, batch=100):
    """The affine maps (output pixel → input point) that ``augment`` applied to n images.

    Each image's pixels hold their own (x, y) coordinates; bilinear resampling reproduces a
    linear function exactly, so the augmented image holds the map's value at every pixel that
    was not filled, and a least-squares fit over the central pixels recovers the map.

    Returns
    -------
    ndarray, shape (n, 3, 3)
    """
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    coordinates = np.stack([xs, ys, np.zeros_like(xs)], axis=-1)
    c = (SIZE - 1) // 2
    py, px = np.mgrid[c - R : c + R + 1, c - R : c + R + 1]
    design = np.stack([px.ravel(), py.ravel(), np.ones(px.size)], axis=1)
    maps = []
    for _ in range(n // batch):
        out = np.asarray(augment(np.repeat(coordinates[None], batch, axis=0), training=True))
        points = out[:, c - R : c + R + 1, c - R : c + R + 1, :2].reshape(batch, -1, 2).astype(np.float64)
        fitted = np.einsum("kp,bpj->bjk", np.linalg.pinv(design), points)  # (batch, 2, 3)
        residual = np.abs(np.einsum("pk,bjk->bpj", design, fitted) - points).max()
        assert residual < 1e-2, f"the central pixels are not one affine map (off by {residual:.3g} px)"
        maps.append(np.concatenate([fitted, np.broadcast_to([0.0, 0.0, 1.0], (batch, 1, 3))], axis=1))
    return np.concatenate(maps)


def keras_parameters(maps, size=SIZE):
    """Invert the five layers' model, M = rotation @ shift @ shear @ zoom @ flip, written out
    here from the Keras layers' own formulas (not from RandomAffine).

    Returns
    -------
    dict of ndarray, shape (n,)
        angle (degrees), shift_x, shift_y (fractions of the size), shear, zoom_x, zoom_y, flip
        (bool), and ``linear_error``: how far the recovered shift's linear part is from the
        identity (zero if the maps have the model's form).
    """
    c = (size - 1) / 2
    out = {k: [] for k in ("angle", "shift_x", "shift_y", "shear", "zoom_x", "zoom_y", "flip", "linear_error")}
    for m in maps:
        flip = np.linalg.det(m[:2, :2]) < 0
        f = np.array([[-1, 0, size - 1], [0, 1, 0], [0, 0, 1.0]]) if flip else np.eye(3)
        # Rotation @ (shear @ zoom) is the QR decomposition of the unflipped linear part.
        q, r = np.linalg.qr((m @ f)[:2, :2])
        d = np.diag(np.sign(np.diag(r)))
        q, r = q @ d, d @ r
        angle = np.arctan2(q[1, 0], q[0, 0])
        zoom_x, zoom_y, shear = r[0, 0], r[1, 1], r[0, 1] / r[1, 1]
        cos, sin = np.cos(angle), np.sin(angle)
        rotation = np.array([[cos, -sin, c - c * cos + c * sin], [sin, cos, c - c * sin - c * cos], [0, 0, 1]])
        shear_m = np.array([[1, shear, 0], [0, 1, 0], [0, 0, 1.0]])
        zoom_m = np.array([[zoom_x, 0, c * (1 - zoom_x)], [0, zoom_y, c * (1 - zoom_y)], [0, 0, 1]])
        shift = np.linalg.inv(rotation) @ m @ np.linalg.inv(shear_m @ zoom_m @ f)
        for key, value in (
            ("angle", np.degrees(angle)),
            ("shift_x", -shift[0, 2] / size),
            ("shift_y", -shift[1, 2] / size),
            ("shear", shear),
            ("zoom_x", zoom_x),
            ("zoom_y", zoom_y),
            ("flip", flip),
            ("linear_error", np.abs(shift[:2, :2] - np.eye(2)).max()),
        ):
            out[key].append(value)
    return {k: np.array(v) for k, v in out.items()}


def test_the_composition_is_the_five_layers_in_their_order():
    # The five layers with ranges of one value (the shear's sign and the flip stay random):
    # each measured map must be RandomAffine's for one of the four sign/flip combinations.
    layers = keras.layers
    pinned = layers.Pipeline(
        [
            layers.RandomRotation((0.08, 0.08), fill_mode="nearest"),
            layers.RandomTranslation((0.12, 0.12), (-0.18, -0.18), fill_mode="nearest"),
            layers.RandomShear(x_factor=(0.2, 0.2), fill_mode="nearest", seed=1),
            layers.RandomZoom((0.15, 0.15), (-0.1, -0.1), fill_mode="nearest"),
            layers.RandomFlip("horizontal", seed=2),
        ]
    )
    maps = measured_maps(pinned, n=16, batch=16)
    candidates = {
        (sign, flip): np.asarray(
            RandomAffine.matrices(
                {
                    "angle": [28.8],
                    "shift_x": [-0.18],
                    "shift_y": [0.12],
                    "shear": [sign * 0.2],
                    "zoom_x": [0.9],
                    "zoom_y": [1.15],
                    "flip": [flip],
                },
                SIZE,
                SIZE,
            )
        )[0]
        for sign in (1, -1)
        for flip in (0.0, 1.0)
    }
    found = [next((k for k, m in candidates.items() if np.allclose(measured, m, atol=1e-3)), None) for measured in maps]
    assert None not in found
    assert len(set(found)) == 4  # every combination was met, so every one was checked


#: Each parameter's intended distribution: uniform on (low, high), as LECTURE_AUGMENTATION asks.
UNIFORM = {
    "angle": (-40, 40),
    "shift_x": (-0.2, 0.2),
    "shift_y": (-0.2, 0.2),
    "shear": (-0.2, 0.2),
    "zoom_x": (0.8, 1.2),
    "zoom_y": (0.8, 1.2),
}
#: Kolmogorov–Smirnov distances a sample of 1000 exceeds with probability 0.001 when drawn
#: from the same distribution (one sample against the uniform; two samples against each
#: other). Rotations of ±30° instead of ±40° are 0.125 away; zooms of 0.15 instead of 0.2, 0.0625.
KS_ONE, KS_TWO = 1.95 / np.sqrt(N_MAPS), 1.95 * np.sqrt(2 / N_MAPS)


@pytest.fixture(scope="module")
def five_and_one():
    settings = images.LECTURE_AUGMENTATION
    five = keras_parameters(measured_maps(images.augmentation_from_settings(settings, seed=0)))
    one = keras_parameters(measured_maps(RandomAffine.from_settings(settings, seed=0)))
    return five, one


def test_both_make_maps_of_the_five_layers_form(five_and_one):
    for params in five_and_one:
        assert params["linear_error"].max() < 1e-3


@pytest.mark.parametrize("name", list(UNIFORM))
def test_each_parameter_is_drawn_as_by_the_five_layers(five_and_one, name):
    five, one = (p[name] for p in five_and_one)
    low, high = UNIFORM[name]
    for sample in (five, one):
        assert stats.kstest(sample, stats.uniform(low, high - low).cdf).statistic < KS_ONE
    assert stats.ks_2samp(five, one).statistic < KS_TWO


def test_half_the_images_are_flipped_by_both(five_and_one):
    # A binomial rate from 1000 draws is within 0.05 of the truth but for 0.2 % of samples.
    rates = [p["flip"].mean() for p in five_and_one]
    assert all(abs(rate - 0.5) < 0.05 for rate in rates), rates


def test_the_parameters_are_drawn_independently(five_and_one):
    # Height and width zooms independent (as RandomZoom with two factors), and so on: the
    # correlations of 1000 independent draws stay within ±0.11 (3.5 standard deviations).
    for params in five_and_one:
        drawn = np.array([params[name] for name in UNIFORM] + [params["flip"].astype(float)])
        correlations = np.corrcoef(drawn)[np.triu_indices(len(drawn), k=1)]
        assert np.abs(correlations).max() < 0.11


@pytest.mark.parametrize("wrong", [dict(rotation_degrees=30), dict(zoom=0.15)])
def test_the_comparison_notices_a_wrong_range(five_and_one, wrong):
    # The comparison has the power to see a plausible slip: the matrices of a layer with one
    # range wrong, recovered the same way, fail the two-sample test.
    layer = RandomAffine(seed=1, **wrong)
    maps = np.asarray(layer.matrices(layer.random_parameters(N_MAPS), SIZE, SIZE), dtype=np.float64)
    params = keras_parameters(maps)
    name = "angle" if "rotation_degrees" in wrong else "zoom_x"
    assert stats.ks_2samp(five_and_one[0][name], params[name]).statistic > KS_TWO


# -- determinism ----------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_sequence_of_transformations():
    x = np.repeat(random_image()[None], 4, axis=0)
    a, b, other = RandomAffine(seed=5), RandomAffine(seed=5), RandomAffine(seed=6)
    outs_a = [np.asarray(a(x, training=True)) for _ in range(3)]
    outs_b = [np.asarray(b(x, training=True)) for _ in range(3)]
    for out_a, out_b in zip(outs_a, outs_b):
        np.testing.assert_array_equal(out_a, out_b)
    assert not np.allclose(outs_a[0], outs_a[1])  # the seed state moves on with each call
    assert not np.allclose(outs_a[0][0], outs_a[0][1])  # each image its own map
    assert not np.allclose(np.asarray(other(x, training=True)), outs_a[0])


def test_a_tf_data_pipeline_is_reproducible_epoch_after_epoch():
    x = np.repeat((random_image(20, 20) * 255).astype(np.uint8)[None], 6, axis=0)
    y = np.zeros(6)

    def two_epochs(seed):
        dataset = images.make_dataset(x, y, batch_size=3, augment=RandomAffine(seed=seed))
        return [np.asarray(batch) for _ in range(2) for batch, _ in dataset]

    first, again = two_epochs(3), two_epochs(3)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    # Four batches of the same image, all augmented differently: the pipeline advances the seed.
    flat = np.concatenate(first).reshape(12, -1)
    assert len(np.unique(flat.round(4), axis=0)) == 12


# -- serialisation and the settings constructor ---------------------------------------------------


def test_the_config_round_trips_and_a_saved_model_loads(tmp_path):
    layer = RandomAffine(
        rotation_degrees=10,
        width_shift=0.1,
        height_shift=0.05,
        shear=0.1,
        zoom=0.3,
        horizontal_flip=False,
        fill_mode="reflect",
        seed=4,
    )
    copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(copy, RandomAffine) and copy.get_config() == layer.get_config()
    x = random_image(10, 10)[None]
    np.testing.assert_array_equal(np.asarray(copy(x)), np.asarray(layer(x)))  # same seed, fresh

    model = keras.Sequential([keras.Input((10, 10, 3)), RandomAffine(seed=1), keras.layers.Flatten()])
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.layers[0], RandomAffine)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), x.reshape(1, -1))  # no augmentation


def test_from_settings_reads_the_generators_settings():
    layer = RandomAffine.from_settings(images.LECTURE_AUGMENTATION, seed=2)
    config = layer.get_config()
    assert {
        k: config[k]
        for k in (
            "rotation_degrees",
            "width_shift",
            "height_shift",
            "shear",
            "zoom",
            "horizontal_flip",
            "fill_mode",
            "seed",
        )
    } == {
        "rotation_degrees": 40,
        "width_shift": 0.2,
        "height_shift": 0.2,
        "shear": 0.2,
        "zoom": 0.2,
        "horizontal_flip": True,
        "fill_mode": "nearest",
        "seed": 2,
    }
    # A missing key is the generator's default: no such transformation.
    only_flip = RandomAffine.from_settings({"horizontal_flip": True}).get_config()
    assert only_flip["rotation_degrees"] == only_flip["zoom"] == 0 and only_flip["horizontal_flip"]
    assert set(GENERATOR_SETTINGS) == set(images.LECTURE_AUGMENTATION)
    assert affine_from_settings(None, seed=0) is None
    assert isinstance(affine_from_settings(images.LECTURE_AUGMENTATION, seed=0), RandomAffine)


# -- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rotation_degrees=200), r"rotation_degrees must be a number in \[0, 180\] degrees, got 200"),
        (dict(rotation_degrees="40"), r"rotation_degrees must be a number in \[0, 180\] degrees, got '40'"),
        (dict(width_shift=1.0), r"width_shift must be a number in \[0, 1\), got 1.0"),
        (dict(height_shift=-0.1), r"height_shift must be a number in \[0, 1\), got -0.1"),
        (dict(shear=float("nan")), r"shear must be a number in \[0, 1\), got nan"),
        (dict(zoom=True), r"zoom must be a number in \[0, 1\), got True"),
        (dict(horizontal_flip="yes"), r"horizontal_flip must be True or False, got 'yes'"),
        (dict(fill_mode="mirror"), r"fill_mode must be one of 'nearest', 'reflect', 'wrap', 'constant', got 'mirror'"),
        (dict(interpolation="bicubic"), r"interpolation must be 'bilinear' or 'nearest', got 'bicubic'"),
        (dict(seed=1.5), r"seed must be an integer or None, got 1.5"),
    ],
)
def test_bad_settings_are_named_in_one_sentence(kwargs, message):
    with pytest.raises(ValueError, match=message) as raised:
        RandomAffine(**kwargs)
    assert str(raised.value).count(". ") == 0 and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "settings, message",
    [
        ([("rotation_range", 40)], r"settings must be a dict like LECTURE_AUGMENTATION, got list"),
        (
            {**images.LECTURE_AUGMENTATION, "vertical_flip": True},
            r"RandomAffine does not implement the generator setting\(s\) vertical_flip; it knows rotation_range",
        ),
        ({"zoom_range": [0.8, 1.2]}, r"zoom_range must be a number in \[0, 1\), got \[0.8, 1.2\]"),
    ],
)
def test_bad_generator_settings_are_named_in_one_sentence(settings, message):
    with pytest.raises(ValueError, match=message):
        RandomAffine.from_settings(settings)


def test_images_of_the_wrong_rank_are_refused():
    with pytest.raises(ValueError, match=r"RandomAffine takes images of shape \(batch, height, width, channels\)"):
        RandomAffine(seed=0)(np.zeros((10, 10), np.float32), training=True)
