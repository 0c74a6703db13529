"""Which Python versions the newest TensorFlow has wheels for, against the range the book supports.

The canary runs it weekly: when TensorFlow publishes wheels for a Python newer than the Makefile
accepts (today 3.11 to 3.13, the lock's range), it says so, so that the range, the lock and the
README can be widened. Reads PyPI's JSON API; prints one paragraph and exits 0 either way.

    python .ci/tensorflow_pythons.py [--json FILE]   # FILE: a saved https://pypi.org/pypi/tensorflow/json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request

SUPPORTED = ((3, 11), (3, 13))  # the Makefile's check and README's "Python 3.11 to 3.13"
PYPI = "https://pypi.org/pypi/tensorflow/json"


def wheel_pythons(release: dict) -> list[tuple[int, int]]:
    """The CPython versions ``(3, 12)`` that a PyPI JSON release document has wheels for."""
    found = set()
    for file in release.get("urls", []):
        for tag in re.findall(r"-cp3(\d+)-", file.get("filename", "")):
            found.add((3, int(tag)))
    return sorted(found)


def report(release: dict, supported=SUPPORTED) -> str:
    """One paragraph: the newest TensorFlow, its Pythons, and any newer than the book supports."""
    version = release.get("info", {}).get("version", "?")
    pythons = wheel_pythons(release)
    listed = ", ".join(f"{a}.{b}" for a, b in pythons) or "none"
    newer = [p for p in pythons if p > supported[1]]
    if newer:
        names = ", ".join(f"{a}.{b}" for a, b in newer)
        return (
            f"TensorFlow {version} has wheels for Python {listed}: {names} is newer than the book's "
            f"{supported[0][0]}.{supported[0][1]}-{supported[1][0]}.{supported[1][1]}. Widen the Makefile's "
            "check, `make lock` for it, and the README."
        )
    return f"TensorFlow {version} has wheels for Python {listed}; none newer than the book's range."


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="a saved PyPI JSON document instead of asking PyPI")
    args = parser.parse_args(argv)
    try:
        if args.json:
            with open(args.json, encoding="utf-8") as f:
                release = json.load(f)
        else:
            with urllib.request.urlopen(PYPI, timeout=30) as response:
                release = json.load(response)
    except (OSError, ValueError) as error:
        print(f"Could not read TensorFlow's release from PyPI ({error}); the Python check was skipped.")
        return 0
    print(report(release))
    return 0


if __name__ == "__main__":
    sys.exit(main())
