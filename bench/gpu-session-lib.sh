# Sourced by bench/gpu-session-*.sh: OUT (default bench/results/<session>) made absolute, the
# device and versions in $OUT/env.txt, and `step NAME SECONDS COMMAND...`, which runs one step
# under its own time limit (so one hang does not cost the rest) into $OUT/NAME.log and prints its
# exit code, seconds and log tail.
set -u
OUT=${OUT:-bench/results/$1}
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
  tail -n "${STEP_TAIL:-6}" "$OUT/$name.log" | sed "s/^/[$name]   /"
}
