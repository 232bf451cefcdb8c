/**
 * Best-first search settings, normalised once into a frozen config. Unknown keys are errors that
 * name the key (a typo such as `max_node` must not silently fall back to a default budget).
 */

export interface SearchConfig {
  /** Tree nodes created per theorem, root and terminal node included (plan: 800 on the contrastive pool, 600 on miniF2F). */
  readonly max_nodes: number;
  /** Tactics sampled from the policy per expansion (plan: 16). At most this many are applied. */
  readonly n_candidates: number;
  /** Sampling temperature (plan: 1.3). */
  readonly temperature: number;
  /** Wall budget per theorem, checked inside the loop before every policy, Lean and scorer call (plan: 300). */
  readonly timeout_s: number;
  /** Lean budget per tactic application, further capped by what is left of `timeout_s`. */
  readonly tactic_timeout_s: number;
  /** Nodes at this depth are kept but not expanded. */
  readonly max_depth: number;
  /** Weight of −energy in the node priority; 0 = LLM-only, and the scorer is never called. */
  readonly ebm_weight: number;
}

export type SearchConfigInput = Partial<{ -readonly [K in keyof SearchConfig]: number }>;

/**
 * Plan Task 1.3 values; `tactic_timeout_s` and `max_depth` are not fixed by the plan: 30 s lets
 * slow `nlinarith` calls finish, and a depth of 50 only stops runaway chains (the plan wants
 * depth 6–8 and beyond, so it must not bind in practice).
 */
export const DEFAULT_SEARCH_CONFIG: SearchConfig = Object.freeze({
  max_nodes: 800,
  n_candidates: 16,
  temperature: 1.3,
  timeout_s: 300,
  tactic_timeout_s: 30,
  max_depth: 50,
  ebm_weight: 0,
});

const KEYS = Object.keys(DEFAULT_SEARCH_CONFIG) as readonly (keyof SearchConfig)[];

export class SearchConfigError extends Error {
  override name = "SearchConfigError";
}

export function normalizeSearchConfig(raw: SearchConfigInput = {}): SearchConfig {
  for (const k of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(k)) throw new SearchConfigError(`unknown search option '${k}' (known: ${KEYS.join(", ")})`);
  }
  const v = (k: keyof SearchConfig): unknown => raw[k] ?? DEFAULT_SEARCH_CONFIG[k];
  return Object.freeze({
    max_nodes: integer("max_nodes", v("max_nodes"), 1),
    n_candidates: integer("n_candidates", v("n_candidates"), 1),
    temperature: real("temperature", v("temperature"), 0, true),
    timeout_s: real("timeout_s", v("timeout_s"), 0, false),
    tactic_timeout_s: real("tactic_timeout_s", v("tactic_timeout_s"), 0, false),
    max_depth: integer("max_depth", v("max_depth"), 1),
    ebm_weight: real("ebm_weight", v("ebm_weight"), 0, true),
  });
}

function integer(name: string, x: unknown, min: number): number {
  if (typeof x !== "number" || !Number.isInteger(x) || x < min) throw new SearchConfigError(`search option ${name} must be an integer ≥ ${min}, got ${show(x)}`);
  return x;
}

/** A finite number above `min` (or equal to it when `min_ok`). */
function real(name: string, x: unknown, min: number, min_ok: boolean): number {
  if (typeof x !== "number" || !Number.isFinite(x) || x < min || (!min_ok && x === min)) {
    throw new SearchConfigError(`search option ${name} must be a finite number ${min_ok ? "≥" : ">"} ${min}, got ${show(x)}`);
  }
  return x;
}

const show = (x: unknown): string => (typeof x === "number" ? String(x) : JSON.stringify(x));
