/**
 * The contrastive plan for energy-head training (plan Task 2.4), computed from the trajectory
 * table and the embeddings index, handed to Python as index arrays (python/burnqed/contrastive_plan.py
 * documents the files). Pure: columns in, arrays and counts out.
 *
 * - A row is usable when the embeddings index does not exclude it, it is not a terminal
 *   (proof-complete) node and its state text is not empty. Unusable rows appear nowhere.
 * - Anchors (InfoNCE positives): usable rows labelled positive that have a parent (roots are
 *   their own goal and are never ranked against siblings).
 * - Sibling groups are keyed by (run_id, theorem_name, parent_state_id): state ids restart per
 *   theorem, so a parent id alone would merge unrelated trees.
 * - Theorems are split train/val by a hash of their name alone (isValTheorem), so a theorem is on
 *   the same side in every iteration and for every head configuration. Negative pools and rank-1
 *   groups only use rows of their own split.
 */
import { createHash } from "node:crypto";
import type { CellValue } from "../artifacts/schema.js";

export const PLAN_SPLITS = ["train", "val"] as const;
export type PlanSplit = (typeof PLAN_SPLITS)[number];

/** Arrays of one split, in the order python/burnqed/contrastive_plan.py reads them. */
export const PLAN_ARRAYS = [
  "anchors",
  "anchor_theorem",
  "sibling_offsets",
  "sibling_rows",
  "theorem_neg_offsets",
  "theorem_neg_rows",
  "group_offsets",
  "group_rows",
  "group_is_positive",
] as const;
export type PlanArrayName = (typeof PLAN_ARRAYS)[number];
export type SplitArrays = Record<PlanArrayName, number[]>;

export interface ContrastivePlanParams {
  /** Share of theorems held out for validation (in expectation: each name is hashed). */
  readonly val_fraction: number;
  /** Seeds the theorem split. */
  readonly seed: number;
}

/** Row exclusions and the reason for each, counted over every trajectory row. */
export const PLAN_EXCLUSIONS = ["terminal", "empty_text", "non_finite", "all_zero"] as const;
export type PlanExclusion = (typeof PLAN_EXCLUSIONS)[number];

export interface SplitSummary {
  readonly theorems: number;
  readonly theorems_with_anchor: number;
  readonly anchors: number;
  readonly anchors_with_sibling_negative: number;
  readonly negatives: number;
  readonly rank1_groups: number;
  readonly rank1_group_rows: number;
}

export interface ContrastivePlanSummary {
  readonly kind: "contrastive_plan";
  readonly params: ContrastivePlanParams;
  readonly n_rows: number;
  readonly usable_rows: number;
  readonly excluded: Readonly<Record<PlanExclusion, number>>;
  /** Usable rows labelled unknown: neither anchors nor negatives. */
  readonly unlabelled_rows: number;
  /** Usable positive rows without a parent (roots). */
  readonly root_positives: number;
  readonly splits: Readonly<Record<PlanSplit, SplitSummary>>;
  readonly val_theorems: readonly string[];
}

export interface ContrastivePlan {
  readonly arrays: Readonly<Record<PlanSplit, SplitArrays>>;
  readonly summary: ContrastivePlanSummary;
}

type Col = ArrayLike<CellValue>;

/** Trajectory columns the plan reads (TRAJECTORIES schema). */
export interface PlanTrajectoryColumns {
  readonly theorem_name: Col;
  readonly run_id: Col;
  readonly state_id: Col;
  readonly parent_state_id: Col;
  readonly label: Col;
  readonly is_proof_complete: Col;
  readonly state_pp: Col;
}

/** Embeddings-index columns the plan reads (EMBEDDINGS_INDEX schema). */
export interface PlanIndexColumns {
  readonly row: Col;
  readonly run_id: Col;
  readonly theorem_name: Col;
  readonly state_id: Col;
  readonly excluded: Col;
  readonly exclude_reason: Col;
}

export interface PlanSources {
  /** For error messages. */
  readonly trajectories_path: string;
  readonly index_path: string;
}

