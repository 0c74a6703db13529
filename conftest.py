"""Let nbval execute the book's MyST Markdown chapters directly, and let the book reuse them.

nbval collects only ``.ipynb`` files; here every ``book/*.md`` with a jupytext header is read
with jupytext and handed to nbval's collector, so the chapters need no committed ``.ipynb``
copies.  nbval starts the kernel in the file's folder, as the book build does.

The notebook nbval runs is the chapter as it is published (``export/notebooks.py``): the
shared install cell first, then the chapter's cells.

Output comparison: each chapter's reference outputs (``book/reference/<precision>/<chapter>.yaml``,
``export/reference_outputs.py``) are put into the notebook as its stored outputs, and nbval
(``--nbval``) compares every cell's output with them after the sanitizer
(``book/reference/sanitize.cfg``, the default ``--nbval-sanitize-with``) has replaced what
legitimately varies. Exact where this environment is the references' (Python, package versions,
precision, CPU class); elsewhere decimals to stated significant digits and figures by
perceptual hash. A cell without a reference (new, or its code changed) fails, saying to run
``make reference`` (``pytest --write-reference``: run the chapters, record their outputs).
The lecture's key numbers are also checked by hidden test cells (tagged ``remove-cell``) with
``assert`` statements inside the chapters.

Memory: with ``LECTURE_KERNEL_MEMORY_LIMIT`` set (e.g. ``2GiB``, as on Binder; ``.ci/run`` sets
it), each chapter's kernel runs in a memory cgroup (v1 or v2) with that limit, so a chapter that
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
import sys
import threading
import time
from pathlib import Path

import nbval.kernel
import nbval.plugin
import yaml

from export import notebooks, reference_outputs

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


MEMORY_CGROUPS = Path("/sys/fs/cgroup/memory")  # cgroup v1: the memory controller's own tree
UNIFIED_CGROUPS = Path("/sys/fs/cgroup")  # cgroup v2: one tree, the memory controller enabled in it
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
    """A memory cgroup with a hard limit, holding one kernel, and its peak use.

    ``parent`` is a cgroup v1 memory tree (``memory.limit_in_bytes``, OOM kills counted in
    ``memory.oom_control``) or, with ``unified=True``, a cgroup v2 group whose children get the
    memory controller (``memory.max``, OOM kills counted in ``memory.events``).

    The group's own peak (``memory.max_usage_in_bytes``) counts the page cache, which the
    kernel reclaims before it kills anyone, so the peaks reported are the kernel process's
    (with its children), sampled every 0.2 s: its resident memory, and the anonymous part of
    it (resident minus file-backed and shared pages such as TensorFlow's libraries, which can
    be dropped and read again) — what a memory limit cannot reclaim. The OOM-kill count says
    whether the limit was hit.
    """

    def __init__(self, pid: int, limit: int, name: str, parent: Path = MEMORY_CGROUPS, unified: bool = False):
        import psutil

        self.unified = unified
        self.path = Path(parent) / f"lecture9-{os.getpid()}-{re.sub(r'[^A-Za-z0-9_]', '_', name)}"
        self.path.mkdir()
        (self.path / ("memory.max" if unified else "memory.limit_in_bytes")).write_text(str(limit))
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
        counts = (self.path / ("memory.events" if self.unified else "memory.oom_control")).read_text()
        oom = re.search(r"^oom_kill (\d+)", counts, flags=re.MULTILINE)
        return {
            "limit_MiB": self.limit / 2**20,
            "peak_rss_MiB": self.peak_rss / 2**20,
            "peak_anonymous_MiB": self.peak_anonymous / 2**20,
            "oom_kills": int(oom.group(1)) if oom else None,
        }

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
    where = memory_cgroup_parent()
    if where is None:
        _NO_LIMIT.append(
            f"no writable memory cgroup: neither a cgroup-v1 memory controller at {MEMORY_CGROUPS} "
            f"nor a cgroup-v2 tree at {UNIFIED_CGROUPS} that gives its children the memory controller"
        )
        return None
    pid = getattr(kernel.km.provisioner, "pid", None)
    if pid is None:
        _NO_LIMIT.append("the kernel's process id is unknown")
        return None
    return KernelMemoryLimit(pid, limit, name, *where)


def memory_cgroup_parent(v1: Path | None = None, v2: Path | None = None):
    """Where a kernel's memory cgroup can be made: ``(parent, unified)``, or None.

    cgroup v1 where its memory controller's tree can be written; else cgroup v2 (GitHub's
    runners, most current Linux systems) where the root of the unified tree can be written and
    gives the memory controller to its children (``cgroup.subtree_control``). The root is used
    because v2 lets no group other than the root hold processes and have children with
    controllers at once.
    """
    v1, v2 = v1 or MEMORY_CGROUPS, v2 or UNIFIED_CGROUPS
    if (v1 / "memory.limit_in_bytes").is_file() and os.access(v1, os.W_OK):
        return v1, False
    control = v2 / "cgroup.subtree_control"
    if (v2 / "cgroup.controllers").is_file() and control.is_file() and os.access(v2, os.W_OK):
        if "memory" not in control.read_text().split():
            try:
                control.write_text("+memory")
            except OSError:
                return None
        if "memory" in control.read_text().split():
            return v2, True
    return None


KERNEL_DIED = (
    "The chapter's kernel died while this cell ran: the out-of-memory killer stops a kernel that "
    "goes past LECTURE_KERNEL_MEMORY_LIMIT (the memory summary at the end says whether it did)."
)
_await_reply = nbval.kernel.RunningKernel.await_reply


def _await_reply_while_alive(self, msg_id, timeout=None):
    """nbval's wait for a cell's reply, which fails at once when the kernel is dead.

    nbval alone waits the whole cell timeout (three hours here) for the reply of a kernel that the
    memory limit killed; this waits in slices of 10 s and checks in between that it lives.
    """
    from queue import Empty

    deadline = None if timeout is None else time.monotonic() + float(timeout)
    while True:
        left = 10.0 if deadline is None else min(10.0, deadline - time.monotonic())
        try:
            return _await_reply(self, msg_id, timeout=max(left, 0.0))
        except Empty:
            if not self.is_alive():
                raise RuntimeError(KERNEL_DIED) from None
            if deadline is not None and time.monotonic() >= deadline:
                raise


nbval.kernel.RunningKernel.await_reply = _await_reply_while_alive


MISSING_REFERENCE = (
    "{chapter}: this cell has no reference output (it is new, or its code changed). "
    "Run `make reference CHAPTERS={chapter}` (or `make reference` for every chapter) "
    "and review the diff of {reference}."
)


class MystCell(nbval.plugin.IPyNbCell):
    """nbval's cell test, comparing with the chapter's reference outputs
    (``export/reference_outputs.py``: figures by size and perceptual hash, and, where this
    environment is not the references', decimals to stated significant digits)."""

    missing_reference = False

    def runtest(self):
        super().runtest()
        if self.missing_reference and self.options["check"]:
            chapter = self.path.relative_to(self.config.rootpath)
            self.raise_cell_error(
                MISSING_REFERENCE.format(chapter=chapter, reference=reference_outputs.reference_path(chapter))
            )

    def compare_outputs(self, test, ref, skip_compare=None):
        # The test outputs reduced to what a reference keeps (figures as their summary line);
        # where a value agrees within the tolerance, the reference's value stands in for it,
        # so nbval's own comparison (and its diff for what does not agree) decides the rest.
        test = reference_outputs.as_notebook_outputs(reference_outputs.kept_outputs(test))
        exact = self.parent.exact
        for new, old in zip(test, ref):
            if new.output_type != old.output_type:
                continue
            fields = ("text",) if new.output_type == "stream" else tuple(new.get("data", {}))
            for field in fields:
                a = new.get(field) if field == "text" else new.data[field]
                b = old.get(field) if field == "text" else old.get("data", {}).get(field)
                if not isinstance(a, str) or not isinstance(b, str):
                    continue
                if field == reference_outputs.FIGURE:
                    agree = reference_outputs.figures_agree(
                        b, a, 0 if exact else reference_outputs.FIGURE_HASH_TOLERANCE
                    )
                else:
                    agree = not exact and reference_outputs.texts_agree(self.sanitize(b), self.sanitize(a))
                if agree:
                    if field == "text":
                        new.text = b
                    else:
                        new.data[field] = b
        return super().compare_outputs(test, ref, skip_compare)


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, reading the chapter as its published notebook, with its
    reference outputs as the stored outputs."""

    memory = None
    exact = True

    def setup(self):
        super().setup()
        self.memory = _kernel_memory_limit(self.kernel, self.path.stem)
        self.started = time.perf_counter()
        _log_progress(self.config, f"{self.path.stem}: started")

    def collect(self):
        self.notebook = notebooks.chapter_notebook(self.path)
        notebook = self.notebook
        missing = self._merge_references(notebook)

        class _Reader:  # stands in for the nbformat module inside nbval's collect()
            @staticmethod
            def read(*args, **kwargs):
                return notebook

        original = nbval.plugin.nbformat
        nbval.plugin.nbformat = _Reader
        try:  # nbval's items, remade as ours (nbval decided each cell's options)
            self.cell_items = [
                MystCell.from_parent(self, name=item.name, cell_num=item.cell_num, cell=item.cell, options=item.options)
                for item in super().collect()
            ]
        finally:
            nbval.plugin.nbformat = original
        for item in self.cell_items:
            item.missing_reference = item.cell_num in missing
        return self.cell_items

    def _merge_references(self, notebook):
        """Put the reference outputs into the code cells; the numbers of the cells that have none."""
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        if self.config.option.write_reference:
            return set()  # nothing to compare with (the cells have no outputs): the run records them
        reference = reference_outputs.read_reference(self.path) or {"made_with": None, "cells": {}}
        if reference["made_with"] is not None:
            differences = reference_outputs.environment_differences(
                reference["made_with"],
                reference_outputs.environment(),
                precision_matters=reference_outputs.trains([cell.source for cell in code]),
            )
            self.exact = not differences
            _COMPARISON[self.path.stem] = differences
            if any(d.startswith("precision ") for d in differences):
                # Models trained in another precision are other models: their numbers differ in
                # more than the last digits. The cells still run and the chapter's own asserts
                # still check its results; their printed outputs are not compared.
                _UNCOMPARED.add(self.path.stem)
                for cell in code:
                    cell.metadata.setdefault("tags", []).append("nbval-ignore-output")
                return set()
        chapter_code = [cell for cell in code if not notebooks.is_install_cell(cell)]
        keys = dict(zip(map(id, chapter_code), reference_outputs.cell_keys([c.source for c in chapter_code])))
        missing = set()
        for number, cell in enumerate(code):
            kept = reference["cells"].get(keys.get(id(cell)))
            if kept is None:
                if id(cell) in keys:
                    missing.add(number)
                continue
            cell.outputs = reference_outputs.as_notebook_outputs(kept)
            cell.execution_count = number + 1  # nbval compares only cells that ran
        return missing

    def teardown(self):
        _log_progress(self.config, f"{self.path.stem}: done in {time.perf_counter() - self.started:.0f} s")
        if self.memory is not None:
            KERNEL_PEAKS[self.path.stem] = {**self.memory.report(), "seconds": time.perf_counter() - self.started}
        super().teardown()
        if self.memory is not None:
            self.memory.remove()
        ran = _ran_cleanly(self.cell_items)
        pairs = [
            (item.cell.source, item.test_outputs)
            for item in self.cell_items
            if not notebooks.is_install_cell(item.cell)
        ]
        sources, outputs = [source for source, _ in pairs], [out or [] for _, out in pairs]
        if ran and self.config.option.write_reference:
            _WRITTEN.append(
                reference_outputs.write_reference(self.path, sources, outputs, reference_outputs.environment())
            )
        elif self.config.option.write_reference:
            _WRITTEN.append(f"NOT written, a cell failed or did not run: {self.path}")
        if self.config.option.record_outputs:  # what ran, failed or not (the canary diffs it)
            reference_outputs.write_reference(
                self.path,
                sources,
                outputs,
                reference_outputs.environment(),
                folder=Path(self.config.option.record_outputs),
            )
        cache_path = _book_cache_path()
        if ran and cache_path is not None:
            _store_executed(self.notebook, self.cell_items, self.path, cache_path)


def _log_progress(config, message):
    """A timestamped line on the terminal at once, past pytest's capture: a log cut short (CI's
    time limit) still says when each chapter started and how long the finished ones took."""
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        sys.stderr.write(f"\n[{time.strftime('%H:%M:%S')}] {message}\n")
        sys.stderr.flush()


_COMPARISON = {}  # chapter -> how its environment differs from its references' (empty: exact)
_UNCOMPARED = set()  # chapters run in another precision than their references: not compared
_WRITTEN = []  # reference files written by --write-reference


def _ran_cleanly(items):
    """Whether every cell ran, and none raised."""
    outputs = [item.test_outputs for item in items]
    return not any(out is None or any(o.get("output_type") == "error" for o in out) for out in outputs)


def _store_executed(notebook, items, path, cache_path):
    """Put the executed chapter into the book's jupyter-cache (the caller checked that every
    cell ran cleanly), without the install cell: the book builds the chapter without it, and
    the cache matches a notebook by its code cells."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    chapter = [(item.cell, item.test_outputs) for item in items if not notebooks.is_install_cell(item.cell)]
    notebooks.without_install_cell(notebook)
    for count, (cell, out) in enumerate(chapter, start=1):
        cell.execution_count = count
        for o in out:
            if o.get("output_type") == "execute_result":
                o["execution_count"] = count
        cell.outputs = out
    get_cache(str(cache_path)).cache_notebook_bundle(
        CacheBundleIn(notebook, str(path)), check_validity=False, overwrite=True
    )


