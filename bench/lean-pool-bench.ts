/**
 * Overhead of the REPL pool + tracer, and worker utilisation, against the protocol double.
 *
 *   A. 1 worker, Lean time 0: every millisecond per theorem is overhead (request encoding, pipe,
 *      the double's own JSON parse/render — a real repl pays that too —, response parsing, the
 *      proof check, pair extraction, the chunk append). Side by side: the same with 40 ms of
 *      simulated Lean time, to show the overhead does not grow with Lean time.
 *   B. 8 workers, 2,000 synthetic theorems, 40 ms of Lean time each: utilisation = time workers
 *      spend on theorem requests / (8 × tracing wall time), and non-Lean time per theorem =
 *      (8 × wall − Σ Lean time) / n (idle gaps included).
 *
 * Run: node --import tsx bench/lean-pool-bench.ts [--n 2000] [--workers 8] [--lean-ms 40]
 * Writes bench/results/lean-pool-bench.md (and prints it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { traceTheorems, type TraceResult } from "../src/lean/trace-theorems.js";
import type { TraceTheorem } from "../src/lean/trace-outcome.js";
import { doubleCommand } from "../test/fixtures/repl-double/double.js";

const { values: f } = parseArgs({ options: { n: { type: "string" }, workers: { type: "string" }, "lean-ms": { type: "string" } } });
const N = Number(f.n ?? 2000);
const WORKERS = Number(f.workers ?? 8);
const LEAN_MS = Number(f["lean-ms"] ?? 40);
const HEADER = "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen BigOperators Real Nat Topology Rat";

function theorems(n: number, prefix: string): TraceTheorem[] {
  return Array.from({ length: n }, (_, i) => {
    const proof = ["  have h₂ : x = 2 := h₀", "  subst h₂", "  nlinarith [sq_nonneg (x - y), sq_nonneg (x + y),\n    h₁]", "  norm_num"].slice(0, 2 + (i % 3)).join("\n");
    const name = `${prefix}_${i}`;
    return { name, source: "workbook", header: HEADER, code: `theorem ${name} (x y : ℝ) (h₀ : x = 2) (h₁ : y = ${i}) : x + y = ${i + 2} := by\n${proof}`, proof };
  });
}

interface Measured {
  readonly r: TraceResult;
  readonly wall_ms: number;
  readonly trace_ms: number;
  /** CPU time of this process (pool + tracer: protocol, checks, pairs, chunk appends, /proc sampling), ms. */
  readonly cpu_ms: number;
  /** Per theorem: request wall in the client − the double's own time for it (pipes, parsing, scheduling), ms. */
  readonly client_rtt_overhead_ms: number;
}

async function measure(tag: string, n: number, workers: number, lean_ms: number, dir: string): Promise<Measured> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let last = t0;
  const r = await traceTheorems({
    theorems: theorems(n, tag),
    out_dir: join(dir, tag),
    pool: { command: doubleCommand({ lean_ms, header_ms: 50, timing: join(dir, `${tag}-timing.txt`) }), workers, mem_cap_mb: null, max_uses: 1000 },
    timeout_s: 60,
    on_progress: () => {
      last = performance.now();
    },
  });
  const pool_start_ms = Number(r.report.details.run["pool_start_s"]) * 1000;
  if (r.report.values["traced_ok"] !== n) throw new Error(`${tag}: ${r.report.values["traced_ok"]}/${n} traced: ${JSON.stringify(r.report.details.all.categories)}`);
  const c = process.cpuUsage(c0);
  // The double times every request it answers (header imports first in each worker's file: skip them).
  const timingFile = join(dir, `${tag}-timing.txt`);
  const doubleMs = existsSync(timingFile)
    ? readFileSync(timingFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map(Number)
    : [];
  const theoremDoubleMs = doubleMs.reduce((s, x) => s + x, 0) - r.pool!.header_imports * 50;
  const rtt = r.outcomes.reduce((s, o) => s + o.wall_ms, 0);
  return { r, wall_ms: performance.now() - t0, trace_ms: last - (t0 + pool_start_ms), cpu_ms: (c.user + c.system) / 1000, client_rtt_overhead_ms: (rtt - theoremDoubleMs) / n };
}

