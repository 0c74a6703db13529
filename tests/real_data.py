"""Markers for tests that need the real data offline, or a CPU that computes bfloat16."""

import os

import pytest

from lecture_utils import data
from lecture_utils.precision import training_precision


def _mnist_in_mirror() -> bool:
    mirror = data.mirror_dir()
    return mirror is not None and (mirror / data.REGISTRY["mnist/train-images"].path).is_file()


#: For tests that train on real digits in an empty cache: the digits must come from the mirror
#: (LECTURE_DATA_DIR; CI has one), since tests never download.
needs_mnist_mirror = pytest.mark.skipif(not _mnist_in_mirror(), reason="MNIST is not in LECTURE_DATA_DIR")

# Training in bfloat16 aborts inside oneDNN on a CPU without it: only there is it tried.
_HARDWARE = training_precision({k: v for k, v in os.environ.items() if k != "LECTURE_PRECISION"})
needs_bfloat16 = pytest.mark.skipif(_HARDWARE.policy != "mixed_bfloat16", reason=_HARDWARE.reason)
