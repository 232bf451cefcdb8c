#!/usr/bin/env bash
# GPU session F (the device tool's single H200): compiled SFT layers with 8192-token rows and with
# gradient checkpointing (against the plan recipe in the same run), the SFT GPU tests with
# compile_layers on by default, and the serve benches (carry .bench-tmp/shared-states.json).
STEP_TAIL=8
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-f
S=.bench-tmp/shared-states.json
step sft-bench 200 python3 bench/sft-gpu.py --measure-s 15 --runs plan,flex_rows8192_compiled,flex_compiled_gradient_checkpointing --out "$OUT/sft-gpu.json"
(cd python && step test_sft 150 python3 -m unittest discover -s tests -p test_sft.py -v)
step serve-gpu 120 python3 bench/serve-gpu.py --states $S --requests 8 --concurrency 1,8 --out "$OUT/serve-gpu.json"
step serve-e2e 100 python3 bench/serve-e2e-check.py --states $S --completion-requests 8 --out "$OUT/serve-e2e.json"
ls -la "$OUT"
