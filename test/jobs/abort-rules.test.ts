import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortMonitor, TASK_4_1_ABORT_RULES, replayAbortRules } from "../../src/jobs/index.js";
import type { AbortRule, JobEvent, MetricEvent } from "../../src/jobs/index.js";

const m = (name: string, step: number, value: number): MetricEvent => ({ event: "metric", t: step / 100, name, value, step });

/** Ids of the Task 4.1 rules that fire on this stream, with their steps. */
function fired(stream: MetricEvent[]): Array<[string, number]> {
  return replayAbortRules(stream, TASK_4_1_ABORT_RULES).map((f) => [f.rule.id, f.step]);
}

test("Task 4.1 table: ids, thresholds, remedies", () => {
  const byId = new Map(TASK_4_1_ABORT_RULES.map((r) => [r.metric, r]));
  assert.equal(byId.get("centroid_l2")?.remedy, "increase λ to 0.3, restart from checkpoint");
  assert.equal(byId.get("sft_loss")?.remedy, "decrease λ to 0.03, restart");
  assert.equal(byId.get("ebm_rank1")?.remedy, "check data pipeline");
  assert.equal(byId.get("temperature")?.remedy, "debug energy scale");
  assert.equal(byId.get("*")?.remedy, "check gradient clipping, temperature clamp");
  assert.ok(Object.isFrozen(TASK_4_1_ABORT_RULES) && Object.isFrozen(TASK_4_1_ABORT_RULES[0]));
});

test("centroid_l2 < 3.0 fires at any eval, 3.0 itself does not", () => {
  assert.deepEqual(fired([m("centroid_l2", 500, 3.0), m("centroid_l2", 1000, 3.5)]), []);
  assert.deepEqual(fired([m("centroid_l2", 0, 2.99)]), [["centroid_l2_below_3", 0]]);
});

test("sft_loss > 0.5 only after step 2000: step 2000 does not fire, 2001 does", () => {
  assert.deepEqual(fired([m("sft_loss", 100, 0.9), m("sft_loss", 2000, 0.9)]), []);
  assert.deepEqual(fired([m("sft_loss", 2001, 0.9)]), [["sft_loss_above_0.5_after_2000", 2001]]);
  assert.deepEqual(fired([m("sft_loss", 2500, 0.5)]), []); // strictly greater
  assert.deepEqual(fired([m("sft_loss", 2500, 0.5000001)]), [["sft_loss_above_0.5_after_2000", 2500]]);
});

test("ebm_rank1 < 0.25 only after step 2000", () => {
  assert.deepEqual(fired([m("ebm_rank1", 2000, 0.1), m("ebm_rank1", 2001, 0.25)]), []);
  assert.deepEqual(fired([m("ebm_rank1", 2001, 0.2499)]), [["ebm_rank1_below_0.25_after_2000", 2001]]);
});

const temps = (from: number, to: number, every: number, value: number): MetricEvent[] => {
  const out: MetricEvent[] = [];
  for (let s = from; s <= to; s += every) out.push(m("temperature", s, value));
  return out;
};

test("temperature at a bound for 450 steps then leaving does not fire", () => {
  assert.deepEqual(fired([...temps(1000, 1450, 50, 0.1), m("temperature", 1500, 0.5), ...temps(1550, 1950, 50, 10.0)]), []);
});

test("temperature at a bound for 500 steps fires (floor and ceiling, relative tolerance 1e-6)", () => {
  assert.deepEqual(fired(temps(1000, 1500, 50, 0.1)), [["temperature_at_bound_500_steps", 1500]]);
  assert.deepEqual(fired(temps(0, 500, 1, 10.0 * (1 + 5e-7))), [["temperature_at_bound_500_steps", 500]]);
  assert.deepEqual(fired(temps(0, 1000, 100, 10.0 * (1 + 2e-6))), []); // outside the tolerance
  assert.deepEqual(fired(temps(0, 499, 1, 0.1)), []);
});

test("a non-finite observation breaks a temperature streak, and fires the NaN rule", () => {
  const stream = [...temps(0, 300, 50, 0.1), m("temperature", 350, Number.NaN), ...temps(400, 850, 50, 0.1)];
  assert.deepEqual(fired(stream), [["non_finite_metric", 350]]);
  assert.deepEqual(fired([...stream, m("temperature", 900, 0.1)]), [["non_finite_metric", 350], ["temperature_at_bound_500_steps", 900]]);
});

test("any metric NaN or ±Inf fires once per metric; NaN never satisfies comparisons", () => {
  assert.deepEqual(fired([m("sft_loss", 2500, Number.NaN), m("sft_loss", 2600, Number.NaN), m("grad_norm", 10, Number.POSITIVE_INFINITY), m("ebm_loss", 10, Number.NEGATIVE_INFINITY)]), [
    ["non_finite_metric", 2500],
    ["non_finite_metric", 10],
    ["non_finite_metric", 10],
  ]);
});

test("healthy Task 4.1 trajectory (plan's expected monitoring table) fires nothing", () => {
  const stream: MetricEvent[] = [];
  for (let s = 0; s <= 6000; s += 50) {
    stream.push(m("sft_loss", s, 0.45 - (0.17 * s) / 6000), m("temperature", s, 1.0), m("ebm_loss", s, 2.08 - s / 5000));
    if (s % 500 === 0) stream.push(m("centroid_l2", s, 4 + s / 6000), m("ebm_rank1", s, 0.3 + s / 60000));
  }
  assert.deepEqual(fired(stream), []);
});

test("observe returns the first firing once; message names rule, step, value and remedy", () => {
  const monitor = new AbortMonitor(TASK_4_1_ABORT_RULES);
  assert.equal(monitor.observe(m("sft_loss", 2000, 0.7)), null);
  const f = monitor.observe(m("sft_loss", 2050, 0.6));
  assert.ok(f);
  assert.equal(f.rule.id, "sft_loss_above_0.5_after_2000");
  assert.equal(f.step, 2050);
  assert.equal(f.value, 0.6);
  assert.match(f.message, /sft_loss_above_0\.5_after_2000.*step 2050.*sft_loss = 0\.6.*decrease λ to 0\.03, restart/);
  assert.equal(monitor.observe(m("sft_loss", 2100, 0.8)), null); // already fired
});

test("custom rules: <=, >=, for_steps on comparisons, validation errors name the rule", () => {
  const rules: AbortRule[] = [
    { id: "le", metric: "a", op: "<=", threshold: 1, message: "a low", remedy: "r1" },
    { id: "ge_long", metric: "b", op: ">=", threshold: 5, for_steps: 100, message: "b high", remedy: "r2" },
  ];
  const events: JobEvent[] = [
    { event: "progress", t: 0, step: 0, total: 10 },
    m("a", 1, 1.01), m("a", 2, 1),
    m("b", 0, 5), m("b", 60, 6), m("b", 99, 7), m("b", 100, 5),
  ];
  assert.deepEqual(replayAbortRules(events, rules).map((f) => [f.rule.id, f.step]), [["le", 2], ["ge_long", 100]]);
  assert.throws(() => new AbortMonitor([{ id: "bad", metric: "x", op: "<", message: "", remedy: "" }]), /abort rule 'bad': op '<' needs a finite threshold/);
  assert.throws(() => new AbortMonitor([{ id: "nb", metric: "x", op: "at_bound", message: "", remedy: "" }]), /'nb'.*bounds/);
  assert.throws(() => new AbortMonitor([rules[0]!, rules[0]!]), /duplicate id 'le'/);
});
