/**
 * Phase 1 stages (plan Tasks 1.1–1.4): SFT, search on the contrastive pool, miniF2F.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { TRAJECTORIES } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName } from "../config/run-paths.js";
import { trajectoryStats, type TrajectoryStats } from "../search/trajectory-stats.js";
import { standInStage, type StandInResult } from "./stand-in.js";

export function searchStage(run: Run, it: IterName): StageSpec<StandInResult> {
  return standInStage(run, {
    name: `${it}/search`,
    description: `best-first search of the contrastive pool with the ${it} policy (800 nodes, 300 s)`,
    needs: "a GPU-served policy and Lean 4 + Mathlib",
    outputs: [{ path: run.paths[it].search_trajectories, kind: "table" }],
    real_status: "the search engine is not built yet",
  });
}

export function minif2fStage(run: Run, it: IterName): StageSpec<StandInResult> {
  return standInStage(run, {
    name: `${it}/minif2f`,
    description: `miniF2F v2s test search with the ${it} policy, LLM-only and LLM+EBM`,
    needs: "a GPU-served policy, the energy head and Lean 4 + Mathlib",
    outputs: [{ path: run.paths[it].baselines.search_results, kind: "json" }],
    real_status: "the search engine is not built yet",
  });
}

export function trajectoryStatsStage(run: Run, it: IterName): StageSpec<TrajectoryStats["values"]> {
  const src = run.paths[it].search_trajectories;
  const out = run.paths[it].trajectory_stats;
  return {
    name: `${it}/trajectory-stats`,
    description: "proved/failed counts, labels and depth distribution of the search trajectories",
    params: {},
    inputs: [src],
    code: ["src/stages/phase1-search.ts", "src/search/trajectory-stats.ts"],
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const t = readTable(ctx.abs(src), TRAJECTORIES);
      const stats = trajectoryStats(t.columns);
      ctx.writeJson(out, stats);
      return stats.values;
    },
  };
}
