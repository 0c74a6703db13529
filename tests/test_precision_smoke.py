"""Every training of the book, built as the chapters build it, trains on CPUs without bfloat16.

``ONEDNN_MAX_CPU_ISA`` makes oneDNN behave as on a CPU without bfloat16 instructions (AVX2:
most laptops; AVX512_CORE: Skylake and Cascade Lake servers). It is read when TensorFlow
loads oneDNN, so each ISA gets a fresh Python process. In it, the precision rule must pick
float32, and each training's own build function, with that precision, must run a few training
steps on real data and give a finite loss.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SMOKE = r"""
import math
import tempfile
from pathlib import Path

import numpy as np
from lecture_utils import images, trainings

assert trainings.PRECISION.policy == "float32", trainings.PRECISION
assert trainings.TRANSFER_PRECISION.policy == "float32"

# Random stand-ins for the stored features: computing the real ones takes minutes.
features = np.random.default_rng(0).normal(size=(40, 5, 5, 1280)).astype("float16")
feature_labels = (np.arange(40) % 2).astype("float32")
saved = Path(tempfile.mkdtemp()) / "frozen.keras"

for training in trainings.BOOK_TRAININGS.values():
    model = trainings.compiled_network(training, start_from=saved if training.start_from else None)
    assert model.layers[1].dtype_policy.name == training.precision, (training.name, model.layers[1].dtype_policy)
    if training.data == "cats_vs_dogs_features":
        batches = images.array_batches(features, feature_labels, training.batch_size)
    else:
        batches = trainings.training_data(training)[0].take(2)
    loss = model.fit(batches, epochs=1, verbose=0).history["loss"][-1]
    assert math.isfinite(loss), (training.name, loss)
    print(f"{training.name}: {training.precision}, loss {loss:.3f}", flush=True)
    if training.name == trainings.FROZEN_BASE.name:
        model.save(saved)
"""

TRAININGS = 9


def _has_avx512():
    try:
        return "avx512f" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("isa", ["AVX2", "AVX512_CORE"])
def test_every_training_runs_in_float32_without_bfloat16(isa):
    if isa == "AVX512_CORE" and not _has_avx512():
        pytest.skip("this CPU has no AVX-512: AVX512_CORE would run the AVX2 kernels again")
    env = {k: v for k, v in os.environ.items() if k != "LECTURE_PRECISION"}
    env["ONEDNN_MAX_CPU_ISA"] = isa
    done = subprocess.run([sys.executable, "-c", SMOKE], env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"under ONEDNN_MAX_CPU_ISA={isa}:\n{done.stdout}\n{done.stderr[-3000:]}"
    trained = [line for line in done.stdout.splitlines() if ": float32, loss" in line]
    assert len(trained) == TRAININGS, done.stdout
