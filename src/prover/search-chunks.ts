/**
 * Chunk files of a search run (design.md §6.11: append chunk files, merge once). Every finished
 * theorem is appended as one JSON line (its whole SearchResult) to the chunk being filled,
 * `<shard>-00003.filling.jsonl`; after `chunk_size` lines the file is renamed to
 * `<shard>-00003.jsonl` and a new one starts. A session never appends to a file it did not create,
 * so a line torn by SIGKILL stays the last line of a file nobody writes again: readers skip it and
 * that theorem is searched again. Hosts searching other shards write their own prefixes into their
 * own copy of the folder; copying the folders together and reading them all is the merge.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync, fsyncSync } from "node:fs";
import { join } from "node:path";
import { SEARCH_STATUSES, type SearchResult } from "../search/search-result.js";
import type { Shard } from "./shard.js";

const CHUNK_RE = /^(s\d+of\d+)-(\d{5})(\.filling)?\.jsonl$/;

export interface SearchChunkRead {
  /** Latest valid result per theorem (later chunk files win). */
  readonly results: Map<string, SearchResult>;
  readonly files: number;
  /** Lines that did not parse as a search result (a torn last line after SIGKILL). */
  readonly torn_lines: number;
  /** Theorems with more than one line (an errored search retried, say). */
  readonly repeated: number;
}

/** A chunk line back into a result, or null when it is not one (torn, truncated, foreign). */
function asResult(v: unknown): SearchResult | null {
  if (typeof v !== "object" || v === null) return null;
  const r = v as Partial<SearchResult>;
  if (typeof r.theorem_name !== "string" || !SEARCH_STATUSES.includes(r.status as SearchResult["status"]) || !Array.isArray(r.nodes) || !Array.isArray(r.failures)) return null;
  return v as SearchResult;
}

export class SearchChunkStore {
  private fd: number | null = null;
  private path = "";
  private lines = 0;
  private next_index: number;
  readonly prefix: string;

  constructor(
    readonly dir: string,
    shard: Shard,
    readonly chunk_size = 200,
  ) {
    if (!Number.isInteger(chunk_size) || chunk_size < 1) throw new Error(`search chunk_size must be a positive integer, got ${chunk_size}`);
    mkdirSync(dir, { recursive: true });
    this.prefix = `s${shard.index}of${shard.count}`;
    this.next_index = Math.max(-1, ...this.chunkFiles().filter((f) => f.prefix === this.prefix).map((f) => f.index)) + 1;
  }

  private chunkFiles(): Array<{ name: string; prefix: string; index: number }> {
    return readdirSync(this.dir)
      .map((name) => ({ name, m: CHUNK_RE.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map((x) => ({ name: x.name, prefix: x.m[1]!, index: Number(x.m[2]) }))
      .sort((a, b) => a.prefix.localeCompare(b.prefix) || a.index - b.index || a.name.localeCompare(b.name));
  }

  /** Every shard's results in this folder. */
  readAll(): SearchChunkRead {
    const results = new Map<string, SearchResult>();
    let torn_lines = 0;
    let repeated = 0;
    const files = this.chunkFiles();
    for (const f of files) {
      for (const line of readFileSync(join(this.dir, f.name), "utf8").split("\n")) {
        if (line.trim() === "") continue;
        let r: SearchResult | null;
        try {
          r = asResult(JSON.parse(line));
        } catch {
          r = null;
        }
        if (r === null) {
          torn_lines++;
          continue;
        }
        if (results.has(r.theorem_name)) repeated++;
        results.set(r.theorem_name, r);
      }
    }
    return { results, files: files.length, torn_lines, repeated };
  }

  /** One write (and an fsync: a search costs minutes, a sync microseconds), rotating at chunk_size. */
  append(r: SearchResult): void {
    if (this.fd === null) this.open();
    writeSync(this.fd!, `${JSON.stringify(r)}\n`);
    fsyncSync(this.fd!);
    this.lines++;
    if (this.lines >= this.chunk_size) this.seal();
  }

  close(): void {
    if (this.fd !== null) this.seal();
  }

  private open(): void {
    this.path = join(this.dir, `${this.prefix}-${String(this.next_index++).padStart(5, "0")}.filling.jsonl`);
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
