/** writePlot: the one effectful function of viz — renders a spec and writes `<path>.svg`. */
import { writeFileAtomic } from "../artifacts/atomic-write.js";
import type { PlotSpec } from "./plot-spec.js";
import { renderSvg } from "./render-svg.js";

/**
 * Renders `spec` to `<path_without_ext>.svg` atomically (temp file `.<name>.partial-<pid>-<n>` in
 * the same folder, then rename; folders created as needed).
 */
export function writePlot(spec: PlotSpec, path_without_ext: string): { readonly svg_path: string } {
  const svg_path = `${path_without_ext}.svg`;
  writeFileAtomic(svg_path, renderSvg(spec));
  return { svg_path };
}
