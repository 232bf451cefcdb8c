/**
 * Train/val split by THEOREM, never by pair (plan Task 0.6, Gotcha 11): deterministic by a hash of
 * the theorem name and stratified by source, so every source keeps its val share and no theorem
 * lands on both sides.
 */
import { sha256Text } from "../artifacts/hash.js";
import { PLAN_RECIPES } from "../config/recipes.js";

export type Split = "train" | "val";

export interface SplitParams {
  /** Fraction of each source's theorems that go to val (plan: 0.05). */
  readonly val_fraction: number;
  /** Salt of the name hash; change it for a different but still deterministic split. */
  readonly salt: string;
}

/** The plan's split (src/config/recipes.ts). */
export const DEFAULT_SPLIT: SplitParams = PLAN_RECIPES.split_format.recipe.split;

/** theorem name → split. `theorems` may repeat names (one per pair); each name is assigned once. */
export function splitByTheorem(theorems: ReadonlyArray<{ name: string; source: string }>, params: SplitParams = DEFAULT_SPLIT): Map<string, Split> {
  if (!(params.val_fraction >= 0 && params.val_fraction < 1)) throw new Error(`val_fraction must be in [0, 1), got ${params.val_fraction}`);
  const bySource = new Map<string, Set<string>>();
  const sourceOf = new Map<string, string>();
  for (const t of theorems) {
    const prev = sourceOf.get(t.name);
    if (prev !== undefined && prev !== t.source) throw new Error(`theorem '${t.name}' appears with two sources: '${prev}' and '${t.source}'`);
    sourceOf.set(t.name, t.source);
    let set = bySource.get(t.source);
    if (!set) bySource.set(t.source, (set = new Set()));
    set.add(t.name);
  }
  const out = new Map<string, Split>();
  for (const names of bySource.values()) {
    const ranked = [...names].map((n) => ({ n, h: sha256Text(`${params.salt}\0${n}`) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
    const nVal = Math.round(ranked.length * params.val_fraction);
    ranked.forEach(({ n }, i) => out.set(n, i < nVal ? "val" : "train"));
  }
  return out;
}
