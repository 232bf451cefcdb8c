/**
 * Phase 1 stages (plan Tasks 1.3–1.4) that run on trajectories: trajectory statistics. The search
 * itself and miniF2F are stand-ins until the search engine exists (registry.ts).
 */
import { readTable } from "../artifacts/arrow-table.js";
import { TRAJECTORIES } from "../artifacts/schemas.js";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { IterName } from "../config/run-paths.js";
import { trajectoryStats, type TrajectoryStats } from "../search/trajectory-stats.js";

const MODULE = "src/stages/search.ts";

export function trajectoryStatsStage(run: Run, it: IterName): StageSpec<TrajectoryStats["values"]> {
  const src = run.paths.iter(it).search_trajectories;
  const out = run.paths.iter(it).trajectory_stats;
  return {
    name: `${it}/trajectory-stats`,
    description: "proved/failed counts, labels and depth distribution of the search trajectories",
    params: {},
    inputs: [src],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const t = readTable(ctx.abs(src), TRAJECTORIES);
      const stats = trajectoryStats(t.columns);
      ctx.writeJson(out, stats);
      return stats.values;
    },
  };
}
