"""Which arithmetic the book's trainings use, chosen by the machine they run on.

``mixed_bfloat16`` (float32 weights, 16-bit bfloat16 arithmetic) about doubles a ConvNet's
training speed on a CPU that computes bfloat16 natively, and costs no accuracy on the book's
trainings. On every other CPU it is a trap: oneDNN without bfloat16 instructions either fails
to create its convolution ("could not create a primitive descriptor") or emulates them at half
the float32 speed, and TensorFlow's own kernels run it about 15× slower than float32. So:

- ``LECTURE_PRECISION=float32`` or ``mixed_bfloat16`` decides, if set;
- otherwise ``mixed_bfloat16`` only on an x86-64 CPU with the ``avx512_bf16`` or ``amx_bf16``
  instructions, which oneDNN is allowed to use (``ONEDNN_MAX_CPU_ISA`` can forbid them, and
  ``TF_ENABLE_ONEDNN_OPTS=0`` turns oneDNN off);
- float32 everywhere else, Apple silicon included (TensorFlow's macOS build has no fast
  bfloat16 path on its CPU).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import NamedTuple

__all__ = ["Precision", "training_precision", "native_bfloat16_flags"]

POLICIES = ("float32", "mixed_bfloat16")

#: CPU flags (as Linux's /proc/cpuinfo names them) with which x86-64 computes bfloat16.
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")

# oneDNN's ISA caps (ONEDNN_MAX_CPU_ISA) under which it may use bfloat16 instructions; every
# lower cap (SSE41, AVX, AVX2, AVX2_VNNI, AVX512_CORE, AVX512_CORE_VNNI, ...) forbids them.
_BFLOAT16_ISAS = {
    "ALL",
    "DEFAULT",
    "AVX512_CORE_BF16",
    "AVX512_CORE_FP16",
    "AVX512_CORE_AMX",
    "AVX512_CORE_AMX_FP16",
    "AVX10_1_512",
    "AVX10_1_512_AMX",
    "AVX10_1_512_AMX_FP16",
    "AVX10_2_512",
    "AVX10_2_512_AMX_2",
}


class Precision(NamedTuple):
    """A Keras dtype policy for the trainings, and why it was chosen."""

    policy: str
    reason: str

    def __str__(self) -> str:
        return f"Training precision: {self.policy}; {self.reason}."


def native_bfloat16_flags(cpuinfo: str) -> list[str]:
    """The bfloat16 instruction flags listed in a Linux ``/proc/cpuinfo`` text, in order."""
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags.update(value.split())
    return [flag for flag in BFLOAT16_FLAGS if flag in flags]


def _read_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def training_precision(environ=None, machine: str | None = None, cpuinfo: str | None = None) -> Precision:
    """The dtype policy the book's ConvNet trainings use on this machine.

    Parameters
    ----------
    environ : mapping, optional
        Environment variables (default ``os.environ``): ``LECTURE_PRECISION``,
        ``ONEDNN_MAX_CPU_ISA`` and ``TF_ENABLE_ONEDNN_OPTS`` are read.
    machine : str, optional
        ``platform.machine()`` of the CPU (default: this one's), e.g. ``"x86_64"``, ``"arm64"``.
    cpuinfo : str, optional
        Text of ``/proc/cpuinfo`` (default: this machine's; empty where there is none).

    Returns
    -------
    Precision
        ``policy`` is ``"float32"`` or ``"mixed_bfloat16"``; ``reason`` says why, in words.

    Raises
    ------
    ValueError
        If ``LECTURE_PRECISION`` is set to anything but ``float32`` or ``mixed_bfloat16``.
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get("LECTURE_PRECISION", "").strip()
    if chosen:
        if chosen not in POLICIES:
            raise ValueError(
                f"LECTURE_PRECISION must be 'float32' or 'mixed_bfloat16', got "
                f"{chosen!r}; unset it to let the CPU decide."
            )
        return Precision(chosen, "set by LECTURE_PRECISION")
    machine = (platform.machine() if machine is None else machine).lower()
    if machine not in ("x86_64", "amd64"):
        return Precision("float32", f"this {machine} CPU has no bfloat16 path in TensorFlow")
    if environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0":
        return Precision(
            "float32", "oneDNN is off (TF_ENABLE_ONEDNN_OPTS=0), and TensorFlow's own bfloat16 kernels are slow"
        )
    cpuinfo = _read_cpuinfo() if cpuinfo is None else cpuinfo
    if not cpuinfo:  # Windows, macOS on Intel: no /proc/cpuinfo to read the flags from
        return Precision("float32", "this CPU's flags cannot be read, so bfloat16 is not assumed")
    flags = native_bfloat16_flags(cpuinfo)
    if not flags:
        return Precision("float32", "this CPU does not compute bfloat16 natively")
    cap = environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    if cap and cap not in _BFLOAT16_ISAS:
        return Precision("float32", f"ONEDNN_MAX_CPU_ISA={cap} keeps oneDNN from using the CPU's bfloat16 instructions")
    return Precision("mixed_bfloat16", f"the CPU has {' and '.join(flags)}: native bfloat16 arithmetic")
