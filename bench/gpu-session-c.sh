#!/usr/bin/env bash
# GPU session C (the device tool's single H200): the real profile end to end only
# (bench/e2e-real-run.sh through the bundled CLI; carry .device and .e2e), run-all bounded by
# E2E_RUN_ALL_TIMEOUT so the stage table and status come back even when the session is short.
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-c
E2E_RUN_ALL_TIMEOUT=${E2E_RUN_ALL_TIMEOUT:-380} E2E_BUNDLE=.device FIXTURE=.e2e/fixture E2E_WORK=/tmp/e2e-work PYTHON=python3 bash bench/e2e-real-run.sh "$OUT/e2e" > "$OUT/e2e-real.log" 2>&1
echo "e2e rc=$?"
tail -n 45 "$OUT/e2e-real.log"
