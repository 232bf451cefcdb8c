#!/usr/bin/env bash
# GPU session H, call 2 (the device tool's single H200): where the joint step's time goes at the
# 7B shape (bench/joint-step-breakdown.py: phases and torch.profiler), then the real profile end
# to end with the packed energy path (bench/e2e-real-run.sh through the bundle; carry .device and
# .e2e).
STEP_TAIL=14
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-h2
step joint-breakdown 200 python3 bench/joint-step-breakdown.py --rounds 3 --out "$OUT/joint-step-breakdown.json"
E2E_RUN_ALL_TIMEOUT=${E2E_RUN_ALL_TIMEOUT:-420} E2E_BUNDLE=.device FIXTURE=.e2e/fixture E2E_WORK=/tmp/e2e-work PYTHON=python3 bash bench/e2e-real-run.sh "$OUT/e2e" > "$OUT/e2e-real.log" 2>&1
echo "e2e rc=$?"
tail -n 50 "$OUT/e2e-real.log"
