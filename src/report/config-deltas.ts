/** configDeltas: A→B, B→C, A→C differences per column of the 3-config table (Task 4.3). */
import { cellNumber, notRun, valueCell, type Cell } from "./cell.js";
import { COMPARISON_COLUMNS, type ComparisonColumn, type ComparisonReportModel, type ConfigId } from "./comparison-report-model.js";

export interface ConfigDelta {
  readonly from: ConfigId;
  readonly to: ConfigId;
  /** What the difference measures, in the plan's words. */
  readonly meaning: string;
  readonly values: Readonly<Record<ComparisonColumn, Cell>>;
}

export const DELTA_PAIRS: readonly { readonly from: ConfigId; readonly to: ConfigId; readonly meaning: string }[] = [
  { from: "A", to: "B", meaning: "effect of joint LoRA training on embedding quality" },
  { from: "B", to: "C", meaning: "effect of live EBM gradients on EBM head quality" },
  { from: "A", to: "C", meaning: "total system improvement" },
];

/** `to − from`; not_run (naming the side and its reason) when either side has no number. */
export function deltaCell(from: Cell, to: Cell, from_id: ConfigId, to_id: ConfigId, column: ComparisonColumn): Cell {
  const a = cellNumber(from);
  const b = cellNumber(to);
  if ("reason" in a || "reason" in b) {
    const missing = ["reason" in a ? `Config ${from_id}: ${a.reason}` : "", "reason" in b ? `Config ${to_id}: ${b.reason}` : ""].filter((s) => s !== "");
    return notRun(missing.join("; "));
  }
  const format = COMPARISON_COLUMNS.find((c) => c.key === column)?.format;
  return valueCell(b.value - a.value, `${from_id}→${to_id}`, format);
}

export function configDeltas(model: ComparisonReportModel): ConfigDelta[] {
  return DELTA_PAIRS.map(({ from, to, meaning }) => {
    const values = {} as Record<ComparisonColumn, Cell>;
    for (const { key } of COMPARISON_COLUMNS) values[key] = deltaCell(model.configs[from][key], model.configs[to][key], from, to, key);
    return { from, to, meaning, values };
  });
}
