#!/usr/bin/env bash
# GPU session G, call 1 (the device tool's single H200): which compile scope of the SFT job's
# decoder layers equals eager (tiny Llama, float32, flex: CE sums and LoRA gradients at two row
# widths), and the joint/SFT-only step ratio at the 7B shape on the realistic length mix for
# 1, 2, 3, 4, 8 and 16 contrastive groups per step, in one run.
STEP_TAIL=12
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-g1
step compile-check 300 python3 bench/sft-compile-check.py --scopes layer,layer_static,mlp
echo '{"random_init": "deepseek_prover_v1_5", "lengths": "realistic", "sft_prompt_tokens": 1984, "sft_completion_tokens": 64, "state_tokens": 512, "goal_tokens": 512, "groups": 16, "timed_groups": [1, 2, 3, 4, 8], "timed_steps": 3, "out_summary": "'"$OUT"'/joint-smoke-7b-realistic.json"}' > "$OUT/joint-smoke-realistic.config.json"
(cd python && step joint-smoke-realistic 240 python3 -m burnqed.joint.smoke --config "$OUT/joint-smoke-realistic.config.json")
ls -la "$OUT"
