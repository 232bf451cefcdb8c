/** spectrumPlot: eigenvalue index vs eigenvalue on a log y axis (plan Task 2.3). */
import { DEFAULT_HEIGHT_PX, DEFAULT_WIDTH_PX, type PlotSpec } from "./plot-spec.js";

export interface SpectrumPlotOptions {
  readonly title?: string;
  readonly width_px?: number;
  readonly height_px?: number;
}

/**
 * Eigenvalues are plotted in the order given against their 1-based index (the metrics stage
 * stores them descending, as `eigvalsh(cov)[::-1]`). Non-positive eigenvalues (numerical noise
 * of a rank-deficient covariance) cannot sit on the log axis: the renderer drops and notes them.
 */
export function spectrumPlot(eigenvalues: ArrayLike<number>, options: SpectrumPlotOptions = {}): PlotSpec {
  const y = Array.from(eigenvalues);
  const x = y.map((_, i) => i + 1);
  return {
    title: options.title ?? "Eigenvalue spectrum",
    x_axis: { title: "eigenvalue index", type: "linear" },
    y_axis: { title: "eigenvalue (variance)", type: "log" },
    traces: [{ kind: "line", name: "eigenvalues", x, y }],
    width_px: options.width_px ?? DEFAULT_WIDTH_PX,
    height_px: options.height_px ?? DEFAULT_HEIGHT_PX,
  };
}
