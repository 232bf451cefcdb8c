/** Parameters of the demo world, normalised once at the boundary into a frozen config. */

export interface DemoParams {
  /** Seed of every random stream of the world (unsigned 32-bit integer). */
  readonly seed: number;
  /** Theorems with traced proofs (~60% workbook, ~40% numinamath). */
  readonly n_theorems: number;
  /** Contrastive pool searched per iteration: theorems whose proof has max depth ≥ 3. */
  readonly n_search_theorems: number;
  /** Embedding width (stands in for the model's 4096). */
  readonly dim: number;
  /** Synthetic miniF2F-like evaluation theorems. */
  readonly n_minif2f: number;
  /**
   * Scenario knobs (percent of the proof-path shift in the embeddings; 100 = the default world):
   * `label_signal_pct` scales it everywhere (0: labels invisible in the embeddings, a probe sits
   * at its base rate; up to 400 for a world where a head learns from little data);
   * `heldout_signal_pct` scales it on the theorems the energy head's contrastive plan holds out
   * (0: a head can only fit its training theorems — in-sample and held-out rank-1 disagree).
   * The planted world's exact centroid values (planted-embeddings.ts) assume both at 100.
   */
  readonly label_signal_pct: number;
  readonly heldout_signal_pct: number;
}

export const DEFAULT_DEMO_PARAMS: DemoParams = Object.freeze({
  seed: 20260101,
  n_theorems: 400,
  n_search_theorems: 160,
  dim: 64,
  n_minif2f: 244,
  label_signal_pct: 100,
  heldout_signal_pct: 100,
});

/** Inclusive integer bounds per key; the lower bounds keep every planted quantity defined. */
const BOUNDS: Readonly<Record<keyof DemoParams, readonly [number, number]>> = {
  seed: [0, 0xffffffff],
  n_theorems: [10, 200_000],
  n_search_theorems: [4, 100_000],
  dim: [16, 1024],
  n_minif2f: [4, 100_000],
  label_signal_pct: [0, 400],
  heldout_signal_pct: [0, 100],
};

const KEYS = Object.keys(BOUNDS) as (keyof DemoParams)[];

/**
 * Validates raw options (from a notebook parameters cell or CLI) and fills defaults.
 * Unknown keys and out-of-range values are errors naming the key and the value.
 */
export function normalizeDemoParams(raw: unknown = {}): DemoParams {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new Error(`demo params: expected an object, got ${JSON.stringify(raw)}`);
  }
  const given = raw as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new Error(`demo params: unknown key '${key}' (allowed: ${KEYS.join(", ")})`);
    }
  }
  const out: Record<string, number> = {};
  for (const key of KEYS) {
    const value = given[key] === undefined ? DEFAULT_DEMO_PARAMS[key] : given[key];
    const [lo, hi] = BOUNDS[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < lo || value > hi) {
      throw new Error(`demo params: '${key}' must be an integer in [${lo}, ${hi}], got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  const params = out as unknown as DemoParams;
  if (params.n_search_theorems > params.n_theorems) {
    throw new Error(
      `demo params: 'n_search_theorems' (${params.n_search_theorems}) exceeds 'n_theorems' (${params.n_theorems})`,
    );
  }
  return Object.freeze(params);
}
