import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { TASK_4_1_ABORT_RULES, runJob } from "../../src/jobs/index.js";
import { runWithRemedies } from "../../src/stages/joint.js";
import { fixtureJobSpec } from "../helpers/fixture-jobs.js";
import { tmpDir } from "../helpers/tmp-run.js";

// The joint stage's on_abort loop over the real job runner and a real Python job
// (test/fixtures/jobs/burnqed_fixtures/metric_stream.py): a rule fires live, the runner stops the
// job and keeps its checkpoint, the loop restarts it from there with the plan's remedy.

let tmp = "";
let cleanup = () => {};
before(() => {
  ({ dir: tmp, cleanup } = tmpDir());
});
after(() => cleanup());

type Metric = [string, number, number];
const healthy = (from: number, to: number): Metric[] => {
  const out: Metric[] = [];
  for (let step = from; step <= to; step += 50) out.push(["centroid_l2", step, 5.0], ["sft_loss", step, 0.4]);
  return out;
};
/** centroid_l2 collapses to 2.1 at `at` (rule centroid_l2_below_3), after checkpoints every 500 steps. */
const collapsing = (at: number): Metric[] => [...healthy(50, at - 50), ["centroid_l2", at, 2.1]];

interface Attempt { readonly extra: Record<string, unknown>; readonly jobDir: string }

function harness(plan: (attempt: number, extra: Record<string, unknown>) => Metric[]) {
  const attempts: Attempt[] = [];
  const jobDir = mkdtempSync(path.join(tmp, "job-"));
  const ckpt = mkdtempSync(path.join(tmp, "ckpt-"));
  const runOnce = (extra: Record<string, unknown>) => {
    attempts.push({ extra, jobDir });
    const metrics = plan(attempts.length, extra);
    const steps = [...new Set(metrics.map(([, s]) => s))].filter((s) => s % 500 === 0);
    return runJob(fixtureJobSpec("metric_stream", { metrics, checkpoint_steps: steps, out_dir: ckpt, sleep_s: 0, linger_s: 0, ...extra }, jobDir, { job: "joint_train", abort_rules: TASK_4_1_ABORT_RULES }));
  };
  const eventsFile = path.join(jobDir, "events.jsonl");
  const readEvents = () => (existsSync(eventsFile) ? readFileSync(eventsFile, "utf8") : null);
  return { attempts, runOnce, readEvents, ckpt };
}

test("apply_remedy: a collapse at step 1250 restarts from the step-1000 checkpoint with the remedy, once, and the stream of both attempts is kept", async () => {
  const h = harness((n) => (n === 1 ? collapsing(1250) : healthy(1050, 3000)));
  const logged: string[] = [];
  const { restarts, events } = await runWithRemedies(h.runOnce, h.readEvents, { on_abort: "apply_remedy", max_restarts: 2 }, (l) => logged.push(l));
  assert.equal(h.attempts.length, 2);
  assert.deepEqual(h.attempts[0]!.extra, {});
  const from = path.join(h.ckpt, "ckpt-1000.txt");
  assert.deepEqual(h.attempts[1]!.extra, { resume_from_checkpoint: from, remedy: "centroid_l2_below_3" });
  assert.equal(restarts.length, 1);
  assert.deepEqual({ ...restarts[0]! }, { rule: "centroid_l2_below_3", step: 1250, value: 2.1, remedy: restarts[0]!.remedy, from_checkpoint: from });
  assert.match(restarts[0]!.remedy, /0\.3/); // the plan: increase λ to 0.3
  assert.equal(events.length, 2);
  assert.match(events[0]!, /"step":1250/);
  assert.doesNotMatch(events[0]!, /"step":3000/);
  assert.match(events[1]!, /"step":3000/);
  assert.match(logged.join("\n"), /centroid_l2_below_3 fired at step 1250 .* restarting from .*ckpt-1000\.txt/);
});

test("on_abort stop: the stage fails naming the rule, the value, the kept checkpoint and the --set that restarts it", async () => {
  const h = harness(() => collapsing(1250));
  await assert.rejects(runWithRemedies(h.runOnce, h.readEvents, { on_abort: "stop", max_restarts: 2 }, () => {}), (e: Error) => {
    assert.match(e.message, /abort rule centroid_l2_below_3 fired at step 1250 \(centroid_l2 = 2\.1\)/);
    assert.match(e.message, /Last checkpoint kept: .*ckpt-1000\.txt/);
    assert.match(e.message, /--set joint_train\.on_abort=apply_remedy/);
    return true;
  });
  assert.equal(h.attempts.length, 1);
});

test("the restart budget: a run that collapses after every restart stops after max_restarts, listing them", async () => {
  const h = harness((n) => collapsing(1250 + (n - 1) * 1000));
  await assert.rejects(runWithRemedies(h.runOnce, h.readEvents, { on_abort: "apply_remedy", max_restarts: 1 }, () => {}), /restart budget is spent \(max_restarts 1: centroid_l2_below_3 at step 1250\)/);
  assert.equal(h.attempts.length, 2);
});

test("a rule without a config remedy (EBM rank-1) and a collapse before any checkpoint are not restarted", async () => {
  const rank = harness(() => [...healthy(50, 2000), ["ebm_rank1", 2050, 0.1]]);
  await assert.rejects(runWithRemedies(rank.runOnce, rank.readEvents, { on_abort: "apply_remedy", max_restarts: 2 }, () => {}), (e: Error) => {
    assert.match(e.message, /abort rule ebm_rank1_below_0\.25_after_2000 fired at step 2050 \(ebm_rank1 = 0\.1\)/);
    assert.doesNotMatch(e.message, /on_abort=apply_remedy|restart budget/);
    return true;
  });
  assert.equal(rank.attempts.length, 1);
  const early = harness(() => collapsing(300));
  await assert.rejects(runWithRemedies(early.runOnce, early.readEvents, { on_abort: "apply_remedy", max_restarts: 2 }, () => {}), /No checkpoint was written before it fired/);
  assert.equal(early.attempts.length, 1);
});
