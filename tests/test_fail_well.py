"""Helpers that fail well: every bad input gets one sentence that says what was wrong.

Each case below hands one public function of ``lecture_utils`` one bad input and checks

- the exception type and that the message names the problem (``pytest.raises(match=...)``);
- that the message is one sentence: one line, ending in a full stop, no second sentence;
- that it was raised by ``lecture_utils`` itself, not deep inside Keras, TensorFlow, NumPy,
  scikit-learn or Matplotlib, and without a chained low-level exception.

Damaged caches are not errors but are detected, reported in one sentence and rebuilt: those
cases are the tests at the end.  Nothing here uses the network or the real cache.
"""

import dataclasses
import gzip
import pickle
import re
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import lecture_utils
from lecture_utils import architectures as arch
from lecture_utils import convolution as conv
from lecture_utils import data, filters, images, models, plotting, pretrained, runtime, trainings, transfer
from lecture_utils.torch_legacy import MAGIC_NUMBER, TorchFormatError, load_state_dict

PACKAGE = Path(lecture_utils.__file__).parent


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """An empty mirror and cache, and no network: nothing here may touch the real ones."""
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    monkeypatch.setenv("LECTURE_DATA_DIR", str(mirror))
    monkeypatch.setenv("LECTURE_CACHE_DIR", str(cache))

    def offline(url, destination):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(data, "_download", offline)
    data._verified.clear()
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def message_of(error: BaseException) -> str:
    # str(KeyError) is the repr of its message, quotes included.
    return error.args[0] if isinstance(error, KeyError) else str(error)


def assert_one_sentence(message: str) -> None:
    assert "\n" not in message, f"more than one line: {message!r}"
    assert message.endswith((".", "?")), f"not a finished sentence: {message!r}"
    assert not re.search(r"[.!?]\s+[A-Z]", message), f"more than one sentence: {message!r}"


def assert_fails_well(info: pytest.ExceptionInfo) -> None:
    assert_one_sentence(message_of(info.value))
    raised_in = Path(str(info.traceback[-1].path))
    assert PACKAGE in raised_in.parents, f"raised in {raised_in}, not by lecture_utils"
    error = info.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), (
        "a chained low-level exception would be shown too"
    )


# -- tiny inputs ---------------------------------------------------------------------------------


def tiny_convnet(side=8, channels=1):
    import keras

    return keras.Sequential(
        [keras.Input((side, side, channels)), keras.layers.Conv2D(2, 3, name="conv")], name="tiny_convnet"
    )


def dense_only():
    import keras

    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="dense")], name="dense_only")


def depthwise():
    import keras

    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.DepthwiseConv2D(3)], name="depthwise")


def dense_named(units):
    import keras

    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, name="shared")], name=f"dense{units}")


IMAGE = np.arange(25, dtype=float).reshape(5, 5)
RGB = np.zeros((4, 4, 3), dtype=np.uint8)
PHOTOS = np.zeros((2, 8, 8, 3), dtype=np.uint8)
KERNEL = np.ones((3, 3))


def with_nan(array):
    array = np.array(array, dtype=float)
    array.flat[0] = np.nan
    return array


def call(function, *args, **kwargs):
    """A case without set-up: call ``function(*args, **kwargs)``."""
    return lambda tmp: partial(function, *args, **kwargs)


# -- cases that need files -----------------------------------------------------------------------


def missing_mnist_offline(tmp):
    return partial(data.fetch, "mnist/train-images")


def corrupted_mirror_file(tmp):
    path = tmp / "mirror" / data.REGISTRY["mnist/train-labels"].path
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b"not the MNIST labels"))
    return partial(data.fetch, "mnist/train-labels")


def text_file(tmp, name="notes.jpg"):
    path = tmp / name
    path.write_text("this is not a photo")
    return path


def pet_folders(tmp, photo=None):
    for cls in ("Cat", "Dog"):
        folder = tmp / "mirror" / "PetImages" / cls
        folder.mkdir(parents=True)
        if photo is not None:
            (folder / "1.jpg").write_bytes(photo)
    return partial(data.cats_vs_dogs_split, n_train=2, n_validation=1)