def pytest_addoption(parser):
    parser.addoption(
        "--write-reference",
        action="store_true",
        default=False,
        help="run the chapters and write their outputs as the references "
        "(book/reference/<precision>/<chapter>.yaml) instead of comparing with them",
    )
    parser.addoption(
        "--record-outputs",
        metavar="FOLDER",
        default=None,
        help="also write each chapter's outputs, in the reference format, to FOLDER "
        "(while comparing; `.ci/canary` diffs them with the references)",
    )


def pytest_configure(config):
    # The book's sanitizer unless another is named (nbval reads the option per notebook).
    sanitizer = reference_outputs.sanitizer_path(ROOT / "book")
    if config.option.nbval_sanitize_with is None and sanitizer.is_file():
        config.option.nbval_sanitize_with = str(sanitizer)


def pytest_collect_file(file_path, parent):
    opt = parent.config.option
    if (opt.nbval or opt.nbval_lax) and _is_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)


def pytest_terminal_summary(terminalreporter):
    for chapter, differences in _COMPARISON.items():
        how = (
            "exactly"
            if not differences
            else f"to {reference_outputs.SIGNIFICANT_DIGITS} significant digits, figures within "
            f"{reference_outputs.FIGURE_HASH_TOLERANCE} hash bits, since here " + "; ".join(differences)
        )
        if chapter in _UNCOMPARED:
            how = "not compared with the references (only run, with the chapter's asserts), since here " + "; ".join(
                d for d in differences if d.startswith("precision ")
            )
            terminalreporter.write_line(f"{chapter}: outputs {how}")
            continue
        terminalreporter.write_line(f"{chapter}: outputs compared with the references {how}")
    for path in _WRITTEN:
        terminalreporter.write_line(f"reference outputs written: {path}" if isinstance(path, Path) else str(path))
    if _NO_LIMIT:
        terminalreporter.write_line(
            f"LECTURE_KERNEL_MEMORY_LIMIT NOT ENFORCED: {_NO_LIMIT[0]}; the chapters ran without a memory limit.",
            yellow=True,
            bold=True,
        )
    if not KERNEL_PEAKS:
        return
    terminalreporter.section("chapter kernels' memory")
    for chapter, peak in KERNEL_PEAKS.items():
        killed = f", OOM kills: {peak['oom_kills']}" if peak["oom_kills"] else ""
        terminalreporter.write_line(
            f"{chapter:24} peak {peak['peak_rss_MiB']:6.0f} MiB resident, "
            f"{peak['peak_anonymous_MiB']:6.0f} MiB anonymous, "
            f"limit {peak['limit_MiB']:.0f} MiB, {peak['seconds']:5.0f} s{killed}"
        )
    report = Path(os.environ.get("LECTURE_KERNEL_MEMORY_REPORT", ROOT / "artifacts" / "kernel-memory.json"))
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(KERNEL_PEAKS, indent=1) + "\n")
