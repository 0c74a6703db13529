"""The 2 GiB kernel limit (conftest.py) on cgroup v1 and on cgroup v2, in fake cgroup folders.

A real group needs root and a machine with that cgroup version; here the files the kernel would
provide are plain files, so both versions are tested on any machine: which files are written,
and how an OOM kill is read back.
"""

import os
import time
from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.fixture
def conftest(pytestconfig):
    """The repository's conftest.py, as pytest loaded it (tests/ has a conftest.py of its own)."""
    for plugin in pytestconfig.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "").resolve() == ROOT_CONFTEST:
            return plugin
    pytest.fail(f"{ROOT_CONFTEST} is not loaded")


def _v1(tmp_path):
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    return v1


def _v2(tmp_path, subtree="cpu io memory pids"):
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (v2 / "cgroup.subtree_control").write_text(subtree + "\n")
    return v2


def test_cgroup_v1_is_preferred_where_it_can_be_written(conftest, tmp_path):
    assert conftest.memory_cgroup_parent(_v1(tmp_path), _v2(tmp_path)) == (tmp_path / "v1", False)


def test_cgroup_v2_is_used_where_there_is_no_v1(conftest, tmp_path):
    assert conftest.memory_cgroup_parent(tmp_path / "absent", _v2(tmp_path)) == (tmp_path / "v2", True)


def test_cgroup_v2_without_the_memory_controller_for_children_gets_it_enabled(conftest, tmp_path):
    v2 = _v2(tmp_path, subtree="cpu")
    # A plain file takes the write as it is; the kernel would add "memory" to the list.
    assert conftest.memory_cgroup_parent(tmp_path / "absent", v2) is None
    assert (v2 / "cgroup.subtree_control").read_text() == "+memory"


def test_no_writable_cgroup_gives_none(conftest, tmp_path):
    v2 = _v2(tmp_path)
    os.chmod(v2, 0o555)
    try:
        if os.access(v2, os.W_OK):
            pytest.skip("root writes to read-only folders")
        assert conftest.memory_cgroup_parent(tmp_path / "absent", v2) is None
    finally:
        os.chmod(v2, 0o755)


@pytest.mark.parametrize("unified", [False, True], ids=["v1", "v2"])
def test_a_kernels_group_gets_the_limit_and_reports_an_oom_kill(conftest, tmp_path, unified):
    parent = _v2(tmp_path) if unified else _v1(tmp_path)
    limit = conftest.memory_limit_bytes("2GiB")
    group = conftest.KernelMemoryLimit(os.getpid(), limit, "04_data_augmentation", parent, unified)
    try:
        assert group.path.parent == parent and group.path.name.endswith("04_data_augmentation")
        limit_file = "memory.max" if unified else "memory.limit_in_bytes"
        assert (group.path / limit_file).read_text() == str(2 * 2**30)
        assert (group.path / "cgroup.procs").read_text() == str(os.getpid())
        # What the kernel writes after killing the process for memory.
        if unified:
            (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
        else:
            (group.path / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        time.sleep(0.5)  # the sampler reads the process's memory every 0.2 s
        report = group.report()
        assert report["oom_kills"] == 1 and report["limit_MiB"] == 2048
        assert report["peak_rss_MiB"] > 0  # this test's own process, sampled
    finally:
        group._stop.set()