def truncated_torch_file(tmp):
    path = tmp / "weights.pth"
    path.write_bytes(pickle.dumps(MAGIC_NUMBER, protocol=2))  # the magic number, then nothing
    return partial(load_state_dict, path)


CASES = [
    # convolution
    pytest.param(
        call(conv.to_grayscale, IMAGE),
        ValueError,
        r"RGB images of shape \(H, W, 3\)",
        id="convolution.to_grayscale: 2-D image",
    ),
    pytest.param(
        call(conv.to_grayscale, with_nan(np.ones((2, 2, 3)))),
        ValueError,
        "NaN or infinite",
        id="convolution.to_grayscale: NaN",
    ),
    pytest.param(
        call(conv.to_grayscale, np.full((2, 2, 3), "x")),
        ValueError,
        "must hold real numbers",
        id="convolution.to_grayscale: strings",
    ),
    pytest.param(
        call(conv.convolve2d, np.ones((5, 5, 3)), KERNEL),
        ValueError,
        r"image must be a 2-D array",
        id="convolution.convolve2d: RGB image",
    ),
    pytest.param(
        call(conv.convolve2d, IMAGE, with_nan(KERNEL)),
        ValueError,
        "kernel contains NaN",
        id="convolution.convolve2d: NaN kernel",
    ),
    pytest.param(
        call(conv.convolve2d, IMAGE + 1j, KERNEL),
        ValueError,
        "real numbers",
        id="convolution.convolve2d: complex image",
    ),
    pytest.param(
        call(conv.convolve2d, IMAGE, np.ones((7, 7))),
        ValueError,
        "larger than the",
        id="convolution.convolve2d: kernel larger than image",
    ),
    pytest.param(
        call(conv.convolve2d, IMAGE, KERNEL, stride=0),
        ValueError,
        "stride must be a positive integer",
        id="convolution.convolve2d: stride 0",
    ),
    pytest.param(
        call(conv.pool2d, IMAGE, mode="median"),
        ValueError,
        "mode must be 'max' or 'average'",
        id="convolution.pool2d: unknown mode",
    ),
    pytest.param(
        call(conv.output_size, 3, 5),
        ValueError,
        "does not fit in 3 pixels",
        id="convolution.output_size: kernel larger than input",
    ),
    pytest.param(
        call(conv.output_size, 0, 3),
        ValueError,
        "input_size must be a positive integer",
        id="convolution.output_size: input size 0",
    ),
    pytest.param(
        call(conv.pad_image, IMAGE, -1),
        ValueError,
        "padding must be a non-negative integer",
        id="convolution.pad_image: negative padding",
    ),
    pytest.param(call(conv.pad_image, np.ones(5), 1), ValueError, "2-D array", id="convolution.pad_image: 1-D image"),
    # filters
    pytest.param(
        call(filters.gabor_kernel, 0.7),
        ValueError,
        "frequency must be a number in",
        id="filters.gabor_kernel: frequency above Nyquist",
    ),
    pytest.param(
        call(filters.filter_images, np.ones((1, 2, 5, 5)), KERNEL),
        ValueError,
        r"one image \(H, W\)",
        id="filters.filter_images: 4-D images",
    ),
    pytest.param(
        call(filters.filter_images, np.full((5, 5), np.inf), KERNEL),
        ValueError,
        "NaN or infinite",
        id="filters.filter_images: inf",
    ),
    pytest.param(
        call(filters.filter_images, IMAGE, np.ones(3)),
        ValueError,
        "kernel must be a non-empty 2-D",
        id="filters.filter_images: 1-D kernel",
    ),
    pytest.param(
        call(filters.filter_images, IMAGE, KERNEL, mode="zeros"),
        ValueError,
        "mode must be one of",
        id="filters.filter_images: unknown border mode",
    ),
    pytest.param(
        call(filters.bank_magnitudes, np.ones((2, 5, 5)), []),
        ValueError,
        "at least one filter",
        id="filters.bank_magnitudes: empty bank",
    ),
    pytest.param(
        call(filters.haar_kernel, "blob"), ValueError, "kind must be one of", id="filters.haar_kernel: unknown kind"
    ),
    pytest.param(
        call(filters.linear_probe_accuracy, with_nan(np.ones((4, 2))), [0, 1, 0, 1], np.ones((2, 2)), [0, 1]),
        ValueError,
        "x_train contains NaN",
        id="filters.linear_probe_accuracy: NaN features",
    ),
    pytest.param(
        call(filters.linear_probe_accuracy, np.ones((4, 2)), [1, 1, 1, 1], np.ones((2, 2)), [0, 1]),
        ValueError,
        "at least two classes",
        id="filters.linear_probe_accuracy: one class",
    ),
    # data
    pytest.param(
        call(data.fetch, "mnist/train"), KeyError, "Unknown data file 'mnist/train'", id="data.fetch: unknown file"
    ),
    pytest.param(
        missing_mnist_offline,
        data.DataNotFoundError,
        r"could not be downloaded .*download https://\S+/train-images-idx3-ubyte\.gz, put it at "
        r"<LECTURE_DATA_DIR>/mnist/train-images-idx3-ubyte\.gz",
        id="data.fetch: missing dataset, offline",
    ),
    pytest.param(
        corrupted_mirror_file, data.ChecksumError, "does not match its checksum", id="data.fetch: corrupted mirror file"
    ),
    pytest.param(
        lambda tmp: partial(data.read_rgb_image, tmp / "missing.png"),
        FileNotFoundError,
        "missing.png does not exist",
        id="data.read_rgb_image: missing file",
    ),
    pytest.param(
        lambda tmp: partial(data.read_rgb_image, text_file(tmp)),
        ValueError,
        "is not a readable image",
        id="data.read_rgb_image: unreadable file",
    ),
    pytest.param(
        lambda tmp: partial(data.read_rgb_image, text_file(tmp), size=(0, 10)),
        ValueError,
        "height in size must be a positive integer",
        id="data.read_rgb_image: size 0",
    ),
    pytest.param(
        pet_folders,
        ValueError,
        "has only 0 readable photos but 3 are needed",
        id="data.cats_vs_dogs_split: empty folders",
    ),
    pytest.param(
        lambda tmp: pet_folders(tmp, photo=b"\xff\xd8 cut short"),
        ValueError,
        "has only 0 readable photos",
        id="data.cats_vs_dogs_split: unreadable photos",
    ),
    pytest.param(
        call(data.cats_vs_dogs_split, n_train=0),
        ValueError,
        "n_train must be a positive integer",
        id="data.cats_vs_dogs_split: n_train 0",
    ),
    pytest.param(
        call(data.load_svhn_digits, max_images=0),
        ValueError,
        "max_images must be a positive integer",
        id="data.load_svhn_digits: max_images 0",
    ),
    # images
    pytest.param(
        lambda tmp: partial(images.decode_images, tmp),
        TypeError,
        "list of image files",
        id="images.decode_images: a folder instead of a list",
    ),
    pytest.param(
        call(images.decode_images, []), ValueError, "at least one image file", id="images.decode_images: empty list"
    ),
    pytest.param(
        lambda tmp: partial(images.decode_images, [text_file(tmp)]),
        ValueError,
        "is not a readable image",
        id="images.decode_images: unreadable file",
    ),
    pytest.param(
        lambda tmp: partial(images.decode_images, [tmp]),
        ValueError,
        "is not a file",
        id="images.decode_images: a folder in the list",
    ),
    pytest.param(
        call(images.make_dataset, PHOTOS.astype("float32"), [0, 1]),
        ValueError,
        "must be uint8",
        id="images.make_dataset: float images",
    ),
    pytest.param(
        call(images.make_dataset, PHOTOS[..., 0], [0, 1]),
        ValueError,
        r"shape \(N, height, width, 3\)",
        id="images.make_dataset: grayscale images",
    ),
    pytest.param(
        call(images.make_dataset, PHOTOS, [0, 1, 1]),
        ValueError,
        r"labels must have shape \(2,\)",
        id="images.make_dataset: labels do not match",
    ),
    pytest.param(
        call(images.make_dataset, PHOTOS, [0, 1], augment="flip"),
        TypeError,
        "augment must be callable",
        id="images.make_dataset: augment not callable",
    ),
    pytest.param(
        call(images.augmentation_layers, fill_mode="mirror"),
        ValueError,
        "fill_mode must be one of",
        id="images.augmentation_layers: unknown fill mode",
    ),
    pytest.param(
        call(images.augment_examples, RGB, lambda x, training: x, n=0),
        ValueError,
        "n must be a positive integer",
        id="images.augment_examples: n 0",
    ),
    # models
    pytest.param(
        call(models.mnist_convnet, (28, 28)),
        ValueError,
        r"must be \(height, width, channels\)",
        id="models.mnist_convnet: input shape without channels",
    ),
    pytest.param(
        call(models.mnist_conv_base, (12, 12, 1)),
        ValueError,
        "at least 18×18",
        id="models.mnist_conv_base: input too small",
    ),
    pytest.param(
        call(models.cats_vs_dogs_convnet, (32, 32, 3)),
        ValueError,
        "at least 46×46",
        id="models.cats_vs_dogs_convnet: input too small",
    ),
    pytest.param(
        call(models.cats_vs_dogs_convnet, dropout=1.5),
        ValueError,
        r"dropout must be a number in \[0, 1\)",
        id="models.cats_vs_dogs_convnet: dropout 1.5",
    ),
    pytest.param(
        call(models.mnist_dense_net, (28, -1)),
        ValueError,
        "positive integers",
        id="models.mnist_dense_net: negative side",
    ),
    # architectures
    pytest.param(
        call(arch.conv2d_layer_with_kernels, with_nan(np.ones((2, 3, 3)))),
        ValueError,
        "kernels contains NaN",
        id="architectures.conv2d_layer_with_kernels: NaN kernels",
    ),
    pytest.param(
        call(arch.conv2d_layer_with_kernels, KERNEL),
        ValueError,
        r"\(d, kh, kw\)",
        id="architectures.conv2d_layer_with_kernels: one 2-D kernel",
    ),
    pytest.param(
        call(arch.receptive_field_sizes, [3, 0]),
        ValueError,
        "every kernel size must be a positive integer",
        id="architectures.receptive_field_sizes: kernel size 0",
    ),
    pytest.param(
        lambda tmp: partial(arch.receptive_fields_of_layers, dense_only()),
        ValueError,
        "has no Conv2D or pooling layer",
        id="architectures.receptive_fields_of_layers: no conv layer",
    ),
    pytest.param(
        call(arch.receptive_fields_of_layers, "vgg16"),
        TypeError,
        "model must be a keras.Model",
        id="architectures.receptive_fields_of_layers: a name, not a model",
    ),
    pytest.param(
        lambda tmp: partial(arch.model_multiply_adds, depthwise()),
        ValueError,
        "depthwise",
        id="architectures.model_multiply_adds: depthwise convolution",
    ),
    pytest.param(
        call(arch.model_multiply_adds, None),
        TypeError,
        "model must be a keras.Model",
        id="architectures.model_multiply_adds: None",
    ),
    pytest.param(
        call(arch.conv2d_parameter_count, 3, 0, 32),
        ValueError,
        "in_channels must be a positive integer",
        id="architectures.conv2d_parameter_count: 0 channels",
    ),
    pytest.param(
        call(arch.relative_change, with_nan(IMAGE), IMAGE),
        ValueError,
        "reference contains NaN",
        id="architectures.relative_change: NaN",
    ),
    pytest.param(
        call(arch.shifted_images, np.ones((1, 5, 5)), dx=5),
        ValueError,
        "out of view",
        id="architectures.shifted_images: shift beyond the image",
    ),
    pytest.param(
        lambda tmp: partial(arch.relative_change_per_layer, tiny_convnet(), np.ones((2, 6, 6, 1)), [1]),
        ValueError,
        r"do not fit tiny_convnet, which takes batches of shape \(N, 8, 8, 1\)",
        id="architectures.relative_change_per_layer: wrong image size",
    ),
    pytest.param(
        lambda tmp: partial(arch.forward_seconds_per_image, tiny_convnet(), np.ones((2, 8, 8, 3))),
        ValueError,
        "do not fit tiny_convnet",
        id="architectures.forward_seconds_per_image: wrong channels",
    ),
    pytest.param(
        call(models.small_resnet, (28, 28)),
        ValueError,
        r"must be \(height, width, channels\)",
        id="models.small_resnet: input shape without channels",
    ),
    # transfer
    pytest.param(
        lambda tmp: partial(transfer.unfreeze_from, tiny_convnet(), "block6a"),
        ValueError,
        "no layer of tiny_convnet is named 'block6a'",
        id="transfer.unfreeze_from: unknown layer name",
    ),
    pytest.param(
        lambda tmp: partial(transfer.unfreeze_from, tiny_convnet(), ""),
        ValueError,
        "non-empty layer name",
        id="transfer.unfreeze_from: empty name",
    ),
    pytest.param(
        lambda tmp: partial(transfer.extract_features, tiny_convnet(8, 3), PHOTOS.astype("float32")),
        ValueError,
        "uint8",
        id="transfer.extract_features: float photos",
    ),
    pytest.param(
        lambda tmp: partial(transfer.extract_features, tiny_convnet(16, 3), PHOTOS),
        ValueError,
        "do not fit tiny_convnet",
        id="transfer.extract_features: photos of another size",
    ),
    pytest.param(
        call(transfer.extract_features, "efficientnet", PHOTOS),
        TypeError,
        "conv_base must be a keras.Model",
        id="transfer.extract_features: a name, not a model",
    ),
    pytest.param(
        call(models.feature_classifier, (5, 5, 8), units=0),
        ValueError,
        "units must be a positive integer",
        id="models.feature_classifier: 0 units",
    ),
    pytest.param(
        call(models.feature_classifier, (5, 5, 8), dropout=1),
        ValueError,
        "dropout must be a number in",
        id="models.feature_classifier: dropout 1",
    ),
    pytest.param(
        lambda tmp: partial(transfer.transplant_base, dense_named(3), dense_named(2)),
        ValueError,
        "other weight shapes",
        id="transfer.transplant_base: weights of another shape",
    ),
    pytest.param(
        lambda tmp: partial(transfer.transplant_base, dense_only(), tiny_convnet()),
        ValueError,
        r"has no layers named \['conv'\]",
        id="transfer.transplant_base: unknown layer names",
    ),
    pytest.param(
        call(models.InferenceMode, "base"), ValueError, "wraps a keras.Model", id="models.InferenceMode: not a model"
    ),
    # pretrained
    pytest.param(
        call(pretrained.preprocess_input, np.zeros((2, 4, 4))),
        ValueError,
        r"RGB with shape \(N, H, W, 3\)",
        id="pretrained.preprocess_input: grayscale batch",
    ),
    pytest.param(
        call(pretrained.preprocess_input, with_nan(np.ones((4, 4, 3)))),
        ValueError,
        "NaN or infinite",
        id="pretrained.preprocess_input: NaN",
    ),
    pytest.param(
        call(pretrained.preprocess_input, np.full((4, 4, 3), "x")),
        ValueError,
        "must be numeric",
        id="pretrained.preprocess_input: strings",
    ),
    pytest.param(
        call(pretrained.decode_predictions, np.ones((1, 10))),
        ValueError,
        r"shape \(N, 1000\)",
        id="pretrained.decode_predictions: 10 classes",
    ),
    pytest.param(
        call(pretrained.decode_predictions, np.ones((1, 1000)), top=0),
        ValueError,
        "top must be an integer between 1 and 1000",
        id="pretrained.decode_predictions: top 0",
    ),
    pytest.param(
        call(pretrained.decode_predictions, with_nan(np.ones((1, 1000)))),
        ValueError,
        "finite numbers",
        id="pretrained.decode_predictions: NaN",
    ),
    pytest.param(
        call(pretrained.imagenet_centre_crop, np.zeros((4, 4, 2))),
        ValueError,
        "an image must have shape",
        id="pretrained.imagenet_centre_crop: two channels",
    ),
    pytest.param(
        call(pretrained.efficientnet_lite0, input_shape=(16, 16, 3)),
        ValueError,
        "at least 32",
        id="pretrained.efficientnet_lite0: input too small",
    ),
    pytest.param(
        lambda tmp: partial(pretrained.efficientnet_lite0, weights=tmp / "missing.weights.h5"),
        ValueError,
        "'imagenet', None or an existing",
        id="pretrained.efficientnet_lite0: missing weights file",
    ),
    # torch_legacy
    pytest.param(
        lambda tmp: partial(load_state_dict, tmp / "missing.pth"),
        FileNotFoundError,
        "missing.pth does not exist",
        id="torch_legacy.load_state_dict: missing file",
    ),
    pytest.param(
        truncated_torch_file,
        TorchFormatError,
        "it is truncated, corrupt or not a legacy state_dict",
        id="torch_legacy.load_state_dict: truncated file",
    ),
    # trainings
    pytest.param(
        call(dataclasses.replace, trainings.MNIST_CONVNET, name="../escape"),
        ValueError,
        "file-name-safe",
        id="trainings.Training: name with a path",
    ),
    pytest.param(
        call(dataclasses.replace, trainings.MNIST_CONVNET, dense_units=64),
        ValueError,
        "does not use dense_units",
        id="trainings.Training: a field its network does not use",
    ),
    pytest.param(
        call(trainings.train_or_load, "mnist_convnet"),
        TypeError,
        "takes a Training",
        id="trainings.train_or_load: a name, not a training",
    ),
    pytest.param(
        call(trainings.smooth_curve, [1.0, 2.0], factor=1.0),
        ValueError,
        r"factor must be in \[0, 1\)",
        id="trainings.smooth_curve: factor 1",
    ),
    # plotting
    pytest.param(
        call(plotting.plot_matrix, np.ones((2, 2, 2))),
        ValueError,
        "draws 2-D arrays",
        id="plotting.plot_matrix: 3-D array",
    ),
    pytest.param(
        call(plotting.plot_image_grid, [np.ones(4)]),
        ValueError,
        "an image to draw must have shape",
        id="plotting.plot_image_grid: 1-D image",
    ),
    pytest.param(
        call(plotting.plot_image_grid, [IMAGE, IMAGE], ["one"]),
        ValueError,
        "one title per image",
        id="plotting.plot_image_grid: too few titles",
    ),
    pytest.param(
        call(plotting.plot_filtering, np.ones((5, 5, 2)), KERNEL, IMAGE),
        ValueError,
        "an image to draw must have shape",
        id="plotting.plot_filtering: two-channel image",
    ),
    pytest.param(
        call(plotting.plot_history, {"loss": [1.0]}),
        ValueError,
        r"history has no \['accuracy'\]",
        id="plotting.plot_history: missing metric",
    ),
    pytest.param(
        call(plotting.plot_history, {"loss": [1.0]}, metrics=()),
        ValueError,
        "at least one metric",
        id="plotting.plot_history: no metrics",
    ),
    pytest.param(
        call(plotting.plot_kernel_responses, [np.ones(3)], [IMAGE], ["k"]),
        ValueError,
        "a kernel to draw must be a 2-D array",
        id="plotting.plot_kernel_responses: 1-D kernel",
    ),
    pytest.param(
        call(plotting.plot_kernel_grid, KERNEL),
        ValueError,
        r"\(n, kh, kw\)",
        id="plotting.plot_kernel_grid: one 2-D kernel",
    ),
    # runtime
    pytest.param(
        call(runtime.seed_everything, -1),
        ValueError,
        r"seed must be an integer from 0 to 2\*\*32 - 1",
        id="runtime.seed_everything: negative seed",
    ),
    pytest.param(
        call(runtime.seed_everything, 1.5),
        ValueError,
        "seed must be an integer",
        id="runtime.seed_everything: float seed",
    ),
]


