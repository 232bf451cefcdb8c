/**
 * Linear probe (plan Task 2.2): `cross_val_score(LogisticRegression(max_iter=1000), X, y, cv=5)`.
 *
 * The objective is scikit-learn 1.2's for lbfgs, on the full features (no reduction):
 *   f(w, b) = Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ] + ‖w‖² / (2C),   zᵢ = xᵢ·w + b,   b not penalised,
 * minimised by L-BFGS (memory 10) with scipy's stopping rules (gtol 1e-4 on the max gradient,
 * ftol 2.2e-9 on the relative decrease, max_iter). Two exact re-parametrisations make it cheaper
 * without changing the optimum: the intercept is taken about the feature mean μ
 * (zᵢ = (xᵢ − μ)·w + β), and w = P v with a spectral preconditioner P built from the top covariance
 * eigenpairs (P ≈ H^{-1/2} of the Hessian at w = 0), so the iteration count does not blow up with
 * the covariance's condition number. Each function evaluation is two onnxruntime passes over the
 * training rows (X w and Xᵀ r) in float32 with float64 reductions.
 */
import { SKLEARN_LOGISTIC_DEFAULTS } from "../config/recipes.js";
import { minimizeLbfgs, type LbfgsEvaluation } from "../numeric/lbfgs.js";
import { matmul, matmulTransA } from "../numeric/matmul-engine.js";
import { rowSegments, type RowMatrix, type RowSegment } from "../numeric/row-matrix.js";

export interface LogisticOptions {
  readonly C: number;
  readonly max_iter: number;
  readonly gtol: number;
  readonly ftol: number;
  readonly memory: number;
}

/** scikit-learn's defaults (LogisticRegression(max_iter=1000)) and scipy's L-BFGS-B ftol. */
export { SKLEARN_LOGISTIC_DEFAULTS };

/** Eigenpairs of the feature covariance, to precondition with. */
export interface SpectralInfo {
  /** k leading eigenvalues (descending). */
  readonly values: Float64Array;
  /** Row-major (k × dim) unit eigenvectors. */
  readonly vectors: Float64Array;
  /** Trace of the covariance (for the mean eigenvalue of the rest). */
  readonly trace: number;
}

export interface LogisticFit {
  readonly w: Float64Array;
  readonly intercept: number;
  readonly loss: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** Why it stopped: "gtol" | "ftol" | "max_iter" | "no_decrease" (line search at round-off). */
  readonly stop: "gtol" | "ftol" | "max_iter" | "no_decrease";
}

/**
 * f, the gradient w.r.t. the optimisation variable v (length dim + 1, intercept last) and
 * gmax = max |∂f/∂(w, b)| in the original coordinates (scipy's projected gradient without bounds).
 */
type Evaluation = LbfgsEvaluation;

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** w = P v for the spectral preconditioner: P = a_t I + U diag(a_j − a_t) Uᵀ (symmetric). */
class Preconditioner {
  private readonly a: Float64Array;
  constructor(private readonly dim: number, private readonly u: Float64Array | null, a: Float64Array, private readonly tail: number) {
    this.a = a;
  }
  static build(dim: number, n_train: number, C: number, spectral: SpectralInfo | undefined): Preconditioner {
    // Hessian of f at w = 0 is 0.25·Σ(x−μ)(x−μ)ᵀ + I/C = 0.25·n·Cov + I/C; P = its inverse square root on the top eigenspace
    if (!spectral || spectral.values.length === 0) return new Preconditioner(dim, null, new Float64Array(0), 1); // identity
    const k = spectral.values.length;
    const rest = dim > k ? Math.max(0, spectral.trace - spectral.values.reduce((s, v) => s + v, 0)) / (dim - k) : 0;
    const h = (lambda: number) => 1 / Math.sqrt(0.25 * n_train * Math.max(lambda, 0) + 1 / C);
    return new Preconditioner(dim, spectral.vectors, Float64Array.from(spectral.values, h), h(rest));
  }
  apply(v: Float64Array): Float64Array {
    const d = this.dim;
    const out = new Float64Array(d);
    for (let c = 0; c < d; c++) out[c] = this.tail * v[c]!;
    if (!this.u) return out;
    for (let j = 0; j < this.a.length; j++) {
      const off = j * d;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += this.u[off + c]! * v[c]!;
      const coef = (this.a[j]! - this.tail) * dot;
      for (let c = 0; c < d; c++) out[c] = out[c]! + coef * this.u[off + c]!;
    }
    return out;
  }
}

