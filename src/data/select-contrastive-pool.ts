/**
 * select_contrastive_pool (plan Task 1.3): the theorems searched with a full budget to grow deep
 * trees for EBM training. Keep proofs with at least `min_depth` steps, prefer harder sources
 * (IMO / USAMO > AIME > AMC > the rest, read from the theorem name, then NuminaMath's competition
 * problems before forum problems), then deeper proofs; ties broken by a salted name hash, so the
 * choice is deterministic and unbiased by name order. Pure.
 */
import { sha256Text } from "../artifacts/hash.js";
import { PLAN_RECIPES } from "../config/recipes.js";
import type { ContrastiveRow } from "./data-stats.js";

export interface PoolParams {
  readonly max_theorems: number;
  readonly min_depth: number;
  readonly prefer_hard: boolean;
  /** Splits whose theorems may be chosen (default both). */
  readonly splits?: ReadonlyArray<"train" | "val">;
  readonly salt?: string;
}

/** The plan's pool (src/config/recipes.ts). */
export const DEFAULT_POOL: PoolParams = PLAN_RECIPES.contrastive_pool.recipe;

export interface PoolTheorem extends ContrastiveRow {
  /** 3 olympiad (IMO, USAMO, …), 2 AIME-level, 1 AMC, 0 other. */
  readonly tier: number;
}

const TIERS: ReadonlyArray<[RegExp, number]> = [
  [/(^|[_\W])(imo|imosl|usamo|usajmo|usa|jbmo|apmo|putnam|olymp|tst)/i, 3],
  [/(^|[_\W])(aime|hmmt|arml)/i, 2],
  [/(^|[_\W])amc/i, 1],
];

/** Difficulty tier from the theorem name (miniF2F and competition datasets encode the contest there). */
export function hardnessTier(name: string): number {
  for (const [re, tier] of TIERS) if (re.test(name)) return tier;
  return 0;
}

const SOURCE_PRIOR: Readonly<Record<string, number>> = { numinamath: 2, minif2f: 1, workbook_plus: 0, workbook: 0 };

export function selectContrastivePool(rows: readonly ContrastiveRow[], params: PoolParams = DEFAULT_POOL): PoolTheorem[] {
  if (!(Number.isInteger(params.max_theorems) && params.max_theorems >= 0)) throw new Error(`max_theorems must be a non-negative integer, got ${params.max_theorems}`);
  const salt = params.salt ?? "burnqed-pool";
  const splits = params.splits ?? ["train", "val"];
  const cands = rows
    .filter((r) => r.max_depth >= params.min_depth && splits.includes(r.split))
    .map((r) => ({ ...r, tier: hardnessTier(r.theorem_name), h: sha256Text(`${salt}\u0000${r.theorem_name}`) }));
  cands.sort((a, b) => {
    if (params.prefer_hard) {
      if (a.tier !== b.tier) return b.tier - a.tier;
      const sp = (SOURCE_PRIOR[b.source] ?? 0) - (SOURCE_PRIOR[a.source] ?? 0);
      if (sp !== 0) return sp;
      if (a.max_depth !== b.max_depth) return b.max_depth - a.max_depth;
    }
    return a.h < b.h ? -1 : a.h > b.h ? 1 : 0;
  });
  return cands.slice(0, params.max_theorems).map(({ h: _h, ...r }) => r);
}

/** Pool file (the search's --theorems input): with statements when a theorems table is given. */
/** contrastive_pool.json: what the search reads as its theorem list. */
export interface PoolDocument {
  readonly kind: "contrastive_pool";
  readonly params: PoolParams;
  readonly counts: { readonly theorems: number; readonly by_tier: Record<string, number> };
  readonly theorems: ReadonlyArray<{ name: string; source: string; max_depth: number; tier: number; split: string; header?: string; statement?: string }>;
}

export function poolDocument(
  pool: readonly PoolTheorem[],
  params: PoolParams,
  statements?: ReadonlyMap<string, { header: string; statement: string }>,
): PoolDocument {
  const tiers: Record<string, number> = {};
  for (const t of pool) tiers[String(t.tier)] = (tiers[String(t.tier)] ?? 0) + 1;
  return {
    kind: "contrastive_pool",
    params: { ...params },
    counts: { theorems: pool.length, by_tier: tiers },
    theorems: pool.map((t) => ({
      name: t.theorem_name,
      source: t.source,
      max_depth: t.max_depth,
      tier: t.tier,
      split: t.split,
      ...(statements?.has(t.theorem_name) ? statements.get(t.theorem_name) : {}),
    })),
  };
}
