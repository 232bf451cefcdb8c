"""Atomic directory outputs: a reader sees the old directory or the complete new one, never a
half-written model folder (design.md §3: writes are atomic; a finished artifact is not rewritten
in place).

The files go to ``.<name>.partial-<pid>`` beside the target (same filesystem); when the block
exits without error an existing target is moved aside, the new directory renamed onto the target,
and the old one deleted. On error the partial directory is removed unless ``keep_on_error``.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from typing import Iterator


def partial_dir(path: str) -> str:
    parent, name = os.path.split(os.path.abspath(path))
    return os.path.join(parent, f".{name}.partial-{os.getpid()}")


def replace_dir(tmp: str, path: str) -> None:
    """Move the finished directory ``tmp`` onto ``path`` (replacing it)."""
    path = os.path.abspath(path)
    old = None
    if os.path.lexists(path):
        old = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.old-{os.getpid()}")
        os.replace(path, old)
    os.replace(tmp, path)
    if old is None:
        return
    if os.path.isdir(old) and not os.path.islink(old):
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.unlink(old)


@contextmanager
def atomic_dir(path: str, keep_on_error: bool = False) -> Iterator[str]:
    """Yield a fresh temporary directory that becomes ``path`` when the block succeeds."""
    tmp = partial_dir(path)
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        yield tmp
    except BaseException:
        if not keep_on_error:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(tmp, path)
