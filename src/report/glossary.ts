/** The glossary printed at the end of each report: the exact metric definitions (src/metrics/metric-glossary.ts). */
import { METRIC_GLOSSARY } from "../metrics/metric-glossary.js";

export const GLOSSARY: Readonly<Record<string, string>> = {
  "not run": "The stage that produces the number did not run or could not compute it; the reason follows. Never read as 0.",
  ...METRIC_GLOSSARY,
  "miniF2F rate": "Fraction of miniF2F v2s test theorems proved (Lean-checked, no sorry).",
};

export function renderGlossaryMarkdown(extra: Readonly<Record<string, string>> = {}): string {
  const entries = { ...GLOSSARY, ...extra };
  return ["## Glossary", "", ...Object.entries(entries).map(([term, text]) => `- **${term}**: ${text}`)].join("\n");
}
