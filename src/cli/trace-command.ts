/**
 * `burnqed trace`: trace the proofs of a theorems table through a REPL pool (plan Tasks 0.4–0.5).
 * Exit codes: 0 done, 3 stopped after the seed batch (failure rate over the limit), 1 error.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readTable, writeTable } from "../artifacts/arrow-table.js";
import { writeJson } from "../artifacts/json-file.js";
import { TACTIC_PAIRS, THEOREMS } from "../artifacts/schemas.js";
import { theoremRowsOf } from "../data/theorem-row.js";
import { defaultWorkerCount, replCommand } from "../lean/repl-command.js";
import { pairsColumns, traceTheorems, TraceStoppedError } from "../lean/trace-theorems.js";
import { traceTheoremsOf } from "../stages/phase0.js";

const HELP = `burnqed trace — trace proofs into (state, tactic) pairs with a pool of Lean REPLs

  burnqed trace --theorems theorems.arrow --out DIR [options]

  --repl CMD                 REPL command, no shell (default "lake env repl"; or a path to the repl binary)
  --project DIR              folder the REPL runs in (the Lean project with Mathlib)
  --workers N                default min(16, 0.75 × cores) = ${defaultWorkerCount()} here
  --timeout-s S              per theorem (default 120)
  --mem-cap-mb MB            per worker process group (default 80 % of RAM / workers)
  --max-uses N               restart a worker after N theorems (default 500)
  --chunk-size N             theorems per chunk file (default 500)
  --seed-fraction F          seed batch traced first (default 0.2)
  --max-seed-failure-rate F  stop after the seed batch above this (default 0.2)
  --shard I/N                trace shard I of N (by name hash), for several hosts
  --limit N                  only the first N theorems with a proof (smoke tests)
  --restart                  discard earlier chunks in DIR instead of resuming

  Writes DIR/tactic_pairs.arrow and DIR/tracing_report.json; the seed batch's pairs and report
  (DIR/tactic_pairs_seed.arrow, DIR/tracing_report_seed.json) as soon as it is done. Chunk files
  (DIR/chunks) make it resumable: run the same command again after a crash or kill.
  Exit code 3: stopped after the seed batch because too many of its theorems failed.
`;

export async function traceCommand(argv: string[]): Promise<number> {
  const { values: f } = parseArgs({
    args: argv,
    options: {
      help: { type: "boolean", short: "h" },
      theorems: { type: "string" },
      out: { type: "string" },
      repl: { type: "string" },
      project: { type: "string" },
      workers: { type: "string" },
      "timeout-s": { type: "string" },
      "mem-cap-mb": { type: "string" },
      "max-uses": { type: "string" },
      "chunk-size": { type: "string" },
      "seed-fraction": { type: "string" },
      "max-seed-failure-rate": { type: "string" },
      shard: { type: "string" },
      limit: { type: "string" },
      restart: { type: "boolean" },
      "no-parent-death-signal": { type: "boolean" },
    },
    strict: true,
  });
  if (f.help || argv.length === 0) {
    process.stdout.write(HELP);
    return 0;
  }
  const need = (v: string | undefined, name: string) => {
    if (!v) throw new Error(`trace: --${name} is required (see --help)`);
    return v;
  };
  const n = (v: string | undefined, name: string): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`trace: --${name} must be a number, got ${v}`);
    return x;
  };
  const out = resolve(need(f.out, "out"));
  const rows = theoremRowsOf(readTable(resolve(need(f.theorems, "theorems")), THEOREMS).columns);
  let theorems = traceTheoremsOf(rows);
  const limit = n(f.limit, "limit");
  if (limit !== undefined) theorems = theorems.slice(0, limit);
  let shard: { index: number; count: number } | undefined;
  if (f.shard) {
    const m = /^(\d+)\/(\d+)$/.exec(f.shard);
    if (!m || Number(m[1]) >= Number(m[2])) throw new Error(`trace: --shard must be I/N with 0 <= I < N, got ${f.shard}`);
    shard = { index: Number(m[1]), count: Number(m[2]) };
  }
  const command = replCommand(f.repl ?? process.env["BURNQED_REPL"] ?? "lake env repl", { cwd: f.project ?? process.env["BURNQED_LEAN_PROJECT"] ?? null });
  const workers = n(f.workers, "workers");
  const cap = n(f["mem-cap-mb"], "mem-cap-mb");
  const maxUses = n(f["max-uses"], "max-uses");
  console.log(`tracing ${theorems.length} theorem(s) with a proof (of ${rows.length}) with ${workers ?? defaultWorkerCount()} worker(s): ${command.argv.join(" ")}${command.cwd ? ` in ${command.cwd}` : ""}`);
  let last = 0;
  try {
    const r = await traceTheorems({
      theorems,
      out_dir: out,
      pool: {
        command,
        ...(workers !== undefined && { workers }),
        ...(cap !== undefined && { mem_cap_mb: cap }),
        ...(maxUses !== undefined && { max_uses: maxUses }),
        ...(f["no-parent-death-signal"] && { parent_death_signal: false }),
      },
      ...(n(f["timeout-s"], "timeout-s") !== undefined && { timeout_s: n(f["timeout-s"], "timeout-s")! }),
      ...(n(f["chunk-size"], "chunk-size") !== undefined && { chunk_size: n(f["chunk-size"], "chunk-size")! }),
      ...(n(f["seed-fraction"], "seed-fraction") !== undefined && { seed_fraction: n(f["seed-fraction"], "seed-fraction")! }),
      ...(n(f["max-seed-failure-rate"], "max-seed-failure-rate") !== undefined && { max_seed_failure_rate: n(f["max-seed-failure-rate"], "max-seed-failure-rate")! }),
      ...(shard && { shard }),
      restart: f.restart === true,
      log: (m) => console.log(m),
      on_progress: (p) => {
        const now = performance.now();
        if (now - last < 2000 && p.done !== p.total) return;
        last = now;
        console.log(`[${p.batch}] ${p.done}/${p.total}: ${p.ok} ok, ${p.failed} failed, ${p.pairs} pairs, ${p.elapsed_s.toFixed(1)} s`);
      },
    });
    writeJson(join(out, "tracing_report.json"), r.report);
    if (!r.report.values["pairs"]) throw new Error(`no theorem gave a pair (${r.report.values["failed"] ?? 0} failed); see ${join(out, "tracing_report.json")}`);
    writeTable(join(out, "tactic_pairs.arrow"), TACTIC_PAIRS, pairsColumns(r.outcomes));
    const v = r.report.values;
    const cats = Object.entries(r.report.details.all.categories).filter(([, k]) => k > 0);
    console.log(`done: ${v["traced_ok"]}/${v["theorems"]} traced, ${v["pairs"]} pairs (${r.reused} reused from earlier runs)${cats.length ? `; failures: ${cats.map(([c, k]) => `${c} ${k}`).join(", ")}` : ""}`);
    console.log(`→ ${join(out, "tactic_pairs.arrow")}, ${join(out, "tracing_report.json")}`);
    return 0;
  } catch (e) {
    if (e instanceof TraceStoppedError) {
      writeJson(join(out, "tracing_report.json"), e.report);
      console.error(e.message);
      // e.message says what became of the seed's pairs; the path only when a file was written.
      if (e.seed_pairs !== null) console.error(`seed pairs (usable for SFT): ${e.seed_pairs}`);
      return 3;
    }
    throw e;
  }
}
