import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-write.js";

export class JsonFileError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "JsonFileError";
  }
}

/** Write JSON (2-space indent, trailing newline) atomically. Non-finite numbers are refused. */
export function writeJson(path: string, value: unknown): void {
  const text = JSON.stringify(value, (k, v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) throw new JsonFileError(path, `field '${k}' is ${v}; JSON cannot hold it (record it as not computed)`);
    return v;
  }, 2);
  writeFileAtomic(path, text + "\n");
}

export function readJson<T = unknown>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new JsonFileError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new JsonFileError(path, `invalid JSON (${(e as Error).message}); first 200 chars: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** Write JSON Lines atomically. */
export function writeJsonl(path: string, records: Iterable<unknown>): number {
  const parts: string[] = [];
  let n = 0;
  for (const r of records) {
    parts.push(JSON.stringify(r));
    n++;
  }
  writeFileAtomic(path, parts.length ? parts.join("\n") + "\n" : "");
  return n;
}

export function readJsonl<T = unknown>(path: string): T[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new JsonFileError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: T[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new JsonFileError(path, `line ${i + 1} is not JSON (${(e as Error).message}): ${JSON.stringify(line.slice(0, 200))}`);
    }
  }
  return out;
}
