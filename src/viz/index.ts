/** viz: plot specs (pure), a pure SVG renderer, a plotly adapter, and one file writer. */
export type { AxisSpec, AxisType, BarTrace, LineTrace, NumericColor, PlotSpec, ReferenceLine, ScatterTrace, Trace } from "./plot-spec.js";
export { CATEGORY_COLORS, DEFAULT_HEIGHT_PX, DEFAULT_WIDTH_PX, traceColor } from "./plot-spec.js";
export { formatDecade, formatTick, logTicks, niceTicks, type AxisTicks, type Tick } from "./axis-ticks.js";
export { viridis } from "./color-scale.js";
export { escapeXml } from "./escape-xml.js";
export { renderSvg } from "./render-svg.js";
export { toPlotlyFigure, type PlotlyAnnotation, type PlotlyAxis, type PlotlyFigure, type PlotlyLayout, type PlotlyShape, type PlotlyTrace } from "./to-plotly-figure.js";
export { spectrumPlot, type SpectrumPlotOptions } from "./spectrum-plot.js";
export { histogramBins, histogramPlot, type HistogramBins, type HistogramPlotOptions } from "./histogram-plot.js";
export { scatter2dPlot, type Scatter2dPlotOptions } from "./scatter2d-plot.js";
export { linePlot, type LinePlotOptions, type LineSeries } from "./line-plot.js";
export { writePlot } from "./write-plot.js";
