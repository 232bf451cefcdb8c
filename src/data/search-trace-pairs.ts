/**
 * (state, tactic) pairs from published best-first-search results in the llemma_formal2formal /
 * LeanDojo format (../shared/data/tactic_states): `{"results": [{"success", "example":
 * {"full_name", ...}, "attempt_results": [{"success", "trace" | "sstrace"}]}]}`. Only successful
 * attempts carry a proof path: `trace` is `[{tactic, state_before}]` (or, in the InternLM "plus"
 * runs, a list of tactic strings with the states in `sstrace`). A proof using sorry/admit/cheat is
 * dropped whole. Pairs repeated across runs of the same theorem are kept once.
 */
import { readFileSync } from "node:fs";
import type { ColumnArraysOf } from "../artifacts/schema.js";
import type { Source, TACTIC_PAIRS } from "../artifacts/schemas.js";
import { findBannedWord } from "../lean/proof-check.js";
import { countGoals } from "../lean/trace-pairs.js";
import { listFiles } from "./dataset-files.js";

/** TACTIC_PAIRS columns. */
export type PairRows = ColumnArraysOf<typeof TACTIC_PAIRS>;

export interface SearchTraceRead {
  readonly pairs: PairRows;
  readonly files: number;
  readonly results: number;
  /** Successful attempts read (proof paths). */
  readonly proofs: number;
  readonly proofs_with_banned_word: number;
  /** Pairs seen again for the same theorem (another run found the same step). */
  readonly repeated_pairs: number;
}

type Step = { readonly tactic: string; readonly state_before: string };

function stepsOf(attempt: Record<string, unknown>): Step[] | null {
  const ss = attempt["sstrace"];
  if (Array.isArray(ss)) return ss.flatMap((s) => (isStep(s) ? [{ tactic: s.tactic, state_before: s.state_before }] : []));
  const tr = attempt["trace"];
  if (Array.isArray(tr) && tr.every(isStep)) return tr.map((s) => ({ tactic: s.tactic, state_before: s.state_before }));
  return null;
}

function isStep(s: unknown): s is Step {
  return typeof s === "object" && s !== null && typeof (s as Step).tactic === "string" && typeof (s as Step).state_before === "string";
}

export function readSearchTracePairs(path: string, source: Source = "minif2f"): SearchTraceRead {
  const pairs = { theorem_name: [] as string[], source: [] as Source[], state_pp: [] as string[], tactic: [] as string[], depth: [] as number[], num_goals: [] as number[] };
  const seen = new Set<string>();
  let results = 0;
  let proofs = 0;
  let banned = 0;
  let repeated = 0;
  const files = listFiles(path, [".json"]);
  for (const f of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(f, "utf8"));
    } catch (e) {
      throw new Error(`${f}: not JSON (${(e as Error).message})`);
    }
    const rs = (doc as { results?: unknown }).results;
    if (!Array.isArray(rs)) throw new Error(`${f}: no "results" list (expected the llemma_formal2formal / LeanDojo search-result format)`);
    for (const r of rs as Array<Record<string, unknown>>) {
      results++;
      const name = (r["example"] as Record<string, unknown> | undefined)?.["full_name"];
      if (r["success"] !== true || typeof name !== "string") continue;
      for (const a of (r["attempt_results"] as Array<Record<string, unknown>> | undefined) ?? []) {
        if (a["success"] !== true) continue;
        const steps = stepsOf(a);
        if (!steps || steps.length === 0) continue;
        proofs++;
        if (steps.some((s) => findBannedWord(s.tactic))) {
          banned++;
          continue;
        }
        steps.forEach((s, depth) => {
          const key = `${name}\u0000${s.state_before}\u0000${s.tactic}`;
          if (seen.has(key)) {
            repeated++;
            return;
          }
          seen.add(key);
          pairs.theorem_name.push(name);
          pairs.source.push(source);
          pairs.state_pp.push(s.state_before);
          pairs.tactic.push(s.tactic);
          pairs.depth.push(depth);
          pairs.num_goals.push(countGoals(s.state_before));
        });
      }
    }
  }
  return { pairs, files: files.length, results, proofs, proofs_with_banned_word: banned, repeated_pairs: repeated };
}
