"""Process-wide settings of lecture_utils: freed memory given back where memory is tight."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from lecture_utils import runtime

GiB = 2**30


def test_freed_memory_goes_back_to_the_system_where_glibc_allocates():
    # glibc keeps freed tensors of up to 32 MB in its heaps unless told otherwise (see
    # runtime.return_freed_memory); other C libraries do not take the setting.
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert runtime.return_freed_memory() is glibc


def test_only_where_memory_is_tight():
    assert not runtime.return_freed_memory_where_tight(limit=16 * GiB)
    assert runtime.return_freed_memory_where_tight(limit=2 * GiB) is runtime.return_freed_memory()


def _hierarchy(tmp_path, cgroup_lines, files):
    proc = tmp_path / "cgroup"
    proc.write_text("\n".join(cgroup_lines) + "\n")
    for name, text in files.items():
        path = tmp_path / "sys" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return proc, tmp_path / "sys"


def test_a_cgroup_v2_limit_in_the_group_or_above(tmp_path):
    proc, sys_fs = _hierarchy(
        tmp_path,
        ["0::/user.slice/binder/session"],
        {"user.slice/binder/session/memory.max": "max", "user.slice/binder/memory.max": str(2 * GiB)},
    )
    assert runtime.memory_limit(proc, sys_fs) == 2 * GiB


def test_a_cgroup_v1_limit(tmp_path):
    proc, sys_fs = _hierarchy(
        tmp_path,
        ["12:cpu,cpuacct:/", "4:memory:/docker/abc", "0::/"],
        {"memory/docker/abc/memory.limit_in_bytes": str(3 * GiB), "memory/memory.limit_in_bytes": str(2**63 - 4096)},
    )
    assert runtime.memory_limit(proc, sys_fs) == 3 * GiB


def test_without_a_limit_the_machine_memory(tmp_path):
    proc, sys_fs = _hierarchy(tmp_path, ["0::/"], {"memory.max": "max"})
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert runtime.memory_limit(proc, sys_fs) == machine
    assert runtime.memory_limit(tmp_path / "missing", tmp_path / "missing") == machine


V1 = Path("/sys/fs/cgroup/memory")


@pytest.mark.skipif(
    not (V1 / "memory.limit_in_bytes").is_file() or not os.access(V1, os.W_OK),
    reason="no writable cgroup-v1 memory controller",
)
def test_a_process_in_a_real_2_gib_group(tmp_path):
    group = V1 / f"lecture9-test-runtime-{os.getpid()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(2 * GiB))
        code = "import lecture_utils.runtime as r; print(r.memory_limit(), r.return_freed_memory_where_tight())"
        # The child joins the group before it imports anything.
        done = subprocess.run(
            ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "{sys.executable}" -c "{code}"'],
            capture_output=True,
            text=True,
            check=True,
        )
        limit, applied = done.stdout.split()
        assert int(limit) == 2 * GiB and applied == "True"
    finally:
        group.rmdir()
