"""Let nbval execute the book's MyST Markdown chapters directly, and let the book reuse them.

nbval collects only ``.ipynb`` files; here every ``book/*.md`` with a jupytext header is read
with jupytext and handed to nbval's collector, so the chapters need no committed ``.ipynb``
copies.  nbval starts the kernel in the file's folder, as the book build does.

Output comparison: the chapters have no stored outputs, so nbval runs in ``--nbval-lax`` mode
(any error fails the test) and the lecture's numbers are checked by hidden test cells (tagged
``remove-cell``) with ``assert`` statements inside the chapters.

Memory: with ``LECTURE_KERNEL_MEMORY_LIMIT`` set (e.g. ``2GiB``, as on Binder; ``.ci/run`` sets
it), each chapter's kernel runs in a cgroup-v1 memory group with that limit, so a chapter that
needs more is killed by the kernel's OOM killer and fails, as it would on Binder. The run ends
with each chapter's peak. Where no writable memory controller exists, it says so and runs
without the limit.

A chapter whose every cell passed is stored, with its outputs, in the book's execution cache
(``execute.cache`` in ``_config.yml``), so ``jupyter-book build`` renders it without running it
a second time.  The cache matches a notebook by its code, so an edited chapter runs again.
"""

import json
import os
import re
import threading
import time
from pathlib import Path

import jupytext
import nbval.plugin
import pytest
import yaml

ROOT = Path(__file__).parent


def _is_notebook(path):
    if path.suffix != ".md" or path.parent.name != "book":
        return False
    with open(path, encoding="utf-8") as f:
        head = f.read(400)
    return head.startswith("---") and "jupytext:" in head


def _book_cache_path():
    config = ROOT / "_config.yml"
    if not config.is_file():
        return None
    execute = (yaml.safe_load(config.read_text()) or {}).get("execute", {})
    if execute.get("execute_notebooks") != "cache":
        return None
    return ROOT / (execute.get("cache") or "_build/.jupyter_cache")


MEMORY_CGROUPS = Path("/sys/fs/cgroup/memory")
_UNITS = {"": 1, "b": 1, "k": 2**10, "kib": 2**10, "m": 2**20, "mib": 2**20, "g": 2**30, "gib": 2**30}
KERNEL_PEAKS = {}  # chapter -> what KernelMemoryLimit.report() returned
_NO_LIMIT = []  # why the limit could not be enforced, if it could not


