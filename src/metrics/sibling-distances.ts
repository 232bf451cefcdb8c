/**
 * siblingDistances: L2 distance of every pair of siblings (the plan's `pdist` per parent group),
 * computed directly as √Σ(aₖ − bₖ)² in float64 — not through ‖a‖² + ‖b‖² − 2a·b, whose
 * cancellation would blur exactly the near-collisions (L2 < 1.0) this metric counts.
 */

/** Distances of all pairs i < j inside each group (rows given by `row(r)`), group by group. */
export function siblingDistances(groups: readonly (readonly number[])[], row: (r: number) => Float32Array): Float64Array {
  let pairs = 0;
  for (const g of groups) pairs += (g.length * (g.length - 1)) / 2;
  const out = new Float64Array(pairs);
  let p = 0;
  for (const g of groups) {
    const rows = g.map(row);
    for (let i = 0; i < rows.length; i++) {
      const a = rows[i]!;
      for (let j = i + 1; j < rows.length; j++) out[p++] = l2(a, rows[j]!);
    }
  }
  return out;
}

function l2(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const t0 = a[k]! - b[k]!;
    const t1 = a[k + 1]! - b[k + 1]!;
    const t2 = a[k + 2]! - b[k + 2]!;
    const t3 = a[k + 3]! - b[k + 3]!;
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; k < n; k++) {
    const t = a[k]! - b[k]!;
    s0 += t * t;
  }
  return Math.sqrt(s0 + s1 + s2 + s3);
}

/** numpy's median: the middle value, or the mean of the two middle values. */
export function median(values: Float64Array): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
