"""Trained models from a class folder, the cache or a published store, and faults that lose nothing.

The store is served by a local HTTP server on 127.0.0.1, never the network.  The training is a
real one of the book, made tiny (256 MNIST digits, one epoch).
"""

import dataclasses
import errno
import functools
import http.server
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import keras
import pytest
from real_data import needs_mnist_mirror

from lecture_utils import model_store, trainings

TINY = dataclasses.replace(
    trainings.MNIST_CONVNET, name="tiny", epochs=1, batch_size=64, train_images=256, precision="float32"
)


pytestmark = needs_mnist_mirror


@pytest.fixture(autouse=True)
def empty_environment(no_model_store):
    """An empty cache, and no class folder, store or training override (tests/conftest.py)."""


@pytest.fixture
def trained_folder(tmp_path, monkeypatch):
    """A models folder holding the tiny training, trained in a cache of its own."""
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "warm"))
    trainings.train_or_load(TINY)
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "warm" / "models"


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was trained")

    monkeypatch.setattr(keras.Model, "fit", refuse)


def serve(folder, handler_class=None):
    """Serve ``folder`` on 127.0.0.1; returns (url, stop)."""
    handler = functools.partial(handler_class or QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}", server.shutdown


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class CutShortHandler(QuietHandler):
    """Announces the whole model file, sends half of it, and hangs up."""

    def do_GET(self):
        if not self.path.endswith(".keras"):
            return super().do_GET()
        body = open(self.translate_path(self.path), "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.connection.shutdown(2)


def cache_models(tmp_path):
    folder = tmp_path / "cache" / "models"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


def read_only_copy(folder, destination):
    shutil.copytree(folder, destination)
    for path in [destination, *destination.iterdir()]:
        path.chmod(stat.S_IREAD | stat.S_IEXEC if path.is_dir() else stat.S_IREAD)
    return destination


# ---------------------------------------------------------------------------------------------
# The three places


def test_a_class_folder_is_read_where_it_is(trained_folder, tmp_path, monkeypatch, no_training):
    class_folder = read_only_copy(trained_folder, tmp_path / "class")
    monkeypatch.setenv("LECTURE_MODELS_DIR", str(class_folder))
    run = trainings.train_or_load(TINY)
    assert run.loaded and run.origin == "class folder" and run.path.parent == class_folder
    assert run.provenance.startswith(f"Loaded from the class folder {class_folder} (trained 20")
    assert "in float32" in run.provenance
    assert cache_models(tmp_path) == []  # nothing copied into the user's cache


def test_a_store_is_downloaded_verified_and_cached(trained_folder, tmp_path, monkeypatch, no_training):
    manifest = json.loads(model_store.export(tmp_path / "store", trained_folder).read_text())
    ((entry, listed),) = manifest["entries"].items()
    assert entry.startswith("tiny-") and listed["key"] == entry.split("-")[-1]
    assert listed["settings"] == TINY.settings() and len(listed["model"]["sha256"]) == 64
    url, stop = serve(tmp_path / "store")
    try:
        monkeypatch.setenv("LECTURE_MODELS_URL", url)
        run = trainings.train_or_load(TINY)
    finally:
        stop()
    assert run.loaded and run.origin == "store" and run.provenance.startswith(f"Downloaded from the model store {url}")
    assert cache_models(tmp_path) == sorted([f"{entry}.history.json", f"{entry}.keras"])
    monkeypatch.delenv("LECTURE_MODELS_URL")
    assert trainings.train_or_load(TINY).origin == "cache"  # no server needed any more


def test_train_always_trains_whatever_is_found(trained_folder, monkeypatch):
    monkeypatch.setenv("LECTURE_MODELS_DIR", str(trained_folder))
    monkeypatch.setenv("LECTURE_TRAIN", "always")
    run = trainings.train_or_load(TINY)
    assert not run.loaded and run.origin == "trained"
    monkeypatch.setenv("LECTURE_TRAIN", "sometimes")
    with pytest.raises(ValueError, match="LECTURE_TRAIN must be 'always'"):
        trainings.train_or_load(TINY)


def test_the_export_command_writes_a_manifest(trained_folder, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lecture_utils.model_store",
            "export",
            str(tmp_path / "out"),
            "--source",
            str(trained_folder),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "1 trained models and manifest.json" in done.stdout
    assert {p.suffix for p in (tmp_path / "out").iterdir()} == {".keras", ".json"}


# ---------------------------------------------------------------------------------------------
# Faults: the cache stays consistent, one sentence says what happened


def test_a_download_cut_short_keeps_nothing_and_trains(trained_folder, tmp_path, monkeypatch):
    model_store.export(tmp_path / "store", trained_folder)
    url, stop = serve(tmp_path / "store", CutShortHandler)
    try:
        monkeypatch.setenv("LECTURE_MODELS_URL", url)
        with pytest.warns(UserWarning, match=r"could not be taken from the model store .*so nothing of it was kept"):
            run = trainings.train_or_load(TINY)
    finally:
        stop()
    assert run.origin == "trained"
    assert not [p for p in (tmp_path / "cache" / "models").iterdir() if p.name.startswith(".partial-")]


def test_a_checksum_that_does_not_match_keeps_nothing(trained_folder, tmp_path, monkeypatch):
    manifest_path = model_store.export(tmp_path / "store", trained_folder)
    manifest = json.loads(manifest_path.read_text())
    for listed in manifest["entries"].values():
        listed["model"]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    url, stop = serve(tmp_path / "store")
    calls = []
    real_train_data = trainings.training_data
    monkeypatch.setattr(trainings, "training_data", lambda t: calls.append(t) or real_train_data(t))
    try:
        monkeypatch.setenv("LECTURE_MODELS_URL", url)
        with pytest.warns(UserWarning, match="does not match the sha256 in its manifest"):
            run = trainings.train_or_load(TINY)
    finally:
        stop()
    assert run.origin == "trained" and calls  # trained here, from what the cache then holds
    assert all(not p.name.startswith(".partial-") for p in (tmp_path / "cache" / "models").iterdir())


@pytest.mark.parametrize("fault", [errno.EACCES, errno.ENOSPC], ids=["read-only cache", "full disk"])
def test_a_cache_that_cannot_be_written_still_gives_the_model(tmp_path, monkeypatch, fault):
    def cannot_write(path, write):
        raise OSError(fault, os.strerror(fault), str(path))

    monkeypatch.setattr(trainings, "atomic_write", cannot_write)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the model is kept instead
    with pytest.warns(UserWarning, match=f"could not be stored .*{os.strerror(fault)}.*set LECTURE_CACHE_DIR"):
        run = trainings.train_or_load(TINY)
    assert run.origin == "trained" and run.history["val_accuracy"]
    assert cache_models(tmp_path) == []


def test_the_store_unreachable_trains_with_one_warning(monkeypatch):
    monkeypatch.setenv("LECTURE_MODELS_URL", "http://127.0.0.1:9")  # nothing listens there
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run = trainings.train_or_load(TINY)
    messages = [str(w.message) for w in record if "model store" in str(w.message)]
    assert run.origin == "trained" and len(messages) == 1 and "training the models here instead" in messages[0]


TRAIN = """
import dataclasses, sys
from lecture_utils import trainings
tiny = dataclasses.replace(trainings.MNIST_CONVNET, name="tiny", epochs={epochs}, batch_size=64,
                           train_images={images}, precision="float32")
print(trainings.train_or_load(tiny).origin, flush=True)
"""


def test_two_kernels_training_the_same_model_train_it_once(tmp_path):
    script = TRAIN.format(epochs=1, images=256)
    kernels = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    origins = sorted(kernel.communicate(timeout=600)[0].strip() for kernel in kernels)
    assert origins == ["cache", "trained"]


def test_a_training_killed_with_sigkill_leaves_no_entry(tmp_path):
    kernel = subprocess.Popen(
        [sys.executable, "-c", TRAIN.format(epochs=50, images=4096)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 300
    line = ""
    while "epoch" not in line and time.time() < deadline:  # the progress bar: it is training
        line = kernel.stderr.readline() if kernel.poll() is None else "epoch (ended)"
    kernel.send_signal(signal.SIGKILL)
    kernel.wait(timeout=60)
    assert cache_models(tmp_path) == []
    # The lock died with the process: the next kernel trains at once.
    done = subprocess.run(
        [sys.executable, "-c", TRAIN.format(epochs=1, images=256)], capture_output=True, text=True, timeout=600
    )
    assert done.stdout.strip() == "trained", done.stderr[-2000:]


def test_a_training_shows_its_progress_on_stderr_only(capfd):
    trainings.train_or_load(TINY)
    out, err = capfd.readouterr()
    assert "tiny, epoch 1/1" in err and "val_accuracy" in err and "batch" in err
    assert "epoch" not in out
