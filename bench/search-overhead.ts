/**
 * Search engine overhead (issue 14): the project's runner + best-first search core at the plan's
 * pool budget (800 nodes, 16 candidates, concurrency 10) over a fake policy and a fake Lean with
 * given mean latencies (each call uniform in 0.5–1.5× the mean, seeded), so every millisecond the process spends not waiting is the engine's:
 * queue, scoring arithmetic, tree bookkeeping, chunk files.
 *
 *   node --import tsx bench/search-overhead.ts [--theorems 40] [--policy-ms 40] [--lean-ms 3] [--out F]
 *
 * Measured in one process, side by side: concurrency 10 (the plan's) on --theorems, and 1 on 3 of them.
 * - engine overhead, from a CPU profile of the run (node:inspector, 0.5 ms sampling): (a) self time
 *   in the project's code (src/: the runner, the search core, chunk files) as a share of wall — the
 *   engine proper; (b) an upper bound: every non-idle sample (the fakes' own work, GC, timers and
 *   the runtime included);
 * - policy busy = the share of wall time with at least one propose() in flight, and the mean number
 *   in flight (a batched server is kept busy by the requests it has).
 * Targets: overhead < 2 % of wall; policy busy >= 95 % at concurrency 10.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createHash } from "node:crypto";
import { Session } from "node:inspector/promises";
import { runSearches } from "../src/prover/search-runner.js";
import { normalizeSearchConfig } from "../src/search/search-config.js";
import type { Policy, PolicyCandidate, ProposeOptions } from "../src/search/policy.js";
import type { ProofEnv, TacticOutcome, VerifyResult } from "../src/search/proof-env.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg("theorems", "40"));
const POLICY_MS = Number(arg("policy-ms", "40"));
const LEAN_MS = Number(arg("lean-ms", "3"));
const out = arg("out", "");
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// latencies vary around their mean (uniform 0.5x-1.5x, seeded): fixed ones put every theorem in lockstep
let seed = 12345;
const jitter = (ms: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return ms * (0.5 + seed / 2 ** 31);
};
const h = (s: string) => createHash("sha1").update(s).digest();

/** Fixed latency per call; records in-flight intervals. */
class FakePolicy implements Policy {
  inFlight = 0;
  private last = 0;
  busyMs = 0;
  weightedMs = 0;
  calls = 0;
  private mark(delta: number): void {
    const now = performance.now();
    if (this.inFlight > 0) this.busyMs += now - this.last;
    this.weightedMs += this.inFlight * (now - this.last);
    this.last = now;
    this.inFlight += delta;
  }
  reset(): void {
    this.last = performance.now();
    this.busyMs = this.weightedMs = this.calls = 0;
  }
  async propose(state_pp: string, o: ProposeOptions): Promise<PolicyCandidate[]> {
    this.mark(+1);
    this.calls++;
    await sleep(jitter(POLICY_MS));
    this.mark(-1);
    const d = h(state_pp);
    return Array.from({ length: o.n }, (_, i) => ({ tactic: `tac_${d[i % 20]}_${i}`, log_prob_sum: -1 - (d[(i + 3) % 20]! / 64), n_tokens: 4 + (i % 5) }));
  }
}

/** A Lean that never closes the goal: every search runs to its node budget. */
class FakeEnv implements ProofEnv<string> {
  constructor(private readonly name: string) {}
  async root() {
    return { goals_pp: `⊢ ${this.name}`, handle: this.name };
  }
  async apply(handle: string, tactic: string): Promise<TacticOutcome<string>> {
    await sleep(jitter(LEAN_MS));
    const d = h(handle + tactic);
    if (d[0]! < 64) return { kind: "error", message: "tactic failed", lean_ms: LEAN_MS };
    const next = `${handle}/${d.toString("hex", 0, 4)}`;
    return { kind: "ok", goals_pp: `x : ℕ\n⊢ ${next}`, handle: next, no_goals: false, lean_ms: LEAN_MS };
  }
  async verify(): Promise<VerifyResult> {
    return { ok: false, reason: "never" };
  }
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self time (ms) by where the code lives: the project's src/, this bench's fakes, everything else (GC, timers, node). */
function selfTimeByPlace(p: CpuProfile): { src: number; bench: number; runtime: number } {
  const url = new Map(p.nodes.map((n) => [n.id, n.callFrame.url] as const));
  const fn = new Map(p.nodes.map((n) => [n.id, n.callFrame.functionName] as const));
  const out = { src: 0, bench: 0, runtime: 0 };
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const u = url.get(id) ?? "";
    if (fn.get(id) === "(idle)") return;
    if (u.includes("/src/")) out.src += ms;
    else if (u.includes("/bench/")) out.bench += ms;
    else out.runtime += ms;
  });
  return out;
}

async function measure(concurrency: number, n: number) {
  const dir = mkdtempSync(join(tmpdir(), "search-overhead-"));
  const policy = new FakePolicy();
  const tasks = Array.from({ length: n }, (_, i) => ({ name: `t${i}`, header: "", statement: `theorem t${i} : True :=` }));
  try {
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    const t0 = performance.now();
    policy.reset();
    const s = await runSearches({
      tasks,
      config: normalizeSearchConfig({ max_nodes: 800, n_candidates: 16, temperature: 1.3, timeout_s: 300, tactic_timeout_s: 30, max_depth: 50 }),
      concurrency,
      chunks_dir: dir,
      chunk_size: 100,
      policy,
      openEnv: (t) => Object.assign(new FakeEnv(t.name), { close: async () => {} }),
    });
    const wall_ms = performance.now() - t0;
    const { profile } = (await session.post("Profiler.stop")) as { profile: CpuProfile };
    session.disconnect();
    const self = selfTimeByPlace(profile);
    const nodes = [...s.results.values()].reduce((a, r) => a + r.nodes.length, 0);
    return {
      concurrency,
      theorems: s.results.size,
      nodes,
      policy_calls: policy.calls,
      wall_s: wall_ms / 1000,
      engine_self_share: self.src / wall_ms,
      fakes_self_share: self.bench / wall_ms,
      runtime_self_share: self.runtime / wall_ms,
      non_idle_share_upper_bound: (self.src + self.bench + self.runtime) / wall_ms,
      policy_busy_share: policy.busyMs / wall_ms,
      policy_mean_in_flight: policy.weightedMs / wall_ms,
      ideal_policy_bound_s: (policy.calls * POLICY_MS) / 1000 / concurrency,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const c10 = await measure(10, N);
const c1 = await measure(1, Math.min(N, 3)); // one at a time: a few theorems show the per-theorem cost
const result = {
  bench: "search-overhead",
  date: new Date().toISOString(),
  machine: `${cpus().length} cores, ${cpus()[0]?.model ?? "?"}, node ${process.version}`,
  budget: { max_nodes: 800, n_candidates: 16, policy_ms: POLICY_MS, lean_ms: LEAN_MS, theorems: N },
  runs: { c10, c1 },
  ratios: { c10_over_c1_theorems_per_s: c10.theorems / c10.wall_s / (c1.theorems / c1.wall_s) },
  targets: { engine_self_share: "< 0.02", policy_busy_share_c10: ">= 0.95" },
  met: { engine_c10: c10.engine_self_share < 0.02, engine_upper_bound_c10: c10.non_idle_share_upper_bound < 0.02, busy_c10: c10.policy_busy_share >= 0.95 },
};
console.log(JSON.stringify(result, null, 1));
if (out) writeFileSync(out, JSON.stringify(result) + "\n", { flag: "a" });