/** Fits on the rows of `ranges` (half-open, into x and y). */
export async function fitLogistic(
  x: RowMatrix,
  y: Uint8Array,
  ranges: readonly (readonly [number, number])[],
  options: LogisticOptions = SKLEARN_LOGISTIC_DEFAULTS,
  spectral?: SpectralInfo,
): Promise<LogisticFit> {
  const d = x.dim;
  const segs: RowSegment[] = ranges.flatMap(([s, e]) => rowSegments(x, s, e));
  const n = segs.reduce((s, g) => s + g.count, 0);
  if (n === 0) throw new Error("fitLogistic: no training rows");
  // feature mean of the training rows (exact re-parametrisation of the intercept)
  const mu = new Float64Array(d);
  for (const g of segs) for (let i = 0; i < g.count; i++) for (let c = 0; c < d; c++) mu[c] += g.data[i * d + c]!;
  for (let c = 0; c < d; c++) mu[c] = mu[c]! / n;
  const pre = Preconditioner.build(d, n, options.C, spectral);
  const bScale = 1 / Math.sqrt(0.25 * n);
  let evaluations = 0;

  const toWeights = (v: Float64Array): { w: Float64Array; beta: number } => ({ w: pre.apply(v.subarray(0, d)), beta: bScale * v[d]! });

  const evaluate = async (v: Float64Array): Promise<Evaluation> => {
    evaluations++;
    const { w, beta } = toWeights(v);
    let muw = 0;
    for (let c = 0; c < d; c++) muw += mu[c]! * w[c]!;
    const w32 = Float32Array.from(w);
    const gx = new Float64Array(d); // Σ rᵢ xᵢ (raw features)
    let loss = 0;
    let rsum = 0;
    for (const g of segs) {
      const z = await matmul(g.data, g.count, d, w32, 1);
      const r = new Float32Array(g.count);
      for (let i = 0; i < g.count; i++) {
        const zi = z[i]! - muw + beta;
        const yi = y[g.start + i]!;
        loss += softplus(zi) - yi * zi;
        const ri = sigmoid(zi) - yi;
        r[i] = ri;
        rsum += ri;
      }
      const part = await matmulTransA(g.data, g.count, d, r, 1);
      for (let c = 0; c < d; c++) gx[c] += part[c]!;
    }
    let wsq = 0;
    let gmax = Math.abs(rsum);
    const gw = new Float64Array(d); // ∂f/∂w at fixed β (centred features)
    for (let c = 0; c < d; c++) {
      wsq += w[c]! * w[c]!;
      gmax = Math.max(gmax, Math.abs(gx[c]! + w[c]! / options.C)); // ∂f/∂w at fixed b (original coordinates)
      gw[c] = gx[c]! - mu[c]! * rsum + w[c]! / options.C;
    }
    const gv = new Float64Array(d + 1);
    gv.set(pre.apply(gw));
    gv[d] = bScale * rsum;
    return { f: loss + wsq / (2 * options.C), g: gv, gmax };
  };

  const opt = await minimizeLbfgs((v) => evaluate(v), new Float64Array(d + 1), options);
  const v = opt.x;
  const cur = opt.value;
  const iterations = opt.iterations;
  const stop = opt.stop;
  const { w, beta } = toWeights(v);
  let muw = 0;
  for (let c = 0; c < d; c++) muw += mu[c]! * w[c]!;
  return { w, intercept: beta - muw, loss: cur.f, iterations, evaluations, stop };
}

/** Decision values x·w + b of `fit` on rows [start, end) (positive predicted where > 0, sklearn's predict). */
export async function logisticScores(x: RowMatrix, start: number, end: number, fit: LogisticFit): Promise<Float64Array> {
  const w32 = Float32Array.from(fit.w);
  const out = new Float64Array(end - start);
  for (const g of rowSegments(x, start, end)) {
    const z = await matmul(g.data, g.count, x.dim, w32, 1);
    for (let i = 0; i < g.count; i++) out[g.start - start + i] = z[i]! + fit.intercept;
  }
  return out;
}

/** Accuracy of `fit` on rows [start, end). */
export async function logisticAccuracy(x: RowMatrix, y: Uint8Array, start: number, end: number, fit: LogisticFit): Promise<number> {
  const z = await logisticScores(x, start, end, fit);
  let correct = 0;
  for (let i = 0; i < z.length; i++) if ((z[i]! > 0 ? 1 : 0) === y[start + i]) correct++;
  return correct / (end - start);
}

export interface ProbeResult {
  /** Mean of the fold accuracies (cross_val_score(...).mean()). */
  readonly accuracy: number;
  /** Out-of-fold decision value of every row [0, bounds[K]) (each from the fit that did not see it). */
  readonly scores: Float64Array;
  readonly fold_accuracy: readonly number[];
  readonly fold_iterations: readonly number[];
  readonly fold_stop: readonly string[];
}

/**
 * K-fold probe over rows [0, bounds[K]) of x, stored fold by fold: test fold f is rows
 * [bounds[f], bounds[f+1]) (see stratifiedFolds for the assignment).
 */
export async function crossValidatedProbe(
  x: RowMatrix,
  y: Uint8Array,
  bounds: readonly number[],
  options: LogisticOptions = SKLEARN_LOGISTIC_DEFAULTS,
  spectral?: SpectralInfo,
): Promise<ProbeResult> {
  const k = bounds.length - 1;
  const end = bounds[k]!;
  const fold_accuracy: number[] = [];
  const fold_iterations: number[] = [];
  const fold_stop: string[] = [];
  const scores = new Float64Array(end);
  for (let f = 0; f < k; f++) {
    const lo = bounds[f]!;
    const hi = bounds[f + 1]!;
    const ranges: [number, number][] = [];
    if (lo > 0) ranges.push([0, lo]);
    if (hi < end) ranges.push([hi, end]);
    const fit = await fitLogistic(x, y, ranges, options, spectral);
    const z = await logisticScores(x, lo, hi, fit);
    scores.set(z, lo);
    let correct = 0;
    for (let i = 0; i < z.length; i++) if ((z[i]! > 0 ? 1 : 0) === y[lo + i]) correct++;
    fold_accuracy.push(correct / (hi - lo));
    fold_iterations.push(fit.iterations);
    fold_stop.push(fit.stop);
  }
  return { accuracy: fold_accuracy.reduce((s, a) => s + a, 0) / k, scores, fold_accuracy, fold_iterations, fold_stop };
}
