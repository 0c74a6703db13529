"""Read a PyTorch *legacy* ``state_dict`` file into NumPy arrays, without PyTorch.

Before version 1.6, ``torch.save`` wrote a flat stream instead of a zip archive:

1. a pickled magic number (``0x1950a86a20f9469cfc6c``),
2. a pickled protocol version (``1001``),
3. a pickled ``sys_info`` dict (byte order, C type sizes),
4. the pickled object itself, in which every tensor storage is replaced by a
   *persistent id* ``('storage', StorageType, key, location, numel, view)``,
5. a pickled, sorted list of the storage keys, and
6. for each key in that order: the element count as a little-endian int64,
   followed by the raw element bytes.

Part 4 is a pickle, and unpickling runs whatever callables the stream names.
This module therefore reads it with a :class:`pickle.Unpickler` whose
``find_class`` resolves only the handful of globals that a plain
``state_dict`` of tensors needs; every other global is refused *before*
anything is called. The torch functions named in the stream are never imported:
they are replaced by small stand-ins that record shapes and strides, and the
tensors are assembled from the raw storages with NumPy at the end.

Examples
--------
>>> from lecture_utils.torch_legacy import load_state_dict
>>> weights = load_state_dict("efficientnet-lite0-57934424.pth")  # doctest: +SKIP
>>> weights["_conv_stem.weight"].shape  # doctest: +SKIP
(32, 3, 3, 3)
"""

from __future__ import annotations

import collections
import io
import math
import os
import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "ForbiddenGlobalError",
    "TorchFormatError",
    "load_state_dict",
]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_ZIP_SIGNATURE = b"PK\x03\x04"


class TorchFormatError(ValueError):
    """The file is not a readable legacy PyTorch ``state_dict``."""


class ForbiddenGlobalError(TorchFormatError):
    """The pickle names a global that a plain ``state_dict`` never needs."""


@dataclass(frozen=True)
class _StorageType:
    """Stand-in for ``torch.FloatStorage`` & co.: only carries the element dtype.

    Deliberately not callable, so a stream that tries to *call* a storage
    class fails instead of doing something unexpected.
    """

    name: str
    dtype: np.dtype


@dataclass(frozen=True)
class _StorageRef:
    """A storage (or a view into one) whose bytes follow the pickle."""

    key: str
    dtype: np.dtype
    start: int  # first element of the view inside the root storage
    numel: int  # elements visible through the view


@dataclass(frozen=True)
class _TensorRef:
    """A tensor to be cut out of a storage once the raw bytes are read."""

    storage: _StorageRef
    offset: int  # in elements, relative to the storage view
    shape: tuple[int, ...]
    stride: tuple[int, ...]  # in elements


# torch's storage classes -> NumPy element types. BFloat16 has no NumPy dtype.
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


def _as_int_tuple(value: object, what: str) -> tuple[int, ...]:
    """Validate a size/stride tuple coming from the untrusted stream."""
    if not isinstance(value, tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    ):
        raise TorchFormatError(f"tensor {what} {value!r} is not a tuple of non-negative ints")
    return value


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    """Stand-in for ``torch._utils._rebuild_tensor`` / ``_rebuild_tensor_v2``.

    The trailing arguments of v2 (``requires_grad``, ``backward_hooks``,
    ``metadata``) do not matter for inference weights and are ignored.
    """
    if not isinstance(storage, _StorageRef):
        raise TorchFormatError("a tensor refers to something that is not a storage")
    if not isinstance(storage_offset, int) or storage_offset < 0:
        raise TorchFormatError(f"tensor storage offset {storage_offset!r} is invalid")
    shape = _as_int_tuple(size, "size")
    strides = _as_int_tuple(stride, "stride")
    if len(shape) != len(strides):
        raise TorchFormatError(f"tensor size {shape} and stride {strides} differ in rank")
    return _TensorRef(storage, storage_offset, shape, strides)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *_ignored):
    """Stand-in for ``torch._utils._rebuild_parameter``: a parameter is its tensor."""
    if not isinstance(data, _TensorRef):
        raise TorchFormatError("a parameter wraps something that is not a tensor")
    return data


