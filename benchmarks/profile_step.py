"""Where a training step's time goes: oneDNN's own timing of every primitive it runs.

Usage (from the repository root, after `make env`)::

    LECTURE_DATA_DIR=/path/to/mirror .venv/bin/python benchmarks/profile_step.py FROM_SCRATCH [--precision float32]

It runs the training's network on one batch held in memory (no input pipeline) under
``ONEDNN_VERBOSE=profile_exec``, in a child process, and sums the milliseconds oneDNN reports
per primitive (convolution forward, backward-data, backward-weights, pooling, matmul, reorders)
over the measured steps. The rest of a step (TensorFlow's own kernels: optimizer, activations'
gradients, losses) is not timed. TensorFlow runs independent ops at once (a layer's two
gradients, say), so the primitives' milliseconds can add up to more than the step's wall time;
shares are of their sum. Verbose timing slows a step, so compare the shares, not the
milliseconds with other benchmarks.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

STEPS = 10


def child(name: str, precision: str | None) -> None:
    import numpy as np
    import tensorflow as tf

    from lecture_utils import trainings
    from lecture_utils.images import without_autotuning

    training = getattr(trainings, name)
    if precision:
        training = dataclasses.replace(training, precision=precision)
    model = trainings.compiled_network(training)
    rng = np.random.default_rng(0)
    x = rng.random((training.batch_size, *model.input_shape[1:]), dtype=np.float32)
    classes = model.output_shape[-1]
    if classes == 1:  # a sigmoid output: binary labels
        y = rng.integers(0, 2, (training.batch_size, 1)).astype("float32")
    else:
        y = rng.integers(0, classes, training.batch_size)
    # Without the autotuner, whose thread would stall the end of each fit() (images.without_autotuning).
    batches = without_autotuning(tf.data.Dataset.from_tensors((x, y)).repeat())
    model.fit(batches, steps_per_epoch=5, epochs=1, verbose=0)  # tracing and primitive creation
    print("=====START", flush=True)
    start = time.perf_counter()
    model.fit(batches, steps_per_epoch=STEPS, epochs=1, verbose=0)
    print(f"=====END {(time.perf_counter() - start) / STEPS * 1000:.1f}", flush=True)


def primitive_times(log: str) -> tuple[dict, float]:
    """(ms per step by (primitive, direction, shape), wall ms per step) from the child's output."""
    body, end = log.split("=====START", 1)[1].split("=====END", 1)
    per_step = collections.defaultdict(float)
    for line in body.splitlines():
        if line.startswith("onednn_verbose,v1,primitive,exec"):
            fields = line.split(",")
            kind, direction, shape, ms = fields[5], fields[7], fields[-2], float(fields[-1])
            per_step[(kind, direction, shape)] += ms / STEPS
    return dict(per_step), float(end.split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("training", help="a constant of lecture_utils.trainings, e.g. FROM_SCRATCH")
    parser.add_argument("--precision", help="float32 or mixed_bfloat16 (default: the training's)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.training, args.precision)
    env = dict(os.environ, ONEDNN_VERBOSE="profile_exec", TF_CPP_MIN_LOG_LEVEL="2", LECTURE_PROGRESS="0")
    command = [sys.executable, str(Path(__file__).resolve()), args.training, "--child"]
    if args.precision:
        command += ["--precision", args.precision]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    per_step, wall = primitive_times(done.stdout)
    by_kind = collections.defaultdict(float)
    for (kind, direction, _), ms in per_step.items():
        by_kind[f"{kind} {direction}".replace(" undef", "")] += ms
    total = sum(by_kind.values())
    print(
        f"{args.training} ({args.precision or 'its precision'}): {wall:.0f} ms per step (verbose timing on), "
        f"{total:.0f} ms in oneDNN primitives\n"
    )
    print("| primitive | ms per step | share |\n|---|---|---|")
    for kind, ms in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"| {kind} | {ms:.1f} | {ms / total:.0%} |")
    print()
    print("| largest primitives | ms per step |\n|---|---|")
    for (kind, direction, shape), ms in sorted(per_step.items(), key=lambda kv: -kv[1])[:8]:
        print(f"| {kind} {direction} {shape} | {ms:.1f} |")


if __name__ == "__main__":
    main()