@pytest.mark.parametrize("make, error, match", CASES)
def test_bad_input_fails_with_one_clear_sentence(tmp_path, make, error, match):
    bad_call = make(tmp_path)  # set-up outside pytest.raises: only the call itself may raise
    with pytest.raises(error, match=match) as info:
        bad_call()
    assert_fails_well(info)


def test_the_sentence_check_can_fail():
    # Guards the guard: a chained, two-sentence message from inside NumPy must not pass.
    with pytest.raises(ValueError) as info:
        np.ones((2, 2)).reshape(3)
    with pytest.raises(AssertionError):
        assert_fails_well(info)
    with pytest.raises(AssertionError):
        assert_one_sentence("The file is broken. Download it again.")


# -- damaged caches: detected, reported in one sentence, rebuilt ------------------------------------


def one_warning(record, match: str) -> str:
    messages = [str(w.message) for w in record if match in str(w.message)]
    assert len(messages) == 1, [str(w.message) for w in record]
    assert_one_sentence(messages[0])
    return messages[0]


def test_a_corrupted_cached_download_is_deleted_and_fetched_again(tmp_path, monkeypatch):
    payload = b"tiny idx payload"
    monkeypatch.setitem(
        data.REGISTRY,
        "toy",
        data.DataFile(
            "toy/file.gz",
            ("https://example.org/toy/file.gz",),
            "sha256:" + __import__("hashlib").sha256(payload).hexdigest(),
            "test data",
        ),
    )
    downloads = []

    def download(url, destination):
        downloads.append(url)
        Path(destination).write_bytes(gzip.compress(payload))

    monkeypatch.setattr(data, "_download", download)
    cached = tmp_path / "cache" / "data" / "toy" / "file.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(gzip.compress(payload)[:10])  # truncated
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        path = data.fetch("toy")
    one_warning(record, "corrupted")
    assert downloads == ["https://example.org/toy/file.gz"]
    assert gzip.decompress(path.read_bytes()) == payload


