/**
 * dualLabelStates: distinct state texts that carry both labels (plan Task 2.2 §7). Texts are
 * compared exactly; empty texts (terminal nodes) and "unknown" labels are left out, so a text
 * seen as positive and unknown is not dual. Counted over the rows `include` admits (the metrics
 * stage: usable rows, the plan's embeddings_df, like every other embedding metric).
 */
import type { MetricsTable } from "./metrics-table.js";

export interface DualLabelCount {
  readonly dual_label_states: number;
  /** Distinct non-empty texts with a positive or negative label. */
  readonly distinct_state_texts: number;
}

export function dualLabelStates(table: MetricsTable, include: (row: number) => boolean = () => true): DualLabelCount {
  const seen = new Map<string, number>(); // bit 1: positive, bit 2: negative
  for (let r = 0; r < table.n_rows; r++) {
    const text = table.state_pp[r]!;
    const label = table.label[r];
    if (text === "" || label === "unknown" || !include(r)) continue;
    seen.set(text, (seen.get(text) ?? 0) | (label === "positive" ? 1 : 2));
  }
  let dual = 0;
  for (const bits of seen.values()) if (bits === 3) dual++;
  return { dual_label_states: dual, distinct_state_texts: seen.size };
}
