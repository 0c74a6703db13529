"""Fixtures shared by the unit tests."""

import numpy as np
import pytest
from PIL import Image

from lecture_utils import data, images


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
