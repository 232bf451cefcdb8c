/**
 * Times `burnqed reports` (what `make reports` runs once dependencies are installed) on a fresh
 * run directory: a cold run (demo world, every stage, every notebook in real Jupyter) and then a
 * warm run with nothing changed. Prints both and their ratio from this one run, and appends the
 * numbers to bench/results/reports-timing.jsonl.
 *
 *   node --import tsx bench/reports-timing.ts        (or: make bench)
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

function timeReports(env: NodeJS.ProcessEnv): { wall_s: number; last: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "reports"], { env, encoding: "utf8" });
  const wall_s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`burnqed reports failed (exit ${r.status}):\n${(r.stderr + r.stdout).slice(-3000)}`);
  const lines = r.stdout.trim().split("\n").filter((l) => l.includes("[reports]"));
  return { wall_s, last: lines.filter((l) => /stage\(s\) ran|nothing changed/.test(l)).pop() ?? "" };
}

const dir = mkdtempSync(join(tmpdir(), "burnqed-bench-"));
try {
  const env = { ...process.env, RUN: "demo", PROFILE: "demo", RUNS_DIR: join(dir, "runs"), REPORTS_DIR: join(dir, "reports") };
  const cold = timeReports(env);
  const warm = timeReports(env);
  const result = {
    bench: "reports-timing",
    date: new Date().toISOString(),
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? "?"}, node ${process.version}`,
    cold_s: Number(cold.wall_s.toFixed(2)),
    warm_s: Number(warm.wall_s.toFixed(2)),
    warm_over_cold: Number((warm.wall_s / cold.wall_s).toFixed(3)),
    targets: { cold_s: 180, warm_s: 20 },
    cold_summary: cold.last,
    warm_summary: warm.last,
  };
  console.log(`cold make reports: ${result.cold_s} s (target < 180 s)   ${cold.last}`);
  console.log(`warm make reports: ${result.warm_s} s (target < 20 s)    ${warm.last}`);
  console.log(`warm / cold = ${result.warm_over_cold}`);
  appendFileSync(join("bench", "results", "reports-timing.jsonl"), JSON.stringify(result) + "\n");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
