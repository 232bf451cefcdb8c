/**
 * Chunk files of a tracing run (design.md §6.11: append chunk files, merge once). Each finished
 * theorem is appended as one JSON line to the chunk being filled (`seed-00003.filling.jsonl`);
 * after `chunk_size` lines the file is renamed to `seed-00003.jsonl` and a new one starts. A
 * session never appends to a file it did not create, so a line torn by SIGKILL stays the last line
 * of a file nobody writes again; readers skip it and that theorem is simply traced again.
 * Nothing is ever rewritten: a finished theorem costs one append, and the final table is built
 * once from all chunks.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { asOutcome, type TraceBatch, type TraceOutcome } from "./trace-outcome.js";

const CHUNK_RE = /^(seed|rest)-(\d{5})(\.filling)?\.jsonl$/;

export interface ChunkReadResult {
  /** Latest valid outcome per theorem name (later chunks win: a theorem retraced after its code changed). */
  readonly outcomes: Map<string, TraceOutcome>;
  readonly files: number;
  /** Lines that did not parse (a torn last line after SIGKILL). */
  readonly torn_lines: number;
  /** Names seen in more than one line. */
  readonly repeated_names: number;
}

export class TraceChunkStore {
  private fd: number | null = null;
  private path = "";
  private lines = 0;
  private batch: TraceBatch | null = null;
  private next_index: number;

  constructor(
    readonly dir: string,
    readonly chunk_size = 500,
  ) {
    if (!Number.isInteger(chunk_size) || chunk_size < 1) throw new Error(`chunk_size must be a positive integer, got ${chunk_size}`);
    mkdirSync(dir, { recursive: true });
    this.next_index = Math.max(-1, ...this.chunkFiles().map((f) => f.index)) + 1;
  }

  private chunkFiles(): Array<{ name: string; index: number }> {
    return readdirSync(this.dir)
      .map((name) => ({ name, m: CHUNK_RE.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ name: x.name, index: Number(x.m[2]) }))
      .sort((a, b) => a.index - b.index || a.name.localeCompare(b.name));
  }

  readAll(): ChunkReadResult {
    const outcomes = new Map<string, TraceOutcome>();
    let torn_lines = 0;
    let repeated_names = 0;
    const files = this.chunkFiles();
    for (const f of files) {
      const text = readFileSync(join(this.dir, f.name), "utf8");
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        let o: TraceOutcome | null = null;
        try {
          o = asOutcome(JSON.parse(line));
        } catch {
          o = null;
        }
        if (!o) {
          torn_lines++;
          continue;
        }
        if (outcomes.has(o.name)) repeated_names++;
        outcomes.set(o.name, o);
      }
    }
    return { outcomes, files: files.length, torn_lines, repeated_names };
  }

  /** Appends one outcome (one write) to the open chunk of its batch, rotating at chunk_size. */
  append(o: TraceOutcome): void {
    if (this.fd === null || this.batch !== o.batch) this.open(o.batch);
    writeSync(this.fd!, JSON.stringify(o) + "\n");
    this.lines++;
    if (this.lines >= this.chunk_size) this.seal();
  }

  /** Seals the chunk being filled (renames it to its final name). */
  close(): void {
    if (this.fd !== null) this.seal();
  }

  private open(batch: TraceBatch): void {
    if (this.fd !== null) this.seal();
    this.batch = batch;
    this.path = join(this.dir, `${batch}-${String(this.next_index++).padStart(5, "0")}.filling.jsonl`);
    this.fd = openSync(this.path, "a");
    this.lines = 0;
  }

  private seal(): void {
    closeSync(this.fd!);
    this.fd = null;
    if (this.lines > 0) renameSync(this.path, this.path.replace(/\.filling\.jsonl$/, ".jsonl"));
    this.lines = 0;
  }
}