def test_truncated_cached_features_are_deleted_and_computed_again(tmp_path, monkeypatch):
    # cats_vs_dogs_features with the photos and EfficientNet-Lite0 replaced by tiny stand-ins.
    import keras

    labels = np.array([0, 1])
    photos = np.zeros((2, *images.IMAGE_SIZE, 3), dtype=np.uint8)
    monkeypatch.setattr(data, "cats_vs_dogs_split", lambda: {"train": ([], labels), "validation": ([], labels)})
    monkeypatch.setattr(
        images, "load_cats_vs_dogs", lambda size: {"train": (photos, labels), "validation": (photos, labels)}
    )
    pool = keras.Sequential([keras.Input((*images.IMAGE_SIZE, 3)), keras.layers.AveragePooling2D(30)])
    monkeypatch.setattr(pretrained, "efficientnet_lite0", lambda **kwargs: pool)

    first = transfer.cats_vs_dogs_features()
    assert not first.loaded and first.train.shape == (2, 5, 5, 3)
    expected = np.array(first.train)  # first.train maps the file that is damaged next
    del first
    path = transfer.cats_vs_dogs_features().path
    path.write_bytes(path.read_bytes()[:200])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        again = transfer.cats_vs_dogs_features()
    one_warning(record, "damaged")
    assert not again.loaded
    np.testing.assert_array_equal(again.train, expected)
    assert transfer.cats_vs_dogs_features().loaded


def test_truncated_cached_imagenet_weights_are_not_trusted(tmp_path, monkeypatch):
    # The full rebuild from the PyTorch file is tested in test_pretrained.py; this is the check
    # that decides it, on a tiny model's weights saved the way the cache saves them.
    model = dense_only()
    path = tmp_path / "weights" / "tiny.weights.h5"
    pretrained._save_cache(model, path)
    assert pretrained._cache_problem(path) is None
    path.write_bytes(path.read_bytes()[:-100])
    assert "truncated" in pretrained._cache_problem(path)
    pretrained._sidecar(path).write_text("{not json")
    assert "unreadable" in pretrained._cache_problem(path)
