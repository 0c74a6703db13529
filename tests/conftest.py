"""Fixtures shared by the unit tests."""

import keras
import numpy as np
import pytest
from PIL import Image

from lecture_utils import data, images, pretrained, trainings, transfer


@pytest.fixture
def tiny_cats_vs_dogs(tmp_path, monkeypatch):
    """Twelve random 40×50 JPEGs as the cats-vs-dogs split (8 training, 4 validation, labels
    alternating), with an empty cache, so that a real training runs in seconds."""
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    paths = []
    for i in range(12):
        paths.append(tmp_path / f"{i}.jpg")
        Image.fromarray(rng.integers(0, 256, size=(40, 50, 3), dtype=np.uint8)).save(paths[-1])
    labels = np.arange(12) % 2
    split = {"train": (paths[:8], labels[:8]), "validation": (paths[8:], labels[8:])}
    monkeypatch.setattr(data, "cats_vs_dogs_split", lambda: split)
    images._load_split.cache_clear()  # decoded photos of the real split must not leak in
    yield split
    images._load_split.cache_clear()


def tiny_base(input_shape=(48, 48, 3), include_top=False, **kwargs):
    """Conv → BN → Conv (stride 2), named like EfficientNet-Lite0's blocks."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(4, 3, padding="same", name="block1a_conv")(inputs)
    x = keras.layers.BatchNormalization(name="block1a_bn")(x)
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="block2a_conv")(x)
    return keras.Model(inputs, x, name="tiny_base")


@pytest.fixture
def tiny_photos(tiny_cats_vs_dogs, monkeypatch):
    """Twelve synthetic photos at 48×48 and a tiny base standing in for EfficientNet-Lite0."""
    monkeypatch.setattr(pretrained, "efficientnet_lite0", tiny_base)
    for module in (transfer, trainings):
        monkeypatch.setattr(module, "IMAGE_SIZE", (48, 48))
    return tiny_cats_vs_dogs


@pytest.fixture
def no_model_store(tmp_path, monkeypatch):
    """An empty cache, no class folder, store or LECTURE_TRAIN, and the store's memory of this
    process forgotten."""
    from lecture_utils import model_store

    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("LECTURE_MODELS_DIR", "LECTURE_MODELS_URL", "LECTURE_TRAIN"):
        monkeypatch.delenv(name, raising=False)
    model_store._manifest.cache_clear()
    model_store._UNREADABLE.clear()
    model_store._EMPTY_CLASS_FOLDERS.clear()
