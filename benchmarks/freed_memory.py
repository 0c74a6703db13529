"""Peak memory and time of a float32 cats-vs-dogs training, this checkout against an older one.

Usage (from the repository root, after `make env`)::

    .venv/bin/python benchmarks/freed_memory.py --before ../old-checkout [--runs 2]

Each run is a fresh Python process that imports the checkout's ``lecture_utils`` (through
``PYTHONPATH``), builds the cats-vs-dogs ConvNet with dropout in float32 and fits it for two
epochs on 400 random 150×150 photos, validating on 200 in batches of 100, through the book's
input pipeline (``images.make_dataset``). Random photos need no data and train as fast as real
ones. It prints each run's wall time and its peak resident memory, before the training and at
the end, alternating the two checkouts so that a drift of the machine's speed hits both alike.
It prints numbers; it does not pass or fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure() -> dict:
    import resource
    import time

    import keras
    import numpy as np

    import lecture_utils
    from lecture_utils import images, models

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (600, 150, 150, 3), dtype=np.uint8)
    y = np.arange(600) % 2
    model = models.cats_vs_dogs_convnet(dropout=0.5)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kB
    start = time.perf_counter()
    model.fit(
        images.make_dataset(x[:400], y[:400], batch_size=20, shuffle=True),
        validation_data=images.make_dataset(x[400:], y[400:], batch_size=100),
        epochs=2,
        verbose=0,
    )
    return {
        "seconds": time.perf_counter() - start,
        "peak MiB before": before,
        "peak MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lecture_utils": str(Path(lecture_utils.__file__).parent),
    }


def run_fresh(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        [sys.executable, __file__, "--worker"], env=env, cwd=tree, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the run in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=False, help="an older checkout, run alternately")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure()))
        return
    trees = {"before": args.before, "now": ROOT} if args.before else {"now": ROOT}
    print("| run | tree | s | peak MiB before training | peak MiB at the end | growth MiB |")
    print("|---|---|---|---|---|---|")
    for i in range(args.runs):
        for label, tree in trees.items():
            r = run_fresh(tree.resolve())
            growth = r["peak MiB"] - r["peak MiB before"]
            print(
                f"| {i + 1} | {label} | {r['seconds']:.1f} | {r['peak MiB before']:.0f} | {r['peak MiB']:.0f} "
                f"| {growth:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
