#!/usr/bin/env bash
# The real profile end to end (issue 12): every stage of `PROFILE=real` in order with
# `burnqed run-all` — ingest, trace, split, SFT seed/full, merge, serve, search, miniF2F LLM-only
# and LLM+EBM, embed, metrics, decoupled EBM, joint training, export, configs B and C, comparison —
# on a tiny random-then-pretrained Llama with a BPE tokenizer trained on Lean states
# (bench/e2e_tiny_model.py), the synthetic Lean as the REPL and ~30 theorems in the real
# datasets' formats (scripts/e2e-fixture.ts). Then `verify --deep`, the archive round trip, and
# the stage table (status, seconds) under OUT.
#
#   bash bench/e2e-real-run.sh OUT                 # this machine: node + tsx, PYTHON with torch/transformers/peft
#   E2E_BUNDLE=.device bash bench/e2e-real-run.sh OUT   # a machine without node_modules (scripts/device-bundle.sh)
#
# FIXTURE (default OUT/fixture) is reused when it holds world.json (a machine without tsx needs it
# made elsewhere: node --import tsx scripts/e2e-fixture.ts --out DIR).
set -euo pipefail
OUT=${1:?usage: e2e-real-run.sh OUT}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-python3}
WORK=${E2E_WORK:-$OUT/work}  # the run, the model and the archive (big); OUT keeps the small results
mkdir -p "$WORK" && WORK=$(cd "$WORK" && pwd)
FX=${FIXTURE:-$WORK/fixture}
if [ -n "${E2E_BUNDLE:-}" ]; then
  eval "$(bash "$E2E_BUNDLE/setup.sh")"
  BURNQED=(node "$ROOT/$E2E_BUNDLE/burnqed.mjs")
  REPL="node $ROOT/$E2E_BUNDLE/synthetic-lean-repl.mjs"
  export BURNQED_ROOT=$ROOT
else
  BURNQED=(node --import tsx "$ROOT/src/cli.ts")
  REPL="$(command -v node) --import tsx $ROOT/src/demo/synthetic/synthetic-lean-repl.ts"
fi
[ -f "$FX/world.json" ] || node --import tsx scripts/e2e-fixture.ts --out "$FX"
FX=$(cd "$FX" && pwd)
t0=$SECONDS
"$PY" bench/e2e_tiny_model.py --texts "$FX/texts.txt" --out "$WORK/model" | tee "$OUT/model.json"
export PYTHON=$PY PROFILE=real RUN=e2e RUNS_DIR=$WORK/runs REPORTS_DIR=$WORK/reports
export BURNQED_BASE_MODEL=$WORK/model
export BURNQED_DATASETS="goedel=$FX/datasets/goedel,numinamath=$FX/datasets/numinamath,minif2f=$FX/datasets/minif2f"
export BURNQED_REPL="$REPL --world $FX/world.json"
BURNQED_SET="$(grep -v '^#' bench/e2e-real-recipe.txt)"
export BURNQED_SET
{
  date -u +%FT%TZ
  uname -srm
  node --version
  "$PY" -c "import sys, torch, transformers, peft; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.cuda.is_available() and torch.cuda.get_device_name(), 'transformers', transformers.__version__, 'peft', peft.__version__)"
  git rev-parse HEAD 2>/dev/null || true
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"
t1=$SECONDS
set +e
# E2E_RUN_ALL_TIMEOUT (s): stop run-all there and still write what finished (a bounded device session)
timeout "${E2E_RUN_ALL_TIMEOUT:-0}" "${BURNQED[@]}" run-all > "$OUT/run-all.log" 2>&1
rc=$?
set -e
echo "run-all: rc=$rc in $((SECONDS - t1)) s (model $((t1 - t0)) s)" | tee "$OUT/run-all.rc"
"${BURNQED[@]}" status > "$OUT/status.txt" 2>&1 || true
"${BURNQED[@]}" verify --deep > "$OUT/verify.txt" 2>&1 || true
tail -n 1 "$OUT/verify.txt"
"$PY" - "$WORK/runs/e2e/manifest.json" > "$OUT/stage_times.tsv" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rows = sorted(m["stages"].values(), key=lambda s: s["finished_at"])
print("stage\tseconds\tfinished_at\tresult")
for s in rows:
    r = s.get("result")
    short = {k: v for k, v in r.items() if isinstance(v, (int, float, str)) and len(str(v)) < 60} if isinstance(r, dict) else r
    print(f"{s['name']}\t{s['wall_s']:.2f}\t{s['finished_at']}\t{json.dumps(short)[:300]}")
print(f"TOTAL\t{sum(s['wall_s'] for s in rows):.1f}\t{len(rows)} stages\t")
PY
cat "$OUT/stage_times.tsv" | cut -f1,2
mkdir -p "$OUT/reports-copy"
for f in iter_0/baselines/baseline_report.md iter_1/analysis/comparison_report.md iter_1/analysis/abc_invariants.json iter_0/trajectories/search_iter0_summary.json iter_1/trajectories/search_iter1_summary.json iter_1/ebm/training_summary.json iter_0/model/sft_summary.json iter_0/model/merge_summary.json; do
  [ -f "$WORK/runs/e2e/$f" ] && cp "$WORK/runs/e2e/$f" "$OUT/reports-copy/$(echo "$f" | tr / _)"
done
if [ "$rc" = 0 ]; then
  # the archive round trip: moved, reopened read-only, verified
  "${BURNQED[@]}" archive --name e2e-archived --archive-dir "$WORK/archive" > "$OUT/archive.txt" 2>&1 || echo "archive failed" >> "$OUT/archive.txt"
  "${BURNQED[@]}" status --archive e2e-archived --archive-dir "$WORK/archive" > "$OUT/archive-status.txt" 2>&1 || true
  "${BURNQED[@]}" verify --deep --archive e2e-archived --archive-dir "$WORK/archive" >> "$OUT/archive.txt" 2>&1 || echo "archive verify failed" >> "$OUT/archive.txt"
  cat "$OUT/archive.txt"
fi
exit "$rc"
