"""JSON-lines event protocol between a Python job and the TypeScript runner (src/jobs).

One JSON object per line on the event channel (the process's original stdout), field ``event``:

- ``progress``  {step, total, unit?, message?}
- ``metric``    {name, value, step}     value may be non-finite: encoded "NaN" / "Infinity" / "-Infinity"
- ``artifact``  {path, kind, rows?}     kind: checkpoint | npy | json | jsonl | model | ...
- ``warning``   {message}
- ``abort``     {reason}                the job decided itself to stop (see :class:`JobAbort`)
- ``done``      {summary}

Every event also carries ``t``: seconds since the job started (float).

:func:`run_job` is the entry point wrapper: it parses ``--config``, protects the event channel from
stray prints, turns SIGTERM into :class:`JobTerminated` (exit 143) and exits if the parent dies.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable, Mapping, NoReturn, Optional, Sequence

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_JOB_ABORT = 3  # the job raised JobAbort (an `abort` event was emitted)
EXIT_ORPHANED = 125  # the parent process died; the watchdog ended the job
EXIT_SIGTERM = 143  # 128 + SIGTERM, as a shell reports it

WATCHDOG_PERIOD_S = 0.5


class JobTerminated(Exception):
    """Raised in the main thread when the job receives SIGTERM (timeout, abort rule, user stop).

    Catch it (or use ``finally``) to save a checkpoint; :func:`run_job` then exits with 143.
    """


class JobAbort(Exception):
    """Raise to stop the job on purpose (e.g. a divergence the job detects itself).

    :func:`run_job` emits an ``abort`` event with the message as reason and exits with code 3.
    """


def encode_json_value(value: Any) -> Any:
    """Make ``value`` strict-JSON-safe: non-finite floats become "NaN" / "Infinity" / "-Infinity",
    numpy scalars and arrays become Python numbers and lists, tuples become lists."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Mapping):
        return {str(k): encode_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_json_value(v) for v in value]
    # numpy (and torch 0-d tensors) without importing them: both have .tolist()/.item()
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return encode_json_value(tolist())
    item = getattr(value, "item", None)
    if callable(item):
        return encode_json_value(item())
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"event field value of type {type(value).__name__} is not JSON-encodable: {value!r:.200}")


class EventWriter:
    """Writes protocol events to the event channel (a file descriptor). Thread-safe."""

    def __init__(self, fd: int, t0: Optional[float] = None) -> None:
        self._fd = fd
        self._t0 = time.monotonic() if t0 is None else t0
        self._lock = threading.Lock()
        self.done_emitted = False

    def fileno(self) -> int:
        """The event channel's file descriptor (only for protocol tests that write raw lines)."""
        return self._fd

    def emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, "t": round(time.monotonic() - self._t0, 6)}
        record.update(encode_json_value(fields))
        line = (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            view = memoryview(line)
            while view:  # os.write may write partially on pipes
                n = os.write(self._fd, view)
                view = view[n:]

    def progress(self, step: int, total: int, unit: Optional[str] = None, message: Optional[str] = None) -> None:
        fields: dict[str, Any] = {"step": step, "total": total}
        if unit is not None:
            fields["unit"] = unit
        if message is not None:
            fields["message"] = message
        self.emit("progress", **fields)

    def metric(self, name: str, value: float, step: int) -> None:
        self.emit("metric", name=name, value=float(value), step=int(step))

    def artifact(self, path: str, kind: str, rows: Optional[int] = None) -> None:
        fields: dict[str, Any] = {"path": os.fspath(path), "kind": kind}
        if rows is not None:
            fields["rows"] = int(rows)
        self.emit("artifact", **fields)

    def warning(self, message: str) -> None:
        self.emit("warning", message=message)

    def abort(self, reason: str) -> None:
        self.emit("abort", reason=reason)

    def done(self, summary: Optional[Mapping[str, Any]] = None) -> None:
        self.emit("done", summary=dict(summary or {}))
        self.done_emitted = True


JobMain = Callable[[dict[str, Any], EventWriter], Optional[Mapping[str, Any]]]


def _claim_event_channel() -> int:
    """Keep the real stdout only for events: dup it, then point fd 1 and sys.stdout at stderr so
    stray prints (Python or C libraries writing to fd 1) land in the log, not in the event stream."""
    sys.stdout.flush()
    event_fd = os.dup(1)  # non-inheritable (PEP 446): subprocesses never get the event channel
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return event_fd


def _on_sigterm(signum: int, frame: Any) -> None:
    raise JobTerminated(f"received signal {signum} (SIGTERM)")


def _start_orphan_watchdog() -> None:
    """Exit when the parent process dies (we get re-parented, so getppid() changes): an orphaned
    job must not keep a GPU busy. os._exit because the main thread may be stuck in C code.

    The runner passes its pid in BURNQED_PARENT_PID, so a parent that died before this thread
    started (a slow interpreter start under load) is caught too."""
    expected = os.environ.get("BURNQED_PARENT_PID", "")
    parent_pid = int(expected) if expected.isdigit() else os.getppid()

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_PERIOD_S)
            if os.getppid() != parent_pid:
                try:
                    os.write(2, f"burnqed: parent process {parent_pid} died; exiting\n".encode())
                finally:
                    os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="burnqed-orphan-watchdog", daemon=True).start()


def _read_config(argv: Optional[Sequence[str]]) -> tuple[str, dict[str, Any]]:
    parser = argparse.ArgumentParser(description="burn-qed job")
    parser.add_argument("--config", required=True, help="path to the job's JSON config")
    args = parser.parse_args(argv)
    with open(args.config, "r", encoding="utf-8") as f:
        config = json.load(f)
    if not isinstance(config, dict):
        raise ValueError(f"config {args.config} must hold a JSON object, got {type(config).__name__}")
    return args.config, config


def run_job(main: JobMain, argv: Optional[Sequence[str]] = None) -> NoReturn:
    """Run ``main(config, events)`` as a protocol job and exit the process.

    If ``main`` returns a mapping and has not emitted ``done`` itself, it is emitted as the ``done``
    summary. Exit codes: 0 ok, 1 uncaught exception (traceback on stderr), 3 :class:`JobAbort`,
    143 SIGTERM, 125 orphaned (parent died).
    """
    t0 = time.monotonic()
    event_fd = _claim_event_channel()
    events = EventWriter(event_fd, t0)
    signal.signal(signal.SIGTERM, _on_sigterm)
    _start_orphan_watchdog()
    code = EXIT_OK
    try:
        config_path, config = _read_config(argv)
        summary = main(config, events)
        if summary is not None and not events.done_emitted:
            events.done(summary)
    except JobTerminated as e:
        print(f"burnqed: job terminated: {e}", file=sys.stderr)
        code = EXIT_SIGTERM
    except JobAbort as e:
        events.abort(str(e))
        print(f"burnqed: job aborted itself: {e}", file=sys.stderr)
        code = EXIT_JOB_ABORT
    except SystemExit as e:  # argparse errors and explicit sys.exit
        code = e.code if isinstance(e.code, int) else EXIT_ERROR
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - the traceback is the report
        traceback.print_exc(file=sys.stderr)
        code = EXIT_ERROR
    sys.stderr.flush()
    sys.exit(code)
