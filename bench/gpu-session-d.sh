#!/usr/bin/env bash
# GPU session D (the device tool's single H200): the joint/SFT-only step ratio at the 7B shape, the
# SFT throughput bench with the LoRA precision, row size and compiled-layer runs side by side, and
# the SFT GPU tests that cover autocast. Writes under $OUT (default bench/results/gpu-session-d).
STEP_TAIL=12
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-d
echo '{"random_init": "deepseek_prover_v1_5", "timed_steps": 3, "out_summary": "'"$OUT"'/joint-smoke-7b.json"}' > "$OUT/joint-smoke.config.json"
(cd python && step joint-smoke 100 python3 -m burnqed.joint.smoke --config "$OUT/joint-smoke.config.json")
step sft-bench ${SFT_BENCH_S:-340} python3 bench/sft-gpu.py --measure-s ${SFT_MEASURE_S:-15} --runs "${SFT_RUNS:-plan,flex_float32,flex,flex_gradient_checkpointing,flex_rows8192,flex_compiled}" --profile "${SFT_PROFILE:-flex_float32,flex}" --out "$OUT/sft-gpu.json"
(cd python && step test_sft_gpu 80 python3 -m unittest discover -s tests -p test_sft.py -k autocast -k bfloat16 -k flex -v)
ls -la "$OUT"
