"""Train once, then load: the lecture's "save the trained model and its history" tip, automated.

A trained model is stored as a ``.keras`` file and its history as JSON (never pickle), under a
key that hashes everything that determines the result: the architecture and compile settings,
a fingerprint of the training data, the hyperparameters, the seed and the Keras version.
Change any of them and the model is trained again; change none and re-running a chapter loads
it in a second.  Files are written to temporary names and renamed into place, so an interrupted
run leaves nothing half-written; a damaged file is detected, deleted and the model retrained.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .data import cache_dir

__all__ = ["TrainingRun", "fingerprint", "train_or_load", "smooth_curve", "models_dir"]


def models_dir() -> Path:
    """Folder of the cached trained models: ``<LECTURE_CACHE_DIR>/models``."""
    path = cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fingerprint(*objects) -> str:
    """A sha256 hex digest of arrays, file paths and JSON-able values.

    Arrays are hashed by dtype, shape and bytes; ``Path`` objects by name and size (enough to
    tell datasets apart without reading every photo); anything else by its sorted JSON.
    """
    digest = hashlib.sha256()
    for obj in objects:
        if isinstance(obj, np.ndarray):
            digest.update(f"{obj.dtype}{obj.shape}".encode())
            digest.update(np.ascontiguousarray(obj).tobytes())
        elif isinstance(obj, Path):
            digest.update(f"{obj.name}:{obj.stat().st_size}".encode())
        elif isinstance(obj, (list, tuple)) and obj and all(isinstance(o, Path) for o in obj):
            digest.update(fingerprint(*obj).encode())
        else:
            digest.update(json.dumps(obj, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@dataclass
class TrainingRun:
    """A trained model with its history, as returned by :func:`train_or_load`.

    Attributes
    ----------
    model : keras.Model
    history : dict of str to list of float
        ``History.history``: one value per epoch for each metric.
    seconds : float
        Wall time of the training when it ran (also when loaded from the cache).
    loaded : bool
        True when the model came from the cache rather than being trained now.
    path : Path
        The ``.keras`` file.
    """

    model: object
    history: dict
    seconds: float
    loaded: bool
    path: Path
    meta: dict = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return len(next(iter(self.history.values()), []))

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(self.epochs, 1)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-", suffix=path.name)
    os.close(fd)
    tmp = Path(tmp)
    try:
        write(tmp)
        # mkstemp creates owner-only files; give the cache entry the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _run_key(name: str, model, data_fingerprint: str, hyperparameters: dict, seed: int) -> str:
    import keras

    compile_config = model.get_compile_config() if model.compiled else None
    return fingerprint(name, model.to_json(), compile_config, data_fingerprint, hyperparameters,
                       seed, keras.__version__)[:16]


def train_or_load(name: str, build: Callable[[], object], fit: Callable[[object], object], *,
                  data_fingerprint: str, hyperparameters: dict, seed: int = 42,
                  custom_objects: dict | None = None, examples_per_epoch: int | None = None,
                  dtype_policy: str | None = None) -> TrainingRun:
    """Load a trained model from the cache, or build, train and cache it.

    Parameters
    ----------
    name : str
        A readable name, used in the file names (e.g. ``"mnist_convnet"``).
    build : callable () -> keras.Model
        Builds and compiles the model. Called after seeding, so the initial weights are
        reproducible.
    fit : callable (model) -> keras.callbacks.History
        Trains the model (e.g. ``lambda m: m.fit(x, y, epochs=5, verbose=0)``).
    data_fingerprint : str
        Identifies the training data, e.g. ``fingerprint(x_train, y_train)``.
    hyperparameters : dict
        Everything else that changes the result (epochs, batch size, augmentation …).
    seed : int
        Seed for Python, NumPy and TensorFlow, set before building.
    custom_objects : dict, optional
        Passed to ``keras.models.load_model``.
    examples_per_epoch : int, optional
        Training examples seen per epoch; recorded (not part of the key) so that benchmarks
        can report images per second.
    dtype_policy : str, optional
        Keras dtype policy the model is built under, e.g. ``"mixed_bfloat16"`` (float32
        weights, bfloat16 arithmetic); it is part of the architecture, so of the key. Only the
        build sees it: with a policy given, the global policy is the same after the call as
        before. None (default) builds under the default policy.

    Returns
    -------
    TrainingRun

    Raises
    ------
    ValueError
        If ``name`` cannot be part of a file name, or ``hyperparameters`` is not a dict.
    TypeError
        If ``build`` does not return a Keras model, or ``fit`` does not return a ``History``.
    """
    import keras

    from .runtime import seed_everything

    # The name becomes part of a file name in the cache; a "/" would put it somewhere else.
    if not isinstance(name, str) or not name or any(c in name for c in '/\\:') or name.startswith("."):
        raise ValueError(f"name must be a non-empty file-name-safe string such as 'mnist_convnet', got {name!r}.")
    if not callable(build) or not callable(fit):
        raise TypeError("build and fit must be callables: build() returns a compiled model, fit(model) trains it.")
    if not isinstance(hyperparameters, dict):
        raise ValueError(f"hyperparameters must be a dict, got {type(hyperparameters).__name__}.")

    # Auto-generated layer names ("dense_3") would change the key between runs of a chapter;
    # a fresh session numbers them from zero again. Clearing the session also resets the dtype
    # policy, so a requested policy is set afterwards, and the caller's restored after the build.
    policy_before = keras.config.dtype_policy()
    keras.backend.clear_session()
    seed_everything(seed)
    if dtype_policy is not None:
        keras.config.set_dtype_policy(dtype_policy)
        try:
            model = build()
        finally:
            keras.config.set_dtype_policy(policy_before)
    else:
        model = build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build() must return a keras.Model, got {type(model).__name__} (is its return statement missing?).")
    key = _run_key(name, model, data_fingerprint, hyperparameters, seed)
    model_path = models_dir() / f"{name}-{key}.keras"
    history_path = models_dir() / f"{name}-{key}.history.json"

    # The history is written last, so its presence marks a complete entry.
    if model_path.is_file() and history_path.is_file():
        try:
            record = json.loads(history_path.read_text())
            loaded = keras.models.load_model(model_path, custom_objects=custom_objects)
            return TrainingRun(loaded, record["history"], record["seconds"], True, model_path, record.get("meta", {}))
        except Exception as error:  # a damaged entry: drop it and train again
            warnings.warn(f"Cached model {model_path.name} could not be loaded ({type(error).__name__}); "
                          "deleting it and training again.")
            model_path.unlink(missing_ok=True)
            history_path.unlink(missing_ok=True)

    start = time.perf_counter()
    history = fit(model)
    seconds = time.perf_counter() - start
    if not isinstance(getattr(history, "history", None), dict):
        raise TypeError(f"fit(model) must return the History of model.fit, got {type(history).__name__} "
                        "(is its return statement missing?).")
    values = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    meta = {"name": name, "hyperparameters": hyperparameters, "seed": seed,
            "keras": keras.__version__, "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "examples_per_epoch": examples_per_epoch}
    _atomic_write(model_path, model.save)  # the temporary name keeps the .keras suffix
    _atomic_write(history_path, lambda tmp: tmp.write_text(json.dumps(
        {"history": values, "seconds": seconds, "meta": meta}, indent=1)))
    return TrainingRun(model, values, seconds, False, model_path, meta)


def smooth_curve(points, factor: float = 0.8) -> np.ndarray:
    """Exponential moving average of a learning curve, as in the lecture's fine-tuning plots.

    Parameters
    ----------
    points : sequence of float
    factor : float in [0, 1)
        Weight of the previous smoothed value; 0 returns the points unchanged.

    Returns
    -------
    ndarray of float, same length as ``points``
    """
    if not 0 <= factor < 1:
        raise ValueError(f"factor must be in [0, 1), got {factor}.")
    smoothed = []
    for point in points:
        smoothed.append(smoothed[-1] * factor + point * (1 - factor) if smoothed else point)
    return np.array(smoothed, dtype=float)
