/**
 * The whole metrics suite (plan Task 2.2 embedding metrics + Task 2.5 EBM metrics) on n × dim
 * float32 with realistic search trees (bench/metrics-data.ts), TypeScript vs the plan's own
 * numpy / scikit-learn code (python/tests/plan_reference.py) on the same files, one after the
 * other in this one run. Prints each wall time (process start to finish, files read included),
 * peak memory (/usr/bin/time), the ratio TS ÷ reference, and how far the values agree; appends a
 * section to bench/results/metrics-suite.md.
 *
 *   node --import tsx bench/metrics-suite.ts --rows 50000 --dim 4096          (both, ~10–30 min)
 *   node --import tsx bench/metrics-suite.ts --rows 200000 --dim 4096 --ts-only   (memory check)
 *
 * numpy runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (this machine sets them for old
 * OpenBLAS builds; they slow a current one) so the reference gets its best BLAS kernel.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { generateBenchData } from "./metrics-data.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Timed {
  readonly wall_s: number;
  readonly max_rss_mb: number;
  readonly out: Record<string, unknown>;
}

/** Runs a command under /usr/bin/time -v; returns wall time, peak RSS and its JSON output. */
function timed(cmd: string, args: string[], out: string, env: NodeJS.ProcessEnv = process.env): Timed {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-v", cmd, ...args], { env, encoding: "utf8", maxBuffer: 64 << 20 });
  const wall_s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr ?? "").slice(-3000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  return { wall_s, max_rss_mb: rss ? Number(rss) / 1024 : NaN, out: JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown> };
}

const rows = Number(arg("rows", "50000"));
const dim = Number(arg("dim", "4096"));
const tsOnly = process.argv.includes("--ts-only");
const dir = arg("data", `.bench-tmp/metrics-${rows}x${dim}`);
const tGen = performance.now();
const data = await generateBenchData({ n_rows: rows, dim, seed: 1, out_dir: dir });
console.log(`data: ${data.n_rows} rows × ${dim} float32 in ${dir} (${((performance.now() - tGen) / 1000).toFixed(1)} s to generate or find)`);

const files = ["--table", data.table, "--vectors", data.vectors, "--energies", data.energies];
const ts = timed(process.execPath, ["--import", "tsx", "bench/metrics-ts.ts", ...files, "--out", join(dir, "ts.json")], join(dir, "ts.json"));
const tsTimings = ((ts.out["details"] as { timings_s?: Record<string, number> })?.timings_s ?? {}) as Record<string, number>;
console.log(`TypeScript: ${ts.wall_s.toFixed(1)} s, peak RSS ${(ts.max_rss_mb / 1024).toFixed(2)} GB  (${Object.entries(tsTimings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")})`);

let ref: Timed | null = null;
if (!tsOnly) {
  const env = { ...process.env };
  delete env["OPENBLAS_CORETYPE"];
  delete env["OPENBLAS_L2_SIZE"];
  ref = timed("/usr/bin/python3", ["python/tests/plan_reference.py", ...files, "--seed", "0", "--out", join(dir, "reference.json")], join(dir, "reference.json"), env);
  const refTimings = (ref.out["timings_s"] ?? {}) as Record<string, number>;
  console.log(`numpy/scikit-learn (plan code): ${ref.wall_s.toFixed(1)} s, peak RSS ${(ref.max_rss_mb / 1024).toFixed(2)} GB  (${Object.entries(refTimings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")})`);
  console.log(`BLAS: ${JSON.stringify(ref.out["blas"])}`);
}

const lines: string[] = [];
if (ref) {
  const a = { ...(ts.out["embedding"] as Record<string, number>), ...(ts.out["ebm"] as Record<string, number>) };
  const b = { ...(ref.out["embedding"] as Record<string, number>), ...(ref.out["ebm"] as Record<string, number>) };
  for (const k of Object.keys(b)) {
    const diff = Math.abs((a[k] ?? NaN) - b[k]!);
    const rel = diff / Math.max(Math.abs(b[k]!), 1e-300);
    lines.push(`| ${k} | ${a[k]?.toPrecision(6) ?? "—"} | ${b[k]!.toPrecision(6)} | ${k === "linear_probe_acc" ? `abs ${diff.toExponential(1)}` : `rel ${rel.toExponential(1)}`} |`);
  }
  console.log(`\nratio TS ÷ numpy/scikit-learn = ${(ts.wall_s / ref.wall_s).toFixed(3)}  (target ≤ 1.0)\n`);
  console.log(["| metric | TS | plan code | agreement |", "|---|---|---|---|", ...lines].join("\n"));
}

const section = [
  `\n## ${rows} × ${dim} — ${new Date().toISOString()}`,
  "",
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}; shared with other engineers' jobs, so wall times carry their load.`,
  "",
  `- TypeScript suite: **${ts.wall_s.toFixed(1)} s**, peak RSS **${(ts.max_rss_mb / 1024).toFixed(2)} GB** (${Object.entries(tsTimings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ")})`,
  ...(ref
    ? [
        `- plan's numpy/scikit-learn code: **${ref.wall_s.toFixed(1)} s**, peak RSS ${(ref.max_rss_mb / 1024).toFixed(2)} GB (${Object.entries((ref.out["timings_s"] ?? {}) as Record<string, number>).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ")})`,
        `- **ratio TS ÷ reference = ${(ts.wall_s / ref.wall_s).toFixed(3)}** (target ≤ 1.0)`,
        "",
        "| metric | TS | plan code | agreement |",
        "|---|---|---|---|",
        ...lines,
      ]
    : []),
  "",
].join("\n");
appendFileSync("bench/results/metrics-suite.md", section);
