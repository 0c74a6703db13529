"""Benchmark the whole book on this machine, in one run: the CPU's peak in float32 and bfloat16,
each chapter cold and warm, every training's throughput and cores busy against that peak (as
trained by the cold run, and in fresh processes by ``steady_state.py``), the whole book's cold
time against the time its training FLOPs would take at the peak, and the input pipeline against
naive decoding.

Usage (from the repository root, after `make env`)::

    LECTURE_DATA_DIR=/path/to/mirror .venv/bin/python benchmarks/run.py [--chapters 03 04]
        [--runs 10] [--output FILE]

"Cold" runs each chapter with an empty ``LECTURE_CACHE_DIR`` (nothing trained, weights not
converted); "warm" runs it again with the cache the cold run left.  Peak memory is the largest
resident set of the kernel process (and its children), sampled every 0.1 s.  It prints numbers;
it does not pass or fail.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


# ----------------------------------------------------------------------------------------------
# Machine peak


def measured_peak_flops(dtype: str = "float32", seconds: float = 3.0) -> dict:
    """Best FLOP/s of a large matmul and of a 3×3 convolution on this CPU, in ``dtype``."""
    import tensorflow as tf

    results = {}
    a = tf.random.normal((2048, 2048), dtype=dtype)
    conv_x = tf.random.normal((32, 56, 56, 128), dtype=dtype)
    conv_w = tf.random.normal((3, 3, 128, 128), dtype=dtype)
    cases = {
        "matmul": (lambda: tf.linalg.matmul(a, a), 2 * 2048**3),
        "conv3x3": (lambda: tf.nn.conv2d(conv_x, conv_w, 1, "SAME"), 2 * 32 * 56 * 56 * 128 * 128 * 9),
    }
    for name, (op, flops) in cases.items():
        op().numpy()  # warm-up
        best, end = float("inf"), time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            op().numpy()
            best = min(best, time.perf_counter() - start)
        results[name] = flops / best
    return results


# ----------------------------------------------------------------------------------------------
# Model cost


def forward_flops(model, training: bool = False) -> int:
    """FLOPs (2 × multiply-adds) of the Conv2D, DepthwiseConv2D and Dense layers for one example.

    With ``training=True``, the cost of one training step per example: a trainable layer
    costs about 3 × its forward pass (forward, gradient of the input, gradient of the
    weights), a frozen layer above a trainable one 2 × (the gradient still passes through
    it), and a frozen layer below every trainable one only its forward pass.
    """
    total = 0
    seen_trainable = False
    for layer in _leaf_layers(model):
        if training:
            trains = layer.trainable and bool(layer.trainable_weights)
            factor = 3 if trains else (2 if seen_trainable else 1)
            seen_trainable = seen_trainable or trains
        else:
            factor = 1
        total += factor * _layer_flops(layer)
    return int(total)


def training_flops_per_example(training, model) -> int:
    """FLOPs of one training step per example: the model's, or only the head's on stored features."""
    if training.data == "cats_vs_dogs_features":
        # Trained on features computed once beforehand: only the dense head runs.
        return sum(3 * _layer_flops(x) for x in _leaf_layers(model) if x.trainable and x.trainable_weights)
    return forward_flops(model, training=True)


def _layer_flops(layer) -> int:
    from lecture_utils.architectures import layer_multiply_adds

    return 2 * layer_multiply_adds(layer)


def _leaf_layers(model):
    for layer in model.layers:
        # models.InferenceMode wraps a whole base network as one layer, in `.model`.
        inner = layer if hasattr(layer, "layers") else getattr(layer, "model", None)
        if inner is not None and hasattr(inner, "layers"):
            yield from _leaf_layers(inner)
        else:
            yield layer


def training_table(models_dir: Path, peak: dict) -> list[dict]:
    """Images/s and achieved FLOP/s ÷ peak for every book training recorded in ``models_dir``.

    Each training of :data:`lecture_utils.trainings.BOOK_TRAININGS` is found in the cache by the
    settings recorded with it, and costed from its specification.
    """
    import keras

    from lecture_utils import trainings

    recorded = {}
    for entry in trainings.cache_entries(models_dir):
        recorded[json.dumps(entry.meta.get("settings"), sort_keys=True)] = entry
    rows = []
    for training in trainings.BOOK_TRAININGS.values():
        entry = recorded.get(json.dumps(training.settings(), sort_keys=True))
        if entry is None:
            rows.append({"training": training.name, "epochs": "not trained in this run"})
            continue
        epochs = len(next(iter(entry.history.values()), []))
        images_per_s = entry.meta["examples_per_epoch"] * epochs / entry.seconds
        flops = training_flops_per_example(training, keras.models.load_model(entry.path))
        # The recorded seconds include the validation passes, which are not counted: a slight
        # underestimate.
        achieved = flops * images_per_s
        reference = peak["bfloat16" if training.precision == "mixed_bfloat16" else "float32"]["conv3x3"]
        total = flops * entry.meta["examples_per_epoch"] * epochs
        rows.append(
            {
                "training": training.name,
                "epochs": epochs,
                "seconds": entry.seconds,
                "s/epoch": entry.seconds / max(epochs, 1),
                "precision": training.precision,
                "images/s": images_per_s,
                "GFLOP/s": achieved / 1e9,
                "÷ peak": achieved / reference,
                "cores busy": entry.meta.get("cores_busy", "not recorded"),
                "TFLOP": total / 1e12,
                "s at peak": total / reference,
            }
        )
    return rows


# ----------------------------------------------------------------------------------------------
# Chapters


def run_chapter(path: Path, env: dict) -> tuple[float, float]:
    """Execute a chapter in a fresh kernel; return (wall seconds, peak RSS in GiB)."""
    import jupytext
    import psutil
    from nbclient import NotebookClient

    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook, timeout=7200, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            km = getattr(client, "km", None)
            pid = getattr(getattr(km, "provisioner", None), "pid", None)
            if pid:
                try:
                    proc = psutil.Process(pid)
                    rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                    peak[0] = max(peak[0], rss)
                except psutil.Error:
                    pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return wall, peak[0] / 2**30


def pipeline_ratio() -> dict:
    """Seconds per epoch of the cats-vs-dogs training input: decode once vs decode every epoch."""
    import tensorflow as tf

    from lecture_utils import data, images

    paths, labels = data.cats_vs_dogs_split()["train"]

    def naive_epoch():
        def load(path, label):
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            return tf.image.resize(image, (150, 150)) / 255.0, label

        ds = tf.data.Dataset.from_tensor_slices(([str(p) for p in paths], labels)).map(load).batch(32)
        for _ in ds:
            pass

    start = time.perf_counter()
    decoded = images.load_cats_vs_dogs()
    decode_once = time.perf_counter() - start

    def cached_epoch():
        for _ in images.make_dataset(*decoded["train"], batch_size=32, shuffle=True):
            pass

    timings = {}
    for name, epoch in (("naive", naive_epoch), ("decoded once", cached_epoch)):
        epoch()  # warm-up (file cache, tf.function tracing)
        start = time.perf_counter()
        epoch()
        timings[name] = time.perf_counter() - start
    return {
        "naive s/epoch": timings["naive"],
        "pipeline s/epoch": timings["decoded once"],
        "one-off decode s": decode_once,
        "speed-up": timings["naive"] / timings["decoded once"],
    }


def markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(none)\n"
    keys = list(dict.fromkeys(k for row in rows for k in row))

    def fmt(v):
        if not isinstance(v, float):
            return str(v)
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"

    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main():
    import steady_state

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="*", help="chapter number prefixes, e.g. 03 04 (default: all)")
    parser.add_argument("--runs", type=int, default=10, help="fresh-process runs of each training (0: none)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args()

    chapters = sorted(p for p in BOOK.glob("[0-9][0-9]_*.md") if not args.chapters or p.name[:2] in args.chapters)
    report = [
        f"# Benchmark, {time.strftime('%Y-%m-%d %H:%M')}\n",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{_memory_gib():.0f} GiB; Python {platform.python_version()}.\n",
    ]

    peak = {dtype: measured_peak_flops(dtype) for dtype in ("float32", "bfloat16")}
    report.append("## Peak of this CPU (GFLOP/s)\n")
    report.append(markdown_table([{"dtype": d, **{k: v / 1e9 for k, v in p.items()}} for d, p in peak.items()]))
    print("\n".join(report), flush=True)

    rows = []
    with tempfile.TemporaryDirectory(prefix="lecture9-bench-") as cache:
        env = {"LECTURE_CACHE_DIR": cache}
        for chapter in chapters:
            cold = run_chapter(chapter, env)
            warm = run_chapter(chapter, env)
            rows.append(
                {
                    "chapter": chapter.stem,
                    "cold s": cold[0],
                    "warm s": warm[0],
                    "peak GiB (cold)": cold[1],
                    "peak GiB (warm)": warm[1],
                }
            )
            print(markdown_table(rows[-1:]), flush=True)
        book = {
            "chapter": "whole book",
            "cold s": sum(r["cold s"] for r in rows),
            "warm s": sum(r["warm s"] for r in rows),
            "peak GiB (cold)": max(r["peak GiB (cold)"] for r in rows),
            "peak GiB (warm)": max(r["peak GiB (warm)"] for r in rows),
        }
        report += ["## Chapters\n", markdown_table([*rows, book])]
        trained = training_table(Path(cache) / "models", peak)
        report += ["## Trainings (as the cold run trained them)\n", markdown_table(trained)]
        at_peak = sum(row.get("s at peak", 0) for row in trained)
        if len(chapters) == len(list(BOOK.glob("[0-9][0-9]_*.md"))) and at_peak:
            report.append(
                f"The whole book cold: {book['cold s']:.0f} s, against {at_peak:.0f} s for its training FLOPs at "
                f"the peak of their precision: {book['cold s'] / at_peak:.1f} ×.\n"
            )
        print("\n".join(report[-3:]), flush=True)
        if args.runs:
            # The fresh-process runs need what the cold run left in the cache (features, weights).
            before = os.environ.get("LECTURE_CACHE_DIR")
            os.environ.update(env)
            try:
                steady = [
                    steady_state.summary(
                        [steady_state.run_fresh(ROOT, *configuration) for _ in range(args.runs)],
                        {d: p["conv3x3"] for d, p in peak.items()},
                    )
                    for configuration in steady_state.CONFIGURATIONS
                ]
            finally:
                if before is None:
                    os.environ.pop("LECTURE_CACHE_DIR")
                else:
                    os.environ["LECTURE_CACHE_DIR"] = before
            report += [f"## Trainings in fresh processes ({args.runs} runs each)\n", markdown_table(steady)]
    report += ["## Input pipeline (cats vs. dogs, 3000 training photos)\n", markdown_table([pipeline_ratio()])]

    text = "\n".join(report)
    print(text)
    args.output.write_text(text)


def _memory_gib():
    import psutil

    return psutil.virtual_memory().total / 2**30


if __name__ == "__main__":
    main()
