/** metricCells: report cells for a list of metric keys, read from one metrics JSON artifact. */
import type { MetricsFile } from "../artifacts/schemas.js";
import { notRun, valueCell, type Cell, type CellFormat, type NotRunCell } from "./cell.js";

/** A metrics artifact as read, with the path it was read from. */
export interface LoadedMetrics {
  readonly path: string;
  readonly file: MetricsFile;
}

/**
 * One cell per key: the value when present; the artifact's own `not_computed` reason when not;
 * else "missing from <path>". When the whole artifact is `not_run`, every key carries its reason.
 */
export function metricCells<K extends string>(
  keys: readonly K[],
  metrics: LoadedMetrics | NotRunCell,
  formats: Partial<Record<K, CellFormat>> = {},
): Record<K, Cell> {
  const out = {} as Record<K, Cell>;
  for (const key of keys) {
    if ("kind" in metrics) {
      out[key] = metrics;
      continue;
    }
    const value = metrics.file.values[key];
    const reason = metrics.file.not_computed[key];
    if (value !== undefined) out[key] = valueCell(value, metrics.path, formats[key]);
    else out[key] = notRun(reason ?? `${key} missing from ${metrics.path}`);
  }
  return out;
}
