/** linePlot: one line per named series (depth vs centroid_l2, training curves). */
import { DEFAULT_HEIGHT_PX, DEFAULT_WIDTH_PX, type AxisType, type PlotSpec, type ReferenceLine } from "./plot-spec.js";

export interface LineSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

export interface LinePlotOptions {
  readonly title: string;
  readonly x_title: string;
  readonly y_title: string;
  readonly x_type?: AxisType;
  readonly y_type?: AxisType;
  readonly reference_lines?: readonly ReferenceLine[];
  readonly width_px?: number;
  readonly height_px?: number;
}

export function linePlot(series: readonly LineSeries[], options: LinePlotOptions): PlotSpec {
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new Error(`linePlot: series "${s.name}" has ${s.x.length} x and ${s.y.length} y values`);
  }
  return {
    title: options.title,
    x_axis: { title: options.x_title, type: options.x_type ?? "linear" },
    y_axis: { title: options.y_title, type: options.y_type ?? "linear" },
    traces: series.map((s) => ({ kind: "line", name: s.name, x: Array.from(s.x), y: Array.from(s.y) })),
    shapes: options.reference_lines ?? [],
    width_px: options.width_px ?? DEFAULT_WIDTH_PX,
    height_px: options.height_px ?? DEFAULT_HEIGHT_PX,
  };
}
