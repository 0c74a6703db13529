"""Trainings fail well, and no finished training is ever lost.

- A bad specification fails when the :class:`~lecture_utils.trainings.Training` is made, in
  one sentence, not when Keras first meets it (after the network was built, or the training ran).
- :class:`~lecture_utils.augmentation.RandomAffine` given images of the wrong rank says so in
  its own sentence, not inside Keras' seven lines.
- A cache that cannot keep a trained model is found before training starts; a save that fails
  after the training keeps the model elsewhere and says where.
- Temporary files left by a killed writer are removed once they are stale, and only then.
- :func:`~lecture_utils.cache.file_digest` refuses an unknown hash in one sentence.

Nothing here uses the network, the real data or the real cache.
"""

import dataclasses
import errno
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from test_fail_well import assert_fails_well, assert_one_sentence

from lecture_utils import cache, images, trainings
from lecture_utils.augmentation import RandomAffine

# A real training of the book, made small; it never gets as far as its data here.
TINY = dataclasses.replace(
    trainings.MNIST_CONVNET, name="tiny", epochs=1, batch_size=64, train_images=256, precision="float32"
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """An empty cache in tmp_path, no class folder, no store, no data mirror."""
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LECTURE_DATA_DIR", str(tmp_path / "mirror"))
    for name in ("LECTURE_MODELS_DIR", "LECTURE_MODELS_URL", "LECTURE_TRAIN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def training_started(monkeypatch):
    """The trainings that got as far as reading their data: none should, where this is used."""
    started = []

    def refuse(training):
        started.append(training.name)
        raise AssertionError(f"{training.name} started training")

    monkeypatch.setattr(trainings, "training_data", refuse)
    return started


# -- 1. a bad specification fails when the training is made ------------------------------------

AUGMENTATION = images.LECTURE_AUGMENTATION


def augmented(**settings):
    return {"augmentation": {**AUGMENTATION, **settings}}


SPECIFICATIONS = [
    # changes to a training of the book, the exception and what its sentence must say
    (TINY, {"learning_rate": "1e-3"}, ValueError, r"learning_rate must be a positive number, got '1e-3'\."),
    (TINY, {"learning_rate": -1e-3}, ValueError, r"learning_rate must be a positive number, got -0\.001\."),
    (TINY, {"learning_rate": 0.0}, ValueError, r"learning_rate must be a positive number, got 0\.0\."),
    (TINY, {"learning_rate": float("nan")}, ValueError, r"learning_rate must be a positive number, got nan\."),
    (TINY, {"learning_rate": True}, ValueError, r"learning_rate must be a positive number, got True\."),
    (TINY, {"optimizer": "Adamm"}, ValueError, r"optimizer must be one of .*'RMSprop'.*, got 'Adamm'\."),
    (TINY, {"optimizer": "rmsprop"}, ValueError, r"optimizer must be one of .*'Adam'.*, got 'rmsprop'\."),
    (TINY, {"loss": "binary_crossentropi"}, ValueError, r"loss must be the name of a Keras loss, .*got 'binary_"),
    (TINY, {"loss": None}, ValueError, r"loss must be the name of a Keras loss, such as .*, got None\."),
    (trainings.AUGMENTED, augmented(rotation_range=-10), ValueError, r"rotation_range must be a number in \[0, 180\]"),
    (trainings.AUGMENTED, augmented(zoom_range=1.0), ValueError, r"zoom_range must be a number in \[0, 1\), got 1\.0"),
    (trainings.AUGMENTED, augmented(zoom_range=-0.2), ValueError, r"zoom_range must be a number in \[0, 1\)"),
    (trainings.AUGMENTED, augmented(width_shift_range=1.5), ValueError, r"width_shift_range must be a number in"),
    (trainings.AUGMENTED, augmented(height_shift_range=-0.1), ValueError, r"height_shift_range must be a number"),
    (trainings.AUGMENTED, augmented(fill_mode="mirror"), ValueError, r"fill_mode must be one of 'nearest', .*'mirror'"),
    (trainings.AUGMENTED, augmented(horizontal_flip="yes"), ValueError, r"horizontal_flip must be True or False"),
    (
        trainings.AUGMENTED,
        augmented(vertical_flip=True),
        ValueError,
        r"RandomAffine does not implement the generator setting\(s\) vertical_flip; it knows rotation_range",
    ),
    (
        trainings.AUGMENTED,
        {"augmentation": [("rotation_range", 40)]},
        ValueError,
        r"augmentation must be a dict like LECTURE_AUGMENTATION, got list\.",
    ),
    # Beyond the optimizer, the loss and the augmentation: what else Keras or NumPy met first.
    (trainings.AUGMENTED, {"dropout": 1.5}, ValueError, r"dropout must be a number in \[0, 1\), got 1\.5\."),
    (TINY, {"seed": 1.5}, ValueError, r"seed must be an integer from 0 to 4294967295, got 1\.5\."),
    (
        trainings.FINE_TUNING,
        {"start_from": "cats_vs_dogs_frozen_base"},
        TypeError,
        r"start_from must be a Training, such as trainings\.FROZEN_BASE, got str\.",
    ),
]


@pytest.mark.parametrize(
    "base, changes, error, match",
    SPECIFICATIONS,
    ids=[f"{base.name}: {', '.join(f'{k}={v!r}' for k, v in changes.items())}" for base, changes, *_ in SPECIFICATIONS],
)
def test_a_bad_specification_fails_when_the_training_is_made(base, changes, error, match):
    with pytest.raises(error, match=match) as info:
        dataclasses.replace(base, **changes)
    assert_fails_well(info)


# -- 2. RandomAffine on images of the wrong rank ---------------------------------------------


@pytest.mark.parametrize(
    "images, shape",
    [
        (np.zeros((8, 8), np.float32), "(8, 8)"),
        (np.zeros((2, 1, 8, 8, 3), np.float32), "(2, 1, 8, 8, 3)"),
        (keras.Input((8,)), "(None, 8)"),
    ],
    ids=["a grayscale image without channels", "a batch of batches", "a Keras input of vectors"],
)
def test_images_of_the_wrong_rank_get_one_sentence_not_keras_seven_lines(images, shape):
    with pytest.raises(ValueError, match=r"RandomAffine takes images of shape \(batch, height, width, ch") as info:
        RandomAffine(seed=0)(images, training=True)
    assert_fails_well(info)
    assert f"got shape {shape}." in str(info.value) and "Exception encountered" not in str(info.value)


# -- 3. a cache that cannot keep the model is found before training ------------------------------


def file_as_cache(tmp, monkeypatch):
    (tmp / "cache").write_text("not a folder")
    return tmp / "cache", NotADirectoryError, "is a file: set LECTURE_CACHE_DIR to a folder"


def cache_under_a_file(tmp, monkeypatch):
    (tmp / "notes.txt").write_text("not a folder")
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp / "notes.txt" / "cache"))
    return tmp / "notes.txt", NotADirectoryError, "is a file: set LECTURE_CACHE_DIR to a folder"


