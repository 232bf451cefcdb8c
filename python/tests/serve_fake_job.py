"""burnqed.serve as a job over the fake model (tests/serve_fakes.py): the real main(), run_job,
readiness event, HTTP server and SIGTERM handling, without transformers.

    python serve_fake_job.py --config cfg.json
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import burnqed.serve as serve  # noqa: E402
from burnqed.events import run_job  # noqa: E402
from serve_fakes import fake_engine  # noqa: E402

serve.build_engine = lambda cfg: fake_engine(cfg)  # type: ignore[assignment]

if __name__ == "__main__":
    run_job(serve.main)
