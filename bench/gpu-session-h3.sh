#!/usr/bin/env bash
# GPU session H, call 3 (the device tool's single H200): the joint step with the energy path fused
# into the SFT rows' own passes (energy_encode "fused": call 2's breakdown showed the step
# host-bound, each extra pass through the 30 LoRA layers costing ~70 ms whatever its tokens) against
# the packed default and packed micro-batches of 16 groups, one loaded 7B-shape model, realistic
# mix, by groups per step, with the peak memory of each; then the joint GPU tests (flex included).
STEP_TAIL=4
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-h3
echo '{"random_init": "deepseek_prover_v1_5", "lengths": "realistic", "sft_prompt_tokens": 1984, "sft_completion_tokens": 64, "state_tokens": 512, "goal_tokens": 512, "groups": 16, "timed_groups": [1, 2, 3, 4, 8], "timed_steps": 3, "timed_variants": [{"energy_encode": "fused"}, {"energy_encode": "fused", "fused_max_tokens": 12288}, {"groups_per_micro_batch": 16}], "out_summary": "'"$OUT"'/joint-smoke-7b-fused.json"}' > "$OUT/joint-smoke-fused.config.json"
(cd python && step joint-smoke-fused 260 python3 -m burnqed.joint.smoke --config "$OUT/joint-smoke-fused.config.json")
python3 - "$OUT/joint-smoke-7b-fused.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("sft-only", round(s["timed_sft_only_step_s"], 3), "s, peak", round(s["peak_mem_mb_sft_only"] / 1024, 1), "GiB")
for v in s["variants"]:
    print(v["layout"], " ".join(f'{r["groups"]}:{r["joint_over_sft_step"]:.2f}x/{r["peak_mem_mb"] / 1024:.1f}G' for r in v["by_groups"]))
PY
(cd python && step test_joint_llm 150 python3 -m unittest discover -s tests -p test_joint_llm.py -v)
