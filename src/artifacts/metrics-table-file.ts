/**
 * Reading a trajectory-like table for the metrics commands: an Arrow IPC file (ARROW1 magic) or
 * JSON Lines, keeping only the columns the metrics read (src/metrics/metrics-table.ts).
 */
import { readFileSync } from "node:fs";
import { tableFromIPC } from "apache-arrow";
import { METRICS_TABLE_COLUMNS, MetricsTableError, metricsTableFromColumns, type MetricsTable } from "../metrics/metrics-table.js";

/** Reads an Arrow IPC file (ARROW1 magic) or JSON Lines; other columns are ignored. */
export function readMetricsTable(path: string): MetricsTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new MetricsTableError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.subarray(0, 6).toString("latin1") === "ARROW1") return metricsTableFromColumns(path, arrowColumns(path, bytes));
  return metricsTableFromColumns(path, jsonlColumns(path, bytes.toString("utf8")));
}

function arrowColumns(path: string, bytes: Buffer): Record<string, unknown[]> {
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new MetricsTableError(`${path}: corrupt Arrow IPC file: ${(e as Error).message}`);
  }
  const cols: Record<string, unknown[]> = {};
  for (const name of [...METRICS_TABLE_COLUMNS, "run_id"]) {
    const vec = table.getChild(name);
    if (!vec) continue;
    const values = new Array<unknown>(vec.length);
    for (let i = 0; i < vec.length; i++) values[i] = vec.get(i);
    cols[name] = values;
  }
  return cols;
}

function jsonlColumns(path: string, text: string): Record<string, unknown[]> {
  const cols: Record<string, unknown[]> = {};
  for (const c of METRICS_TABLE_COLUMNS) cols[c] = [];
  const lines = text.split("\n");
  let row = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new MetricsTableError(`${path}: line ${i + 1} is neither Arrow IPC nor a JSON object (${(e as Error).message}): ${JSON.stringify(line.slice(0, 200))}`);
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) throw new MetricsTableError(`${path}: line ${i + 1} is not a JSON object: ${line.slice(0, 200)}`);
    const o = rec as Record<string, unknown>;
    if (row === 0 && "run_id" in o) cols["run_id"] = [];
    for (const [c, col] of Object.entries(cols)) {
      // a root may leave parent_state_id out; every other column must be there
      if (!(c in o) && c !== "parent_state_id") throw new MetricsTableError(`${path}: line ${i + 1} has no '${c}': ${line.slice(0, 200)}`);
      col.push(o[c] ?? null);
    }
    row++;
  }
  return cols;
}
