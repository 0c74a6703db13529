"""The canary's check for TensorFlow wheels on a newer Python (.ci/tensorflow_pythons.py)."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "tensorflow_pythons.py"
spec = importlib.util.spec_from_file_location("tensorflow_pythons", SCRIPT)
tensorflow_pythons = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tensorflow_pythons)


def _release(version, tags):
    files = [{"filename": f"tensorflow-{version}-cp3{t}-cp3{t}-manylinux_2_27_x86_64.whl"} for t in tags]
    return {"info": {"version": version}, "urls": [*files, {"filename": f"tensorflow-{version}.tar.gz"}]}


def test_the_pythons_of_a_release_are_read_from_its_wheels():
    assert tensorflow_pythons.wheel_pythons(_release("2.21.0", [11, 12, 13, 12])) == [(3, 11), (3, 12), (3, 13)]


def test_a_release_within_the_range_says_so():
    text = tensorflow_pythons.report(_release("2.21.0", [11, 12, 13]))
    assert text == "TensorFlow 2.21.0 has wheels for Python 3.11, 3.12, 3.13; none newer than the book's range."


def test_a_release_with_a_newer_python_names_it(tmp_path, capsys):
    saved = tmp_path / "tensorflow.json"
    saved.write_text(json.dumps(_release("2.22.0", [11, 12, 13, 14])))
    assert tensorflow_pythons.main(["--json", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "3.14 is newer than the book's 3.11-3.13" in out and "Widen the Makefile" in out


def test_an_unreadable_answer_skips_the_check_in_one_sentence(tmp_path, capsys):
    broken = tmp_path / "tensorflow.json"
    broken.write_text("<html>")
    assert tensorflow_pythons.main(["--json", str(broken)]) == 0
    assert capsys.readouterr().out.startswith("Could not read TensorFlow's release from PyPI")
