"""The data layer: mirror, cache, verified downloads, clear errors.  Never uses the network:
downloads are served by a throw-away HTTP server on the loopback interface."""

import gzip
import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from lecture_utils import data

PAYLOAD = b"idx-like payload " * 100


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    monkeypatch.setenv("LECTURE_DATA_DIR", str(mirror))
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(cache))
    data._verified.clear()
    return mirror, cache


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1; yields (folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def register(monkeypatch, path="toy/file.gz", urls=(), content=PAYLOAD):
    entry = data.DataFile(path, tuple(urls), "sha256:" + hashlib.sha256(content).hexdigest(), "test")
    monkeypatch.setitem(data.REGISTRY, "toy", entry)
    return entry


def write_gz(path: Path, content=PAYLOAD, level=9):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content, compresslevel=level, mtime=0))


def offline(monkeypatch):
    def refuse(url, destination):
        raise ConnectionError(f"no network for {url}")

    monkeypatch.setattr(data, "_download", refuse)


def test_mirror_hit_is_used_without_network(dirs, monkeypatch):
    mirror, _ = dirs
    register(monkeypatch, urls=["http://example.invalid/file.gz"])
    write_gz(mirror / "toy/file.gz")
    offline(monkeypatch)
    assert data.fetch("toy") == mirror / "toy/file.gz"


def test_mirror_with_different_compression_still_verifies(dirs, monkeypatch):
    mirror, _ = dirs
    register(monkeypatch)
    write_gz(mirror / "toy/file.gz", level=1)  # other compressed bytes, same content
    assert data.fetch("toy") == mirror / "toy/file.gz"


def test_damaged_mirror_file_gives_a_clear_error(dirs, monkeypatch):
    mirror, _ = dirs
    register(monkeypatch)
    write_gz(mirror / "toy/file.gz", content=b"something else")
    with pytest.raises(data.ChecksumError, match="does not match its checksum"):
        data.fetch("toy")


def test_cache_hit_is_used_without_network(dirs, monkeypatch):
    _, cache = dirs
    register(monkeypatch, urls=["http://example.invalid/file.gz"])
    write_gz(cache / "data/toy/file.gz")
    offline(monkeypatch)
    assert data.fetch("toy") == cache / "data/toy/file.gz"


def test_download_goes_to_the_cache_and_is_verified(dirs, monkeypatch, server):
    _, cache = dirs
    www, base = server
    write_gz(www / "file.gz")
    register(monkeypatch, urls=[f"{base}/file.gz"])
    path = data.fetch("toy")
    assert path == cache / "data/toy/file.gz"
    assert gzip.decompress(path.read_bytes()) == PAYLOAD
    assert not list(path.parent.glob(".partial-*"))


def test_second_url_is_tried_when_the_first_fails(dirs, monkeypatch, server):
    www, base = server
    write_gz(www / "file.gz")
    register(monkeypatch, urls=[f"{base}/missing.gz", f"{base}/file.gz"])
    assert data.fetch("toy").is_file()


def test_checksum_mismatch_on_download_keeps_nothing(dirs, monkeypatch, server):
    _, cache = dirs
    www, base = server
    write_gz(www / "file.gz", content=b"tampered")
    register(monkeypatch, urls=[f"{base}/file.gz"])
    with pytest.raises(data.ChecksumError, match="nothing was kept"):
        data.fetch("toy")
    folder = cache / "data/toy"
    assert not folder.exists() or not any(folder.iterdir())


def test_corrupted_cache_is_replaced_by_a_fresh_download(dirs, monkeypatch, server):
    _, cache = dirs
    www, base = server
    write_gz(www / "file.gz")
    register(monkeypatch, urls=[f"{base}/file.gz"])
    cached = cache / "data/toy/file.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="corrupted"):
        path = data.fetch("toy")
    assert gzip.decompress(path.read_bytes()) == PAYLOAD


def test_missing_and_offline_names_file_url_and_variable(dirs, monkeypatch):
    register(monkeypatch, urls=["https://example.org/toy/file.gz"])
    offline(monkeypatch)
    with pytest.raises(data.DataNotFoundError) as info:
        data.fetch("toy")
    message = str(info.value)
    assert "toy/file.gz" in message and "https://example.org/toy/file.gz" in message
    assert "LECTURE_DATA_DIR" in message


def test_mirror_only_file_missing_says_where_to_put_it(dirs, monkeypatch):
    register(monkeypatch, urls=())
    with pytest.raises(data.DataNotFoundError, match="LECTURE_DATA_DIR"):
        data.fetch("toy")


def test_unknown_key_lists_the_known_ones():
    with pytest.raises(KeyError, match="mnist/train-images"):
        data.fetch("no-such-file")


def test_md5_checksums_are_supported(dirs, monkeypatch):
    mirror, _ = dirs
    (mirror / "x.json").write_bytes(b"{}")
    monkeypatch.setitem(data.REGISTRY, "toy", data.DataFile("x.json", (), "md5:" + hashlib.md5(b"{}").hexdigest(), "t"))
    assert data.fetch("toy") == mirror / "x.json"


def test_read_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(header + array.tobytes()))
    np.testing.assert_array_equal(data._read_idx(path), array)


def test_every_registry_entry_is_complete():
    for key, entry in data.REGISTRY.items():
        assert entry.licence, key
        assert entry.urls or key.startswith("svhn/sample"), key
        assert entry.checksum is None or entry.checksum.split(":")[0] in ("sha256", "md5"), key


def test_unreadable_image_gives_a_clear_error(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(ValueError, match="not a readable image"):
        data.read_rgb_image(bad)
    assert not data._is_readable_jpeg(bad)


def test_cats_vs_dogs_split_skips_unreadable_and_balances(tmp_path, monkeypatch):
    from PIL import Image

    root = tmp_path / "mirror"
    for cls in ("Cat", "Dog"):
        folder = root / "PetImages" / cls
        folder.mkdir(parents=True)
        for i in [1, 2, 3, 4001, 4002, 5003]:
            Image.new("RGB", (8, 8)).save(folder / f"{i}.jpg")
    (root / "PetImages/Cat/2.jpg").write_bytes(b"")  # the archive has empty files like this
    monkeypatch.setenv("LECTURE_DATA_DIR", str(root))
    split = data.cats_vs_dogs_split(n_train=3, n_validation=2)
    train_paths, train_labels = split["train"]
    assert [p.name for p in train_paths[:3]] == ["1.jpg", "3.jpg", "4001.jpg"]
    assert [p.name for p in split["validation"][0][:2]] == ["4002.jpg", "5003.jpg"]
    assert list(train_labels) == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="readable photos"):
        data.cats_vs_dogs_split(n_train=5, n_validation=2)


needs_mirror = pytest.mark.skipif(data.mirror_dir() is None, reason="LECTURE_DATA_DIR not set")


@needs_mirror
def test_real_mirror_mnist_shapes():
    (x, y), (xt, yt) = data.load_mnist()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == np.uint8 and set(np.unique(y)) == set(range(10))


@needs_mirror
def test_real_mirror_cats_vs_dogs_split_is_3000_1000():
    split = data.cats_vs_dogs_split()
    assert len(split["train"][0]) == 3000 and len(split["validation"][0]) == 1000
    assert split["train"][1].sum() == 1500 and split["validation"][1].sum() == 500
    assert not set(split["train"][0]) & set(split["validation"][0])
