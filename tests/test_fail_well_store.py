"""The model store fails well: a wrong address, a silent server and a bad export each get one sentence.

Stores are served on 127.0.0.1 and the cache is a temporary folder; the trained models are
stand-ins (a few bytes and a history), since nothing here loads them.  Nothing trains.
"""

import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from test_fail_well import assert_one_sentence, message_of

import lecture_utils
from lecture_utils import model_store, trainings

PACKAGE = Path(lecture_utils.__file__).parent
ENTRY = "tiny-0123456789abcdef"


@pytest.fixture(autouse=True)
def isolated(no_model_store):
    """An empty cache, and no class folder, store or training override (tests/conftest.py)."""


@pytest.fixture
def models(tmp_path):
    """A models folder with one complete entry, as a cache's models/ folder holds it."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / f"{ENTRY}.keras").write_bytes(b"a stand-in for a trained model " * 1000)
    record = {"history": {"val_accuracy": [0.5]}, "seconds": 1.0, "meta": {"settings": {"name": "tiny"}}}
    (folder / f"{ENTRY}.history.json").write_text(json.dumps(record))
    return folder


def assert_raised_well(info: pytest.ExceptionInfo) -> None:
    assert_one_sentence(message_of(info.value))
    raised_in = Path(str(info.traceback[-1].path))
    assert PACKAGE in raised_in.parents, f"raised in {raised_in}, not by lecture_utils"
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def store_warnings(record) -> list[str]:
    return [str(w.message) for w in record if "model store" in str(w.message) or "manifest" in str(w.message)]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder, handler_class=QuietHandler):
    """Serve ``folder`` on 127.0.0.1; returns (url, stop)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler_class, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop():
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}", stop


# -- 1. LECTURE_MODELS_URL that is not an http(s) address -----------------------------------------