def cache_that_cannot_be_created(tmp, monkeypatch):
    # Tests run as root, where permissions do not stop a mkdir: the refusal is simulated.
    real_mkdir = os.mkdir

    def refused(path, *args, **kwargs):
        if Path(path).is_relative_to(tmp / "cache"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refused)
    return tmp / "cache", PermissionError, "cannot be created (Permission denied): set LECTURE_CACHE_DIR"


def read_only_cache(tmp, monkeypatch):
    (tmp / "cache" / "models").mkdir(parents=True)
    real_access = os.access

    def read_only(path, mode, *args, **kwargs):
        if Path(path).is_relative_to(tmp / "cache") and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", read_only)
    return tmp / "cache" / "models", PermissionError, "cannot be written to by this process: set LECTURE_CACHE_DIR"


@pytest.mark.parametrize(
    "make_cache", [file_as_cache, cache_under_a_file, cache_that_cannot_be_created, read_only_cache]
)
def test_a_cache_that_cannot_keep_the_model_is_said_before_training(
    tmp_path, monkeypatch, training_started, make_cache
):
    named, error, says = make_cache(tmp_path, monkeypatch)
    with pytest.raises(error) as info:
        trainings.train_or_load(TINY)
    assert_fails_well(info)
    assert str(named) in str(info.value) and says in str(info.value)
    assert training_started == []


