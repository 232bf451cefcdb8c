/**
 * Phase 0 stages (plan Tasks 0.3–0.6): ingest, trace, then split/format/pool/stats.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { CONTRASTIVE_THEOREMS, TACTIC_PAIRS, THEOREMS } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { buildDataProducts, type DataStats } from "../data/data-stats.js";
import { DEFAULT_SPLIT, type SplitParams } from "../data/split-by-theorem.js";
import { standInStage, type StandInResult } from "./stand-in.js";

export function ingestStage(run: Run): StageSpec<StandInResult> {
  return standInStage(run, {
    name: "data/ingest",
    description: "dataset ingest (Goedel workbook proofs, Lean Workbook, NuminaMath-LEAN, miniF2F) into the theorems table",
    needs: "the Hugging Face downloads",
    outputs: [{ path: run.paths.data.theorems, kind: "table" }],
    real_status: "the real ingest is the Phase 0 data-pipeline issue, not built yet",
  });
}

export function traceStage(run: Run): StageSpec<StandInResult> {
  return standInStage(run, {
    name: "data/trace",
    description: "tracing accepted proofs into (state, tactic) pairs",
    needs: "Lean 4 + Mathlib and the REPL pool",
    outputs: [{ path: run.paths.data.traced.tactic_pairs, kind: "table" }],
    real_status: "the REPL pool and tracer are the Phase 0 data-pipeline issue, not built yet",
  });
}

export interface SplitFormatParams {
  readonly split: SplitParams;
  /** Contrastive pool: proofs with at least this many steps (plan: depth ≥ 3). */
  readonly min_depth: number;
}

export const DEFAULT_SPLIT_FORMAT: SplitFormatParams = Object.freeze({ split: DEFAULT_SPLIT, min_depth: 3 });

export function splitFormatStage(run: Run, params: SplitFormatParams = DEFAULT_SPLIT_FORMAT): StageSpec<DataStats["values"]> {
  const t = run.paths.data.traced;
  return {
    name: "data/split-format",
    description: "split by theorem (95/5, stratified by source), SFT records, contrastive pool, stats",
    params,
    inputs: [t.tactic_pairs],
    code: ["src/stages/phase0-data.ts", "src/data"],
    outputs: [
      { path: t.sft_train, kind: "jsonl" },
      { path: t.sft_val, kind: "jsonl" },
      { path: t.contrastive_theorems, kind: "table" },
      { path: t.stats, kind: "json" },
    ],
    run(ctx) {
      const pairs = readTable(ctx.abs(t.tactic_pairs), TACTIC_PAIRS);
      const c = pairs.columns;
      const p = buildDataProducts(
        { theorem_name: c["theorem_name"]!, source: c["source"]!, state_pp: c["state_pp"]!, tactic: c["tactic"]!, depth: c["depth"]! },
        params.split,
        params.min_depth,
      );
      ctx.writeJsonl(t.sft_train, p.sft_train);
      ctx.writeJsonl(t.sft_val, p.sft_val);
      ctx.writeTable(t.contrastive_theorems, CONTRASTIVE_THEOREMS, {
        theorem_name: p.contrastive.map((r) => r.theorem_name),
        source: p.contrastive.map((r) => r.source),
        max_depth: p.contrastive.map((r) => r.max_depth),
        n_pairs: p.contrastive.map((r) => r.n_pairs),
        split: p.contrastive.map((r) => r.split),
      });
      ctx.writeJson(t.stats, p.stats);
      return p.stats.values;
    },
  };
}

/** Re-export for notebooks that show the theorems table. */
export { THEOREMS };