@pytest.mark.parametrize(
    "value", ["ftp://x", "models.example.org/lecture9", "http://", "localhost:8000/models", "/srv/lecture9-models"]
)
def test_a_store_address_that_is_not_http_is_an_error(monkeypatch, value):
    monkeypatch.setenv("LECTURE_MODELS_URL", value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the old way: a warning, then minutes of training
        with pytest.raises(ValueError, match=r"LECTURE_MODELS_URL must be the http:// or https:// address") as info:
            model_store.find_trained(ENTRY)
    assert repr(value) in message_of(info.value) and "https://example.org/" in message_of(info.value)
    if value.startswith("/"):
        assert "a folder on this machine goes in LECTURE_MODELS_DIR" in message_of(info.value)
    assert_raised_well(info)


def test_a_wrong_store_address_fails_before_any_training(monkeypatch):
    def refuse(training):
        raise AssertionError("training started")

    monkeypatch.setattr(trainings, "training_data", refuse)  # nor may it download MNIST
    monkeypatch.setenv("LECTURE_MODELS_URL", "models.example.org/lecture9")
    with pytest.raises(ValueError, match="LECTURE_MODELS_URL must be") as info:
        trainings.train_or_load(trainings.MNIST_CONVNET)
    assert_raised_well(info)


def test_a_store_that_refuses_the_connection_warns_in_one_sentence_and_trains(monkeypatch):
    # The design, kept: a valid address that cannot be reached falls back to training.
    monkeypatch.setenv("LECTURE_MODELS_URL", "http://127.0.0.1:9")  # nothing listens there
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert model_store.find_trained(ENTRY) is None
    (message,) = store_warnings(record)
    assert_one_sentence(message)
    assert "no connection could be made" in message and "training the models here instead" in message
    assert "HTTPConnectionPool" not in message  # requests' paragraph, not a sentence


# -- 2. A server that accepts the connection and never answers -----------------------------------


@pytest.fixture
def silent_server():
    """Accepts connections and says nothing; it hangs up after 6 s, or when the test ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    done = threading.Event()

    def hold():
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=connection: (done.wait(6), c.close()), daemon=True).start()

    threading.Thread(target=hold, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    done.set()
    listener.close()


class TrickleHandler(QuietHandler):
    """Sends model files in five pieces a quarter of a second apart: slow, but never silent for long."""

    def do_GET(self):
        if not self.path.endswith(".keras"):
            return super().do_GET()
        body = Path(self.translate_path(self.path)).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        size = len(body) // 5 + 1
        for start in range(0, len(body), size):
            self.wfile.write(body[start : start + size])
            self.wfile.flush()
            time.sleep(0.25)


def test_a_silent_store_costs_seconds_and_a_slow_one_still_delivers(silent_server, models, tmp_path, monkeypatch):
    defaults = getattr(model_store, "CONNECT_TIMEOUT", 60), getattr(model_store, "READ_TIMEOUT", 60)
    monkeypatch.setattr(model_store, "CONNECT_TIMEOUT", 1.0, raising=False)
    monkeypatch.setattr(model_store, "READ_TIMEOUT", 1.0, raising=False)
    monkeypatch.setenv("LECTURE_MODELS_URL", silent_server)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert model_store.find_trained(ENTRY) is None
    seconds = time.perf_counter() - start
    assert seconds < 4, f"a silent store held the chapter for {seconds:.1f} s"
    (message,) = store_warnings(record)
    assert_one_sentence(message)
    assert "did not answer" in message and "training the models here instead" in message

    # The read timeout bounds each read, not the whole file: a model that takes longer than
    # it to arrive, but keeps arriving, is downloaded.
    model_store.export(tmp_path / "store", models)
    url, stop = serve(tmp_path / "store", TrickleHandler)
    try:
        monkeypatch.setenv("LECTURE_MODELS_URL", url)
        start = time.perf_counter()
        found = model_store.find_trained(ENTRY)
    finally:
        stop()
    assert time.perf_counter() - start > 1.0  # longer than READ_TIMEOUT
    assert found is not None and found.origin == "store"
    assert found.model.read_bytes() == (models / f"{ENTRY}.keras").read_bytes()
    assert defaults[0] <= 10 and defaults[1] <= 30  # out of the test, too, a silent store costs seconds


# -- 3. An export destination that cannot be written ----------------------------------------------


def a_file(tmp):
    (tmp / "notes.txt").write_text("not a folder")
    return tmp / "notes.txt"


def under_a_file(tmp):
    return a_file(tmp) / "lecture9-models"


def read_only_folder(tmp, monkeypatch):
    folder = tmp / "read-only"
    folder.mkdir()
    real_access = os.access
    # Tests run as root, whom chmod does not stop: os.access stands for the permission check.
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != folder and real_access(path, mode, **kw))
    return folder


def in_a_read_only_folder(tmp, monkeypatch):
    return read_only_folder(tmp, monkeypatch) / "lecture9-models"


DESTINATIONS = {
    "a file": (lambda tmp, mp: a_file(tmp), NotADirectoryError, "is a file"),
    "under a file": (lambda tmp, mp: under_a_file(tmp), NotADirectoryError, r"cannot be a folder, since .* is a file"),
    "read-only folder": (read_only_folder, PermissionError, "cannot be written by you"),
    "new folder in a read-only one": (in_a_read_only_folder, PermissionError, "cannot be created, since you may not"),
}


@pytest.mark.parametrize("case", DESTINATIONS, ids=list(DESTINATIONS))
def test_an_export_destination_that_cannot_be_written_fails_in_one_sentence(
    case, models, tmp_path, monkeypatch, capsys
):
    make, error_type, match = DESTINATIONS[case]
    destination = make(tmp_path, monkeypatch)
    with pytest.raises(error_type, match=f"The export destination {destination} {match}") as info:
        model_store.export(destination, models)
    assert_raised_well(info)
    assert not (destination / model_store.MANIFEST).exists()

    with pytest.raises(SystemExit) as exit_info:
        model_store.main(["export", str(destination), "--source", str(models)])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and message_of(info.value) in err and "Traceback" not in err


def test_the_export_command_says_what_is_wrong_in_one_line(models, tmp_path):
    destination = under_a_file(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "lecture_utils.model_store", "export", str(destination), "--source", str(models)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert f"The export destination {destination} cannot be a folder" in line
    assert_one_sentence(line)


# -- 4. An export source that does not exist, or holds no trained models ---------------------------


def test_an_export_source_that_does_not_exist_fails_in_one_sentence(tmp_path, capsys):
    source, destination = tmp_path / "nowhere", tmp_path / "out"
    with pytest.raises(FileNotFoundError, match=f"The models folder to export, {source}, does not exist") as info:
        model_store.export(destination, source)
    assert_raised_well(info)
    assert not destination.exists()  # nothing half done

    with pytest.raises(SystemExit) as exit_info:
        model_store.main(["export", str(destination), "--source", str(source)])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "does not exist" in err and not destination.exists()


@pytest.mark.parametrize("source", ["empty folder", "the cache, empty"])
def test_an_export_source_without_trained_models_writes_no_empty_manifest(source, tmp_path, capsys):
    destination = tmp_path / "out"
    folder = None
    if source == "empty folder":
        folder = tmp_path / "models"
        folder.mkdir()
        (folder / f"{ENTRY}.keras").write_bytes(b"a model whose training never finished")  # no history
    with pytest.raises(ValueError, match="holds no trained models .*so there is nothing to export") as info:
        model_store.export(destination, folder)
    assert_raised_well(info)
    assert not (destination / model_store.MANIFEST).exists()

    with pytest.raises(SystemExit) as exit_info:
        model_store.main(["export", str(destination)] + (["--source", str(folder)] if folder else []))
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "holds no trained models" in err
    assert not (destination / model_store.MANIFEST).exists()


# -- Beyond the list: stores whose manifest is broken ---------------------------------------------


def test_a_store_manifest_that_is_not_json_is_said_in_one_sentence(tmp_path, monkeypatch):
    store = tmp_path / "store"
    store.mkdir()
    (store / model_store.MANIFEST).write_text("<html><body>Sign in to continue</body></html>")
    url, stop = serve(store)
    try:
        monkeypatch.setenv("LECTURE_MODELS_URL", url)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            assert model_store.find_trained(ENTRY) is None
    finally:
        stop()
    (message,) = store_warnings(record)
    assert_one_sentence(message)
    assert f"{url} could not be read (its manifest.json is not JSON)" in message


def test_a_store_entry_without_its_checksum_warns_and_keeps_nothing(models, tmp_path, monkeypatch):
    manifest_path = model_store.export(tmp_path / "store", models)
    manifest = json.loads(manifest_path.read_text())
    del manifest["entries"][ENTRY]["model"]["sha256"]
    manifest_path.write_text(json.dumps(manifest))
    url, stop = serve(tmp_path / "store")
    try:
        monkeypatch.setenv("LECTURE_MODELS_URL", url)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            assert model_store.find_trained(ENTRY) is None
    finally:
        stop()
    (message,) = store_warnings(record)
    assert_one_sentence(message)
    assert f"The entry {ENTRY} of {url}/manifest.json does not give the file and sha256" in message
    assert not list((tmp_path / "cache" / "models").glob(f"{ENTRY}*"))


def test_a_class_folder_without_any_model_is_said_once(tmp_path, monkeypatch):
    folder = tmp_path / "class"
    folder.mkdir()
    monkeypatch.setenv("LECTURE_MODELS_DIR", str(folder))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert model_store.find_trained(ENTRY) is None
        assert model_store.find_trained("other-0123") is None
    (message,) = [str(w.message) for w in record if "LECTURE_MODELS_DIR" in str(w.message)]
    assert_one_sentence(message)
    assert f"LECTURE_MODELS_DIR names {folder}, which holds no trained models" in message
