"""EfficientNet-Lite0 in Keras with the real ImageNet weights, read without PyTorch.

The model is built once per module with its weights cached in a private folder, so the
first fixture also exercises the .pth → .weights.h5 conversion.  No network is used: the
tests that need the elephant photo or the ImageNet class index skip unless these are in the
mirror (LECTURE_DATA_DIR) or the cache.
"""

from __future__ import annotations

import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from lecture_utils import pretrained
from lecture_utils.torch_legacy import ForbiddenGlobalError, TorchFormatError, load_state_dict

TRAINABLE_PARAMS = 4_652_008  # the checkpoint's parameter count
BN_STATISTICS = 42_016  # moving means and variances of the 49 batch-norm layers
CAT_CLASSES = {"Egyptian_cat", "tabby", "tiger_cat"}


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pth() -> Path:
    return pretrained._find_pth()


def _redirect_weights(mp: pytest.MonkeyPatch, root: Path) -> Path:
    """Keep the converted weights under ``root`` instead of the user's cache."""
    path = root / "weights" / "efficientnet_lite0_imagenet.weights.h5"
    mp.setattr(pretrained, "_weights_file", lambda: path)
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Where this module's weights are cached: empty at first, so the first build converts."""
    root = tmp_path_factory.mktemp("lecture-cache")
    with pytest.MonkeyPatch.context() as mp:
        yield _redirect_weights(mp, root)


@pytest.fixture(scope="module")
def model(cache):
    return pretrained.efficientnet_lite0()


@pytest.fixture(scope="module")
def state(pth):
    return load_state_dict(pth)


def _offline(key: str) -> Path:
    """A data file from the mirror or the cache, never from the network; skip if absent."""
    from lecture_utils import cache, data

    entry = data.REGISTRY[key]
    if not any(
        root is not None and (root / entry.path).is_file() for root in (data.mirror_dir(), cache.cache_dir() / "data")
    ):
        pytest.skip(f"{entry.path} is neither in LECTURE_DATA_DIR nor in the cache")
    return data.fetch(key)


@pytest.fixture(scope="module")
def photos():
    """The three test photos, cropped and resized the way ImageNet was evaluated."""
    skimage_data = pytest.importorskip("skimage.data")
    return {
        "elephant": pretrained.imagenet_centre_crop(_offline("elephant")),
        "chelsea": pretrained.imagenet_centre_crop(skimage_data.chelsea()),
        "coffee": pretrained.imagenet_centre_crop(skimage_data.coffee()),
    }


@pytest.fixture(scope="module")
def predictions(model, photos):
    _offline("imagenet_class_index")
    batch = pretrained.preprocess_input(np.stack(list(photos.values())))
    probs = model.predict(batch, verbose=0)
    return dict(zip(photos, pretrained.decode_predictions(probs, top=5), strict=True))


# -- the legacy torch reader -----------------------------------------------------------------


def test_reader_loads_the_real_checkpoint(state):
    assert len(state) == 296
    trainable = sum(
        v.size for k, v in state.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
    )
    assert trainable == TRAINABLE_PARAMS
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.15._depthwise_conv.weight"].shape == (1152, 1, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_fc.weight"].dtype == np.float32 and state["_fc.weight"].flags.c_contiguous
    assert state["_bn0.num_batches_tracked"].dtype == np.int64


def _legacy_file(path: Path, payload: bytes, storages: bytes = pickle.dumps([], protocol=2)) -> Path:
    """A legacy torch file: magic, protocol and sys_info pickles, ``payload`` (the object
    pickle), then ``storages`` (the storage-key pickle and the raw storage data)."""
    header = b"".join(
        pickle.dumps(obj, protocol=2)
        for obj in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True})
    )
    path.write_bytes(header + payload + storages)
    return path


def _text(value: str) -> bytes:
    """Pickle opcode BINUNICODE."""
    return b"X" + len(value).to_bytes(4, "little") + value.encode()


def _ints(*values: int) -> bytes:
    """Pickle opcodes for a tuple of small ints (MARK, BININT1..., TUPLE)."""
    return b"(" + b"".join(b"K" + bytes([v]) for v in values) + b"t"


