/**
 * Searches a theorem list: N theorems in flight over one policy, one Lean pool and an optional
 * scorer (plan: concurrency 10), every finished theorem appended to a chunk file at once
 * (search-chunks.ts), so a kill loses at most the theorems in flight and a restart searches only
 * what is missing. Resumable across shards: each host searches its `--shard i/n` and the folders
 * are merged by reading them together.
 *
 * A search that ends in status "error" (the policy server unreachable, a worker that kept dying)
 * is recorded, but searched again on the next resume: an error says something about the machine,
 * not the theorem. A run of consecutive errors stops the whole run (a dead server would otherwise
 * turn every remaining theorem into an error in seconds).
 */
import { bestFirstSearch } from "../search/best-first.js";
import type { Policy } from "../search/policy.js";
import type { ProofEnv } from "../search/proof-env.js";
import type { Scorer } from "../search/scorer.js";
import type { SearchConfig } from "../search/search-config.js";
import type { SearchResult } from "../search/search-result.js";
import { SearchChunkStore } from "./search-chunks.js";
import { formatShard, inShard, WHOLE, type Shard } from "./shard.js";

export interface SearchTask {
  readonly name: string;
  readonly header: string;
  readonly statement: string;
}

/** A theorem's Lean env, handed back when its search ends. */
export type ClosableEnv = ProofEnv<unknown> & { close(): Promise<void> };

export interface SearchProgress {
  readonly done: number;
  readonly total: number;
  readonly proved: number;
  readonly errors: number;
  readonly nodes: number;
  readonly elapsed_s: number;
  /** The result just finished (null on the first call, before any search). */
  readonly last: SearchResult | null;
}

export interface RunSearchesOptions {
  readonly tasks: readonly SearchTask[];
  readonly config: SearchConfig;
  /** Theorems in flight (plan: 10). */
  readonly concurrency: number;
  readonly chunks_dir: string;
  readonly chunk_size?: number;
  readonly shard?: Shard;
  readonly policy: Policy;
  readonly scorer?: Scorer;
  openEnv(task: SearchTask): ClosableEnv;
  /** Consecutive theorems ending in "error" that stop the run (default 8). */
  readonly max_consecutive_errors?: number;
  readonly log?: (message: string) => void;
  readonly onProgress?: (p: SearchProgress) => void;
}

export interface SearchRunSummary {
  /** Every task of this shard that has a result, searched now or earlier, by name. */
  readonly results: ReadonlyMap<string, SearchResult>;
  readonly shard_tasks: number;
  readonly searched_now: number;
  /** Found finished in the chunk folder. */
  readonly resumed: number;
  /** Earlier "error" results searched again. */
  readonly retried_errors: number;
  readonly torn_lines: number;
  readonly wall_s: number;
}

export class SearchRunStopped extends Error {
  override name = "SearchRunStopped";
}

export async function runSearches(o: RunSearchesOptions): Promise<SearchRunSummary> {
  const t0 = performance.now();
  const shard = o.shard ?? WHOLE;
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error(`search concurrency must be a positive integer, got ${o.concurrency}`);
  const names = new Set<string>();
  for (const t of o.tasks) {
    if (names.has(t.name)) throw new Error(`theorem '${t.name}' is listed twice in the search's theorem list`);
    names.add(t.name);
  }
  const store = new SearchChunkStore(o.chunks_dir, shard, o.chunk_size);
  const earlier = store.readAll();
  const mine = o.tasks.filter((t) => inShard(t.name, shard));
  const results = new Map<string, SearchResult>();
  let retried_errors = 0;
  const todo: SearchTask[] = [];
  for (const t of mine) {
    const r = earlier.results.get(t.name);
    if (r && r.status !== "error") results.set(t.name, r);
    else {
      if (r) retried_errors++;
      todo.push(t);
    }
  }
  const log = o.log ?? (() => {});
  if (earlier.torn_lines) log(`${earlier.torn_lines} torn chunk line(s) from an interrupted run ignored; those theorems are searched again`);
  if (results.size || retried_errors) log(`resuming from ${o.chunks_dir}: ${results.size} theorem(s) already searched${retried_errors ? `, ${retried_errors} earlier error(s) searched again` : ""}`);
  if (shard.count > 1) log(`shard ${formatShard(shard)}: ${mine.length} of ${o.tasks.length} theorems`);

  const max_consecutive = o.max_consecutive_errors ?? 8;
  let proved = [...results.values()].filter((r) => r.status === "proved").length;
  let nodes = [...results.values()].reduce((s, r) => s + r.nodes_created, 0);
  let errors = 0;
  let consecutive = 0;
  let stop: SearchRunStopped | null = null;
  let searched_now = 0;
  const progress = (last: SearchResult | null) =>
    o.onProgress?.({ done: results.size + errors, total: mine.length, proved, errors, nodes, elapsed_s: (performance.now() - t0) / 1000, last });
  progress(null);

  let next = 0;
  const recent: string[] = [];
  const errored = new Map<string, SearchResult>();
  const worker = async (): Promise<void> => {
    while (stop === null && next < todo.length) {
      const task = todo[next++]!;
      const env = o.openEnv(task);
      let r: SearchResult;
      try {
        r = await bestFirstSearch({ name: task.name }, { policy: o.policy, env, ...(o.scorer ? { scorer: o.scorer } : {}) }, o.config);
      } finally {
        await env.close();
      }
      store.append(r);
      searched_now++;
      nodes += r.nodes_created;
      if (r.status === "error") {
        errored.set(task.name, r);
        errors++;
        consecutive++;
        recent.push(`${task.name}: ${r.reason}`);
        if (recent.length > 3) recent.shift();
        if (consecutive >= max_consecutive && stop === null) {
          stop = new SearchRunStopped(
            `${consecutive} theorems in a row ended in error, last: ${recent.join(" | ")}. Finished searches are kept in ${o.chunks_dir}; fix the cause and run again to resume.`,
          );
        }
      } else {
        consecutive = 0;
        results.set(task.name, r);
        if (r.status === "proved") proved++;
      }
      progress(r);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, Math.max(1, todo.length)) }, worker));
  } finally {
    store.close();
  }
  if (stop) throw stop;
  // errors that stayed errors are results too: the theorem was tried and the reason is recorded
  for (const [name, r] of errored) results.set(name, r);
  return { results, shard_tasks: mine.length, searched_now, resumed: mine.length - todo.length, retried_errors, torn_lines: earlier.torn_lines, wall_s: (performance.now() - t0) / 1000 };
}
