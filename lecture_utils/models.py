"""The networks the book builds, layer for layer: every builder in one place.

- the lecture's MNIST ConvNets and the dense network they are compared with;
- the lecture's cats-vs-dogs ConvNet;
- a residual block and a small ResNet built from it;
- the classifiers on a pretrained convolutional base (transfer learning), with the layer
  that keeps a base in inference mode inside ``fit()``.

Each builder returns an *uncompiled* ``keras.Model`` (or, for a block, a Keras tensor), so that
the optimizer, loss and schedule come from the training that uses it
(:mod:`lecture_utils.trainings`).  The pretrained EfficientNet-Lite0 itself is built where its
weights are converted, in :mod:`lecture_utils.pretrained`; the real-world networks counted in
chapter 3 come from ``keras.applications``.
"""

from __future__ import annotations

import keras
from keras import layers

from .checks import image_input_shape, positive_int, real_in

__all__ = [
    "mnist_conv_base",
    "mnist_convnet",
    "mnist_gap_convnet",
    "mnist_dense_net",
    "cats_vs_dogs_convnet",
    "residual_block",
    "small_resnet",
    "InferenceMode",
    "unit_to_efficientnet",
    "feature_classifier",
    "frozen_base_classifier",
]


# @save
def mnist_conv_base(input_shape=(28, 28, 1)):
    """The lecture's convolutional base: Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64)."""
    input_shape = image_input_shape(input_shape, min_side=18)  # 3 valid convolutions, 2 poolings
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(64, (3, 3), activation="relu"),
        ],
        name="mnist_conv_base",
    )


# @save
def mnist_convnet(input_shape=(28, 28, 1)):
    """The conv base + Flatten (576) → Dense(64, ReLU) → Dense(10, softmax)."""
    model = mnist_conv_base(input_shape)
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.name = "mnist_convnet"
    return model


# @save
def mnist_gap_convnet(input_shape=(28, 28, 1)):
    """The conv base + GlobalAveragePooling2D (64) → Dense(10, softmax)."""
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
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="mnist_dense_net",
    )


