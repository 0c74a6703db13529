"""The photo pipeline: decoding, batching and rescaling, and the lecture's augmentation."""

import numpy as np
import pytest
from PIL import Image

from lecture_utils import images

RED, BLUE = (255, 0, 0), (0, 0, 255)


def write_image(path, colour, size=(40, 60), fmt="JPEG"):
    Image.new("RGB", (size[1], size[0]), colour).save(path, fmt, quality=95)
    return path


@pytest.fixture
def photos(tmp_path):
    return [
        write_image(tmp_path / "red.jpg", RED),
        write_image(tmp_path / "blue.jpg", BLUE, (90, 30)),
        write_image(tmp_path / "red.png", RED, (20, 20), "PNG"),
    ]


def test_decode_images_resizes_and_keeps_order_and_colour(photos):
    decoded = images.decode_images(photos, size=(16, 24), batch_size=2)
    assert decoded.shape == (3, 16, 24, 3) and decoded.dtype == np.uint8
    np.testing.assert_allclose(decoded[0].reshape(-1, 3).mean(0), RED, atol=3)
    np.testing.assert_allclose(decoded[1].reshape(-1, 3).mean(0), BLUE, atol=3)
    np.testing.assert_allclose(decoded[2].reshape(-1, 3).mean(0), RED, atol=1)


@pytest.mark.parametrize("size", [(16,), (0, 16), (16.5, 16)])
def test_decode_images_rejects_a_bad_size(photos, size):
    with pytest.raises(ValueError, match="size must be"):
        images.decode_images(photos, size=size)


def test_decode_images_rejects_an_empty_list():
    with pytest.raises(ValueError, match="empty list"):
        images.decode_images([])


def test_decode_images_names_a_missing_file(tmp_path, photos):
    with pytest.raises(ValueError, match="missing.jpg does not exist"):
        images.decode_images([*photos, tmp_path / "missing.jpg"])


def test_decode_images_names_an_unreadable_file(tmp_path, photos):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    with pytest.raises(ValueError, match="broken.jpg is not a readable image"):
        images.decode_images([*photos, broken])


def test_load_cats_vs_dogs_decodes_the_split_once(monkeypatch, tmp_path):
    from lecture_utils import data

    cats = [write_image(tmp_path / f"cat{i}.jpg", RED) for i in range(3)]
    dogs = [write_image(tmp_path / f"dog{i}.jpg", BLUE) for i in range(3)]
    split = {
        "train": (cats[:2] + dogs[:2], np.array([0, 0, 1, 1])),
        "validation": (cats[2:] + dogs[2:], np.array([0, 1])),
    }
    monkeypatch.setattr(data, "cats_vs_dogs_split", lambda: split)
    images._load_split.cache_clear()
    try:
        loaded = images.load_cats_vs_dogs(size=(8, 8))
        x, y = loaded["train"]
        assert x.shape == (4, 8, 8, 3) and x.dtype == np.uint8 and list(y) == [0, 0, 1, 1]
        assert loaded["validation"][0].shape == (2, 8, 8, 3)
        assert not x.flags.writeable
        assert images.load_cats_vs_dogs(size=(8, 8))["train"][0] is x
    finally:
        images._load_split.cache_clear()


def toy_images(n=10, size=6):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8), np.arange(n) % 2


def collect(dataset):
    xs, ys = zip(*[(np.asarray(x), np.asarray(y)) for x, y in dataset])
    return xs, ys


def test_make_dataset_rescales_batches_to_unit_floats():
    x, y = toy_images()
    xs, ys = collect(images.make_dataset(x, y, batch_size=4))
    assert [len(b) for b in xs] == [4, 4, 2]
    assert xs[0].dtype == np.float32 and ys[0].dtype == np.float32
    np.testing.assert_allclose(np.concatenate(xs), x / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.concatenate(ys), y)


def test_make_dataset_shuffles_every_epoch_reproducibly():
    x, y = toy_images(n=32)
    x[:, 0, 0, 0] = np.arange(32)  # tells the images apart

    def order(dataset):
        return np.concatenate([np.round(np.asarray(b)[:, 0, 0, 0] * 255) for b, _ in dataset]).astype(int)

    dataset = images.make_dataset(x, y, batch_size=8, shuffle=True, seed=3)
    first, second = order(dataset), order(dataset)
    assert sorted(first) == list(range(32))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(order(images.make_dataset(x, y, batch_size=8, shuffle=True, seed=3)), first)
    # the labels travel with their images
    for xb, yb in images.make_dataset(x, y, batch_size=8, shuffle=True, seed=3):
        index = np.round(np.asarray(xb)[:, 0, 0, 0] * 255).astype(int)
        np.testing.assert_array_equal(np.asarray(yb), y[index])


def test_make_dataset_applies_the_augmentation_in_training_mode():
    x, y = toy_images()
    seen = []

    def augment(batch, training):
        seen.append(training)
        return 1.0 - batch

    xs, _ = collect(images.make_dataset(x, y, batch_size=5, augment=augment))
    np.testing.assert_allclose(np.concatenate(xs), 1.0 - x / 255.0, rtol=1e-6)
    assert seen and all(seen)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda x: x.astype(np.float32), "must be uint8"),
        (lambda x: x[0], r"shape \(N, height, width, 3\)"),
        (lambda x: x[..., :1], r"shape \(N, height, width, 3\)"),
    ],
)
def test_make_dataset_rejects_bad_images(bad, message):
    x, y = toy_images()
    with pytest.raises(ValueError, match=message):
        images.make_dataset(bad(x), y)


