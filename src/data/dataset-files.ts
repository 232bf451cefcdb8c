/**
 * Reading dataset files as records: JSON Lines, JSON (an array, or an object holding one), and
 * `.lean` files. A line or file that is not JSON becomes a quarantine entry, never an exception.
 * Parquet (what some Hugging Face datasets ship) has no reader here: it is reported with the
 * one-line conversion to JSON Lines.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";

export interface QuarantineEntry {
  readonly dataset: string;
  readonly file: string;
  /** 1-based line (JSONL) or 0-based record index (JSON); null for a whole file. */
  readonly row: number | null;
  readonly reason: string;
  readonly detail: string;
}

export interface RawRecord {
  readonly file: string;
  readonly row: number | null;
  readonly value: unknown;
}

export class DatasetFormatError extends Error {
  override name = "DatasetFormatError";
}

export const PARQUET_HINT =
  "convert it to JSON Lines first, e.g. python3 -c \"import pandas as pd, sys; pd.read_parquet(sys.argv[1]).to_json(sys.argv[2], orient='records', lines=True, force_ascii=False)\" IN.parquet OUT.jsonl";

/** Files under `path` (itself when a file) with one of `exts`, sorted; hidden files skipped. */
export function listFiles(path: string, exts: readonly string[]): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new DatasetFormatError(`${path}: no such file or folder`);
  }
  if (st.isFile()) return exts.some((e) => path.endsWith(e)) ? [path] : [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(p);
    }
  };
  walk(path);
  return out;
}

/**
 * JSON.parse, accepting the bare NaN / Infinity that Python's json and pandas write for missing
 * values (read as null). `lenient` tells whether that was needed.
 */
export function parseJsonLenient(text: string): { value: unknown; lenient: boolean } {
  try {
    return { value: JSON.parse(text), lenient: false };
  } catch (e) {
    let out = "";
    let changed = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j;
        continue;
      }
      const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
      if (m) {
        out += "null";
        i += m[0].length - 1;
        changed = true;
      } else out += c;
    }
    if (!changed) throw e;
    return { value: JSON.parse(out), lenient: true };
  }
}

/**
 * Records of every .json/.jsonl file under `path`; unparseable lines/files go to `quarantine`;
 * `notes.nan_as_null` counts records whose bare NaN was read as null.
 */
export function readJsonRecords(path: string, dataset: string, quarantine: QuarantineEntry[], notes: Record<string, number> = {}): RawRecord[] {
  const parse = (t: string): unknown => {
    const r = parseJsonLenient(t);
    if (r.lenient) notes["nan_as_null"] = (notes["nan_as_null"] ?? 0) + 1;
    return r.value;
  };
  const files = listFiles(path, [".jsonl", ".json", ".parquet"]);
  const out: RawRecord[] = [];
  for (const f of files) {
    const rel = relative(process.cwd(), f).startsWith("..") ? f : relative(process.cwd(), f);
    if (f.endsWith(".parquet")) {
      quarantine.push({ dataset, file: rel, row: null, reason: "parquet_unsupported", detail: `${basename(f)} is Parquet; ${PARQUET_HINT}` });
      continue;
    }
    const text = readFileSync(f, "utf8");
    if (f.endsWith(".jsonl")) {
      text.split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        try {
          out.push({ file: rel, row: i + 1, value: parse(line) });
        } catch (e) {
          quarantine.push({ dataset, file: rel, row: i + 1, reason: "not_json", detail: `${(e as Error).message}: ${line.slice(0, 120)}` });
        }
      });
      continue;
    }
    let json: unknown;
    try {
      json = parse(text);
    } catch (e) {
      quarantine.push({ dataset, file: rel, row: null, reason: "not_json", detail: `${(e as Error).message}: ${text.slice(0, 120)}` });
      continue;
    }
    const arr = Array.isArray(json) ? json : arrayInside(json);
    if (arr === null) {
      out.push({ file: rel, row: 0, value: json });
      continue;
    }
    arr.forEach((value, i) => out.push({ file: rel, row: i, value }));
  }
  return out;
}

/** `{"theorems": [...]}` / `{"data": [...]}`: the single array-valued field of an object. */
function arrayInside(json: unknown): unknown[] | null {
  if (typeof json !== "object" || json === null) return null;
  const arrays = Object.values(json as Record<string, unknown>).filter(Array.isArray);
  return arrays.length === 1 ? (arrays[0] as unknown[]) : null;
}

/** Field as a non-empty string, else null. */
export function stringField(o: unknown, ...keys: string[]): string | null {
  if (typeof o !== "object" || o === null) return null;
  for (const k of keys) {
    const v = (o as Record<string, unknown>)[k];
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  return null;
}
