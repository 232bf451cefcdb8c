#!/usr/bin/env bash
# GPU session G, call 3 (the device tool's single H200): the SFT job's throughput against the
# plan's recipe on the SAME 24 optimizer steps (--steps; call 2's time-boxed plan run covered only
# 7 steps), eager and with the MLP + norms compiled (compile_scope "mlp").
STEP_TAIL=6
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-g3
step sft-bench 420 python3 bench/sft-gpu.py --steps 24 --runs plan,flex_rows8192,flex_rows8192_compiled_mlp --out "$OUT/sft-gpu.json"
ls -la "$OUT"