def _allowed_globals() -> dict[tuple[str, str], object]:
    """The only globals a legacy ``state_dict`` pickle may name, with stand-ins."""
    allowed: dict[tuple[str, str], object] = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    }
    for name, dtype in _STORAGE_DTYPES.items():
        allowed[("torch", name)] = _StorageType(name, np.dtype(dtype))
    return allowed


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickler restricted to the globals of a PyTorch ``state_dict``.

    Parameters
    ----------
    stream : binary file
        Positioned at the start of one pickle.
    source : str
        File name, used in error messages.
    allowed : dict
        ``(module, name) -> object`` that ``find_class`` may return. Empty for
        the header pickles, which are plain ints and dicts.
    """

    def __init__(self, stream, source: str, allowed: Mapping[tuple[str, str], object]):
        super().__init__(stream)
        self._source = source
        self._allowed = allowed
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str):
        # Refuse before resolving anything: nothing outside the list is even imported.
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise ForbiddenGlobalError(
                f"refusing to load global {module}.{name} from {self._source}: "
                "only the globals of a PyTorch state_dict are allowed"
            ) from None

    def persistent_load(self, pid):
        if not self._allowed:
            raise TorchFormatError("unexpected persistent id in a header pickle")
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            # 'module' ids (whole pickled nn.Modules) and anything else are not state_dicts.
            raise TorchFormatError(f"unsupported persistent id {str(pid)[:80]!r}")
        _, storage_type, key, _location, numel, view = pid
        if not isinstance(storage_type, _StorageType):
            raise TorchFormatError(f"storage type {storage_type!r} is not a torch storage class")
        if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
            raise TorchFormatError(f"storage id {str(pid)[:80]!r} is malformed")
        root = self.storages.setdefault(key, _StorageRef(key, storage_type.dtype, 0, numel))
        if root.dtype != storage_type.dtype or root.numel != numel:
            raise TorchFormatError(f"storage {key} is declared with two different types or sizes")
        if view is None:
            return root
        if not (isinstance(view, tuple) and len(view) == 3):
            raise TorchFormatError(f"storage view {view!r} is malformed")
        _view_key, start, view_numel = view
        if not (isinstance(start, int) and isinstance(view_numel, int)) or (
            start < 0 or view_numel < 0 or start + view_numel > numel
        ):
            raise TorchFormatError(f"storage view {view!r} lies outside storage {key}")
        return _StorageRef(key, root.dtype, start, view_numel)


def _read_storages(
    buffer: memoryview, pos: int, keys: list, declared: Mapping[str, _StorageRef], byteorder: str
) -> dict[str, np.ndarray]:
    """Cut the raw storages that follow the pickles out of ``buffer``.

    Returns
    -------
    dict
        ``key -> 1-D array`` with the storage's elements, in file byte order.
    """
    header = struct.Struct(byteorder + "q")
    storages = {}
    for key in keys:
        if not isinstance(key, str) or key not in declared:
            raise TorchFormatError(f"storage key {key!r} is listed but never used")
        dtype = declared[key].dtype.newbyteorder(byteorder)
        if pos + header.size > len(buffer):
            raise TorchFormatError(f"the file ends before storage {key}")
        (numel,) = header.unpack_from(buffer, pos)
        pos += header.size
        if numel != declared[key].numel:
            raise TorchFormatError(f"storage {key} holds {numel} elements but {declared[key].numel} were declared")
        nbytes = numel * dtype.itemsize
        if pos + nbytes > len(buffer):
            raise TorchFormatError(
                f"the file ends inside storage {key} ({len(buffer) - pos} of {nbytes} bytes present)"
            )
        storages[key] = np.frombuffer(buffer, dtype=dtype, count=numel, offset=pos)
        pos += nbytes
    missing = sorted(set(declared) - set(storages))
    if missing:
        raise TorchFormatError(f"storage {missing[0]} is used but its data is missing")
    if pos != len(buffer):
        raise TorchFormatError(f"{len(buffer) - pos} unexpected bytes follow the last storage")
    return storages


def _materialize(ref: _TensorRef, storages: Mapping[str, np.ndarray], max_numel: int) -> np.ndarray:
    """Copy one tensor out of its storage, honouring offset and strides.

    Strides matter: weights converted from TensorFlow are often saved as
    non-contiguous permuted views (e.g. an OIHW tensor stored in HWIO order).
    ``max_numel`` bounds the copy, because zero strides could otherwise make a
    tiny crafted file expand into an arbitrarily large array.
    """
    view = ref.storage
    base = storages[view.key]
    native = np.dtype(base.dtype.type)  # native byte order, canonical repr
    if math.prod(ref.shape) > max_numel:
        raise TorchFormatError(f"a tensor of shape {ref.shape} is larger than the whole file")
    if 0 in ref.shape:
        return np.zeros(ref.shape, dtype=native)
    start = view.start + ref.offset
    last = start + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride, strict=True))
    if last >= view.start + view.numel:
        raise TorchFormatError(f"a tensor of shape {ref.shape} reaches past the end of storage {view.key}")
    strided = np.lib.stride_tricks.as_strided(
        base[start:],
        shape=ref.shape,
        strides=tuple(s * base.itemsize for s in ref.stride),
        writeable=False,
    )
    return np.ascontiguousarray(strided, dtype=native)


def _parse(data: bytes, source: str) -> dict[str, np.ndarray]:
    """Parse the bytes of a legacy torch file; raises on any inconsistency."""
    if data[:4] == _ZIP_SIGNATURE:
        raise TorchFormatError(
            "it is a zip-based PyTorch file (torch >= 1.6); this reader handles only the legacy format"
        )
    stream = io.BytesIO(data)

    def header_pickle():
        return _StateDictUnpickler(stream, source, {}).load()

    if header_pickle() != MAGIC_NUMBER:
        raise TorchFormatError("it does not start with the PyTorch legacy magic number")
    if header_pickle() != PROTOCOL_VERSION:
        raise TorchFormatError("it uses an unknown PyTorch serialization protocol")
    sys_info = header_pickle()
    if not isinstance(sys_info, dict):
        raise TorchFormatError("its system-info header is malformed")
    byteorder = "<" if sys_info.get("little_endian", True) else ">"

    unpickler = _StateDictUnpickler(stream, source, _allowed_globals())
    state = unpickler.load()
    if not isinstance(state, Mapping):
        raise TorchFormatError(f"it holds a {type(state).__name__}, not a state_dict")
    keys = header_pickle()
    if not isinstance(keys, list):
        raise TorchFormatError("its storage key list is malformed")

    storages = _read_storages(memoryview(data), stream.tell(), keys, unpickler.storages, byteorder)
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, _TensorRef):
            raise TorchFormatError(f"entry {name!r} is not a named tensor")
        arrays[name] = _materialize(value, storages, max_numel=len(data))
    return arrays


def load_state_dict(path: str | os.PathLike, *, hint: str | None = None) -> dict[str, np.ndarray]:
    """Read a legacy (non-zip) PyTorch ``state_dict`` file into NumPy arrays.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by ``torch.save(model.state_dict(), path)`` with
        torch < 1.6, or with ``_use_new_zipfile_serialization=False``.
    hint : str, optional
        What the user should do if the file is damaged (for example the
        ``pip`` command that reinstalls the package shipping it). Appended to
        the error message.

    Returns
    -------
    dict[str, numpy.ndarray]
        Parameter and buffer names, in file order, mapped to C-contiguous
        arrays in PyTorch layout (convolutions ``(out, in, kh, kw)``, linear
        layers ``(out, in)``), native byte order, writable copies.

    Raises
    ------
    ForbiddenGlobalError
        The pickle names any global besides ``collections.OrderedDict``, the
        ``torch._utils`` tensor rebuilders and the ``torch.*Storage`` types.
        Nothing from the file is called or imported in that case.
    TorchFormatError
        The file is truncated, corrupt, zip-based, or not a ``state_dict``.
    FileNotFoundError
        ``path`` does not exist.
    """
    path = Path(path)
    source = str(path)
    todo = hint or "re-download it or reinstall the package that ships it"
    if not path.is_file():
        raise FileNotFoundError(f"PyTorch weights file {source} does not exist or is not a file; {todo.rstrip('.')}.")
    data = path.read_bytes()
    refused = detail = ""
    try:
        return _parse(data, source)
    except ForbiddenGlobalError as exc:
        refused = str(exc)
    except TorchFormatError as exc:
        detail = str(exc)
    except (
        pickle.UnpicklingError,
        EOFError,
        struct.error,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        AttributeError,
        OverflowError,
        RecursionError,
    ) as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    # Raised outside the except blocks so that users see one sentence, not a chain.
    if refused:
        raise ForbiddenGlobalError(refused)
    raise TorchFormatError(
        f"cannot read PyTorch weights file {source} ({detail}): it is truncated, corrupt "
        f"or not a legacy state_dict; {todo.rstrip('.')}."
    )