def test_an_unusable_cache_folder_is_named_in_one_sentence(tmp_path, monkeypatch):
    file_as_cache(tmp_path, monkeypatch)
    with pytest.raises(NotADirectoryError, match=r"The cache folder .* is a file: set LECTURE_CACHE_DIR") as info:
        cache.cache_folder("features")
    assert_fails_well(info)


def one_warning(record, match: str) -> str:
    messages = [str(w.message) for w in record if match in str(w.message)]
    assert len(messages) == 1, [str(w.message) for w in record]
    assert_one_sentence(messages[0])
    return messages[0]


@pytest.fixture
def no_cache_write(monkeypatch):
    """A cache whose writes fail after the training, as a full disk's do."""

    def disk_full(path, write):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(trainings, "atomic_write", disk_full)


def test_a_training_whose_save_fails_is_kept_elsewhere(tiny_photos, tmp_path, monkeypatch, no_cache_write):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    training = dataclasses.replace(
        trainings.FROM_SCRATCH, epochs=1, batch_size=4, validation_batch_size=4, precision="float32"
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run = trainings.train_or_load(training)
    message = one_warning(record, "could not be stored")
    kept = run.path.parent
    assert f"({os.strerror(errno.ENOSPC)}), so it was saved in {kept} instead" in message
    assert kept.parent == tmp_path / "tmp" and "LECTURE_CACHE_DIR" in message
    assert run.origin == "trained" and run.history["val_accuracy"]
    # Both files of the entry are there, as the cache would hold them: moving them in is enough.
    record = json.loads((kept / run.path.name.replace(".keras", ".history.json")).read_text())
    assert record["history"] == run.history and record["meta"]["settings"] == training.settings()
    x = np.random.default_rng(0).random((2, 48, 48, 3)).astype("float32")
    np.testing.assert_allclose(
        keras.models.load_model(run.path).predict(x, verbose=0), run.model.predict(x, verbose=0), rtol=1e-5
    )


def test_a_training_that_nothing_can_save_is_still_returned(tiny_photos, monkeypatch, no_cache_write):
    def no_temporary_folder(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkdtemp", no_temporary_folder)
    training = dataclasses.replace(
        trainings.FROM_SCRATCH, epochs=1, batch_size=4, validation_batch_size=4, precision="float32"
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run = trainings.train_or_load(training)
    message = one_warning(record, "could not be stored")
    assert "nor in a temporary folder, so it is kept only in memory" in message and "LECTURE_CACHE_DIR" in message
    assert run.origin == "trained" and run.history["val_accuracy"] and run.model is not None


# -- 4. stale temporary files -----------------------------------------------------------------


def test_stale_partial_files_are_removed_and_live_ones_kept(tmp_path):
    folder = tmp_path / "cache" / "models"
    folder.mkdir(parents=True)
    stale = folder / ".partial-abc123-killed.keras"
    live = folder / ".partial-def456-writing.keras"
    for path in (stale, live):
        path.write_bytes(b"half a model")
    long_ago = time.time() - cache.STALE_AFTER - 3600
    os.utime(stale, (long_ago, long_ago))
    cache.atomic_write(folder / "notes.json", lambda tmp: tmp.write_text("{}"))
    assert sorted(p.name for p in folder.iterdir()) == sorted([live.name, "notes.json"])


# -- 5. file_digest -----------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sha265", "shake_128", 256])
def test_an_unknown_hash_is_refused_in_one_sentence(tmp_path, algorithm):
    path = tmp_path / "file.bin"
    path.write_bytes(b"some bytes")
    with pytest.raises(
        ValueError, match=rf"algorithm must be a hash that hashlib knows, .*got {algorithm!r}\."
    ) as info:
        cache.file_digest(path, algorithm)
    assert_fails_well(info)
    assert cache.file_digest(path, "sha256") == cache.file_digest(path)


@pytest.mark.parametrize(
    "settings, match",
    [
        ({"rotation_range": 40, "width_shift_range": 0.2}, "height_shift_range equal to width_shift_range"),
        ({**images.LECTURE_AUGMENTATION, "brightness_range": 0.2}, "brightness_range"),
        ({**images.LECTURE_AUGMENTATION, "zoom_range": 1.5}, "zoom_range"),
    ],
)
def test_the_five_layers_check_generator_settings_as_random_affine_does(settings, match):
    with pytest.raises(ValueError, match=match) as info:
        images.augmentation_from_settings(settings, seed=0)
    assert_fails_well(info)
