/**
 * What a stopped tracing run says about the seed batch's pairs: their file when one was written,
 * and that none was (and why) otherwise — in TraceStoppedError and in `burnqed trace`'s output,
 * which used to print "seed pairs are usable: PATH" for a file that did not exist.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTable } from "../../src/artifacts/arrow-table.js";
import { THEOREMS } from "../../src/artifacts/schemas.js";
import { theoremColumns, type TheoremRow } from "../../src/data/theorem-row.js";
import { traceTheorems, tracePaths, TraceStoppedError } from "../../src/lean/trace-theorems.js";
import { seedPairsNote } from "../../src/lean/tracing-report.js";
import type { TraceTheorem } from "../../src/lean/trace-outcome.js";
import { doubleArgv, doubleCommand } from "../fixtures/repl-double/double.js";

const dir = mkdtempSync(join(tmpdir(), "burnqed-seedmsg-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = "import Mathlib\nopen Real";
const theorem = (name: string, proof: string): TraceTheorem => ({ name, source: "workbook", header: HEADER, code: `theorem ${name} (x : ℝ) (h₀ : x = 2) : x + 0 = 2 := by\n${proof}`, proof });

test("seedPairsNote says where the pairs are, or that no file was written and why", () => {
  assert.equal(seedPairsNote({ ok: 2, theorems: 5, pairs: 7 }, "/r/tactic_pairs_seed.arrow"), "the seed batch's 7 pairs (from 2 traced theorem(s)) are in /r/tactic_pairs_seed.arrow");
  assert.equal(seedPairsNote({ ok: 0, theorems: 5, pairs: 0 }, null), "no seed pairs file was written: none of the 5 seed theorem(s) traced");
  assert.equal(seedPairsNote({ ok: 1, theorems: 5, pairs: 0 }, null), "no seed pairs file was written: the 1 traced seed theorem(s) gave no pair");
});

test("a stopped run whose seed gave no pair says so, and names no file", { timeout: 30_000 }, async () => {
  const out = join(dir, "none");
  const ts = Array.from({ length: 4 }, (_, i) => theorem(`broken_${i}`, "  exact h__fail"));
  await assert.rejects(traceTheorems({ theorems: ts, out_dir: out, pool: { command: doubleCommand(), workers: 2, mem_cap_mb: null }, seed_fraction: 1 }), (e: unknown) => {
    assert.ok(e instanceof TraceStoppedError);
    assert.equal(e.seed_pairs, null);
    assert.match(e.message, /No seed pairs file was written: none of the 4 seed theorem\(s\) traced\. To trace the remainder anyway/);
    assert.doesNotMatch(e.message, /pairs are kept|usable/);
    return true;
  });
  assert.ok(!existsSync(tracePaths(out).seed_pairs));
});

test("a stopped run whose seed gave pairs names their file", { timeout: 30_000 }, async () => {
  const out = join(dir, "some");
  const ts = [theorem("fine", "  norm_num"), ...Array.from({ length: 3 }, (_, i) => theorem(`broken_${i}`, "  exact h__fail"))];
  await assert.rejects(traceTheorems({ theorems: ts, out_dir: out, pool: { command: doubleCommand(), workers: 2, mem_cap_mb: null }, seed_fraction: 1 }), (e: unknown) => {
    assert.ok(e instanceof TraceStoppedError);
    assert.equal(e.seed_pairs, tracePaths(out).seed_pairs);
    assert.ok(e.message.includes(`The seed batch's 1 pairs (from 1 traced theorem(s)) are in ${tracePaths(out).seed_pairs}.`), e.message);
    return true;
  });
  assert.ok(existsSync(tracePaths(out).seed_pairs));
});

function cli(out: string, proofs: readonly string[]): { status: number | null; stderr: string; stdout: string } {
  const rows: TheoremRow[] = proofs.map((proof, i) => ({ name: `c${i}`, source: "workbook", dataset: "test", header: HEADER, statement: `theorem c${i} (x : ℝ) (h₀ : x = 2) : x + 0 = 2 :=`, proof, lean_version: null, split: null }));
  const table = join(dir, `${out}.arrow`);
  writeTable(table, THEOREMS, theoremColumns(rows));
  const repl = doubleArgv().map((a) => `'${a}'`).join(" ");
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/fixtures/repl-double/run-cli.ts", "trace", "--theorems", table, "--out", join(dir, out), "--repl", repl, "--workers", "1", "--seed-fraction", "1", "--mem-cap-mb", "1000"], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test("burnqed trace, stopped after the seed: no 'usable' seed file that does not exist; the path when it does", { timeout: 120_000 }, () => {
  const none = cli("cli-none", ["  exact h__fail", "  exact h__fail"]);
  assert.equal(none.status, 3, none.stderr + none.stdout);
  assert.match(none.stderr, /No seed pairs file was written: none of the 2 seed theorem\(s\) traced/);
  assert.doesNotMatch(none.stderr, /usable/);
  assert.ok(!existsSync(tracePaths(join(dir, "cli-none")).seed_pairs));
  const some = cli("cli-some", ["  norm_num", "  exact h__fail", "  exact h__fail"]);
  assert.equal(some.status, 3, some.stderr + some.stdout);
  assert.ok(some.stderr.includes(`seed pairs (usable for SFT): ${tracePaths(join(dir, "cli-some")).seed_pairs}`), some.stderr);
  assert.ok(existsSync(tracePaths(join(dir, "cli-some")).seed_pairs));
});
