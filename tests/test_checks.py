"""The argument checks every helper shares: what passes, and the one sentence for what does not."""

import numpy as np
import pytest

from lecture_utils import checks


@pytest.mark.parametrize("value", [1, np.int64(7), 10**12])
def test_positive_int_passes_integers_as_int(value):
    out = checks.positive_int(value, "n")
    assert out == value and type(out) is int


@pytest.mark.parametrize("value", [0, -3, 1.0, True, "2", None])
def test_positive_int_rejects_non_integers_and_bools(value):
    with pytest.raises(ValueError, match=r"^n must be a positive integer, got .*\.$"):
        checks.positive_int(value, "n")


@pytest.mark.parametrize(
    "kwargs, value, message",
    [
        ({"low": 0}, -1, "a non-negative integer, got -1"),
        ({"low": 0, "unit": "pixels"}, -1, "a non-negative integer number of pixels, got -1"),
        ({"low": 2, "unit": "pixels"}, 1, "an integer of at least 2 pixels, got 1"),
        ({"low": 0, "high": 3, "note": " (F - 1)"}, 4, r"an integer from 0 to 3 \(F - 1\), got 4"),
        ({"high": 3}, 4, "an integer of at most 3, got 4"),
        ({}, 1.5, "an integer, got 1.5"),
    ],
)
def test_int_in_range_says_which_integers(kwargs, value, message):
    with pytest.raises(ValueError, match=f"^x must be {message}\\.$"):
        checks.int_in_range(value, "x", **kwargs)


def test_int_in_range_includes_both_ends():
    assert checks.int_in_range(0, "x", 0, 3) == 0
    assert checks.int_in_range(np.uint8(3), "x", 0, 3) == 3
    assert checks.int_in_range(-5, "x") == -5


def test_int_pair_takes_an_int_or_a_pair():
    assert checks.int_pair(3, "kernel_size") == (3, 3)
    assert checks.int_pair((3, 5), "kernel_size") == (3, 5)
    with pytest.raises(ValueError, match=r"\(height, width\) pair"):
        checks.int_pair((1, 2, 3), "kernel_size")
    with pytest.raises(ValueError, match="positive integer"):
        checks.int_pair((3, 0), "kernel_size")


@pytest.mark.parametrize("size", [(2,), (2, 0), (2.0, 3), "ab", 5])
def test_size_2d_rejects_what_is_not_two_positive_ints(size):
    with pytest.raises(ValueError, match=r"size must be two positive integers \(height, width\)"):
        checks.size_2d(size)


def test_real_in_reads_the_interval_as_written():
    assert checks.real_in(1, "x", "(0, 1]") == 1.0
    assert checks.real_in(0, "x", "[0, 1)") == 0.0
    for value, interval in [(0, "(0, 1]"), (1, "[0, 1)"), (float("nan"), "(-inf, inf)"), (True, "[0, 1]")]:
        with pytest.raises(ValueError, match=r"^x must be a .*, got .*\.$"):
            checks.real_in(value, "x", interval)


@pytest.mark.parametrize(
    "interval, words",
    [
        ("(0, inf)", "a positive number of pixels"),
        ("[0, inf)", "a non-negative number of pixels"),
        ("(-inf, inf)", "a finite number of pixels"),
        ("[0, 180]", r"a number in \[0, 180\] pixels"),
    ],
)
def test_real_in_says_the_interval_in_words(interval, words):
    with pytest.raises(ValueError, match=f"^x must be {words}, got 'a'; a hint\\.$"):
        checks.real_in("a", "x", interval, unit="pixels", hint="; a hint")


def test_one_of_lists_the_choices():
    assert checks.one_of("max", "mode", ("max", "average")) == "max"
    with pytest.raises(ValueError, match="^mode must be 'max' or 'average', got 'median'.$"):
        checks.one_of("median", "mode", ("max", "average"))
    with pytest.raises(ValueError, match="^kind must be one of 'a', 'b' or 'c', got 'd'.$"):
        checks.one_of("d", "kind", "abc")


def test_grayscale_image_is_a_finite_2d_float_array():
    out = checks.grayscale_image(np.ones((2, 3), dtype=np.uint8))
    assert out.dtype == float and out.shape == (2, 3)
    for bad, message in [
        (np.ones((2, 2, 3)), "2-D array"),
        (np.ones((0, 3)), "is empty"),
        (np.full((2, 2), np.nan), "NaN"),
        (np.ones((2, 2)) * 1j, "real numbers"),
    ]:
        with pytest.raises(ValueError, match=message):
            checks.grayscale_image(bad)
