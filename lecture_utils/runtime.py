"""Reproducible runs (one call at the top of a chapter), and freed memory given back."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import random
import sys
from pathlib import Path

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
#: Where this process may use this much memory or less, freed memory is given back at once.
TIGHT_MEMORY = 4 * 2**30


def memory_limit(proc_cgroup: Path = Path("/proc/self/cgroup"), cgroups: Path = Path("/sys/fs/cgroup")) -> int | None:
    """The memory this process may use: the machine's, or less where a memory cgroup limits it.

    Binder, JupyterHub and containers limit a session with a memory cgroup (version 2's
    ``memory.max`` or version 1's ``memory.limit_in_bytes``, in the process's group or any
    group above it); the smallest of those limits and the machine's memory is returned.

    Parameters
    ----------
    proc_cgroup, cgroups : Path
        Where the process's groups are listed and where the hierarchy is mounted (tests point
        them elsewhere).

    Returns
    -------
    int or None
        Bytes; None where neither the machine's memory nor a limit can be read (not Linux or
        another Unix).
    """
    limits = []
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        pass
    try:
        groups = proc_cgroup.read_text().splitlines()
    except OSError:
        groups = []
    for line in groups:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # version 2, one hierarchy
            folder, name = cgroups, "memory.max"
        elif "memory" in controllers.split(","):
            folder, name = cgroups / "memory", "memory.limit_in_bytes"
        else:
            continue
        group = folder / path.strip("/")
        for level in [group, *group.parents]:
            try:
                value = (level / name).read_text().strip()
            except OSError:
                value = ""
            if value.isdigit():
                limits.append(int(value))
            if level == folder:
                break
    return min(limits) if limits else None


def return_freed_memory() -> bool:
    """Have glibc's ``malloc`` give large freed blocks back to the system (Linux only).

    glibc serves a block of 128 kB or more with its own pages, returned when it is freed,
    but after the first such block is freed it raises that threshold, up to 32 MB.  From
    then on TensorFlow's many tensors of a few MB come from the heaps of its threads, which
    keep freed memory: training the cats-vs-dogs ConvNet in float32 then peaks about 400 MB
    higher than with the threshold fixed (``benchmarks/results.md``), more than Binder's
    2 GB can spare.  A fixed threshold of :data:`MMAP_THRESHOLD` keeps every block above it
    on pages of its own; fresh pages for every large tensor cost some time (about 10 % of a
    training's).

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


def return_freed_memory_where_tight(limit: int | None = None) -> bool:
    """:func:`return_freed_memory` where this process may use :data:`TIGHT_MEMORY` or less.

    Memory then matters more than the time it costs (Binder's 2 GB, a JupyterHub's share, the
    test suite's 2 GiB per chapter); with more, the chapters keep glibc's faster default.

    Parameters
    ----------
    limit : int, optional
        Bytes this process may use; by default :func:`memory_limit`.

    Returns
    -------
    bool
        Whether freed memory is now given back.
    """
    limit = memory_limit() if limit is None else limit
    return limit is not None and limit <= TIGHT_MEMORY and return_freed_memory()
