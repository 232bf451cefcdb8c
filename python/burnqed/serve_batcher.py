"""The queue between burnqed.serve's HTTP threads and its one model thread.

HTTP threads :meth:`RequestBatcher.submit` work items and wait on their futures; the model thread
calls :meth:`RequestBatcher.next_batch`, which waits for a first item, keeps collecting for
``window_s`` after it arrived (or until the budget is full), and hands over what
:func:`select_batch` picks: every waiting embedding request, and completion requests first come
first served while the padded batch they make stays within the budget. A completion request that
does not fit waits for the next batch and nothing behind it jumps the queue (no starvation of
large requests); the first one is always taken, even alone over the budget.

Budget of a generation batch: its KV cache, sequences x (longest prompt + largest max_tokens),
since the batch is left-padded to its longest prompt and runs until its longest generation ends.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

KINDS = (
    "completion",  # payload: the parsed request and its prompts' token ids
    "embedding",  # payload: the parsed request
)


@dataclass
class WorkItem:
    kind: str
    payload: Any
    n_sequences: int = 0  # completion: prompts x n
    prompt_tokens: int = 0  # completion: its longest prompt
    max_new_tokens: int = 0  # completion: max_tokens
    future: Future = field(default_factory=Future)
    enqueued_at: float = 0.0


def batch_cost(items: Sequence[WorkItem]) -> int:
    """KV-cache positions of the padded generation batch of ``items`` (completion items only)."""
    comps = [i for i in items if i.kind == "completion"]
    if not comps:
        return 0
    return sum(i.n_sequences for i in comps) * (max(i.prompt_tokens for i in comps) + max(i.max_new_tokens for i in comps))


def select_batch(pending: Sequence[WorkItem], max_batch_tokens: int, max_batch_sequences: int) -> list[int]:
    """Indices into ``pending`` (oldest first) of the next batch: all embedding items, and the
    completion items in order up to the first one that would push the batch over a budget."""
    chosen: list[int] = []
    comps: list[WorkItem] = []
    blocked = False
    for k, item in enumerate(pending):
        if item.kind == "embedding":
            chosen.append(k)
            continue
        if blocked:
            continue
        trial = comps + [item]
        if comps and (batch_cost(trial) > max_batch_tokens or sum(i.n_sequences for i in trial) > max_batch_sequences):
            blocked = True  # first come, first served: later completions wait behind this one
            continue
        comps.append(item)
        chosen.append(k)
    return chosen


class QueueClosed(Exception):
    """The server is shutting down: no new work is accepted."""


class RequestBatcher:
    def __init__(self, window_s: float, max_batch_tokens: int, max_batch_sequences: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_sequences = max_batch_sequences
        self._clock = clock
        self._cv = threading.Condition()
        self._pending: deque[WorkItem] = deque()
        self._closed = False

    def submit(self, item: WorkItem) -> Future:
        if item.kind not in KINDS:
            raise ValueError(f"work item kind must be one of {KINDS}, got {item.kind!r}")
        with self._cv:
            if self._closed:
                raise QueueClosed("the server is shutting down")
            item.enqueued_at = self._clock()
            self._pending.append(item)
            self._cv.notify_all()
        return item.future

    def pending(self) -> int:
        with self._cv:
            return len(self._pending)

    def _budget_full(self) -> bool:
        """Waiting longer cannot grow the batch: select_batch already leaves a completion behind."""
        items = list(self._pending)
        return len(select_batch(items, self.max_batch_tokens, self.max_batch_sequences)) < len(items)

    def next_batch(self, idle_timeout_s: Optional[float] = None) -> Optional[list[WorkItem]]:
        """The next batch (oldest first); [] after ``idle_timeout_s`` without work; None once closed and drained."""
        with self._cv:
            if not self._pending and not self._closed:
                self._cv.wait_for(lambda: self._pending or self._closed, timeout=idle_timeout_s)
            if not self._pending:
                return None if self._closed else []
            deadline = self._pending[0].enqueued_at + self.window_s
            while not self._closed and not self._budget_full():
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._cv.wait(timeout=left)
            items = list(self._pending)
            chosen = set(select_batch(items, self.max_batch_tokens, self.max_batch_sequences))
            self._pending = deque(item for k, item in enumerate(items) if k not in chosen)
            return [item for k, item in enumerate(items) if k in chosen]

    def close(self) -> list[WorkItem]:
        """Refuse new work; return what is still queued (the caller fails those futures)."""
        with self._cv:
            self._closed = True
            left = list(self._pending)
            self._pending.clear()
            self._cv.notify_all()
            return left
