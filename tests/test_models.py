"""The lecture's networks: the parameter counts and shapes its slides print."""

import pytest

from lecture_utils import models


def output_shapes(model):
    return [tuple(layer.output.shape) for layer in model.layers]


def test_conv_base_shapes_and_parameters():
    base = models.mnist_conv_base()
    assert output_shapes(base) == [
        (None, 26, 26, 32),
        (None, 13, 13, 32),
        (None, 11, 11, 64),
        (None, 5, 5, 64),
        (None, 3, 3, 64),
    ]
    assert [layer.count_params() for layer in base.layers] == [320, 0, 18496, 0, 36928]
    assert base.count_params() == 55_744


def test_convnet_adds_flatten_and_two_dense_layers():
    model = models.mnist_convnet()
    assert output_shapes(model)[-3:] == [(None, 576), (None, 64), (None, 10)]
    assert [layer.count_params() for layer in model.layers[-2:]] == [36928, 650]
    assert model.count_params() == 93_322


def test_gap_convnet_has_far_fewer_weights():
    model = models.mnist_gap_convnet()
    assert output_shapes(model)[-2:] == [(None, 64), (None, 10)]
    assert model.count_params() == 56_394


def test_dense_net():
    model = models.mnist_dense_net()
    assert output_shapes(model) == [(None, 784), (None, 512), (None, 10)]
    assert model.count_params() == 784 * 512 + 512 + 512 * 10 + 10 == 407_050


@pytest.mark.parametrize("dropout", [None, 0.5])
def test_cats_vs_dogs_convnet(dropout):
    model = models.cats_vs_dogs_convnet(dropout=dropout)
    shapes = output_shapes(model)
    assert shapes[0] == (None, 148, 148, 32) and shapes[7] == (None, 7, 7, 128)
    assert shapes[-1] == (None, 1)
    assert model.count_params() == 3_453_121


def test_builders_take_other_input_shapes():
    assert output_shapes(models.mnist_convnet((32, 32, 3)))[-1] == (None, 10)
    assert output_shapes(models.mnist_conv_base((32, 32, 3)))[-1] == (None, 4, 4, 64)
