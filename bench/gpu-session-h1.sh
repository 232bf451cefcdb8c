#!/usr/bin/env bash
# GPU session H, call 1 (the device tool's single H200): the joint step with the energy path packed
# into rows (JointConfig.energy_encode "packed", the new default) against the padded batches of
# before and against larger energy micro-batches, all on one loaded 7B-shape model in one run, on
# the realistic length mix, by groups per step; the joint GPU tests (flex included); the embed
# job's schedule on the lognormal mix with the MLP and norms compiled, beside the eager schedules.
STEP_TAIL=8
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-h1
echo '{"random_init": "deepseek_prover_v1_5", "lengths": "realistic", "sft_prompt_tokens": 1984, "sft_completion_tokens": 64, "state_tokens": 512, "goal_tokens": 512, "groups": 16, "timed_groups": [1, 2, 3, 4, 8], "timed_steps": 3, "timed_variants": [{"energy_encode": "padded"}, {"groups_per_micro_batch": 4}, {"groups_per_micro_batch": 16}], "out_summary": "'"$OUT"'/joint-smoke-7b-layouts.json"}' > "$OUT/joint-smoke-layouts.config.json"
(cd python && step joint-smoke-layouts 300 python3 -m burnqed.joint.smoke --config "$OUT/joint-smoke-layouts.config.json")
(cd python && step test_joint_llm 120 python3 -m unittest discover -s tests -p test_joint_llm.py -v)
step embed-compiled 240 python3 bench/embed-schedule-gpu.py --mixes lognormal --n 1500 --compiled-mlp --out "$OUT/embed-schedule.json"
ls -la "$OUT"
