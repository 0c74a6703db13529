"""Markers for tests that need the real data offline."""

import pytest

from lecture_utils import data


def _mnist_in_mirror() -> bool:
    mirror = data.mirror_dir()
    return mirror is not None and (mirror / data.REGISTRY["mnist/train-images"].path).is_file()


#: For tests that train on real digits in an empty cache: the digits must come from the mirror
#: (LECTURE_DATA_DIR; CI has one), since tests never download.
needs_mnist_mirror = pytest.mark.skipif(not _mnist_in_mirror(), reason="MNIST is not in LECTURE_DATA_DIR")