export function validateContrastivePlanParams(p: ContrastivePlanParams): ContrastivePlanParams {
  if (!(p.val_fraction >= 0 && p.val_fraction < 1)) throw new Error(`contrastive plan: val_fraction must be in [0, 1), got ${p.val_fraction}`);
  if (!Number.isInteger(p.seed) || p.seed < 0) throw new Error(`contrastive plan: seed must be a non-negative integer, got ${p.seed}`);
  return p;
}

/** Throws naming the first row where the index does not describe trajectory row i. */
export function checkIndexAlignment(t: PlanTrajectoryColumns, ix: PlanIndexColumns, src: PlanSources): void {
  const n = t.theorem_name.length;
  if (ix.row.length !== n) {
    throw new Error(`embeddings index ${src.index_path} has ${ix.row.length} rows but trajectories ${src.trajectories_path} have ${n}: re-run the embedding stage on these trajectories`);
  }
  for (let i = 0; i < n; i++) {
    const same = Number(ix.row[i]) === i && ix.run_id[i] === t.run_id[i] && ix.theorem_name[i] === t.theorem_name[i] && Number(ix.state_id[i]) === Number(t.state_id[i]);
    if (!same) {
      throw new Error(
        `embeddings index ${src.index_path} row ${i} (row=${String(ix.row[i])}, ${String(ix.run_id[i])}/${String(ix.theorem_name[i]).slice(0, 120)}/state ${String(ix.state_id[i])}) ` +
          `does not describe trajectory row ${i} (${String(t.run_id[i])}/${String(t.theorem_name[i]).slice(0, 120)}/state ${String(t.state_id[i])}) of ${src.trajectories_path}`,
      );
    }
  }
}

/** Why row i is unusable, or null. The index's own reason wins; terminal and empty text are also derived from the table. */
function exclusionOf(t: PlanTrajectoryColumns, ix: PlanIndexColumns, i: number): PlanExclusion | null {
  if (ix.excluded[i] === true) {
    const r = ix.exclude_reason[i];
    return (PLAN_EXCLUSIONS as readonly CellValue[]).includes(r ?? null) ? (r as PlanExclusion) : "non_finite";
  }
  if (t.is_proof_complete[i] === true) return "terminal";
  if (String(t.state_pp[i] ?? "").trim() === "") return "empty_text";
  return null;
}

/**
 * Whether a theorem is held out for validation: sha256(seed:name), read as a number in [0, 1),
 * below val_fraction. A per-name rule, so the same theorem is held out in every iteration and every
 * head configuration (A, B and C are evaluated on the same held-out theorems of the same pool), and
 * adding theorems never moves one. The val share is val_fraction in expectation (binomial).
 */
export function isValTheorem(name: string, p: ContrastivePlanParams): boolean {
  const h = createHash("sha256").update(`${p.seed}:${name}`).digest("hex");
  return Number.parseInt(h.slice(0, 13), 16) / 16 ** 13 < p.val_fraction;
}

/** The held-out theorems among `names` (isValTheorem). */
export function valTheorems(names: readonly string[], p: ContrastivePlanParams): Set<string> {
  return new Set(names.filter((n) => isValTheorem(n, p)));
}

interface UsableRow {
  readonly row: number;
  readonly theorem: string;
  readonly group: string | null;
  readonly label: "positive" | "negative" | "unknown";
}