# @save
def cats_vs_dogs_convnet(input_shape=(150, 150, 3), dropout=None):
    """The lecture's cats-vs-dogs ConvNet, with Dropout before the dense layers if ``dropout`` is a rate."""
    input_shape = image_input_shape(input_shape, min_side=46)  # 4 valid convolutions and poolings
    model = keras.Sequential(name="cats_vs_dogs_convnet")
    model.add(keras.Input(input_shape))
    model.add(layers.Conv2D(32, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    if dropout is not None and real_in(dropout, "dropout", "[0, 1)") > 0:  # one sentence for a wrong rate
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


# ---------------------------------------------------------------------------------------------
# Residual networks


# Batch normalisation keeps moving averages of the batch statistics for inference. With Keras'
# default momentum (0.99) they need many hundreds of steps to forget their initial values, so a
# network trained for a few hundred steps would predict with wrong statistics; 0.9 suffices.
_BN_MOMENTUM = 0.9


# @save
def residual_block(x, filters, stride=1, name="block", momentum=0.9):
    """A ResNet basic block: Conv3×3(stride) → BN → ReLU → Conv3×3 → BN, plus a shortcut, then ReLU.

    The shortcut is ``x`` itself when the shapes match, else a 1×1 convolution with the block's
    stride, and BN (a projection). Layer names start with ``name``.
    """
    filters, stride = positive_int(filters, "filters"), positive_int(stride, "stride")
    if len(x.shape) != 4:
        raise ValueError(f"residual_block expects a 4-D feature map (batch, H, W, C), got shape {x.shape}.")
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_shortcut")(x)
        shortcut = layers.BatchNormalization(momentum=momentum, name=f"{name}_shortcut_bn")(shortcut)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(momentum=momentum, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=momentum, name=f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def small_resnet(input_shape=(28, 28, 1), num_classes: int = 10, filters=(16, 32, 64)):
    """A small ResNet: a stem, one residual block per entry of ``filters``, GAP, softmax.

    Like ResNet50's, the stem is a convolution followed by a 2×2 max-pooling, so the blocks
    work at half the input resolution. The first block, with as many filters as the stem, has
    an identity shortcut; every later block halves the resolution with a 1×1-stride-2
    projection shortcut. With the defaults on 28×28×1 MNIST digits: stem 14×14×16 →
    14×14×16 → 7×7×32 → 4×4×64 → 10 classes.

    Parameters
    ----------
    input_shape : tuple
        (height, width, channels).
    num_classes : int
    filters : sequence of int
        Channels of the stem and first block, then of each further block.

    Returns
    -------
    keras.Model (functional, uncompiled), named ``small_resnet``
    """
    filters = [positive_int(f, "every entry of filters") for f in filters]
    if not filters:
        raise ValueError("small_resnet needs at least one block (filters is empty).")
    num_classes = positive_int(num_classes, "num_classes")
    input_shape = image_input_shape(input_shape, min_side=2)  # the stem's 2×2 max-pooling
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(filters[0], 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(momentum=_BN_MOMENTUM, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    x = layers.MaxPooling2D(2, name="stem_pool")(x)
    for i, f in enumerate(filters):
        x = residual_block(x, f, stride=1 if i == 0 else 2, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="small_resnet")


# ---------------------------------------------------------------------------------------------
# Classifiers on a pretrained convolutional base (transfer learning)


@keras.saving.register_keras_serializable(package="lecture_utils")
class FusedBatchNormalization(layers.BatchNormalization):
    """``BatchNormalization`` that normalises with TensorFlow's fused kernel in inference mode.

    The same layer, weights and results (up to float rounding) as Keras'
    ``BatchNormalization``.  In inference mode (``training`` false, or the layer frozen), Keras 3
    normalises with four separate element-wise operations over the activations; this layer
    calls TensorFlow's single fused kernel instead (``FusedBatchNormV3``, what Keras 2's
    ``BatchNormalization(fused=True)`` used), which oneDNN runs and TensorFlow's graph optimiser
    can merge into the convolution before it.  For a frozen EfficientNet-Lite0 base, whose 49
    batch normalisations all run in inference mode, a forward pass takes about a fifth less
    time (``benchmarks/results.md``).  Training mode, masks and other than 4-D channels-last
    inputs fall back to Keras' own code.  Gradients flow through both paths.
    """

    def call(self, inputs, training=None, mask=None):
        fusable = len(inputs.shape) == 4 and self.axis in (3, -1) and self.scale and self.center and mask is None
        if (training and self.trainable) or not fusable or keras.backend.backend() != "tensorflow":
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        # Computed in float32 like Keras' own path (batch norm overflows in bfloat16 or float16).
        x = keras.ops.cast(inputs, "float32")
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x,
            scale=keras.ops.cast(self.gamma, "float32"),
            offset=keras.ops.cast(self.beta, "float32"),
            mean=keras.ops.cast(self.moving_mean, "float32"),
            variance=keras.ops.cast(self.moving_variance, "float32"),
            epsilon=self.epsilon,
            is_training=False,
        )
        return keras.ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="lecture_utils")
class InferenceMode(keras.layers.Layer):
    """Wraps a model so that it always runs in inference mode, also inside ``fit()``.

    Batch normalisation then normalises with its stored (ImageNet) statistics and never
    updates them, and dropout is off — whether or not the wrapped layers are trainable.
    Trainable layers of the wrapped model are still trained by the outer model's optimizer.

    Parameters
    ----------
    model : keras.Model
        E.g. a pretrained convolutional base; available as ``.model``.
    """

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, keras.Model):
            raise ValueError(f"InferenceMode wraps a keras.Model, got {type(model).__name__}.")
        self.model = model

    def call(self, inputs):
        return self.model(inputs, training=False)

    def compute_output_shape(self, input_shape):
        return self.model.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "model": keras.saving.serialize_keras_object(self.model)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        model = keras.saving.deserialize_keras_object(config.pop("model"))
        return cls(model, **config)


def unit_to_efficientnet(name: str = "efficientnet_preprocessing"):
    """A layer mapping images in [0, 1] to EfficientNet-Lite0's input scale.

    :func:`lecture_utils.images.make_dataset` divides pixels by 255; the pretrained weights
    expect ``(x - 127) / 128`` of 0–255 values (:func:`lecture_utils.pretrained.preprocess_input`).
    With ``u = x / 255`` that is ``u * 255/128 - 127/128``, a ``Rescaling`` layer.

    Returns
    -------
    keras.layers.Rescaling
        Maps (N, H, W, 3) in [0, 1] to (N, H, W, 3) in [-0.99, 1.0].
    """
    return keras.layers.Rescaling(255 / 128, offset=-127 / 128, name=name)


# @save
def feature_classifier(feature_shape, units=256, dropout=0.5):
    """The lecture's dense network on stored features: Flatten → Dense(ReLU) → Dropout → Dense(1, sigmoid)."""
    if not len(feature_shape):
        raise ValueError("feature_shape must be the shape of one feature map, e.g. (5, 5, 1280), got ().")
    feature_shape = tuple(positive_int(s, "every entry of feature_shape") for s in feature_shape)
    model = keras.Sequential(name="feature_classifier")
    model.add(keras.Input(feature_shape))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(positive_int(units, "units"), activation="relu", name="dense"))
    if dropout is not None and real_in(dropout, "dropout", "[0, 1)") > 0:  # one sentence for a wrong rate
        model.add(layers.Dropout(dropout, name="dropout"))
    model.add(layers.Dense(1, activation="sigmoid", name="output"))
    return model


# @save
def frozen_base_classifier(conv_base, units=256, dropout=None, preprocessing=None):
    """A frozen convolutional base with the lecture's dense classifier on top, for photos in [0, 1].

    ``preprocessing`` maps the photos to what ``conv_base`` expects (by default EfficientNet-Lite0's
    scaling); ``InferenceMode`` keeps the base's batch normalisation in inference mode in ``fit``.
    """
    if not isinstance(conv_base, keras.Model) or None in conv_base.input_shape[1:]:
        raise ValueError("conv_base must be a keras.Model with a fixed input shape (H, W, 3).")
    conv_base.trainable = False  # its weights stay as they were trained on ImageNet
    inputs = keras.Input(conv_base.input_shape[1:], name="photo")
    x = (preprocessing if preprocessing is not None else unit_to_efficientnet())(inputs)
    x = InferenceMode(conv_base, name="conv_base")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(units, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(inputs, outputs, name="frozen_base_classifier")
