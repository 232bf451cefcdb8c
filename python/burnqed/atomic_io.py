"""Atomic file writes: a reader sees either the old file or the complete new one, never a torn write.

The data goes to ``.<name>.partial-<pid>`` in the target's directory (same filesystem, so the
rename is atomic), is flushed and fsynced, then ``os.replace``d onto the target.
"""
from __future__ import annotations

import json
import math
import os
import sys
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator

import numpy as np


def partial_path(path: str) -> str:
    """The temp file used while writing ``path``."""
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{name}.partial-{os.getpid()}")


@contextmanager
def atomic_open(path: str) -> Iterator[BinaryIO]:
    """Open a binary temp file that replaces ``path`` when the block exits without error."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = partial_path(path)
    try:
        with open(tmp, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    """Persist the rename itself (best effort: not every filesystem supports it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: str, data: bytes) -> None:
    with atomic_open(path) as f:
        f.write(data)


def replace_non_finite(value: Any, where: str = "$") -> tuple[Any, list[str]]:
    """Replace non-finite floats by None; return the new value and one note per replacement
    (JSON path and the original value), since strict JSON has no NaN/Infinity."""
    notes: list[str] = []

    def walk(v: Any, at: str) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, (str, int)):
            return v
        if isinstance(v, (float, np.floating)):
            if not math.isfinite(float(v)):
                notes.append(f"{at}: {float(v)} written as null")
                return None
            return float(v)
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.ndarray):
            return walk(v.tolist(), at)
        if isinstance(v, dict):
            return {str(k): walk(x, f"{at}.{k}") for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x, f"{at}[{i}]") for i, x in enumerate(v)]
        raise TypeError(f"{at}: value of type {type(v).__name__} is not JSON-serialisable: {v!r:.200}")

    return walk(value, where), notes


def write_json_atomic(path: str, value: Any) -> list[str]:
    """Write ``value`` as JSON (sorted keys, indent 2, strict: no NaN/Infinity).

    Non-finite floats become null; the returned notes say where (also printed to stderr), so the
    caller can surface them, e.g. as ``warning`` events.
    """
    clean, notes = replace_non_finite(value)
    text = json.dumps(clean, sort_keys=True, indent=2, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))
    for note in notes:
        print(f"burnqed.atomic_io: {path}: {note}", file=sys.stderr)
    return notes


def _little_endian(array: np.ndarray) -> np.ndarray:
    """Same values with a little-endian dtype (the TS .npy reader only reads '<' dtypes)."""
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and sys.byteorder == "big"):
        return array.astype(array.dtype.newbyteorder("<"))
    return array


def write_npy_atomic(path: str, array: np.ndarray) -> None:
    """Write ``array`` as .npy (C order, little-endian, no pickles)."""
    array = _little_endian(np.ascontiguousarray(array))
    if array.dtype.hasobject:
        raise TypeError(f"{path}: refusing to write an object array (dtype {array.dtype}) as .npy")
    with atomic_open(path) as f:
        np.save(f, array, allow_pickle=False)
