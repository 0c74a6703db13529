"""The networks the lecture builds, layer for layer, as compiled-ready Keras models.

Each builder returns an *uncompiled* ``keras.Model`` so that a chapter shows the ``compile``
call (optimizer, loss, metrics) where the lecture discusses it.
"""

from __future__ import annotations

import keras
from keras import layers

from ._checks import image_input_shape

def _smallest_side(blocks: int, last_conv: bool) -> int:
    """Smallest input side that survives ``blocks`` × (3×3 valid conv, 2×2 pool), then a 3×3 conv."""
    side = 3 if last_conv else 1
    for _ in range(blocks):
        side = 2 * side + 2
    return side


__all__ = [
    "mnist_conv_base",
    "mnist_convnet",
    "mnist_gap_convnet",
    "mnist_dense_net",
    "cats_vs_dogs_convnet",
]


def mnist_conv_base(input_shape=(28, 28, 1)) -> keras.Sequential:
    """The lecture's convolutional base: Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64).

    3×3 kernels, ReLU, no padding; 28×28×1 in, 3×3×64 out; 55,744 parameters.

    Raises
    ------
    ValueError
        If ``input_shape`` is not (height, width, channels), or smaller than 18×18 (the three
        unpadded convolutions and two poolings would leave nothing).
    """
    # Checked here: Keras would only complain about a negative dimension deep inside a layer.
    input_shape = image_input_shape(input_shape, min_side=_smallest_side(2, last_conv=True))
    # [mnist-conv-base] (chapter 3 shows the lines from here to the end marker)
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
    ], name="mnist_conv_base")
    # [mnist-conv-base-end]


def mnist_convnet(input_shape=(28, 28, 1)) -> keras.Sequential:
    """The conv base + Flatten (576) → Dense(64, ReLU) → Dense(10, softmax): 93,322 parameters."""
    model = mnist_conv_base(input_shape)
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.name = "mnist_convnet"
    return model


def mnist_gap_convnet(input_shape=(28, 28, 1)) -> keras.Sequential:
    """The conv base + GlobalAveragePooling2D (64) → Dense(10, softmax): 56,394 parameters."""
    model = mnist_conv_base(input_shape)
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Dense(10, activation="softmax"))
    model.name = "mnist_gap_convnet"
    return model


def mnist_dense_net(input_shape=(28, 28)) -> keras.Sequential:
    """The fully connected network the lecture compares with: Flatten → Dense(512, ReLU) → Dense(10)."""
    try:
        sides = tuple(input_shape)
    except TypeError:
        sides = ()
    if not sides or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sides):
        raise ValueError(f"input_shape must be a tuple of positive integers, e.g. (28, 28), got {input_shape!r}.")
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_dense_net")


def cats_vs_dogs_convnet(input_shape=(150, 150, 3), dropout: float | None = None) -> keras.Sequential:
    """The lecture's cats-vs-dogs ConvNet: Conv 32/64/128/128 with 2×2 max-pooling, Flatten,
    Dense(512, ReLU), Dense(1, sigmoid); 3,453,121 parameters.

    Parameters
    ----------
    input_shape : tuple
        (150, 150, 3): RGB images rescaled to [0, 1].
    dropout : float, optional
        Rate of a Dropout layer before the Dense(512) layer (the lecture's second model, 0.5).

    Raises
    ------
    ValueError
        If ``input_shape`` is not (height, width, channels) of at least 46×46 pixels (four
        unpadded convolutions and poolings), or ``dropout`` is not in [0, 1).
    """
    input_shape = image_input_shape(input_shape, min_side=_smallest_side(4, last_conv=False))
    if dropout is not None and not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"dropout must be a rate in [0, 1) or None, got {dropout!r}.")
    stack = [keras.Input(input_shape)]
    for filters in (32, 64, 128, 128):
        stack += [layers.Conv2D(filters, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2))]
    stack.append(layers.Flatten())
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack += [layers.Dense(512, activation="relu"), layers.Dense(1, activation="sigmoid")]
    return keras.Sequential(stack, name="cats_vs_dogs_convnet")
