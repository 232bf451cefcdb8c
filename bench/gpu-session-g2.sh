#!/usr/bin/env bash
# GPU session G, call 2 (the device tool's single H200): SFT throughput with only the MLP and norms
# compiled (compile_scope "mlp", the scope call 1 found equal to eager on every path) against the
# plan's recipe in the same run, also with gradient checkpointing; the SFT GPU tests of compiled
# layers and flex; the embed schedule with /v1/embeddings on both mixes (carry
# .bench-tmp/shared-states.json); the joint GPU tests after the autocast change.
STEP_TAIL=10
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-g2
S=.bench-tmp/shared-states.json
step sft-bench 230 python3 bench/sft-gpu.py --measure-s 15 --runs plan,flex_rows8192_compiled_mlp,flex_compiled_mlp_gradient_checkpointing --out "$OUT/sft-gpu.json"
(cd python && step test_sft_compiled 60 python3 -m unittest discover -s tests -p test_sft.py -k compiled -k flex -v)
step embed-schedule 200 python3 bench/embed-schedule-gpu.py --states $S --n 1500 --serve --out "$OUT/embed-schedule.json"
(cd python && step test_joint_llm 90 python3 -m unittest discover -s tests -p test_joint_llm.py -v)
ls -la "$OUT"