const load0 = loadavg();
const dir = mkdtempSync(join(tmpdir(), "burnqed-bench-"));
try {
  const a0 = await measure("a0", 500, 1, 0, dir);
  const a40 = await measure("a40", 100, 1, LEAN_MS, dir);
  const b = await measure("b", N, WORKERS, LEAN_MS, dir);

  const overhead0 = a0.trace_ms / 500;
  const overhead40 = a40.trace_ms / 100 - LEAN_MS;
  const st = b.r.pool!;
  const theoremBusy = st.busy_ms.reduce((s, x) => s + x, 0) - st.header_busy_ms;
  const util = theoremBusy / (WORKERS * b.trace_ms);
  const nonLean = (WORKERS * b.trace_ms - N * LEAN_MS) / N;
  const ideal = (N * LEAN_MS) / WORKERS;
  const lines = [
    `# REPL pool + tracer against the protocol double (${new Date().toISOString().slice(0, 10)})`,
    "",
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, load average before the run ${load0.map((x) => x.toFixed(1)).join(" / ")} (other work shares the cores). Command: \`node --import tsx bench/lean-pool-bench.ts --n ${N} --workers ${WORKERS} --lean-ms ${LEAN_MS}\`.`,
    "The double is a real child process per worker (own process group, stdin/stdout pipes, the repl's pretty JSON);",
    "every theorem goes through the whole tracer: allTactics command, proof check, pair extraction, one chunk-file append.",
    "",
    "| Measurement | Value | Target |",
    "|---|---:|---|",
    `| A. overhead per theorem, 1 worker, Lean time 0 (500 theorems) | ${overhead0.toFixed(2)} ms | < 5 ms |`,
    `| A. of which CPU time of the pool + tracer process (the rest is the double, the pipes and scheduling) | ${(a0.cpu_ms / 500).toFixed(2)} ms | |`,
    `| A. request round trip − the double's own time (pipes both ways, response parsing, scheduling) | ${a0.client_rtt_overhead_ms.toFixed(2)} ms | |`,
    `| A'. same with ${LEAN_MS} ms Lean time: per-theorem wall − ${LEAN_MS} ms (100 theorems; includes the double's timer overshoot) | ${overhead40.toFixed(2)} ms | < 5 ms |`,
    `| B. worker utilisation, ${WORKERS} workers, ${N} theorems × ${LEAN_MS} ms | ${(100 * util).toFixed(1)} % | > 90 % |`,
    `| B. CPU time of the pool + tracer process per theorem (protocol, proof check, pairs, chunk append, /proc sampling) | ${(b.cpu_ms / N).toFixed(2)} ms | < 5 ms |`,
    `| B. request round trip − the double's own time, per theorem | ${b.client_rtt_overhead_ms.toFixed(2)} ms | < 5 ms |`,
    `| B. non-Lean time per theorem per worker slot, idle included: (${WORKERS} × wall − Σ Lean) / n | ${nonLean.toFixed(2)} ms | < 5 ms |`,
    `| B. tracing wall vs ideal (${N} × ${LEAN_MS} ms / ${WORKERS}) | ${(b.trace_ms / 1000).toFixed(2)} s vs ${(ideal / 1000).toFixed(2)} s (ratio ${(b.trace_ms / ideal).toFixed(3)}) | |`,
    `| B. pool start (spawn ${WORKERS} workers, import the header in each, 50 ms simulated) | ${(Number(b.r.report.details.run["pool_start_s"]) * 1000).toFixed(0)} ms | |`,
    `| B. pairs written / chunk files | ${b.r.report.values["pairs"]} / ${Math.ceil(0.2 * N / 500) + Math.ceil(0.8 * N / 500)} | |`,
    "",
    "Overhead is everything except Lean's own (simulated) time, measured end to end on the tracer's real path.",
    "The last B row also counts the double's own work (its JSON parse and pretty-printing, ~0.2 ms, its 40 ms timer",
    "overshooting) and the time 8 double processes + the tracer wait for 2 shared cores; the rows above it separate",
    "the pool + tracer's share (CPU of this process; round trip minus the double's self-timed work).",
    "",
  ];
  const text = lines.join("\n");
  process.stdout.write(text);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/lean-pool-bench.md", text);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
