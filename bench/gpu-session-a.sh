#!/usr/bin/env bash
# One GPU session (the device tool's single H200): the LLM jobs' GPU tests, the SFT throughput
# bench and the joint smoke test at the 7B shape. Writes everything under $OUT (default
# bench/results/gpu-session-a). Each step has its own time limit, so one hang does not cost the rest.
STEP_TAIL=4
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-a
# most informative first: the run's own time limit (600 s) may cut the tail
(cd python && step test_sft 120 python3 -m unittest discover -s tests -p test_sft.py -v)
step sft-bench 280 python3 bench/sft-gpu.py --measure-s 20 --gradient-checkpointing --compare-token-modes --out "$OUT/sft-gpu.json"
echo '{"random_init": "deepseek_prover_v1_5", "out_summary": "'"$OUT"'/joint-smoke-7b.json"}' > "$OUT/joint-smoke.config.json"
(cd python && step joint-smoke 120 python3 -m burnqed.joint.smoke --config "$OUT/joint-smoke.config.json")
(
  cd python
  for t in test_merge_lora test_serve test_joint_llm; do
    step "$t" 90 python3 -m unittest discover -s tests -p "$t.py" -v
  done
)
ls -la "$OUT"
