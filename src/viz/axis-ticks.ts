/**
 * Axis ticks: "nice" 1-2-5 steps for linear axes, decades for log axes. Labels are formatted
 * with fixed rules so the same data always gives the same text.
 */

export interface Tick {
  readonly value: number;
  readonly label: string;
}

/** Ticks and the axis domain they span (the domain is widened to whole steps / decades). */
export interface AxisTicks {
  readonly domain: readonly [number, number];
  readonly ticks: readonly Tick[];
}

/** Rounds float noise away (0.30000000000000004 → 0.3) at the step's precision. */
function decimalsFor(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Label of a linear tick: fixed decimals from the step; exponent form outside [1e-4, 1e6). */
export function formatTick(value: number, step: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e6 || step < 1e-4) return value.toExponential(2).replace("e+", "e");
  const text = value.toFixed(decimalsFor(step));
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** 1-2-5 ticks covering [min, max] with about `target` intervals. */
export function niceTicks(min: number, max: number, target = 5): AxisTicks {
  let lo = Number.isFinite(min) ? min : 0;
  let hi = Number.isFinite(max) ? max : 1;
  if (!Number.isFinite(min) || !Number.isFinite(max)) [lo, hi] = [0, 1];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw_step = (hi - lo) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw_step));
  const norm = raw_step / magnitude;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const k_lo = Math.floor(lo / step + 1e-9);
  const k_hi = Math.ceil(hi / step - 1e-9);
  const decimals = decimalsFor(step);
  const ticks: Tick[] = [];
  for (let k = k_lo; k <= k_hi; k++) {
    const value = Number((k * step).toFixed(Math.min(20, decimals + 2)));
    ticks.push({ value, label: formatTick(value, step) });
  }
  const first = ticks[0]?.value ?? lo;
  const last = ticks[ticks.length - 1]?.value ?? hi;
  return { domain: [first, last], ticks };
}

/** Label of 10^k: plain for 1e-3 … 1e4, exponent form beyond. */
export function formatDecade(k: number): string {
  if (k >= 0 && k <= 4) return "1" + "0".repeat(k);
  if (k < 0 && k >= -3) return "0." + "0".repeat(-k - 1) + "1";
  return `1e${k}`;
}

/**
 * Decade ticks covering [min, max] (both > 0). With many decades, every n-th decade is labelled
 * so at most ~8 labels show. The domain is returned in data units (10^lo, 10^hi).
 */
export function logTicks(min: number, max: number): AxisTicks {
  const ok = Number.isFinite(min) && Number.isFinite(max) && min > 0 && max > 0;
  const a = ok ? Math.min(min, max) : 1;
  const b = ok ? Math.max(min, max) : 10;
  const lo = Math.floor(Math.log10(a) + 1e-9);
  let hi = Math.ceil(Math.log10(b) - 1e-9);
  if (hi <= lo) hi = lo + 1;
  const every = Math.max(1, Math.ceil((hi - lo) / 8));
  hi = lo + Math.ceil((hi - lo) / every) * every;
  const ticks: Tick[] = [];
  for (let k = lo; k <= hi; k += every) ticks.push({ value: 10 ** k, label: formatDecade(k) });
  return { domain: [10 ** lo, 10 ** hi], ticks };
}
