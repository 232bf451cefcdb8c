/** PlotRef and the "## Plots" section: each SVG embedded by its path relative to the report. */
import { mdText } from "./markdown-table.js";

export interface PlotRef {
  readonly title: string;
  /** SVG path relative to the report file (the HTML page uses the same path). */
  readonly svg_relpath: string;
  readonly caption: string;
}

function altText(text: string): string {
  return mdText(text).replace(/[[\]]/g, (c) => `\\${c}`);
}

export function renderPlotsMarkdown(plots: readonly PlotRef[]): string {
  const lines = ["## Plots", ""];
  if (plots.length === 0) lines.push("not run — no plots were produced for this run");
  for (const p of plots) {
    lines.push(`### ${mdText(p.title)}`, "", `![${altText(p.caption)}](${encodeURI(p.svg_relpath)})`, "", `*${mdText(p.caption)}*`, "");
  }
  return lines.join("\n").trimEnd();
}
