/**
 * Summary of a trajectory table (plan Task 1.3 deliverable `trajectory_stats.json`): theorems
 * attempted and proved, states by label, depth distribution and the share of states at depth ≥ 4
 * (the plan's target: ≥ 20 %).
 */
import type { CellValue } from "../artifacts/schema.js";

export interface TrajectoryStats {
  readonly kind: "trajectory_stats";
  readonly values: {
    readonly theorems: number;
    readonly proved: number;
    /** Absent (see not_computed) when no theorem was searched. */
    readonly proved_rate?: number;
    readonly states: number;
    readonly positive: number;
    readonly negative: number;
    readonly unknown: number;
    readonly terminal: number;
    /** Absent (see not_computed) when there are no states. */
    readonly fraction_depth4plus?: number;
    readonly max_depth: number;
  };
  readonly not_computed: Record<string, string>;
  readonly details: { readonly depth_histogram: Record<string, number> };
}

export function trajectoryStats(cols: Readonly<Record<string, ArrayLike<CellValue>>>): TrajectoryStats {
  const name = cols["theorem_name"]!;
  const depth = cols["depth_from_root"]!;
  const label = cols["label"]!;
  const complete = cols["is_proof_complete"]!;
  const n = name.length;
  const theorems = new Set<string>();
  const proved = new Set<string>();
  const byLabel: Record<string, number> = { positive: 0, negative: 0, unknown: 0 };
  const hist: Record<string, number> = {};
  let deep = 0;
  let terminal = 0;
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    const t = String(name[i]);
    theorems.add(t);
    if (complete[i] === true) {
      proved.add(t);
      terminal++;
    }
    const d = Number(depth[i]);
    hist[String(d)] = (hist[String(d)] ?? 0) + 1;
    if (d >= 4) deep++;
    if (d > maxDepth) maxDepth = d;
    const l = String(label[i]);
    byLabel[l] = (byLabel[l] ?? 0) + 1;
  }
  const not_computed: Record<string, string> = {};
  if (n === 0) {
    not_computed["fraction_depth4plus"] = "not enough data: n=0 states";
    not_computed["proved_rate"] = "not enough data: n=0 theorems";
  }
  return {
    kind: "trajectory_stats",
    values: {
      theorems: theorems.size,
      proved: proved.size,
      ...(n > 0 ? { proved_rate: proved.size / theorems.size, fraction_depth4plus: deep / n } : {}),
      states: n,
      positive: byLabel["positive"] ?? 0,
      negative: byLabel["negative"] ?? 0,
      unknown: byLabel["unknown"] ?? 0,
      terminal,
      max_depth: maxDepth,
    },
    not_computed,
    details: { depth_histogram: Object.fromEntries(Object.entries(hist).sort(([a], [b]) => Number(a) - Number(b))) },
  };
}
