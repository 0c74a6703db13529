"""Reproducible runs (one call at the top of a chapter), and freed memory given back."""

from __future__ import annotations

import ctypes
import importlib.util
import random
import sys

import numpy as np


def seed_everything(seed: int = 42) -> None:
    """Seed Python, NumPy and Keras/TensorFlow (where installed) and make TensorFlow's ops deterministic.

    Call it once, at the top of a chapter, so that re-running the chapter on the same machine
    gives identical numbers (the lecture's "fixed seeds" advice, plus TF op determinism).

    Raises
    ------
    ValueError
        If ``seed`` is not an integer from 0 to 2**32 - 1 (what NumPy accepts).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r}.")
    random.seed(seed)
    np.random.seed(seed)
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("tensorflow") is None:
        return  # a chapter without deep learning, in an environment without TensorFlow
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


#: glibc's ``mallopt`` parameter number for the mmap threshold (``M_MMAP_THRESHOLD``).
_M_MMAP_THRESHOLD = -3
#: Blocks of this size and more get their own pages from the system, and give them back when freed.
MMAP_THRESHOLD = 1 << 20


def return_freed_memory() -> bool:
    """Have glibc's ``malloc`` give large freed blocks back to the system (Linux only).

    glibc serves a block of 128 kB or more with its own pages, returned when it is freed,
    but after the first such block is freed it raises that threshold, up to 32 MB.  From
    then on TensorFlow's many tensors of a few MB come from the heaps of its threads, which
    keep freed memory: training the cats-vs-dogs ConvNet in float32 then peaks about 400 MB
    higher than with the threshold fixed (``benchmarks/results.md``), more than Binder's
    2 GB can spare.  A fixed threshold of :data:`MMAP_THRESHOLD` keeps every block
    above it on pages of its own.

    Returns
    -------
    bool
        True where the setting took (glibc); False elsewhere (macOS, Windows, musl), whose
        allocators do not keep such blocks in the same way.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # musl, whose malloc has no such threshold
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
