/** scatter2dPlot: a 2-D projection (UMAP / t-SNE) as markers, by group or by numeric colour. */
import { DEFAULT_HEIGHT_PX, DEFAULT_WIDTH_PX, type PlotSpec, type ScatterTrace } from "./plot-spec.js";

export interface Scatter2dPlotOptions {
  readonly title: string;
  /** Group of each point (e.g. "positive" / "negative"): one trace per group, sorted by name. */
  readonly labels?: readonly string[];
  /** Numeric colour of each point (e.g. depth), shown with a colour bar. */
  readonly color?: ArrayLike<number>;
  readonly color_title?: string;
  readonly x_title?: string;
  readonly y_title?: string;
  readonly marker_size_px?: number;
  readonly width_px?: number;
  readonly height_px?: number;
}

/** `points` is row-major (n × 2): x of point i at 2i, y at 2i + 1. */
export function scatter2dPlot(points: ArrayLike<number>, options: Scatter2dPlotOptions): PlotSpec {
  if (points.length % 2 !== 0) throw new Error(`scatter2dPlot: points must be n×2 row-major, got length ${points.length}`);
  const n = points.length / 2;
  const { labels, color } = options;
  if (labels !== undefined && labels.length !== n) throw new Error(`scatter2dPlot: ${labels.length} labels for ${n} points`);
  if (color !== undefined && color.length !== n) throw new Error(`scatter2dPlot: ${color.length} colour values for ${n} points`);
  if (labels !== undefined && color !== undefined) throw new Error("scatter2dPlot: give labels (groups) or color (numeric), not both");
  const x = Array.from({ length: n }, (_, i) => points[2 * i] ?? NaN);
  const y = Array.from({ length: n }, (_, i) => points[2 * i + 1] ?? NaN);
  const size = options.marker_size_px;
  let traces: ScatterTrace[];
  if (labels !== undefined) {
    const groups = [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    traces = groups.map((g) => {
      const idx = labels.flatMap((l, i) => (l === g ? [i] : []));
      return { kind: "scatter", name: g, x: idx.map((i) => x[i] ?? NaN), y: idx.map((i) => y[i] ?? NaN), ...(size ? { marker_size_px: size } : {}) };
    });
  } else {
    const color_values = color !== undefined ? { values: Array.from(color), title: options.color_title ?? "value" } : undefined;
    traces = [{ kind: "scatter", name: "points", x, y, ...(color_values ? { color_values } : {}), ...(size ? { marker_size_px: size } : {}) }];
  }
  return {
    title: options.title,
    x_axis: { title: options.x_title ?? "dim 1", type: "linear" },
    y_axis: { title: options.y_title ?? "dim 2", type: "linear" },
    traces,
    width_px: options.width_px ?? DEFAULT_WIDTH_PX,
    height_px: options.height_px ?? DEFAULT_HEIGHT_PX,
  };
}