def _tensor(storage_key: str, numel: int, view, offset: int, size, stride) -> bytes:
    """Pickle opcodes for ``_rebuild_tensor_v2(<persistent storage>, offset, size, stride, ...)``."""
    view_ops = b"N" if view is None else b"(" + _text(view[0]) + _ints(*view[1:])[1:]
    storage_id = (
        b"("
        + _text("storage")
        + b"ctorch\nFloatStorage\n"
        + _text(storage_key)
        + _text("cpu")
        + b"K"
        + bytes([numel])
        + view_ops
        + b"tQ"
    )
    return (
        b"ctorch._utils\n_rebuild_tensor_v2\n("
        + storage_id
        + b"K"
        + bytes([offset])
        + _ints(*size)
        + _ints(*stride)
        + b"\x89ccollections\nOrderedDict\n)RtR"
    )


def test_reader_honours_strides_offsets_and_storage_views(tmp_path):
    # One storage of 6 floats 0..5, seen as a transposed (2, 3) tensor and through a view.
    payload = (
        b"\x80\x02ccollections\nOrderedDict\n)R("
        + _text("transposed")
        + _tensor("0", 6, None, 0, (2, 3), (1, 2))
        + _text("viewed")
        + _tensor("0", 6, ("0v", 2, 3), 1, (2,), (1,))
        + b"u."
    )
    storages = pickle.dumps(["0"], protocol=2) + (6).to_bytes(8, "little") + np.arange(6, dtype="<f4").tobytes()
    path = _legacy_file(tmp_path / "strided.pth", payload, storages)
    state = load_state_dict(path)
    np.testing.assert_array_equal(state["transposed"], [[0, 2, 4], [1, 3, 5]])
    np.testing.assert_array_equal(state["viewed"], [3, 4])
    # The same file cut short inside the raw data is reported, not misread.
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(TorchFormatError, match="ends inside storage 0"):
        load_state_dict(path)


@pytest.mark.parametrize(
    "module, name, argument",
    [
        ("os", "system", "touch {marker}"),
        ("builtins", "eval", "__import__('pathlib').Path({marker!r}).touch()"),
    ],
)
def test_reader_refuses_other_globals_without_running_them(tmp_path, module, name, argument):
    marker = tmp_path / "was-executed"
    arg = argument.format(marker=str(marker))
    # Protocol-0 opcodes: GLOBAL module.name, MARK, STRING arg, TUPLE, REDUCE (= call), STOP.
    payload = f"c{module}\n{name}\n(S{arg!r}\ntR.".encode()
    evil = _legacy_file(tmp_path / "evil.pth", payload)
    with pytest.raises(ForbiddenGlobalError) as info:
        load_state_dict(evil)
    message = str(info.value)
    assert f"refusing to load global {module}.{name} from {evil}" in message
    assert "only the globals of a PyTorch state_dict are allowed" in message
    assert not marker.exists()


@pytest.mark.parametrize("keep", [0.5, 0.001, 0.9999])
def test_reader_reports_a_truncated_file_in_one_sentence(tmp_path, pth, keep):
    data = pth.read_bytes()
    broken = tmp_path / "truncated.pth"
    broken.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(TorchFormatError) as info:
        load_state_dict(broken, hint="reinstall the package")
    message = str(info.value)
    assert str(broken) in message and "truncated" in message and "reinstall the package" in message
    # Raised from scratch: no chained low-level traceback is shown to the user.
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_reader_rejects_zip_checkpoints_and_non_state_dicts(tmp_path):
    zipped = tmp_path / "new.pth"
    zipped.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    with pytest.raises(TorchFormatError, match="zip-based"):
        load_state_dict(zipped)
    a_list = _legacy_file(tmp_path / "list.pth", pickle.dumps([1, 2], protocol=2))
    with pytest.raises(TorchFormatError, match="not a state_dict"):
        load_state_dict(a_list)


# -- the model -------------------------------------------------------------------------------


