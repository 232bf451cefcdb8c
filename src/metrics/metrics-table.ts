/**
 * MetricsTable: the trajectory columns the metrics need, read from an Arrow IPC file or JSON Lines
 * (`theorem_name, state_id, parent_state_id, depth_from_root, label, state_pp`, optional `run_id`).
 * Row i of the table is row i of the vectors / energies file. Every value is checked once here;
 * errors name the file, the row, the theorem and the offending value.
 */
import { LABELS, type Label } from "../artifacts/schemas.js";

export interface MetricsTable {
  readonly origin: string;
  readonly n_rows: number;
  readonly theorem_name: readonly string[];
  readonly state_id: readonly number[];
  /** null at a root. */
  readonly parent_state_id: readonly (number | null)[];
  readonly depth_from_root: readonly number[];
  readonly label: readonly Label[];
  readonly state_pp: readonly string[];
  /** Present when the table has it; part of the sibling key (trajectory keys are (run_id, theorem_name, state_id)). */
  readonly run_id?: readonly string[];
}

export const METRICS_TABLE_COLUMNS = ["theorem_name", "state_id", "parent_state_id", "depth_from_root", "label", "state_pp"] as const;

export class MetricsTableError extends Error {
  override name = "MetricsTableError";
}

type RawColumns = Readonly<Record<string, ArrayLike<unknown>>>;

function where(origin: string, cols: RawColumns, row: number): string {
  const t = cols["theorem_name"]?.[row];
  return `${origin}: row ${row}${typeof t === "string" ? ` (theorem '${t.slice(0, 120)}')` : ""}`;
}

function show(v: unknown): string {
  return (JSON.stringify(v) ?? String(v)).slice(0, 200);
}

/** Validates raw columns (JS values; bigint accepted for integers) into a MetricsTable. */
export function metricsTableFromColumns(origin: string, cols: RawColumns): MetricsTable {
  for (const c of METRICS_TABLE_COLUMNS) {
    if (!(c in cols)) throw new MetricsTableError(`${origin}: missing column '${c}' (need: ${METRICS_TABLE_COLUMNS.join(", ")}; has: ${Object.keys(cols).join(", ")})`);
  }
  const n = cols["theorem_name"]!.length;
  for (const c of [...METRICS_TABLE_COLUMNS, ...("run_id" in cols ? ["run_id"] : [])]) {
    if (cols[c]!.length !== n) throw new MetricsTableError(`${origin}: column '${c}' has ${cols[c]!.length} rows, theorem_name has ${n}`);
  }
  const int = (c: string, r: number, nullable: boolean): number | null => {
    let v = cols[c]![r];
    if (typeof v === "bigint") v = Number(v);
    if ((v === null || v === undefined) && nullable) return null;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new MetricsTableError(`${where(origin, cols, r)}: ${c} ${show(v)} is not an integer`);
    return v;
  };
  const str = (c: string, r: number): string => {
    const v = cols[c]![r];
    if (typeof v !== "string") throw new MetricsTableError(`${where(origin, cols, r)}: ${c} ${show(v)} is not a string`);
    return v;
  };
  const labels = new Set<string>(LABELS);
  const out = {
    theorem_name: new Array<string>(n),
    state_id: new Array<number>(n),
    parent_state_id: new Array<number | null>(n),
    depth_from_root: new Array<number>(n),
    label: new Array<Label>(n),
    state_pp: new Array<string>(n),
  };
  const runIds = "run_id" in cols ? new Array<string>(n) : undefined;
  for (let r = 0; r < n; r++) {
    out.theorem_name[r] = str("theorem_name", r);
    out.state_id[r] = int("state_id", r, false)!;
    out.parent_state_id[r] = int("parent_state_id", r, true);
    const depth = int("depth_from_root", r, false)!;
    if (depth < 0) throw new MetricsTableError(`${where(origin, cols, r)}: depth_from_root ${depth} is negative`);
    out.depth_from_root[r] = depth;
    const label = str("label", r);
    if (!labels.has(label)) throw new MetricsTableError(`${where(origin, cols, r)}: label ${show(label)} is not one of ${LABELS.join(" | ")}`);
    out.label[r] = label as Label;
    out.state_pp[r] = str("state_pp", r);
    if (runIds) runIds[r] = str("run_id", r);
  }
  return { origin, n_rows: n, ...out, ...(runIds ? { run_id: runIds } : {}) };
}
