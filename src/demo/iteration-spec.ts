/**
 * What differs between the two demo iterations: iter_0 (SFT-only LoRA, LLM-only search) and
 * iter_1 (joint SFT+EBM LoRA, EBM-guided search). The numbers are chosen so the planted metrics
 * land where the plan expects a healthy run: centroid_l2 ≈ 5–7 at iter_0, ≈ 6–9 at iter_1
 * ("joint training protected the separation"), fewer sibling collisions at iter_1.
 */

export const DEMO_ITERATIONS = ["iter_0", "iter_1"] as const;
export type DemoIterationId = (typeof DEMO_ITERATIONS)[number];

export interface IterationSpec {
  readonly run_id: string;
  /** Share of searched theorems proved (exactly round(share · n) of them). */
  readonly proved_fraction: number;
  /** Whether the search scored nodes with an EBM (ebm_score non-null). */
  readonly search_uses_ebm: boolean;
  /** Noise covariance eigenvalues λ_i = noise_top_eigenvalue · noise_decay^i. */
  readonly noise_top_eigenvalue: number;
  readonly noise_decay: number;
  /** Positive − negative mean shift along u at depth d: s(d) = shift_at_root · shift_decay^d. */
  readonly shift_at_root: number;
  readonly shift_decay: number;
  /** Share of eligible sibling groups (≥ 2 non-terminal members, all negative) made near-duplicates. */
  readonly collision_group_fraction: number;
  /** Dual-label states planted per proved theorem (rounded once for the whole iteration). */
  readonly dual_per_proved: number;
}

export const DEMO_ITERATION_SPECS: Readonly<Record<DemoIterationId, IterationSpec>> = {
  iter_0: {
    run_id: "demo-iter0-search",
    proved_fraction: 0.38,
    search_uses_ebm: false,
    noise_top_eigenvalue: 10,
    noise_decay: 0.85,
    shift_at_root: 8.5,
    shift_decay: 0.9,
    collision_group_fraction: 0.16,
    dual_per_proved: 0.5,
  },
  iter_1: {
    run_id: "demo-iter1-search",
    proved_fraction: 0.42,
    search_uses_ebm: true,
    noise_top_eigenvalue: 10,
    noise_decay: 0.87,
    shift_at_root: 10,
    shift_decay: 0.92,
    collision_group_fraction: 0.09,
    dual_per_proved: 0.35,
  },
};

/** Largest depth of any search node (nodes there are not expanded). */
export const MAX_SEARCH_DEPTH = 8;
