/** histogramPlot: equal-width bins of a sample, with an optional marked threshold (Task 2.3). */
import { DEFAULT_HEIGHT_PX, DEFAULT_WIDTH_PX, type PlotSpec } from "./plot-spec.js";

export interface HistogramBins {
  readonly x_start: readonly number[];
  readonly x_end: readonly number[];
  readonly count: readonly number[];
  /** NaN / ±Infinity values, not binned. */
  readonly n_non_finite: number;
}

/**
 * `n_bins` equal-width bins over [min, max] of the finite values; the last bin includes max.
 * A constant sample gets one bin of width 1 centred on the value; an empty sample gets none.
 */
export function histogramBins(values: ArrayLike<number>, n_bins: number): HistogramBins {
  if (!Number.isInteger(n_bins) || n_bins < 1) throw new Error(`histogramBins: bins must be a positive integer, got ${n_bins}`);
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== undefined && Number.isFinite(v)) finite.push(v);
  }
  const n_non_finite = values.length - finite.length;
  if (finite.length === 0) return { x_start: [], x_end: [], count: [], n_non_finite };
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return { x_start: [min - 0.5], x_end: [min + 0.5], count: [finite.length], n_non_finite };
  const width = (max - min) / n_bins;
  const count = new Array<number>(n_bins).fill(0);
  for (const v of finite) {
    const b = Math.min(n_bins - 1, Math.floor((v - min) / width));
    count[b] = (count[b] ?? 0) + 1;
  }
  const x_start = count.map((_, i) => min + i * width);
  const x_end = count.map((_, i) => (i === n_bins - 1 ? max : min + (i + 1) * width));
  return { x_start, x_end, count, n_non_finite };
}

export interface HistogramPlotOptions {
  readonly bins: number;
  readonly title?: string;
  readonly x_title?: string;
  readonly y_title?: string;
  /** A vertical reference line, e.g. `{ x: 1.0, label: "collision threshold 1.0" }`. */
  readonly threshold?: { readonly x: number; readonly label: string };
  readonly width_px?: number;
  readonly height_px?: number;
}

export function histogramPlot(values: ArrayLike<number>, options: HistogramPlotOptions): PlotSpec {
  const bins = histogramBins(values, options.bins);
  const notes = bins.n_non_finite > 0 ? [`${bins.n_non_finite} non-finite value(s) not binned`] : [];
  return {
    title: options.title ?? "Histogram",
    x_axis: { title: options.x_title ?? "value", type: "linear" },
    y_axis: { title: options.y_title ?? "count", type: "linear" },
    traces: [{ kind: "bar", name: "count", x_start: bins.x_start, x_end: bins.x_end, y: bins.count }],
    shapes: options.threshold ? [{ orientation: "vertical", at: options.threshold.x, label: options.threshold.label }] : [],
    notes,
    width_px: options.width_px ?? DEFAULT_WIDTH_PX,
    height_px: options.height_px ?? DEFAULT_HEIGHT_PX,
  };
}