export function contrastivePlan(t: PlanTrajectoryColumns, ix: PlanIndexColumns, params: ContrastivePlanParams, src: PlanSources): ContrastivePlan {
  validateContrastivePlanParams(params);
  checkIndexAlignment(t, ix, src);
  const n = t.theorem_name.length;
  const excluded: Record<PlanExclusion, number> = { terminal: 0, empty_text: 0, non_finite: 0, all_zero: 0 };
  const usable: UsableRow[] = [];
  const theoremOrder: string[] = [];
  const seenTheorem = new Set<string>();
  for (let i = 0; i < n; i++) {
    const theorem = String(t.theorem_name[i]);
    if (!seenTheorem.has(theorem)) {
      seenTheorem.add(theorem);
      theoremOrder.push(theorem);
    }
    const why = exclusionOf(t, ix, i);
    if (why) {
      excluded[why]++;
      continue;
    }
    const parent = t.parent_state_id[i];
    const label = String(t.label[i]) as UsableRow["label"];
    const group = parent === null || parent === undefined ? null : `${String(t.run_id[i])}\u0000${theorem}\u0000${Number(parent)}`;
    usable.push({ row: i, theorem, group, label });
  }
  const hasAnchor = new Set(usable.filter((u) => u.label === "positive" && u.group !== null).map((u) => u.theorem));
  const val = valTheorems(theoremOrder, params);
  const arrays = {
    train: splitArrays(usable.filter((u) => !val.has(u.theorem))),
    val: splitArrays(usable.filter((u) => val.has(u.theorem))),
  };
  const splitSummary = (s: PlanSplit, names: string[]): SplitSummary => {
    const a = arrays[s];
    let withSib = 0;
    for (let k = 0; k < a.anchors.length; k++) if (a.sibling_offsets[k + 1]! > a.sibling_offsets[k]!) withSib++;
    return {
      theorems: names.length,
      theorems_with_anchor: names.filter((x) => hasAnchor.has(x)).length,
      anchors: a.anchors.length,
      anchors_with_sibling_negative: withSib,
      negatives: a.theorem_neg_rows.length,
      rank1_groups: a.group_offsets.length - 1,
      rank1_group_rows: a.group_rows.length,
    };
  };
  return {
    arrays,
    summary: {
      kind: "contrastive_plan",
      params,
      n_rows: n,
      usable_rows: usable.length,
      excluded,
      unlabelled_rows: usable.filter((u) => u.label !== "positive" && u.label !== "negative").length,
      root_positives: usable.filter((u) => u.label === "positive" && u.group === null).length,
      splits: { train: splitSummary("train", theoremOrder.filter((x) => !val.has(x))), val: splitSummary("val", theoremOrder.filter((x) => val.has(x))) },
      val_theorems: theoremOrder.filter((x) => val.has(x)),
    },
  };
}

/** The nine arrays of one split from its usable rows (in row order). */
function splitArrays(rows: readonly UsableRow[]): SplitArrays {
  const theoremId = new Map<string, number>();
  const negByTheorem: number[][] = [];
  const groups = new Map<string, UsableRow[]>();
  for (const u of rows) {
    if (!theoremId.has(u.theorem)) {
      theoremId.set(u.theorem, negByTheorem.length);
      negByTheorem.push([]);
    }
    if (u.label === "negative") negByTheorem[theoremId.get(u.theorem)!]!.push(u.row);
    if (u.group !== null && u.label !== "unknown") {
      const g = groups.get(u.group);
      if (g) g.push(u);
      else groups.set(u.group, [u]);
    }
  }
  const out: SplitArrays = {
    anchors: [],
    anchor_theorem: [],
    sibling_offsets: [0],
    sibling_rows: [],
    theorem_neg_offsets: [0],
    theorem_neg_rows: [],
    group_offsets: [0],
    group_rows: [],
    group_is_positive: [],
  };
  for (const u of rows) {
    if (u.label !== "positive" || u.group === null) continue;
    out.anchors.push(u.row);
    out.anchor_theorem.push(theoremId.get(u.theorem)!);
    for (const s of groups.get(u.group)!) if (s.label === "negative") out.sibling_rows.push(s.row);
    out.sibling_offsets.push(out.sibling_rows.length);
  }
  for (const negs of negByTheorem) {
    for (const r of negs) out.theorem_neg_rows.push(r);
    out.theorem_neg_offsets.push(out.theorem_neg_rows.length);
  }
  for (const members of groups.values()) {
    const pos = members.filter((m) => m.label === "positive").length;
    if (members.length < 2 || pos === 0 || pos === members.length) continue;
    for (const m of members) {
      out.group_rows.push(m.row);
      out.group_is_positive.push(m.label === "positive" ? 1 : 0);
    }
    out.group_offsets.push(out.group_rows.length);
  }
  return out;
}
