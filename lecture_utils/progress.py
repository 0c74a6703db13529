"""Progress of the long computations, on stderr: trainings, feature extraction, decoding, downloads.

Bars are ``tqdm`` bars written to stderr, never to stdout, and never notebook widgets: the
book's pages leave stderr out, the outputs compared by the tests are stdout's, and a chapter
run in Jupyter shows the bar moving in the cell's stderr.  ``LECTURE_PROGRESS=0`` turns them off.
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["progress_bar", "training_progress"]


def _enabled() -> bool:
    value = os.environ.get("LECTURE_PROGRESS", "1").strip()
    if value not in ("0", "1"):
        raise ValueError(f"LECTURE_PROGRESS must be 1 (show progress bars) or 0 (hide them), got {value!r}.")
    return value == "1"


def progress_bar(total: int | None, description: str, unit: str = "it", unit_scale: bool = False):
    """A ``tqdm`` bar on stderr for ``total`` steps of ``unit`` (None: unknown total).

    Use it as a context manager, or call ``.update(n)`` and ``.close()``; ``unit_scale=True``
    writes large counts with k/M/G prefixes (for bytes).
    """
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=unit_scale,
        file=sys.stderr,
        disable=not _enabled(),
        mininterval=0.5,
        dynamic_ncols=True,
    )


def training_progress(description: str, epochs: int, steps_per_epoch: int):
    """A Keras callback that shows a training's progress as one bar over all its batches.

    The bar says which epoch is running, the time left, and the last epoch's validation
    accuracy (or loss, for a model without an accuracy metric).

    Parameters
    ----------
    description : str
        E.g. the training's name.
    epochs, steps_per_epoch : int

    Returns
    -------
    keras.callbacks.Callback
    """
    import keras

    class _TrainingProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = progress_bar(epochs * steps_per_epoch, description, unit="batch")
            self.started = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.bar.set_description(f"{description}, epoch {epoch + 1}/{epochs}", refresh=False)

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            for metric in ("val_accuracy", "val_loss"):
                if metric in logs:
                    self.bar.set_postfix({metric: f"{float(logs[metric]):.3f}"}, refresh=False)
                    break

        def on_train_end(self, logs=None):
            self.bar.close()

    return _TrainingProgress()
