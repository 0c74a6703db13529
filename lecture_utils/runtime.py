"""Reproducible runs: one call at the top of a chapter."""

from __future__ import annotations

import importlib.util
import random

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
