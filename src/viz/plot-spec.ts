/**
 * PlotSpec: a small, plotly-compatible description of a 2-D chart. Spec builders produce it from
 * data (pure); `renderSvg` draws it as a static SVG for reports; `toPlotlyFigure` hands the same
 * spec to plotly.js for interactive notebook display.
 */

/** Axis scale. */
export type AxisType =
  | "linear" // nice 1-2-5 ticks
  | "log"; //   decade ticks; non-positive values are dropped and the drop is noted in the figure

export interface AxisSpec {
  readonly title: string;
  readonly type: AxisType;
}

/** Per-point numeric colour (e.g. depth), drawn with a viridis-like scale and a colour bar. */
export interface NumericColor {
  readonly values: readonly number[];
  readonly title: string;
}

/** Markers at (x[i], y[i]). */
export interface ScatterTrace {
  readonly kind: "scatter";
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Fixed CSS colour; default: the categorical palette by trace index. */
  readonly color?: string;
  /** Numeric colour per point; overrides `color`. */
  readonly color_values?: NumericColor;
  readonly marker_size_px?: number;
}

/** A polyline through (x[i], y[i]) in the given order. */
export interface LineTrace {
  readonly kind: "line";
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly color?: string;
}

/** Precomputed bins (histograms): bar i spans [x_start[i], x_end[i]] with height y[i]. */
export interface BarTrace {
  readonly kind: "bar";
  readonly name: string;
  readonly x_start: readonly number[];
  readonly x_end: readonly number[];
  readonly y: readonly number[];
  readonly color?: string;
}

export type Trace = ScatterTrace | LineTrace | BarTrace;

/** A labelled reference line across the whole plot area (e.g. a collision threshold). */
export interface ReferenceLine {
  readonly orientation: "vertical" | "horizontal";
  /** Data coordinate on the x axis (vertical) or y axis (horizontal). */
  readonly at: number;
  readonly label: string;
}

export interface PlotSpec {
  readonly title: string;
  readonly x_axis: AxisSpec;
  readonly y_axis: AxisSpec;
  readonly traces: readonly Trace[];
  readonly shapes?: readonly ReferenceLine[];
  /** Lines printed under the plot (e.g. "3 non-finite values omitted"). */
  readonly notes?: readonly string[];
  readonly width_px: number;
  readonly height_px: number;
  /** Marked across the plot (e.g. "DEMO — synthetic data"), so a copied figure keeps the mark. */
  readonly watermark?: string;
}

/** Plotly's default qualitative palette (D3 category10), so SVG and notebook colours agree. */
export const CATEGORY_COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
] as const;

/** Colour of trace i: its own colour, else the palette cycled by index. */
export function traceColor(trace: Trace, index: number): string {
  return trace.color ?? CATEGORY_COLORS[index % CATEGORY_COLORS.length] ?? "#1f77b4";
}

export const DEFAULT_WIDTH_PX = 640;
export const DEFAULT_HEIGHT_PX = 400;
