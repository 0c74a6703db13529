"""Every platform the book supports can install it: pip's resolver, asked for each target.

Nothing is installed and no target machine is needed: ``pip install --dry-run --report`` with
``--platform``/``--python-version`` resolves ``requirements.txt`` (plus the package's own
dependencies) to wheels for another OS, CPU and Python, and resolves ``requirements.lock`` (the
exact versions CI tested, ``make lock``) to exactly its pins there.  pip evaluates environment markers
(``sys_platform``, ``platform_machine``, ``python_version``) for the machine it runs on, not
for ``--platform``, so the resolver runs in a process whose marker environment is the target's;
otherwise ``tensorflow-cpu ; platform_machine == "x86_64"`` would be judged for this machine.

It needs the package index, so it runs only where ``LECTURE_REGISTRY_TESTS=1`` (``.ci/run``
sets it); elsewhere it is skipped, saying why.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ["3.11", "3.12", "3.13"]  # Colab runs 3.12

# Wheel tags each OS accepts (pip matches them exactly, so list the range; oldest first).
_MANYLINUX = [f"manylinux_2_{minor}" for minor in range(17, 40)]
PLATFORMS = {
    "Linux x86_64": {
        "tags": [f"{t}_x86_64" for t in _MANYLINUX] + ["manylinux2014_x86_64", "linux_x86_64"],
        "markers": {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "os_name": "posix",
        },
    },
    "Linux aarch64": {
        "tags": [f"{t}_aarch64" for t in _MANYLINUX] + ["manylinux2014_aarch64", "linux_aarch64"],
        "markers": {
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "aarch64",
            "os_name": "posix",
        },
    },
    "macOS arm64": {
        "tags": [f"macosx_{major}_0_{arch}" for major in range(11, 27) for arch in ("arm64", "universal2")],
        "markers": {
            "sys_platform": "darwin",
            "platform_system": "Darwin",
            "platform_machine": "arm64",
            "os_name": "posix",
        },
    },
    "Windows x86_64": {
        "tags": ["win_amd64"],
        "markers": {
            "sys_platform": "win32",
            "platform_system": "Windows",
            "platform_machine": "AMD64",
            "os_name": "nt",
        },
    },
}

# Runs pip with the target's marker environment (argv[1], JSON) in place of this machine's.
_PIP_AS_TARGET = """
import json, sys
import pip._vendor.packaging.markers as markers
target = {**markers.default_environment(), **json.loads(sys.argv[1])}
markers.default_environment = lambda: dict(target)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


SOURCES = ["requirements.txt", "requirements.lock"]


def requirements_for_resolution(tmp_path: Path, source: str = "requirements.txt") -> Path:
    """``source`` with the editable project replaced by the project's own dependencies (the
    lock pins those already)."""
    lines = [line for line in (ROOT / source).read_text().splitlines() if not line.strip().startswith("-e")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    path = tmp_path / f"{source}-resolve.txt"
    path.write_text("\n".join(lines + project["dependencies"]) + "\n")
    return path


def lock_pins(markers: dict) -> dict:
    """The lock's ``name: version`` for a target's marker environment."""
    from packaging.requirements import Requirement

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line or line[0] in "#- ":
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({**markers, "extra": ""}):
            pins[re.sub(r"[-_.]+", "-", requirement.name).lower()] = str(requirement.specifier).removeprefix("==")
    return pins


def target_markers(platform: str, python: str) -> dict:
    """The marker environment of a target platform and Python version."""
    return {
        **PLATFORMS[platform]["markers"],
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


def resolve(platform: str, python: str, requirements: Path, workdir: Path) -> dict:
    """pip's report of what it would install on ``platform`` with ``python`` (a version)."""
    spec = PLATFORMS[platform]
    major, minor = python.split(".")
    markers = target_markers(platform, python)
    report = workdir / f"{requirements.name}-{platform.replace(' ', '_')}-{python}.json"
    command = [
        sys.executable,
        "-c",
        _PIP_AS_TARGET,
        json.dumps(markers),
        "install",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        "--quiet",
        "--disable-pip-version-check",
        "--no-warn-script-location",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--abi",
        f"cp{major}{minor}",
        "--abi",
        "abi3",
        "--abi",
        "none",
        "--target",
        str(workdir / "target"),
        "--report",
        str(report),
        "-r",
        str(requirements),
    ]
    for tag in spec["tags"]:
        command += ["--platform", tag]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        return {"ok": False, "error": " ".join(errors) or done.stderr[-500:]}
    installed = json.loads(report.read_text())["install"]
    versions = {
        re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item["metadata"]["version"] for item in installed
    }
    tensorflow = [f"{name}=={versions[name]}" for name in ("tensorflow", "tensorflow-cpu") if name in versions]
    return {
        "ok": True,
        "packages": len(installed),
        "tensorflow": ", ".join(tensorflow),
        "keras": versions.get("keras"),
        "versions": versions,
    }


@pytest.fixture(scope="module")
def resolution_matrix(tmp_path_factory):
    if os.environ.get("LECTURE_REGISTRY_TESTS") != "1":
        pytest.skip("needs the package index: set LECTURE_REGISTRY_TESTS=1 (.ci/run does).")
    workdir = tmp_path_factory.mktemp("resolve")
    files = {source: requirements_for_resolution(workdir, source) for source in SOURCES}
    targets = [(source, platform, python) for source in SOURCES for platform in PLATFORMS for python in PYTHONS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda t: resolve(t[1], t[2], files[t[0]], workdir), targets)
        matrix = dict(zip(targets, results))
    lines = ["resolution matrix (requirements, platform, Python -> what pip resolves):"]
    for (source, platform, python), result in matrix.items():
        outcome = (
            f"{result['packages']} wheels, {result['tensorflow']}, keras=={result['keras']}"
            if result["ok"]
            else f"NOT RESOLVED: {result['error']}"
        )
        lines.append(f"  {source:17} {platform:15} {python}: {outcome}")
    print("\n" + "\n".join(lines))
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "resolution-matrix.txt").write_text("\n".join(lines) + "\n")
    return matrix


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", list(PLATFORMS))
@pytest.mark.parametrize("source", SOURCES)
def test_requirements_resolve_to_wheels(resolution_matrix, source, platform, python):
    result = resolution_matrix[(source, platform, python)]
    assert result["ok"], f"{source}, {platform}, Python {python}: {result['error']}"
    assert result["tensorflow"], f"{source}, {platform}, Python {python}: no TensorFlow package resolved"
    assert result["keras"], f"{source}, {platform}, Python {python}: Keras not resolved"


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_the_lock_installs_exactly_its_pins(resolution_matrix, platform, python):
    result = resolution_matrix[("requirements.lock", platform, python)]
    assert result["ok"], f"requirements.lock, {platform}, Python {python}: {result['error']}"
    pins = lock_pins(target_markers(platform, python))
    other = {
        name: (version, pins.get(name))
        for name, version in result["versions"].items()
        if name != "lecture-utils" and pins.get(name) != version
    }
    assert not other, (
        f"{platform}, Python {python}: pip installs other versions than the lock "
        f"(installed, locked): {other}; run `make lock`"
    )
