"""What the augmentation costs: the five Keras layers against one RandomAffine, side by side.

Usage (from the repository root)::

    .venv/bin/python benchmarks/augmentation.py [--photos 2000] [--repeats 3] [--precision float32]
        [--real] [--skip-training]

Three measurements, each of the three pipelines of ``images.make_dataset`` — no augmentation,
``images.augmentation_layers`` (rotation, shift, shear, zoom, flip: four resamplings) and
``augmentation.RandomAffine`` (one) — on 150×150 uint8 photos, batches of 20:

1. **Where the time goes**: milliseconds per batch of each step (the rescale, each of the five
   layers, RandomAffine's draw and composition and its resampling), each a ``tf.function``.
2. **The pipeline alone**: one pass over all photos, as an epoch draws them.
3. **A training epoch** of ``models.cats_vs_dogs_convnet`` (RMSprop, binary cross-entropy),
   after a warm-up epoch, with each pipeline.

Repetitions are interleaved (A, B, C, A, B, C, ...) so that a busy neighbour on a shared CPU
slows all three alike; medians are printed, with the ratios to no augmentation and the cores
busy (process CPU time ÷ wall time).  Random photos by default (resampling costs the same
whatever the pixels); ``--real`` decodes the cats-vs-dogs training photos instead.  It prints
numbers; it does not pass or fail.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from lecture_utils import images, models  # noqa: E402
from lecture_utils.augmentation import RandomAffine  # noqa: E402

PIPELINES = ("none", "five layers", "RandomAffine")


def augmenters(seed: int = 0) -> dict:
    """A fresh augmentation per pipeline (None for none), seeded alike."""
    return {
        "none": None,
        "five layers": images.augmentation_from_settings(images.LECTURE_AUGMENTATION, seed),
        "RandomAffine": RandomAffine.from_settings(images.LECTURE_AUGMENTATION, seed=seed),
    }


def timed(run) -> tuple[float, float]:
    """(wall seconds, cores busy) of ``run()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    wall = time.perf_counter() - wall
    return wall, (time.process_time() - cpu) / wall


def interleaved(runs: dict, repeats: int) -> dict:
    """Median wall seconds, median cores busy and all the wall seconds of each of ``runs``,
    repeated in turn."""
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(timed(run))
    return {
        name: (statistics.median(t for t, _ in ts), statistics.median(c for _, c in ts), [t for t, _ in ts])
        for name, ts in times.items()
    }


def print_table(title: str, results: dict, unit: str = "s") -> None:
    base = results["none"][0]
    print(f"\n{title}")
    print(f"  {'pipeline':<14} {unit:>9} {'÷ none':>8} {'cores busy':>11}   each repetition, {unit}")
    for name, (seconds, cores, each) in results.items():
        print(
            f"  {name:<14} {seconds:9.2f} {seconds / base:8.2f} {cores:11.2f}   " + " ".join(f"{t:.2f}" for t in each)
        )


def profile(batch_size: int, repeats: int, batches: int = 20) -> None:
    """Milliseconds per batch of each step of the augmentations, on a float batch."""
    import keras
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).integers(0, 256, (batch_size, 150, 150, 3), dtype=np.uint8))
    batch = tf.cast(x, tf.float32) / 255.0
    five = images.augmentation_layers(seed=0)
    one = RandomAffine(seed=0)

    def compose():
        return one.matrices(one.random_parameters(batch_size), 150, 150)

    matrices = compose()
    steps = {"rescale uint8 → float32": lambda: tf.cast(x, tf.float32) / 255.0}
    for layer in five.layers:
        steps[f"five layers: {layer.name}"] = lambda layer=layer: layer(batch, training=True)
    steps["five layers, all"] = lambda: five(batch, training=True)
    steps["RandomAffine: draw + compose"] = compose
    steps["RandomAffine: resample"] = lambda: one.transform(batch, matrices)
    steps["RandomAffine, all"] = lambda: one(batch, training=True)
    graphs = {name: tf.function(tf.autograph.experimental.do_not_convert(step)) for name, step in steps.items()}

    def run(graph):
        def loop():
            for _ in range(batches):
                out = graph()
            keras.ops.convert_to_numpy(out)  # wait for the last one

        return loop

    for graph in graphs.values():
        run(graph)()  # trace
    results = interleaved({name: run(graph) for name, graph in graphs.items()}, repeats)
    print(f"\nWhere the time goes (ms per batch of {batch_size}, median of {repeats})")
    for name, (seconds, cores, _) in results.items():
        print(f"  {name:<30} {seconds / batches * 1000:7.2f} ms   cores busy {cores:4.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=2000, help="number of photos (default 2000)")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument("--precision", default="float32", help="dtype policy of the ConvNet, e.g. mixed_bfloat16")
    parser.add_argument("--real", action="store_true", help="the cats-vs-dogs photos instead of random ones")
    parser.add_argument("--skip-training", action="store_true", help="only the profile and the pipeline alone")
    args = parser.parse_args()
    if args.photos < args.batch_size or args.repeats < 1:
        parser.error("--photos must be at least --batch-size, and --repeats at least 1.")

    import keras

    keras.utils.set_random_seed(0)
    if args.real:
        x, y = images.load_cats_vs_dogs()["train"]
        if len(x) < args.photos:
            parser.error(f"--photos {args.photos}: the training split has only {len(x)} photos.")
        x, y = x[: args.photos], y[: args.photos]
    else:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (args.photos, 150, 150, 3), dtype=np.uint8)
        y = rng.integers(0, 2, args.photos)
    print(
        f"{len(x)} {'photos' if args.real else 'random photos'} of 150×150, batches of {args.batch_size}, "
        f"{os.cpu_count()} CPUs seen; the CPU may be shared: compare rows of one run only."
    )

    profile(args.batch_size, args.repeats)

    def dataset(augment):
        return images.make_dataset(x, y, batch_size=args.batch_size, shuffle=True, augment=augment, seed=0)

    pipelines = {name: dataset(augment) for name, augment in augmenters().items()}

    def drain(ds):
        def run():
            for _ in ds:
                pass

        return run

    for ds in pipelines.values():
        drain(ds)()  # trace, warm the caches
    print_table(
        f"The pipeline alone: one pass over {len(x)} photos (median of {args.repeats})",
        interleaved({name: drain(ds) for name, ds in pipelines.items()}, args.repeats),
    )

    if args.skip_training:
        return
    keras.config.set_dtype_policy(args.precision)
    fits = {}
    warm_up = images.make_dataset(x[: 5 * args.batch_size], y[: 5 * args.batch_size], batch_size=args.batch_size)
    for name, ds in pipelines.items():
        model = models.cats_vs_dogs_convnet()
        model.compile(optimizer=keras.optimizers.RMSprop(1e-4), loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(warm_up, epochs=1, shuffle=False, verbose=0)  # trace the step outside the timing
        fits[name] = lambda model=model, ds=ds: model.fit(ds, epochs=1, shuffle=False, verbose=0)
    print_table(
        f"One training epoch of cats_vs_dogs_convnet, {args.precision} (median of {args.repeats})",
        interleaved(fits, args.repeats),
    )


if __name__ == "__main__":
    main()
