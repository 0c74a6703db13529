"""The precision rule: mixed_bfloat16 only where the CPU computes bfloat16 natively."""

import pytest

from lecture_utils.precision import native_bfloat16_flags, training_precision

ZEN5 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
SKYLAKE = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_vnni\n"
SAPPHIRE_RAPIDS = "flags\t\t: avx512f avx512_bf16 amx_bf16 amx_tile\n"


def test_flags_read_from_cpuinfo():
    assert native_bfloat16_flags(ZEN5) == ["avx512_bf16"]
    assert native_bfloat16_flags(SAPPHIRE_RAPIDS) == ["avx512_bf16", "amx_bf16"]
    assert native_bfloat16_flags(SKYLAKE) == []
    assert native_bfloat16_flags("") == []


@pytest.mark.parametrize(
    "environ, machine, cpuinfo, policy",
    [
        ({}, "x86_64", ZEN5, "mixed_bfloat16"),
        ({}, "x86_64", SAPPHIRE_RAPIDS, "mixed_bfloat16"),
        ({}, "x86_64", SKYLAKE, "float32"),
        ({}, "AMD64", "", "float32"),  # Windows: no /proc/cpuinfo
        ({}, "arm64", "", "float32"),  # Apple silicon
        ({}, "aarch64", "flags : fp asimd bf16\n", "float32"),
        ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, "x86_64", ZEN5, "float32"),
        ({"ONEDNN_MAX_CPU_ISA": "avx512_core"}, "x86_64", ZEN5, "float32"),
        ({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_VNNI"}, "x86_64", ZEN5, "float32"),
        ({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}, "x86_64", ZEN5, "mixed_bfloat16"),
        ({"ONEDNN_MAX_CPU_ISA": "ALL"}, "x86_64", ZEN5, "mixed_bfloat16"),
        ({"TF_ENABLE_ONEDNN_OPTS": "0"}, "x86_64", ZEN5, "float32"),
        ({"LECTURE_PRECISION": "float32"}, "x86_64", ZEN5, "float32"),
        ({"LECTURE_PRECISION": "mixed_bfloat16"}, "arm64", "", "mixed_bfloat16"),
    ],
)
def test_rule(environ, machine, cpuinfo, policy):
    chosen = training_precision(environ, machine=machine, cpuinfo=cpuinfo)
    assert chosen.policy == policy
    assert chosen.reason and str(chosen).startswith(f"Training precision: {policy};")


def test_override_names_the_cause():
    with pytest.raises(ValueError, match="LECTURE_PRECISION must be 'float32' or 'mixed_bfloat16', got 'bf16'"):
        training_precision({"LECTURE_PRECISION": "bf16"}, machine="x86_64", cpuinfo=ZEN5)
