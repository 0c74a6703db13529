"""requirements.lock is requirements.txt resolved exactly, and this environment is the lock.

No package index needed: the lock must satisfy every range of requirements.txt (edit the
ranges, then `make lock`), pin every package exactly, and the environment the tests run in
must hold the lock's versions for this machine (what CI tests is what the lock says).
``tests/test_platforms.py`` resolves the lock for every supported platform (with the index).
"""

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path):
    for line in (ROOT / path).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith(("#", "-")):
            yield Requirement(line)


def _applies(requirement):
    return requirement.marker is None or requirement.marker.evaluate({**default_environment(), "extra": ""})


LOCK = [r for r in _requirements("requirements.lock")]
PINS = {_name(r.name): str(r.specifier).removeprefix("==") for r in LOCK if _applies(r)}


def test_every_lock_line_is_an_exact_pin():
    loose = [str(r) for r in LOCK if not re.fullmatch(r"==[^,*]+", str(r.specifier))]
    assert not loose, f"requirements.lock must pin exact versions; these are ranges: {loose}"


@pytest.mark.parametrize(
    "requirement", [r for r in _requirements("requirements.txt") if _applies(r)], ids=lambda r: r.name
)
def test_the_lock_satisfies_requirements_txt(requirement):
    pinned = PINS.get(_name(requirement.name))
    assert pinned is not None, f"requirements.lock has no {requirement.name}: run `make lock`"
    assert requirement.specifier.contains(pinned, prereleases=True), (
        f"requirements.lock pins {requirement.name}=={pinned}, outside requirements.txt's {requirement}: "
        "run `make lock`"
    )


def test_the_lock_installs_the_project_itself():
    assert "-e ." in (ROOT / "requirements.lock").read_text().splitlines()


def test_this_environment_is_the_lock():
    installed = {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differ = {
        name: (installed.get(name, "absent"), pinned) for name, pinned in PINS.items() if installed.get(name) != pinned
    }
    assert not differ, (
        f"this environment differs from requirements.lock (installed, locked): {differ}; "
        "`pip install -r requirements.lock` (make env) installs the lock"
    )
