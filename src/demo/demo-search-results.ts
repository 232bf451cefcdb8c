/**
 * miniF2F evaluation outcomes per search configuration. A real run gets these from GPU search
 * with Lean; the demo plants them: exactly round(rate · n) theorems proved per config, with a
 * shared per-theorem difficulty so configs agree on what is easy (as real configs do).
 */
import type { PlantedSearchValues, SearchConfig } from "./planted-values.js";
import { SEARCH_CONFIGS } from "./planted-values.js";
import { Prng } from "../numeric/prng.js";

/**
 * Per-theorem outcome of one miniF2F search configuration (the demo's planted outcomes; a real
 * run writes them from its search results).
 */
export type SearchResultColumns = {
  readonly name: readonly string[];
  readonly proved: readonly boolean[];
  readonly nodes_expanded: readonly number[];
  readonly wall_s: readonly number[];
};

/** Planted proved rates (iter_0 ≥ 35% LLM-only, LLM+EBM ≥ 40%; iter_1 LLM+EBM ≥ 45% is missed on purpose: 44%). */
export const PLANTED_PROVED_RATES: Readonly<Record<SearchConfig, number>> = {
  iter0_llm: 0.36,
  iter0_llm_ebm: 0.41,
  iter1_llm: 0.37,
  iter1_llm_ebm: 0.44,
};

/** Search budget of the evaluation (plan Task 1.4: 600 nodes, 300 s). */
export const MINIF2F_MAX_NODES = 600;
export const MINIF2F_TIMEOUT_S = 300;

const CATEGORIES: readonly { weight: number; difficulty: number; name: (rng: Prng) => string }[] = [
  { weight: 0.29, difficulty: -0.4, name: (r) => `mathd_algebra_${r.int(1, 500)}` },
  { weight: 0.25, difficulty: -0.3, name: (r) => `mathd_numbertheory_${r.int(1, 800)}` },
  { weight: 0.18, difficulty: 0.3, name: (r) => `amc12${r.pick(["a", "b"])}_${r.int(2000, 2021)}_p${r.int(1, 25)}` },
  { weight: 0.06, difficulty: 0.8, name: (r) => `aime_${r.int(1983, 2020)}_p${r.int(1, 15)}` },
  { weight: 0.08, difficulty: 1.2, name: (r) => `imo_${r.int(1959, 2020)}_p${r.int(1, 6)}` },
  { weight: 0.03, difficulty: 0.2, name: (r) => `induction_${r.int(2, 12)}dvd${r.int(2, 9)}expnp${r.int(1, 5)}p${r.int(1, 30)}` },
  { weight: 0.11, difficulty: 0.0, name: (r) => `algebra_${r.pick(["sqineq", "amgm", "abpbcpcageq3", "2rootspoly", "ineqmax"])}_${r.int(1, 99)}` },
];

export interface DemoSearchResults {
  readonly results: Readonly<Record<SearchConfig, SearchResultColumns>>;
  readonly planted: Readonly<Record<SearchConfig, PlantedSearchValues>>;
}

export function generateSearchResults(seed: number, n_minif2f: number): DemoSearchResults {
  const rng = Prng.stream(seed, "minif2f");
  const names: string[] = [];
  const difficulty: number[] = [];
  const seen = new Set<string>();
  while (names.length < n_minif2f) {
    const cat = CATEGORIES[rng.weighted(CATEGORIES.map((c) => c.weight))]!;
    const name = cat.name(rng);
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(name);
    difficulty.push(cat.difficulty + rng.normal());
  }
  const results = {} as Record<SearchConfig, SearchResultColumns>;
  const planted = {} as Record<SearchConfig, PlantedSearchValues>;
  for (const config of SEARCH_CONFIGS) {
    const k = Math.round(PLANTED_PROVED_RATES[config] * n_minif2f);
    const score = difficulty.map((d) => d + 0.6 * rng.normal());
    const order = score.map((_, i) => i).sort((a, b) => score[a]! - score[b]! || a - b);
    const proved = new Array<boolean>(n_minif2f).fill(false);
    for (const i of order.slice(0, k)) proved[i] = true;
    const nodes: number[] = [];
    const wall: number[] = [];
    for (const p of proved) {
      if (p) {
        const used = Math.min(MINIF2F_MAX_NODES, 1 + Math.floor(-120 * Math.log(1 - rng.next())));
        nodes.push(used);
        wall.push(round1(Math.min(MINIF2F_TIMEOUT_S - 1, 2 + used * (0.15 + 0.3 * rng.next()))));
      } else if (rng.bool(0.7)) {
        nodes.push(MINIF2F_MAX_NODES); // budget exhausted
        wall.push(round1(MINIF2F_MAX_NODES * (0.3 + 0.18 * rng.next())));
      } else {
        nodes.push(rng.int(200, MINIF2F_MAX_NODES - 1)); // wall-clock limit hit first
        wall.push(MINIF2F_TIMEOUT_S);
      }
    }
    results[config] = { name: names.slice(), proved, nodes_expanded: nodes, wall_s: wall };
    planted[config] = { n_theorems: n_minif2f, n_proved: k, proved_rate: k / n_minif2f };
  }
  return { results, planted };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
