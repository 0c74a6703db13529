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

import pytest

SMOKE = r"""
import math
import keras
import numpy as np
from lecture_utils import experiments, images, transfer
from lecture_utils.data import cats_vs_dogs_split

assert experiments.PRECISION.policy == "float32", experiments.PRECISION
assert transfer.PRECISION.policy == "float32"

def steps(name, build, policy, data, **fit):
    keras.backend.clear_session()
    keras.config.set_dtype_policy(policy)
    try:
        model = build()
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.layers[0].dtype_policy.name == policy, (name, model.layers[0].dtype_policy)
    loss = model.fit(*data, epochs=1, verbose=0, **fit).history["loss"][-1]
    assert math.isfinite(loss), (name, loss)
    print(f"{name}: {policy}, loss {loss:.3f}", flush=True)
    return model

(x, y), _ = experiments.mnist_digits()
for name in ["mnist_convnet", "mnist_gap_convnet", "mnist_dense_net", "mnist_small_resnet"]:
    hp = experiments.MNIST_RESNET if name == "mnist_small_resnet" else experiments.MNIST
    steps(name, experiments.mnist_build(name, len(x)), hp["precision"],
          (x[:2 * hp["batch_size"]], y[:2 * hp["batch_size"]]), batch_size=hp["batch_size"])

paths, labels = cats_vs_dogs_split()["train"]
photos = images.decode_images(paths[:20] + paths[-20:])
photo_labels = np.concatenate([labels[:20], labels[-20:]])

def photo_batches(hp):
    augment = images.augmentation_from_settings(hp["augmentation"], experiments.SEED)
    return (images.make_dataset(photos, photo_labels, batch_size=hp["batch_size"], shuffle=True,
                                augment=augment, seed=experiments.SEED),)

for name, hp in [("cats_vs_dogs_from_scratch", experiments.FROM_SCRATCH),
                 ("cats_vs_dogs_augmented", experiments.AUGMENTED)]:
    steps(name, experiments.cats_vs_dogs_build(hp, len(paths)), hp["precision"], photo_batches(hp))

hp = transfer.FEATURE_EXTRACTION
features = np.random.default_rng(0).normal(size=(40, 5, 5, 1280)).astype("float32")
steps("cats_vs_dogs_feature_extraction", transfer.feature_extraction_build(features.shape[1:], hp),
      hp["precision"], (features, photo_labels), batch_size=hp["batch_size"])
frozen = steps("cats_vs_dogs_frozen_base", transfer.frozen_base_build(transfer.FROZEN_BASE),
               transfer.FROZEN_BASE["precision"], photo_batches(transfer.FROZEN_BASE))
steps("cats_vs_dogs_fine_tuning", transfer.fine_tuning_build(frozen, transfer.FINE_TUNING),
      transfer.FINE_TUNING["precision"], photo_batches(transfer.FINE_TUNING))
"""

TRAININGS = 9


@pytest.mark.parametrize("isa", ["AVX2", "AVX512_CORE"])
def test_every_training_runs_in_float32_without_bfloat16(isa):
    env = {k: v for k, v in os.environ.items() if k != "LECTURE_PRECISION"}
    env["ONEDNN_MAX_CPU_ISA"] = isa
    done = subprocess.run([sys.executable, "-c", SMOKE], env=env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, f"under ONEDNN_MAX_CPU_ISA={isa}:\n{done.stdout}\n{done.stderr[-3000:]}"
    trained = [line for line in done.stdout.splitlines() if ": float32, loss" in line]
    assert len(trained) == TRAININGS, done.stdout
