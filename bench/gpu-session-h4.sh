#!/usr/bin/env bash
# GPU session H, call 4 (the device tool's single H200): the joint/SFT-only ratio of the final code
# (packed energy path; the fused layout of call 3 dropped) with more rounds, since calls 1 and 3 gave
# the same layout 1.70x and 1.42x at one group (the step is host-bound), and the peak memory of
# energy micro-batches of 2, 4 and 8 groups beside each ratio.
STEP_TAIL=3
. "$(dirname "$0")/gpu-session-lib.sh" gpu-session-h4
echo '{"random_init": "deepseek_prover_v1_5", "lengths": "realistic", "sft_prompt_tokens": 1984, "sft_completion_tokens": 64, "state_tokens": 512, "goal_tokens": 512, "groups": 16, "timed_groups": [1, 2, 4, 8], "timed_steps": 5, "timed_variants": [{"groups_per_micro_batch": 4}, {"groups_per_micro_batch": 8}], "out_summary": "'"$OUT"'/joint-smoke-7b-final.json"}' > "$OUT/joint-smoke-final.config.json"
(cd python && step joint-smoke-final 200 python3 -m burnqed.joint.smoke --config "$OUT/joint-smoke-final.config.json")
python3 - "$OUT/joint-smoke-7b-final.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("passed", s["passed"], "checked-step peak", round(s["peak_mem_mb"] / 1024, 1), "GiB; sft-only", round(s["timed_sft_only_step_s"], 3), "s, peak", round(s["peak_mem_mb_sft_only"] / 1024, 1), "GiB")
for v in s["variants"]:
    print(v["layout"], " ".join(f'{r["groups"]}:{r["joint_step_s"]:.3f}s={r["joint_over_sft_step"]:.2f}x/{r["peak_mem_mb"] / 1024:.1f}G' for r in v["by_groups"]))
PY
