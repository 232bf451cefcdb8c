/**
 * Phase 0 data products from traced tactic pairs: the SFT split and records, the contrastive pool
 * (theorems whose proof has ≥ min_depth steps) and the stats the baseline report's Data section
 * shows. Pure: tables in, tables and numbers out.
 */
import type { ColumnsOf, RowOf } from "../artifacts/schema.js";
import type { CONTRASTIVE_THEOREMS, Source, TACTIC_PAIRS } from "../artifacts/schemas.js";
import { splitByTheorem, type SplitParams } from "./split-by-theorem.js";
import { sftRecord, type SftRecord } from "./sft-format.js";

export type PairColumns = Pick<ColumnsOf<typeof TACTIC_PAIRS>, "theorem_name" | "source" | "state_pp" | "tactic" | "depth">;

export type ContrastiveRow = RowOf<typeof CONTRASTIVE_THEOREMS>;

/** Rows of a CONTRASTIVE_THEOREMS table read back. */
export function contrastiveRowsOf(c: ColumnsOf<typeof CONTRASTIVE_THEOREMS>): ContrastiveRow[] {
  return Array.from({ length: c.theorem_name.length }, (_, i) => ({ theorem_name: c.theorem_name[i]!, source: c.source[i]!, max_depth: c.max_depth[i]!, n_pairs: c.n_pairs[i]!, split: c.split[i]! }));
}

export interface DataProducts {
  readonly sft_train: SftRecord[];
  readonly sft_val: SftRecord[];
  readonly contrastive: ContrastiveRow[];
  readonly stats: DataStats;
}

export interface DataStats {
  readonly kind: "data_stats";
  readonly values: {
    readonly sft_pairs_train: number;
    readonly sft_pairs_val: number;
    readonly theorems_train: number;
    readonly theorems_val: number;
    readonly contrastive_theorems: number;
    /** Traced pairs / theorems of miniF2F left out of SFT and the pool (the benchmark must stay unseen). */
    readonly benchmark_pairs_excluded: number;
    readonly benchmark_theorems_excluded: number;
  };
  readonly not_computed: Record<string, string>;
  readonly details: {
    readonly min_depth: number;
    /** proof steps (max depth) → theorems */
    readonly proof_length_histogram: Record<string, number>;
    /** tactic depth → pairs */
    readonly pair_depth_histogram: Record<string, number>;
    readonly sources: Record<string, { theorems: number; pairs: number; theorem_fraction: number; pair_fraction: number; contrastive: number }>;
  };
}

/**
 * `benchmark`: the evaluation theorems (the searched miniF2F split). Their traced pairs never
 * become SFT data or pool theorems; they are counted in the stats instead.
 */
export function buildDataProducts(pairs: PairColumns, split: SplitParams, min_depth: number, benchmark: ReadonlySet<string> = new Set()): DataProducts {
  const n_all = pairs.theorem_name.length;
  const theorems = new Map<string, { source: Source; max_depth: number; n_pairs: number }>();
  const keep: number[] = [];
  const excluded = new Set<string>();
  for (let i = 0; i < n_all; i++) {
    if (benchmark.has(pairs.theorem_name[i]!)) excluded.add(pairs.theorem_name[i]!);
    else keep.push(i);
  }
  const n = keep.length;
  for (const i of keep) {
    const name = pairs.theorem_name[i]!;
    const source = pairs.source[i]!;
    const depth = pairs.depth[i]!;
    const t = theorems.get(name);
    if (t) {
      t.max_depth = Math.max(t.max_depth, depth + 1);
      t.n_pairs++;
    } else theorems.set(name, { source, max_depth: depth + 1, n_pairs: 1 });
  }
  const splits = splitByTheorem([...theorems].map(([name, t]) => ({ name, source: t.source })), split);
  const sft_train: SftRecord[] = [];
  const sft_val: SftRecord[] = [];
  const pairDepth: Record<string, number> = {};
  for (const i of keep) {
    const rec = sftRecord({ theorem_name: pairs.theorem_name[i]!, source: pairs.source[i]!, state_pp: pairs.state_pp[i]!, tactic: pairs.tactic[i]!, depth: pairs.depth[i]! });
    (splits.get(rec.theorem_name) === "val" ? sft_val : sft_train).push(rec);
    pairDepth[String(rec.depth)] = (pairDepth[String(rec.depth)] ?? 0) + 1;
  }
  const contrastive: ContrastiveRow[] = [];
  const proofLen: Record<string, number> = {};
  const sources: DataStats["details"]["sources"] = {};
  for (const [name, t] of theorems) {
    proofLen[String(t.max_depth)] = (proofLen[String(t.max_depth)] ?? 0) + 1;
    const s = (sources[t.source] ??= { theorems: 0, pairs: 0, theorem_fraction: 0, pair_fraction: 0, contrastive: 0 });
    s.theorems++;
    s.pairs += t.n_pairs;
    if (t.max_depth >= min_depth) {
      contrastive.push({ theorem_name: name, source: t.source, max_depth: t.max_depth, n_pairs: t.n_pairs, split: splits.get(name)! });
      s.contrastive++;
    }
  }
  for (const s of Object.values(sources)) {
    s.theorem_fraction = s.theorems / theorems.size;
    s.pair_fraction = s.pairs / n;
  }
  contrastive.sort((a, b) => (a.theorem_name < b.theorem_name ? -1 : 1));
  const nValTheorems = [...splits.values()].filter((s) => s === "val").length;
  const stats: DataStats = {
    kind: "data_stats",
    values: {
      sft_pairs_train: sft_train.length,
      sft_pairs_val: sft_val.length,
      theorems_train: theorems.size - nValTheorems,
      theorems_val: nValTheorems,
      contrastive_theorems: contrastive.length,
      benchmark_pairs_excluded: n_all - n,
      benchmark_theorems_excluded: excluded.size,
    },
    not_computed: {},
    details: { min_depth, proof_length_histogram: sortNumericKeys(proofLen), pair_depth_histogram: sortNumericKeys(pairDepth), sources },
  };
  return { sft_train, sft_val, contrastive, stats };
}

function sortNumericKeys(h: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(h).sort(([a], [b]) => Number(a) - Number(b)));
}
