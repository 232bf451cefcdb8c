#!/usr/bin/env bash
# One GPU session (the device tool's single H200), second of two: the real profile end to end
# (bench/e2e-real-run.sh through the bundled CLI: carry .device and .e2e), then the embed schedule,
# serve throughput and serve/embed agreement benches (carry .bench-tmp/shared-states.json).
# Results under $OUT (default bench/results/gpu-session-b); each step has its own time limit.
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-b
S=.bench-tmp/shared-states.json
step e2e-real 330 env E2E_BUNDLE=.device FIXTURE=.e2e/fixture E2E_WORK=/tmp/e2e-work PYTHON=python3 bash bench/e2e-real-run.sh "$OUT/e2e"
step embed-schedule 110 python3 bench/embed-schedule-gpu.py --states $S --n 2000 --mixes lognormal,shared --out "$OUT/embed-schedule.json"
step serve-gpu 90 python3 bench/serve-gpu.py --states $S --requests 12 --concurrency 1,10 --out "$OUT/serve-gpu.json"
step serve-e2e 60 python3 bench/serve-e2e-check.py --states $S --completion-requests 12 --out "$OUT/serve-e2e.json"
ls -la "$OUT" "$OUT/e2e" 2>/dev/null | head -40