def memory_limit_bytes(text: str) -> int:
    """``"2GiB"``, ``"1500M"`` or ``"2147483648"`` as a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text.lower())
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"LECTURE_KERNEL_MEMORY_LIMIT must be a size such as 2GiB or 1500MiB, got {text!r}.")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


class KernelMemoryLimit:
    """A cgroup-v1 memory group with a hard limit, holding one kernel, and its peak use.

    The group's own peak (``memory.max_usage_in_bytes``) counts the page cache, which the
    kernel reclaims before it kills anyone, so the peaks reported are the kernel process's
    (with its children), sampled every 0.2 s: its resident memory, and the anonymous part of
    it (resident minus file-backed and shared pages such as TensorFlow's libraries, which can
    be dropped and read again) — what a memory limit cannot reclaim. The OOM-kill count says
    whether the limit was hit.
    """

    def __init__(self, pid: int, limit: int, name: str):
        import psutil

        self.path = MEMORY_CGROUPS / f"lecture9-{os.getpid()}-{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
        self.path.mkdir()
        (self.path / "memory.limit_in_bytes").write_text(str(limit))
        (self.path / "cgroup.procs").write_text(str(pid))
        self.limit, self.peak_rss, self.peak_anonymous = limit, 0, 0
        self._process, self._stop = psutil.Process(pid), threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        import psutil

        while not self._stop.wait(0.2):
            try:
                memory = [p.memory_info() for p in [self._process, *self._process.children(recursive=True)]]
                self.peak_rss = max(self.peak_rss, sum(m.rss for m in memory))
                self.peak_anonymous = max(self.peak_anonymous, sum(m.rss - m.shared for m in memory))
            except psutil.Error:
                return

    def report(self) -> dict:
        self._stop.set()
        self._sampler.join()
        oom = re.search(r"oom_kill (\d+)", (self.path / "memory.oom_control").read_text())
        return {"limit_MiB": self.limit / 2**20, "peak_rss_MiB": self.peak_rss / 2**20,
                "peak_anonymous_MiB": self.peak_anonymous / 2**20,
                "oom_kills": int(oom.group(1)) if oom else None}

    def remove(self):
        try:
            self.path.rmdir()
        except OSError:
            pass  # a process is still in it; the machine's next boot removes it


def _kernel_memory_limit(kernel, name):
    setting = os.environ.get("LECTURE_KERNEL_MEMORY_LIMIT", "").strip()
    if not setting:
        return None
    limit = memory_limit_bytes(setting)
    if not (MEMORY_CGROUPS / "memory.limit_in_bytes").is_file() or not os.access(MEMORY_CGROUPS, os.W_OK):
        _NO_LIMIT.append(f"no writable cgroup-v1 memory controller at {MEMORY_CGROUPS}")
        return None
    pid = getattr(kernel.km.provisioner, "pid", None)
    if pid is None:
        _NO_LIMIT.append("the kernel's process id is unknown")
        return None
    return KernelMemoryLimit(pid, limit, name)


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, reading the notebook through jupytext."""

    memory = None

    def setup(self):
        super().setup()
        self.memory = _kernel_memory_limit(self.kernel, self.path.stem)
        self.started = time.perf_counter()

    def collect(self):
        self.notebook = jupytext.read(self.path)
        notebook = self.notebook

        class _Reader:  # stands in for the nbformat module inside nbval's collect()
            @staticmethod
            def read(*args, **kwargs):
                return notebook

        original = nbval.plugin.nbformat
        nbval.plugin.nbformat = _Reader
        try:
            self.cell_items = list(super().collect())
        finally:
            nbval.plugin.nbformat = original
        return self.cell_items

    def teardown(self):
        if self.memory is not None:
            KERNEL_PEAKS[self.path.stem] = {**self.memory.report(),
                                            "seconds": time.perf_counter() - self.started}
        super().teardown()
        if self.memory is not None:
            self.memory.remove()
        cache_path = _book_cache_path()
        if cache_path is not None:
            _store_executed(self.notebook, self.cell_items, self.path, cache_path)


def _store_executed(notebook, items, path, cache_path):
    """Put the executed notebook into the book's jupyter-cache, if every cell ran cleanly."""
    outputs = [item.test_outputs for item in items]
    if any(out is None for out in outputs):
        return  # a cell was skipped or never ran
    if any(o.get("output_type") == "error" for out in outputs for o in out):
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for count, (cell, out) in enumerate(zip(code_cells, outputs), start=1):
        cell.execution_count = count
        for o in out:
            if o.get("output_type") == "execute_result":
                o["execution_count"] = count
        cell.outputs = out
    get_cache(str(cache_path)).cache_notebook_bundle(
        CacheBundleIn(notebook, str(path)), check_validity=False, overwrite=True)


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and _is_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)


def pytest_terminal_summary(terminalreporter):
    if _NO_LIMIT:
        terminalreporter.write_line(f"LECTURE_KERNEL_MEMORY_LIMIT NOT ENFORCED: {_NO_LIMIT[0]}; "
                                    "the chapters ran without a memory limit.", yellow=True, bold=True)
    if not KERNEL_PEAKS:
        return
    terminalreporter.section("chapter kernels' memory")
    for chapter, peak in KERNEL_PEAKS.items():
        killed = f", OOM kills: {peak['oom_kills']}" if peak["oom_kills"] else ""
        terminalreporter.write_line(f"{chapter:24} peak {peak['peak_rss_MiB']:6.0f} MiB resident, "
                                    f"{peak['peak_anonymous_MiB']:6.0f} MiB anonymous, "
                                    f"limit {peak['limit_MiB']:.0f} MiB, {peak['seconds']:5.0f} s{killed}")
    report = Path(os.environ.get("LECTURE_KERNEL_MEMORY_REPORT", ROOT / "artifacts" / "kernel-memory.json"))
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(KERNEL_PEAKS, indent=1) + "\n")
