/**
 * L-BFGS minimisation (two-loop recursion, `memory` pairs) with a backtracking Armijo line search
 * and scipy's stopping rules: gtol on the max |gradient| the objective reports, ftol on the
 * relative decrease, max_iter. Pure: the objective is any async function of the parameters.
 */

export interface LbfgsEvaluation {
  readonly f: number;
  /** Gradient with respect to the parameters being optimised. */
  readonly g: Float64Array;
  /** The value the gtol rule compares (e.g. max |gradient| in the problem's own coordinates). */
  readonly gmax: number;
}

export interface LbfgsOptions {
  readonly max_iter: number;
  readonly gtol: number;
  readonly ftol: number;
  readonly memory: number;
}

export type LbfgsStop = "gtol" | "ftol" | "max_iter" | "no_decrease";

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: LbfgsEvaluation;
  readonly iterations: number;
  readonly stop: LbfgsStop;
}

export async function minimizeLbfgs(evaluate: (x: Float64Array) => Promise<LbfgsEvaluation>, x0: Float64Array, o: LbfgsOptions): Promise<LbfgsResult> {
  const v = Float64Array.from(x0);
  let cur = await evaluate(v);
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  let iterations = 0;
  let stop: LbfgsStop = "max_iter";
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };
  if (cur.gmax <= o.gtol) stop = "gtol";
  while (stop === "max_iter" && iterations < o.max_iter) {
    // two-loop recursion: direction = −H g
    const q = Float64Array.from(cur.g);
    const alpha: number[] = [];
    for (let i = sHist.length - 1; i >= 0; i--) {
      const a = rhoHist[i]! * dot(sHist[i]!, q);
      alpha[i] = a;
      const yi = yHist[i]!;
      for (let k = 0; k < q.length; k++) q[k] = q[k]! - a * yi[k]!;
    }
    const last = sHist.length - 1;
    const gamma = last >= 0 ? dot(sHist[last]!, yHist[last]!) / dot(yHist[last]!, yHist[last]!) : 1;
    for (let k = 0; k < q.length; k++) q[k] = q[k]! * gamma;
    for (let i = 0; i < sHist.length; i++) {
      const b = rhoHist[i]! * dot(yHist[i]!, q);
      const si = sHist[i]!;
      for (let k = 0; k < q.length; k++) q[k] = q[k]! + (alpha[i]! - b) * si[k]!;
    }
    const dir = q.map((t) => -t);
    let slope = dot(dir, cur.g);
    if (!(slope < 0)) {
      // not a descent direction (round-off): restart from steepest descent
      sHist.length = yHist.length = rhoHist.length = 0;
      for (let k = 0; k < dir.length; k++) dir[k] = -cur.g[k]!;
      slope = dot(dir, cur.g);
    }
    // backtracking line search with the Armijo condition (convex objective)
    let step = 1;
    let next: LbfgsEvaluation | null = null;
    let vNext = v;
    for (let tries = 0; tries < 40; tries++) {
      vNext = v.map((t, k) => t + step * dir[k]!);
      const e = await evaluate(vNext);
      if (Number.isFinite(e.f) && e.f <= cur.f + 1e-4 * step * slope) {
        next = e;
        break;
      }
      // quadratic interpolation of the step, kept within [0.1, 0.5] of the previous one
      const denom = 2 * (e.f - cur.f - step * slope);
      const guess = denom > 0 ? (-slope * step * step) / denom : step / 2;
      step = Math.min(Math.max(guess, 0.1 * step), 0.5 * step);
    }
    iterations++;
    if (!next) {
      stop = "no_decrease";
      break;
    }
    const s = vNext.map((t, k) => t - v[k]!);
    const yv = next.g.map((t, k) => t - cur.g[k]!);
    const sy = dot(s, yv);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      sHist.push(s);
      yHist.push(yv);
      rhoHist.push(1 / sy);
      if (sHist.length > o.memory) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
    }
    const decrease = (cur.f - next.f) / Math.max(Math.abs(cur.f), Math.abs(next.f), 1);
    v.set(vNext);
    cur = next;
    if (cur.gmax <= o.gtol) stop = "gtol";
    else if (decrease <= o.ftol) stop = "ftol";
  }
  return { x: v, value: cur, iterations, stop };
}
