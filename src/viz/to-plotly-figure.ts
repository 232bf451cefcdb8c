/**
 * toPlotlyFigure: the same PlotSpec as a plotly.js figure ({data, layout}) for interactive
 * display in a notebook (`Plotly.newPlot(el, fig.data, fig.layout)`).
 */
import { traceColor, type AxisSpec, type PlotSpec, type Trace } from "./plot-spec.js";

export interface PlotlyTrace {
  readonly type: "scatter" | "bar";
  readonly mode?: "markers" | "lines";
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly width?: readonly number[];
  readonly marker?: {
    readonly color: string | readonly number[];
    readonly size?: number;
    readonly colorscale?: "Viridis";
    readonly showscale?: boolean;
    readonly colorbar?: { readonly title: { readonly text: string } };
  };
  readonly line?: { readonly color: string; readonly width: number };
}

export interface PlotlyAxis {
  readonly title: { readonly text: string };
  readonly type: "linear" | "log";
}

export interface PlotlyShape {
  readonly type: "line";
  readonly xref: "x" | "paper";
  readonly yref: "y" | "paper";
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly line: { readonly color: string; readonly dash: "dash"; readonly width: number };
}

export interface PlotlyAnnotation {
  readonly xref: "x" | "paper";
  readonly yref: "y" | "paper";
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly showarrow: false;
  readonly xanchor: "left" | "right";
  readonly yanchor: "top" | "bottom";
  readonly font: { readonly color: string };
}

export interface PlotlyLayout {
  readonly title: { readonly text: string };
  readonly width: number;
  readonly height: number;
  readonly xaxis: PlotlyAxis;
  readonly yaxis: PlotlyAxis;
  readonly showlegend: boolean;
  readonly bargap: number;
  readonly shapes: readonly PlotlyShape[];
  readonly annotations: readonly PlotlyAnnotation[];
}

export interface PlotlyFigure {
  readonly data: readonly PlotlyTrace[];
  readonly layout: PlotlyLayout;
}

function plotlyTrace(trace: Trace, index: number): PlotlyTrace {
  const color = traceColor(trace, index);
  if (trace.kind === "bar") {
    const x = trace.x_start.map((x0, i) => (x0 + (trace.x_end[i] ?? x0)) / 2);
    const width = trace.x_start.map((x0, i) => (trace.x_end[i] ?? x0) - x0);
    return { type: "bar", name: trace.name, x, y: trace.y, width, marker: { color } };
  }
  if (trace.kind === "line") {
    return { type: "scatter", mode: "lines", name: trace.name, x: trace.x, y: trace.y, line: { color, width: 1.5 } };
  }
  const size = trace.marker_size_px ?? 5;
  const marker = trace.color_values
    ? { color: trace.color_values.values, size, colorscale: "Viridis" as const, showscale: true, colorbar: { title: { text: trace.color_values.title } } }
    : { color, size };
  return { type: "scatter", mode: "markers", name: trace.name, x: trace.x, y: trace.y, marker };
}

function axis(spec: AxisSpec): PlotlyAxis {
  return { title: { text: spec.title }, type: spec.type };
}

export function toPlotlyFigure(spec: PlotSpec): PlotlyFigure {
  const red = "#d62728";
  const shapes: PlotlyShape[] = [];
  const annotations: PlotlyAnnotation[] = [];
  for (const line of spec.shapes ?? []) {
    const line_style = { color: red, dash: "dash" as const, width: 1.5 };
    if (line.orientation === "vertical") {
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: line.at, x1: line.at, y0: 0, y1: 1, line: line_style });
      annotations.push({ xref: "x", yref: "paper", x: line.at, y: 1, text: line.label, showarrow: false, xanchor: "left", yanchor: "top", font: { color: red } });
    } else {
      shapes.push({ type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: line.at, y1: line.at, line: line_style });
      annotations.push({ xref: "paper", yref: "y", x: 1, y: line.at, text: line.label, showarrow: false, xanchor: "right", yanchor: "bottom", font: { color: red } });
    }
  }
  return {
    data: spec.traces.map(plotlyTrace),
    layout: {
      title: { text: spec.title },
      width: spec.width_px,
      height: spec.height_px,
      xaxis: axis(spec.x_axis),
      yaxis: axis(spec.y_axis),
      showlegend: spec.traces.length > 1,
      bargap: 0,
      shapes,
      annotations,
    },
  };
}
