#!/usr/bin/env bash
# One GPU session (the device tool's single H200): the LLM jobs' GPU tests, the SFT throughput
# bench and the joint smoke test at the 7B shape. Writes everything under $OUT (default
# bench/results/gpu-session-a). Each step has its own time limit, so one hang does not cost the rest.
set -u
OUT=${OUT:-bench/results/gpu-session-a}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
export PYTHONUNBUFFERED=1
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import sys, torch, transformers, peft; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers', transformers.__version__, 'peft', peft.__version__)"
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
step() { # name seconds command...
  local name=$1 secs=$2; shift 2
  local t0=$SECONDS
  timeout "$secs" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "[$name] rc=$rc in $((SECONDS - t0)) s"
  tail -n 4 "$OUT/$name.log" | sed "s/^/[$name]   /"
}
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