def test_parameter_counts_and_last_conv_layer(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == TRAINABLE_PARAMS
    assert model.count_params() == TRAINABLE_PARAMS + BN_STATISTICS
    assert model.get_layer(pretrained.LAST_CONV_LAYER).output.shape == (None, 7, 7, 1280)
    assert model.output.shape == (None, 1000)


def test_conv_base_works_at_other_sizes(cache, model):
    base = pretrained.efficientnet_lite0(include_top=False, input_shape=(150, 150, 3))
    assert base.output.shape == (None, 5, 5, 1280)
    assert base.layers[-1].name == pretrained.LAST_CONV_LAYER
    assert base.count_params() == model.count_params() - (1280 * 1000 + 1000)
    # Same ImageNet weights as the classifier.
    np.testing.assert_array_equal(
        base.get_layer("block6d_dwconv").get_weights()[0], model.get_layer("block6d_dwconv").get_weights()[0]
    )


def test_elephant(predictions):
    wnid, name, prob = predictions["elephant"][0]
    assert (wnid, name) == ("n02504458", "African_elephant") and prob > 0.5


def test_chelsea_is_a_cat(predictions):
    assert predictions["chelsea"][0][1] in CAT_CLASSES
    assert sum(p for _, name, p in predictions["chelsea"] if name in CAT_CLASSES) > 0.5


def test_coffee_is_espresso(predictions):
    assert predictions["coffee"][0][1] == "espresso" and predictions["coffee"][0][2] > 0.5


def test_decode_predictions_format(predictions):
    for top5 in predictions.values():
        assert len(top5) == 5
        probs = [p for *_, p in top5]
        assert probs == sorted(probs, reverse=True) and all(isinstance(p, float) for p in probs)


# -- independent check of the conversion ----------------------------------------------------


def _same_pad(x, kernel, stride):
    """TF 'SAME' padding as the PyTorch port applies it (Conv2dStaticSamePadding); x is (C, H, W)."""
    out = [-(-n // stride) for n in x.shape[1:]]
    pads = [max((o - 1) * stride + kernel - n, 0) for o, n in zip(out, x.shape[1:], strict=True)]
    return np.pad(x, [(0, 0)] + [(p // 2, p - p // 2) for p in pads]), out


def _conv(x, w, stride=1, depthwise=False):
    """PyTorch cross-correlation, NCHW / OIHW, written out as a sum over kernel offsets."""
    k = w.shape[-1]
    xp, (oh, ow) = _same_pad(x, k, stride)
    out = np.zeros((w.shape[0], oh, ow))
    for i in range(k):
        for j in range(k):
            patch = xp[:, i : i + stride * oh : stride, j : j + stride * ow : stride]
            out += w[:, 0, i, j, None, None] * patch if depthwise else np.einsum("oc,chw->ohw", w[:, :, i, j], patch)
    return out


def _bn(x, state, prefix):
    g, b, m, v = (state[f"{prefix}.{n}"] for n in ("weight", "bias", "running_mean", "running_var"))
    return (x - m[:, None, None]) / np.sqrt(v[:, None, None] + 1e-3) * g[:, None, None] + b[:, None, None]


def _reference_forward(image, state):
    """The PyTorch EfficientNet-Lite0 forward pass in NumPy (float64), on one (3, H, W) image."""
    relu6 = lambda t: np.clip(t, 0, 6)  # noqa: E731
    strides = [
        s for r, s in zip([1, 2, 2, 3, 3, 4, 1], [1, 2, 2, 2, 1, 2, 1], strict=True) for s in [s] + [1] * (r - 1)
    ]
    x = relu6(_bn(_conv(image, state["_conv_stem.weight"], 2), state, "_bn0"))
    for i, stride in enumerate(strides):
        p = f"_blocks.{i}"
        h = x
        if f"{p}._expand_conv.weight" in state:
            h = relu6(_bn(_conv(h, state[f"{p}._expand_conv.weight"]), state, f"{p}._bn0"))
        h = relu6(_bn(_conv(h, state[f"{p}._depthwise_conv.weight"], stride, True), state, f"{p}._bn1"))
        h = _bn(_conv(h, state[f"{p}._project_conv.weight"]), state, f"{p}._bn2")
        x = h + x if stride == 1 and h.shape == x.shape else h
    x = relu6(_bn(_conv(x, state["_conv_head.weight"]), state, "_bn1"))
    logits = state["_fc.weight"] @ x.mean(axis=(1, 2)) + state["_fc.bias"]
    return x, logits


def test_keras_model_matches_the_pytorch_definition(model, state):
    from skimage.data import coffee

    image = pretrained.preprocess_input(pretrained.imagenet_centre_crop(coffee()))
    features, logits = _reference_forward(image.transpose(2, 0, 1).astype(np.float64), state)
    import keras

    probe = keras.Model(model.input, [model.get_layer(pretrained.LAST_CONV_LAYER).output, model.output])
    keras_features, keras_probs = probe.predict(image[None], verbose=0)
    # float32 vs float64: about 3e-5 apart; a wrong BN eps (1e-5) or symmetric padding is off by > 1.
    np.testing.assert_allclose(keras_features[0], features.transpose(1, 2, 0), atol=2e-4)
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(keras_probs[0], expected, atol=1e-5)


# -- the weights cache ----------------------------------------------------------------------


def test_a_corrupt_cached_file_is_rebuilt(cache, model, tmp_path, monkeypatch):
    cached = cache
    assert cached.is_file() and cached.with_name(cached.name + ".json").is_file()
    shutil.copytree(cached.parent, tmp_path / "weights")
    damaged = _redirect_weights(monkeypatch, tmp_path)
    damaged.write_bytes(cached.read_bytes()[: cached.stat().st_size // 2])

    with pytest.warns(UserWarning, match="rebuilding them"):
        rebuilt = pretrained.efficientnet_lite0(input_shape=(64, 64, 3))
    for name in ("stem_conv", "block7a_project_bn", "predictions"):
        got_all, want_all = rebuilt.get_layer(name).get_weights(), model.get_layer(name).get_weights()
        for got, want in zip(got_all, want_all, strict=True):
            np.testing.assert_array_equal(got, want)
    # The rebuilt file is trusted again: loading it is silent.
    assert damaged.read_bytes() == cached.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pretrained.efficientnet_lite0(input_shape=(64, 64, 3))


# -- input checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((2, 224, 224)), r"\(N, H, W, 3\)"),
        (np.zeros((1, 224, 224, 4)), r"\(N, H, W, 3\)"),
        (np.zeros((224,)), r"\(N, H, W, 3\)"),
        (np.full((1, 8, 8, 3), np.nan), "NaN"),
        (np.array([["a"]]), "numeric"),
    ],
)
def test_preprocess_input_rejects_bad_images(images, match):
    with pytest.raises(ValueError, match=match):
        pretrained.preprocess_input(images)


def test_preprocess_input_scaling_and_warning():
    out = pretrained.preprocess_input(np.array([[[[0, 127, 255]]]], dtype=np.uint8))
    np.testing.assert_allclose(out, [[[[-127 / 128, 0, 1]]]])
    assert out.dtype == np.float32
    with pytest.warns(UserWarning, match="divided by 255"):
        pretrained.preprocess_input(np.full((1, 4, 4, 3), 0.5))


def test_preprocess_input_works_inside_a_model():
    import keras

    inputs = keras.Input((8, 8, 3))
    scaler = keras.Model(inputs, pretrained.preprocess_input(inputs))
    np.testing.assert_allclose(scaler.predict(np.full((1, 8, 8, 3), 255.0), verbose=0), 1.0)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="at least 32"):
        pretrained.efficientnet_lite0(input_shape=(16, 16, 3), weights=None)
    with pytest.raises(ValueError, match=r"\(height, width, 3\)"):
        pretrained.efficientnet_lite0(input_shape=(224, 224), weights=None)
    with pytest.raises(ValueError, match="'imagenet', None"):
        pretrained.efficientnet_lite0(weights="imagenet21k")
    with pytest.raises(ValueError, match=r"\(N, 1000\)"):
        pretrained.decode_predictions(np.zeros((1, 10)))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        pretrained.imagenet_centre_crop(np.zeros((10, 10, 2)))


def test_imagenet_centre_crop_crops_the_centre():
    image = np.zeros((300, 400, 3), dtype=np.uint8)
    image[:, :50] = 255  # a white band outside the central crop
    out = pretrained.imagenet_centre_crop(image, size=100)
    assert out.shape == (100, 100, 3) and out.dtype == np.uint8 and out.max() == 0
    assert pretrained.imagenet_centre_crop(np.zeros((40, 30)), size=16).shape == (16, 16, 3)
