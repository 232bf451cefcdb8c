/**
 * What a finished search run becomes, built once from the chunked results (pure): the trajectory
 * table (design §4 columns, labels assigned after search), the failed-tactic table (each rejected
 * tactic with Lean's error text), the search summary (proved / total / rate, statuses, costs and
 * the per-theorem outcomes paired tests need), and the two exports: found proofs as LeanDojo-style
 * traced tactics and (state, winning tactic, losing tactic + Lean error) preference pairs.
 * Theorems appear in the task-list order, whatever order they finished in.
 */
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { FAILED_TACTICS, TRAJECTORIES } from "../artifacts/schemas.js";
import { preferencePairs, type PreferencePair } from "../search/preference-pairs.js";
import type { SearchConfig } from "../search/search-config.js";
import { SEARCH_STATUSES, type SearchResult, type SearchStatus } from "../search/search-result.js";
import { tracedProof, type TracedProof } from "../search/traced-proof.js";
import { trajectoryColumns } from "../search/trajectory-columns.js";

type Cols<S extends typeof TRAJECTORIES | typeof FAILED_TACTICS> = ColumnArraysOf<S>;

/** Results in task order; a task without a result is an error naming it. */
export function orderedResults(taskNames: readonly string[], results: ReadonlyMap<string, SearchResult>): SearchResult[] {
  const missing = taskNames.filter((n) => !results.has(n));
  if (missing.length) throw new Error(`${missing.length} theorem(s) have no search result yet (e.g. ${missing.slice(0, 3).join(", ")}): search the missing shards first`);
  return taskNames.map((n) => results.get(n)!);
}

function concat<T extends Record<string, readonly unknown[]>>(parts: readonly T[], keys: readonly (keyof T)[]): T {
  const out: Record<string, unknown[]> = {};
  for (const k of keys) out[k as string] = [];
  for (const p of parts) for (const k of keys) for (const v of p[k]!) out[k as string]!.push(v);
  return out as unknown as T;
}

export function trajectoryTable(results: readonly SearchResult[], run_id: string): Cols<typeof TRAJECTORIES> {
  const parts = results.map((r) => trajectoryColumns(r, run_id));
  const keys = (parts[0] ? Object.keys(parts[0]) : Object.keys(trajectoryColumns(emptyResult(), run_id))) as (keyof Cols<typeof TRAJECTORIES>)[];
  return concat(parts as Cols<typeof TRAJECTORIES>[], keys);
}

export function failedTacticTable(results: readonly SearchResult[], run_id: string): Cols<typeof FAILED_TACTICS> {
  const c = { theorem_name: [] as string[], parent_state_id: [] as number[], tactic: [] as string[], kind: [] as SearchResult["failures"][number]["kind"][], message: [] as string[], llm_log_prob: [] as number[], n_tokens: [] as number[], lean_time_ms: [] as number[], run_id: [] as string[] };
  for (const r of results) {
    for (const f of r.failures) {
      c.theorem_name.push(r.theorem_name);
      c.parent_state_id.push(f.parent_id);
      c.tactic.push(f.tactic);
      c.kind.push(f.kind);
      c.message.push(f.message);
      c.llm_log_prob.push(f.log_prob_sum);
      c.n_tokens.push(f.n_tokens);
      c.lean_time_ms.push(f.lean_ms);
      c.run_id.push(run_id);
    }
  }
  return c;
}

export const tracedProofs = (results: readonly SearchResult[]): TracedProof[] => results.map(tracedProof).filter((p): p is TracedProof => p !== null);
export const allPreferencePairs = (results: readonly SearchResult[]): PreferencePair[] => results.flatMap((r) => [...preferencePairs(r)]);

/** `config` keys of a summary file: llm_only, or llm_ebm (the search used an energy head). */
export type SearchConfigKey = "llm_only" | "llm_ebm";

export interface SearchSummary {
  readonly kind: "search_results";
  readonly benchmark: string;
  readonly values: Readonly<Record<string, number>>;
  readonly not_computed: Readonly<Record<string, string>>;
  readonly details: {
    readonly config: SearchConfigKey;
    readonly search: SearchConfig;
    readonly theorems: readonly string[];
    readonly proved: Readonly<Record<string, readonly boolean[]>>;
    readonly status: Readonly<Record<string, readonly SearchStatus[]>>;
    readonly statuses: Readonly<Record<SearchStatus, number>>;
    /** Reasons of the theorems that ended in error (first 20). */
    readonly errors: readonly string[];
    readonly policy: string;
    readonly scorer: string | null;
    /** What the numbers come from, said in the report. */
    readonly provenance: string;
  };
}

/** The summary of one configuration's run, in the metrics-file shape the reports read. */
export function searchSummary(
  results: readonly SearchResult[],
  o: { readonly config: SearchConfigKey; readonly benchmark: string; readonly search: SearchConfig; readonly policy: string; readonly scorer: string | null; readonly provenance: string },
): SearchSummary {
  const n = results.length;
  const statuses = Object.fromEntries(SEARCH_STATUSES.map((s) => [s, 0])) as Record<SearchStatus, number>;
  for (const r of results) statuses[r.status]++;
  const k = statuses.proved;
  const sum = (f: (r: SearchResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const wall = sum((r) => r.wall_ms);
  const values: Record<string, number> = {
    [`${o.config}.proved`]: k,
    [`${o.config}.total`]: n,
    [`${o.config}.errors`]: statuses.error,
    [`${o.config}.nodes_created`]: sum((r) => r.nodes_created),
    [`${o.config}.nodes_expanded`]: sum((r) => r.nodes_expanded),
    [`${o.config}.policy_s`]: sum((r) => r.policy_ms) / 1000,
    [`${o.config}.lean_s`]: sum((r) => r.lean_ms) / 1000,
    [`${o.config}.energy_s`]: sum((r) => r.energy_ms) / 1000,
    [`${o.config}.search_wall_s`]: wall / 1000,
  };
  const not_computed: Record<string, string> = {};
  if (n > 0) values[`${o.config}.rate`] = k / n;
  else not_computed[`${o.config}.rate`] = "no theorems searched";
  return {
    kind: "search_results",
    benchmark: o.benchmark,
    values,
    not_computed,
    details: {
      config: o.config,
      search: o.search,
      theorems: results.map((r) => r.theorem_name),
      proved: { [o.config]: results.map((r) => r.status === "proved") },
      status: { [o.config]: results.map((r) => r.status) },
      statuses,
      errors: results.filter((r) => r.status === "error").slice(0, 20).map((r) => `${r.theorem_name}: ${r.reason}`),
      policy: o.policy,
      scorer: o.scorer,
      provenance: o.provenance,
    },
  };
}

function emptyResult(): SearchResult {
  return {
    theorem_name: "",
    status: "exhausted",
    reason: "",
    proof: null,
    proof_node_id: null,
    nodes_expanded: 0,
    nodes_created: 0,
    duplicates: 0,
    policy_ms: 0,
    lean_ms: 0,
    energy_ms: 0,
    wall_ms: 0,
    candidates: { proposed: 0, over_n: 0, empty: 0, banned_word: 0, bullet: 0, duplicate: 0, kept: 0 },
    config: { max_nodes: 1, n_candidates: 1, temperature: 1, timeout_s: 1, tactic_timeout_s: 1, max_depth: 1, ebm_weight: 0 },
    nodes: [],
    failures: [],
  };
}
