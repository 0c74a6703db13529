"""Every book training's speed in fresh processes, against this CPU's peak measured in the same run.

Usage (from the repository root, after `make env`; the cache must hold the EfficientNet weights,
the features and the frozen-base model, as after one run of chapter 6)::

    LECTURE_DATA_DIR=/path/to/mirror .venv/bin/python benchmarks/steady_state.py [--runs 10]
        [--only cats_vs_dogs_from_scratch ...] [--precision float32] [--tree PATH] [--json FILE]

Each configuration (a book training, in its own precision, and the cats-vs-dogs and MNIST
ConvNets also in the other one) is run ``--runs`` times, each in a fresh Python process, for
two epochs of the book's own input pipeline on a shortened training set; the second epoch is
measured, and so is the process's peak resident memory. Each process also measures the peak of
its precision just before and after its training ("own peak"): a shared host's speed can drift
from minute to minute, and the ratio to the peak of the same minute shows what the training
itself does. A training step's cost is 3 × the forward multiply-adds of its trainable layers
and 2 × or 1 × those of frozen layers (see ``run.forward_flops``), times 2 FLOPs each.
``--tree`` runs the trainings of another checkout (e.g. a ``git worktree`` of an older commit)
with this script, and ``--before`` another one alternately with it, for before/after
comparisons on one machine. It prints numbers; it does not pass or fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("LECTURE_PROGRESS", "0")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: (training constant, precision or None for the book's, training examples per epoch or None for all).
#: Shortened epochs keep ten fresh-process runs of every configuration within half an hour; the
#: validation pass is always the whole validation set, as in the book.
CONFIGURATIONS = [
    ("FROM_SCRATCH", "mixed_bfloat16", 600),
    ("FROM_SCRATCH", "float32", 600),
    ("AUGMENTED", "mixed_bfloat16", 600),
    ("AUGMENTED", "float32", 600),
    ("MNIST_CONVNET", "mixed_bfloat16", 12_800),
    ("MNIST_CONVNET", "float32", 12_800),
    ("MNIST_GAP_CONVNET", None, 12_800),
    ("MNIST_DENSE_NET", None, 12_800),
    ("MNIST_SMALL_RESNET", None, 6_400),
    ("FEATURE_EXTRACTION", None, None),
    ("FROZEN_BASE", None, 600),
    ("FINE_TUNING", None, 600),
]


# ----------------------------------------------------------------------------------------------
# One measurement, in a fresh process


def measure(name: str, precision: str | None, train_images: int | None) -> dict:
    """Two epochs of a book training; wall and CPU seconds of the second, split into its parts."""
    import resource

    import keras
    from run import measured_peak_flops, training_flops_per_example

    import lecture_utils
    from lecture_utils import trainings

    training = getattr(trainings, name)
    changes = {"epochs": 2, "train_images": train_images}
    if precision is not None:
        changes["precision"] = precision
    training = dataclasses.replace(training, **changes)
    model = trainings.compiled_network(training)
    train, validation = trainings.training_data(training)
    clock = {}

    class Clock(keras.callbacks.Callback):
        def _mark(self, event):
            clock[event] = (time.perf_counter(), time.process_time())

        def on_epoch_begin(self, epoch, logs=None):
            self._mark("begin")

        def on_train_batch_end(self, batch, logs=None):
            self._mark("trained")  # the last one is the end of the epoch's training steps

        def on_test_begin(self, logs=None):
            self._mark("validating")

        def on_epoch_end(self, epoch, logs=None):
            self._mark("end")

    # As trainings.train_or_load calls it: the datasets shuffle themselves.
    dtype = "bfloat16" if training.precision == "mixed_bfloat16" else "float32"
    peak_before = measured_peak_flops(dtype, seconds=1.5)["conv3x3"]
    model.fit(train, validation_data=validation, epochs=2, shuffle=False, verbose=0, callbacks=[Clock()])
    # The machine's own speed drifts (a shared host, turbo); the peak is measured around each run.
    own_peak = (peak_before + measured_peak_flops(dtype, seconds=1.5)["conv3x3"]) / 2

    def span(a, b):
        return clock[b][0] - clock[a][0], clock[b][1] - clock[a][1]

    (train_s, train_cpu), (val_s, val_cpu), (epoch_s, epoch_cpu) = (
        span("begin", "trained"),
        span("validating", "end"),
        span("begin", "end"),
    )
    examples = trainings.training_size(training)
    validation_examples = sum(int(x.shape[0]) for x, _ in validation)
    return {
        "training": training.name,
        "precision": training.precision,
        "examples": examples,
        "epoch s": epoch_s,
        "train s": train_s,
        "validation s": val_s,
        "other s": epoch_s - train_s - val_s,
        "images/s": examples / train_s,
        "validation images/s": validation_examples / val_s,
        "cores busy": epoch_cpu / epoch_s,
        "cores busy training": train_cpu / train_s,
        "cores busy validating": val_cpu / val_s,
        "flops/image": training_flops_per_example(training, model),
        "own peak": own_peak,
        # The process's largest resident size (Linux reports kB): what a memory limit must hold.
        "peak MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lecture_utils": str(Path(lecture_utils.__file__).parent),
    }


# ----------------------------------------------------------------------------------------------
# The table


def run_fresh(tree: Path, name: str, precision: str | None, train_images: int | None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tree), str(HERE)]))
    args = [name, precision or "-", str(train_images or 0)]
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} ({precision}) failed in {tree}:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(result["lecture_utils"]).resolve() != (tree / "lecture_utils").resolve():
        raise RuntimeError(f"the worker imported {result['lecture_utils']}, not the tree {tree}.")
    return result


def summary(runs: list[dict], peak: dict) -> dict:
    rates = [r["images/s"] for r in runs]
    first = runs[0]
    reference = peak["bfloat16" if first["precision"] == "mixed_bfloat16" else "float32"]
    median = statistics.median(rates)
    own = [r["images/s"] * r["flops/image"] / r["own peak"] for r in runs]
    return {
        "training": first["training"],
        "precision": first["precision"],
        "runs": len(runs),
        "images/s": median,
        "spread": (max(rates) - min(rates)) / median,
        "GFLOP/s": median * first["flops/image"] / 1e9,
        "÷ peak": median * first["flops/image"] / reference,
        "÷ own peak": statistics.median(own),
        "its spread": (max(own) - min(own)) / statistics.median(own),
        "cores busy (min)": min(r["cores busy"] for r in runs),
        "cores busy training (min)": min(r["cores busy training"] for r in runs),
        "validation images/s": statistics.median(r["validation images/s"] for r in runs),
        "other s": max(r["other s"] for r in runs),
        "peak MiB (max)": max(r["peak MiB"] for r in runs),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--only", nargs="*", help="training names, e.g. cats_vs_dogs_from_scratch")
    parser.add_argument("--precision", help="only the configurations in this precision, e.g. float32")
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose lecture_utils is measured")
    parser.add_argument("--before", type=Path, help="an older checkout, run alternately with --tree")
    parser.add_argument("--before-runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        name, precision, train_images = args.worker
        print(json.dumps(measure(name, None if precision == "-" else precision, int(train_images) or None)))
        return

    from run import markdown_table, measured_peak_flops

    peak = {d: measured_peak_flops(d)["conv3x3"] for d in ("float32", "bfloat16")}
    print(
        f"Peak (3×3 convolution): {peak['float32'] / 1e9:.0f} GFLOP/s float32, "
        f"{peak['bfloat16'] / 1e9:.0f} bfloat16; tree {args.tree}",
        flush=True,
    )
    rows, every = [], []
    for name, precision, train_images in CONFIGURATIONS:
        from lecture_utils import trainings

        if args.only and getattr(trainings, name).name not in args.only:
            continue
        if args.precision and (precision or getattr(trainings, name).precision) != args.precision:
            continue
        runs = {"before": [], "now": []}
        # Alternating, so that a change in the machine's speed during the run hits both alike.
        for i in range(max(args.runs, args.before_runs if args.before else 0)):
            if args.before and i < args.before_runs:
                runs["before"].append(run_fresh(args.before, name, precision, train_images))
            if i < args.runs:
                runs["now"].append(run_fresh(args.tree, name, precision, train_images))
        for tree, measured in runs.items():
            if measured:
                every += [dict(r, tree=tree) for r in measured]
                rows.append(dict(summary(measured, peak), tree=tree) if args.before else summary(measured, peak))
                print(markdown_table(rows[-1:]), flush=True)
    after = {d: measured_peak_flops(d)["conv3x3"] / 1e9 for d in ("float32", "bfloat16")}
    print(f"Peak again at the end: {after['float32']:.0f} / {after['bfloat16']:.0f} GFLOP/s\n")
    print(markdown_table(rows))
    if args.json:
        args.json.write_text(json.dumps({"peak": peak, "runs": every}, indent=1))


if __name__ == "__main__":
    main()
