/**
 * Cell: one value shown in a report. A number always carries the artifact it came from; a value
 * that was not measured is `not_run` with a reason and renders as "not run — <reason>", never as
 * a blank or a 0.
 */

/** How a number is printed. */
export type CellFormat =
  | "int" // 12,345 (rounded)
  | "pct" // fraction 0.417 → 41.7%
  | "f2" //  2 decimals
  | "f3" //  3 decimals
  | "f4"; // 4 decimals

export interface ValueCell {
  readonly kind: "value";
  readonly value: number;
  readonly format?: CellFormat;
  /** Artifact path the number was read from. */
  readonly source: string;
  /** 95 % interval (Wilson for proportions, bootstrap over theorems for grouped metrics). */
  readonly ci?: readonly [number, number];
  /** What the number is read against: a base rate, a chance level, a saturation warning. */
  readonly note?: string;
}

export interface NotRunCell {
  readonly kind: "not_run";
  readonly reason: string;
}

export interface TextCell {
  readonly kind: "text";
  readonly text: string;
}

export type Cell = ValueCell | NotRunCell | TextCell;

export function valueCell(value: number, source: string, format?: CellFormat, extra: { ci?: readonly [number, number] | null; note?: string | null } = {}): ValueCell {
  return {
    kind: "value",
    value,
    ...(format === undefined ? {} : { format }),
    source,
    ...(extra.ci ? { ci: extra.ci } : {}),
    ...(extra.note ? { note: extra.note } : {}),
  };
}

export function notRun(reason: string): NotRunCell {
  return { kind: "not_run", reason };
}

export function textCell(text: string): TextCell {
  return { kind: "text", text };
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Fixed formatting (no locale): same number and format → same text. "-0.00" prints as "0.00". */
export function formatValue(value: number, format: CellFormat): string {
  let text: string;
  switch (format) {
    case "int": {
      const r = Math.round(value);
      text = (r < 0 ? "-" : "") + groupThousands(Math.abs(r).toFixed(0));
      break;
    }
    case "pct":
      text = `${(value * 100).toFixed(1)}%`;
      break;
    case "f2":
      text = value.toFixed(2);
      break;
    case "f3":
      text = value.toFixed(3);
      break;
    case "f4":
      text = value.toFixed(4);
      break;
  }
  return /^-0(\.0*)?%?$/.test(text) ? text.slice(1) : text;
}

export function formatNotRun(reason: string): string {
  const r = reason.trim();
  return `not run — ${r === "" ? "no reason recorded" : r}`;
}

/**
 * The text of a cell. `fallback` is the format used when the cell has none. A non-finite value
 * is shown as not run (it is not a measurement).
 */
export function formatCell(cell: Cell, fallback: CellFormat = "f3"): string {
  if (cell.kind === "not_run") return formatNotRun(cell.reason);
  if (cell.kind === "text") return cell.text.trim() === "" ? "—" : cell.text;
  if (!Number.isFinite(cell.value)) return formatNotRun(`non-finite value (${cell.value}) in ${cell.source}`);
  const f = cell.format ?? fallback;
  return cell.ci ? `${formatValue(cell.value, f)} ${formatInterval(cell.ci, f)}` : formatValue(cell.value, f);
}

/** "[0.975, 0.979]", "[35.2%, 47.9%]". */
export function formatInterval(ci: readonly [number, number], format: CellFormat): string {
  return `[${formatValue(ci[0], format)}, ${formatValue(ci[1], format)}]`;
}

/** The same for a signed difference: "[-1.2, +3.4 pts]". */
export function formatSignedInterval(ci: readonly [number, number], format: CellFormat): string {
  const lo = formatSigned(ci[0], format);
  const hi = formatSigned(ci[1], format);
  return format === "pct" ? `[${lo.replace(/ pts$/, "")}, ${hi}]` : `[${lo}, ${hi}]`;
}

/** A signed difference: "+0.45", "-0.012"; fractions shown as percentage points ("+3.3 pts"). */
export function formatSigned(value: number, format: CellFormat): string {
  let text = format === "pct" ? `${(value * 100).toFixed(1)} pts` : formatValue(value, format);
  if (/^-0(\.0*)?( pts)?$/.test(text)) text = text.slice(1);
  return value > 0 && !/^0(\.0*)?( pts)?$/.test(text) ? `+${text}` : text;
}

/** A number, or why there is none (for comparisons and rules). */
export type CellNumber =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly reason: string };

export function cellNumber(cell: Cell): CellNumber {
  if (cell.kind === "value") {
    return Number.isFinite(cell.value) ? { ok: true, value: cell.value } : { ok: false, reason: `non-finite value in ${cell.source}` };
  }
  if (cell.kind === "not_run") return { ok: false, reason: cell.reason.trim() || "no reason recorded" };
  return { ok: false, reason: `not a number: "${cell.text}"` };
}