def test_make_dataset_rejects_mismatched_labels_and_bad_batch_size():
    x, y = toy_images()
    with pytest.raises(ValueError, match="labels must have shape"):
        images.make_dataset(x, y[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        images.make_dataset(x, y, batch_size=0)


def test_augmentation_layers_match_the_lecture_generator():
    augment = images.augmentation_layers()
    config = {layer.name: layer.get_config() for layer in augment.layers}
    assert list(config) == ["rotation", "shift", "shear", "zoom", "flip"]
    assert config["rotation"]["factor"] == pytest.approx((-40 / 360, 40 / 360))
    assert config["shift"]["height_factor"] == config["shift"]["width_factor"] == 0.2
    assert config["shear"]["x_factor"] == pytest.approx((-0.2, 0.2)) and config["shear"]["y_factor"] == (0, 0)
    assert config["zoom"]["height_factor"] == config["zoom"]["width_factor"] == 0.2
    assert config["flip"]["mode"] == "horizontal"
    assert all(config[name]["fill_mode"] == "nearest" for name in ["rotation", "shift", "shear", "zoom"])
    assert {layer.dtype_policy.name for layer in augment.layers} == {"float32"}


def test_augmentation_transforms_each_image_differently_and_only_in_training():
    x, _ = toy_images(n=4, size=32)
    batch = np.repeat(x[:1], 4, axis=0).astype(np.float32) / 255.0
    augment = images.augmentation_layers(seed=1)
    out = np.asarray(augment(batch, training=True))
    assert out.shape == batch.shape and out.min() >= -1e-6 and out.max() <= 1 + 1e-6
    assert not np.allclose(out[0], out[1])
    np.testing.assert_allclose(np.asarray(augment(batch, training=False)), batch)


def test_a_flip_only_augmentation_mirrors_or_keeps_each_image():
    x, _ = toy_images(n=16, size=8)
    batch = x.astype(np.float32) / 255.0
    flip = images.augmentation_layers(rotation_degrees=0, shift=0, shear=0, zoom=0, seed=2)
    out = np.asarray(flip(batch, training=True))
    mirrored = [np.allclose(o, b[:, ::-1], atol=1e-6) for o, b in zip(out, batch)]
    kept = [np.allclose(o, b, atol=1e-6) for o, b in zip(out, batch)]
    assert all(m or k for m, k in zip(mirrored, kept)) and any(mirrored) and any(kept)


@pytest.mark.parametrize("kwargs", [{"shift": 1.0}, {"zoom": -0.1}, {"rotation_degrees": 200}])
def test_augmentation_layers_rejects_out_of_range_settings(kwargs):
    with pytest.raises(ValueError, match="must be"):
        images.augmentation_layers(**kwargs)


def test_augment_examples():
    x, _ = toy_images(n=1, size=24)
    out = images.augment_examples(x[0], images.augmentation_layers(), n=5)
    assert out.shape == (5, 24, 24, 3) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    with pytest.raises(ValueError, match="one RGB image"):
        images.augment_examples(x, images.augmentation_layers())
    with pytest.raises(ValueError, match="uint8"):
        images.augment_examples(x[0] / 255.0, images.augmentation_layers())


def test_array_batches_gathers_batches_in_order_or_shuffled_reproducibly():
    x = np.arange(10 * 3, dtype=np.float16).reshape(10, 3)
    y = np.arange(10, dtype=np.float32)
    batches = [(bx.numpy(), by.numpy()) for bx, by in images.array_batches(x, y, 4)]
    assert [len(by) for _, by in batches] == [4, 4, 2]
    assert batches[0][0].dtype == np.float16 and np.array_equal(np.concatenate([bx for bx, _ in batches]), x)

    def epoch_orders(seed):
        dataset = images.array_batches(x, y, 4, shuffle=True, seed=seed)
        return [np.concatenate([by.numpy() for _, by in dataset]).tolist() for _ in range(2)]

    first, second = epoch_orders(3)
    assert sorted(first) == y.tolist() and first != second  # reshuffled every epoch
    assert epoch_orders(3) == [first, second]  # and the same sequence from run to run
    with pytest.raises(ValueError, match="same length"):
        images.array_batches(x, y[:5], 4)


def test_the_pipelines_run_without_the_autotuner_whose_thread_stalls_each_iterator_end():
    x = np.zeros((6, 8, 8, 3), dtype=np.uint8)
    y = np.zeros(6)
    augment = images.augmentation_layers(seed=1)
    for dataset in (
        images.array_batches(x.astype(np.float16), y, 4),
        images.make_dataset(x, y, batch_size=4, shuffle=True),
        images.make_dataset(x, y, batch_size=4, augment=augment),
    ):
        assert dataset.options().autotune.enabled is False
        assert sum(len(bx) for bx, _ in dataset) == 6
