"""The event protocol: strict JSON on the event channel, stray prints to stderr, exit codes."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

from burnqed.events import EventWriter, encode_json_value

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_lines(fd: int) -> list[dict]:
    os.lseek(fd, 0, os.SEEK_SET)
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    return [json.loads(line) for line in data.decode().splitlines()]


class EncodeTest(unittest.TestCase):
    def test_non_finite_become_strings(self) -> None:
        self.assertEqual(encode_json_value([math.nan, math.inf, -math.inf, 1.5]), ["NaN", "Infinity", "-Infinity", 1.5])

    def test_numpy_values(self) -> None:
        import numpy as np

        self.assertEqual(encode_json_value({"a": np.float32(0.5), "b": np.arange(3), "c": np.float64("nan")}),
                         {"a": 0.5, "b": [0, 1, 2], "c": "NaN"})

    def test_rejects_unknown_objects(self) -> None:
        with self.assertRaisesRegex(TypeError, "object"):
            encode_json_value(object())


class WriterTest(unittest.TestCase):
    def test_events_are_strict_json_lines(self) -> None:
        with tempfile.TemporaryFile() as f:
            w = EventWriter(f.fileno())
            w.progress(1, 10, unit="rows")
            w.metric("loss", float("nan"), 3)
            w.metric("temperature", float("-inf"), 4)
            w.artifact("/x/ckpt.pt", "checkpoint")
            w.warning("careful")
            w.done({"best": float("inf")})
            lines = read_lines(f.fileno())
        self.assertEqual([e["event"] for e in lines], ["progress", "metric", "metric", "artifact", "warning", "done"])
        self.assertEqual(lines[1], {"event": "metric", "t": lines[1]["t"], "name": "loss", "value": "NaN", "step": 3})
        self.assertEqual(lines[2]["value"], "-Infinity")
        self.assertEqual(lines[0]["unit"], "rows")
        self.assertNotIn("rows", lines[3])
        self.assertEqual(lines[5]["summary"], {"best": "Infinity"})
        self.assertTrue(all(isinstance(e["t"], float) and e["t"] >= 0 for e in lines))
        self.assertTrue(w.done_emitted)


def run_script(body: str, timeout_s: float = 20) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "config.json")
        with open(cfg, "w") as f:
            json.dump({"x": 2}, f)
        script = os.path.join(d, "job.py")
        with open(script, "w") as f:
            f.write(textwrap.dedent(body))
        env = {**os.environ, "PYTHONPATH": PYTHON_DIR}
        return subprocess.run([sys.executable, script, "--config", cfg], capture_output=True, text=True,
                              env=env, timeout=timeout_s)


class RunJobTest(unittest.TestCase):
    def test_stray_prints_go_to_stderr_and_summary_becomes_done(self) -> None:
        r = run_script("""
            import os
            from burnqed.events import run_job
            def main(config, events):
                print("hello from print")
                os.write(1, b"raw fd 1 write\\n")
                events.metric("x", config["x"], 0)
                return {"ok": True}
            run_job(main)
        """)
        self.assertEqual(r.returncode, 0, r.stderr)
        events = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([e["event"] for e in events], ["metric", "done"])
        self.assertEqual(events[1]["summary"], {"ok": True})
        self.assertIn("hello from print", r.stderr)
        self.assertIn("raw fd 1 write", r.stderr)

    def test_uncaught_exception_exits_1_with_traceback(self) -> None:
        r = run_script("""
            from burnqed.events import run_job
            def main(config, events):
                raise RuntimeError("boom in job")
            run_job(main)
        """)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Traceback", r.stderr)
        self.assertIn("RuntimeError: boom in job", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_sigterm_raises_job_terminated_and_exits_143(self) -> None:
        r = run_script("""
            import os, signal
            from burnqed.events import run_job, JobTerminated
            def main(config, events):
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    import time; time.sleep(5)
                finally:
                    events.artifact("/tmp/ckpt", "checkpoint")
            run_job(main)
        """)
        self.assertEqual(r.returncode, 143, r.stderr)
        self.assertEqual(json.loads(r.stdout)["kind"], "checkpoint")

    def test_job_abort_emits_abort_event(self) -> None:
        r = run_script("""
            from burnqed.events import run_job, JobAbort
            def main(config, events):
                raise JobAbort("loss diverged")
            run_job(main)
        """)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(json.loads(r.stdout)["reason"], "loss diverged")

    def test_orphan_watchdog_exits_when_parent_dies(self) -> None:
        # An intermediate shell starts the job in the background and exits at once: the job is
        # re-parented, so its watchdog must end it well before its 30 s sleep.
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "config.json")
            with open(cfg, "w") as f:
                f.write("{}")
            script = os.path.join(d, "job.py")
            pid_file = os.path.join(d, "pid")
            with open(script, "w") as f:
                f.write(textwrap.dedent(f"""
                    import os, time
                    from burnqed.events import run_job
                    def main(config, events):
                        time.sleep(0.3)  # let the shell exit first
                        with open({pid_file!r}, "w") as f:
                            f.write(str(os.getpid()))
                        time.sleep(30)
                    run_job(main)
                """))
            env = {**os.environ, "PYTHONPATH": PYTHON_DIR}
            cmd = f"BURNQED_PARENT_PID=$$ {sys.executable} {script} --config {cfg} >/dev/null 2>&1 & sleep 0.1"
            subprocess.run(["sh", "-c", cmd], env=env, timeout=10)
            import time
            deadline = time.monotonic() + 10
            pid = None
            while time.monotonic() < deadline:
                if pid is None and os.path.exists(pid_file):
                    with open(pid_file) as f:
                        text = f.read()
                    pid = int(text) if text else None
                if pid is not None and not _alive(pid):
                    break
                time.sleep(0.1)
            self.assertIsNotNone(pid, "job never started")
            self.assertFalse(_alive(pid), f"orphaned job {pid} still running")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


if __name__ == "__main__":
    unittest.main()
