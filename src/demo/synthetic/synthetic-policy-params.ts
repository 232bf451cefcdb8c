/**
 * One synthetic policy (one served model) and the synthetic encoder behind it, normalised once.
 * An iteration's policy is a parameter set: iter_0 and a better iter_1 differ in p_correct (and
 * in how sharply their log-probs and embeddings single out the proof).
 */
export interface SyntheticPolicyParams {
  /** Served model name (the request's `model`). */
  readonly model: string;
  /** Probability that a request for an on-path state includes the proof's next tactic among its samples. */
  readonly p_correct: number;
  /**
   * Added to the proof tactic's quality, in units of the decoys' quality spread (decoys ~ N(0, 1)):
   * how often it is sampled more than once and ranks first by mean token log-prob when present.
   */
  readonly correct_logit: number;
  /** Distinct decoy tactics a state offers (drawn with the family's generators). */
  readonly n_decoys: number;
  /** Length of the planted shift of on-path states' embeddings (0: embeddings carry no proof signal). */
  readonly embed_shift: number;
}

export const DEFAULT_POLICY_PARAMS = Object.freeze({ correct_logit: 1.5, n_decoys: 8, embed_shift: 1 });

const KEYS = ["model", "p_correct", "correct_logit", "n_decoys", "embed_shift"];

export function normalizePolicyParams(raw: unknown, where = "synthetic policy"): SyntheticPolicyParams {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${where}: expected an object, got ${JSON.stringify(raw)?.slice(0, 100)}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new Error(`${where}: unknown key '${k}' (allowed: ${KEYS.join(", ")})`);
  const model = o["model"];
  if (typeof model !== "string" || model === "") throw new Error(`${where}: 'model' must be a non-empty string, got ${JSON.stringify(model)}`);
  const num = (k: string, dflt: number | undefined, ok: (x: number) => boolean, rule: string): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new Error(`${where} '${model}': '${k}' must be ${rule}, got ${JSON.stringify(v)}`);
    return v;
  };
  return Object.freeze({
    model,
    p_correct: num("p_correct", undefined, (x) => x >= 0 && x <= 1, "a number in [0, 1]"),
    correct_logit: num("correct_logit", DEFAULT_POLICY_PARAMS.correct_logit, () => true, "a finite number"),
    n_decoys: num("n_decoys", DEFAULT_POLICY_PARAMS.n_decoys, (x) => Number.isInteger(x) && x >= 1 && x <= 64, "an integer in [1, 64]"),
    embed_shift: num("embed_shift", DEFAULT_POLICY_PARAMS.embed_shift, (x) => x >= 0, "a number ≥ 0"),
  });
}
