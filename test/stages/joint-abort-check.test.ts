import { test } from "node:test";
import assert from "node:assert/strict";
import { TASK_4_1_ABORT_RULES, ruleCoverage } from "../../src/jobs/abort-rules.js";
import type { MetricEvent } from "../../src/jobs/index.js";
import { JOINT_CURVES, jointCurvesSvg, jointSeries } from "../../src/stages/joint.js";

// iter_1/abort-check on a stream that lacks some metrics (what the real e2e run's tiny fixture
// gives: no held-out groups, so no centroid_l2 / ebm_rank1): those rules are "not evaluated", not
// "did not fire"; and the curves notebook 03 shows are drawn from the recorded stream.

const m = (name: string, step: number, value: number): MetricEvent => ({ event: "metric", t: step / 100, name, value, step });
const rule = (id: string) => {
  const r = TASK_4_1_ABORT_RULES.find((x) => x.id === id);
  assert.ok(r, id);
  return r;
};
const stream: MetricEvent[] = [0, 5, 10, 15].flatMap((s) => [m("sft_loss", s, 0.4 - s / 100), m("infonce_loss", s, 1.4 - s / 50), m("lambda_ebm", s, 0.1), m("temperature", s, 1)]);

test("rule coverage: a missing metric, a metric only before after_step, and an observed one", () => {
  assert.deepEqual(ruleCoverage(stream, rule("centroid_l2_below_3")), { n_observed: 0, why_not: "no centroid_l2 events in the stream" });
  assert.deepEqual(ruleCoverage(stream, rule("sft_loss_above_0.5_after_2000")), { n_observed: 0, why_not: "no sft_loss events after step 2000 (the stream ends at step 15)" });
  assert.deepEqual(ruleCoverage([...stream, m("sft_loss", 2001, 0.3)], rule("sft_loss_above_0.5_after_2000")), { n_observed: 1, why_not: null });
  assert.deepEqual(ruleCoverage(stream, rule("non_finite_metric")), { n_observed: 16, why_not: null });
  assert.deepEqual(ruleCoverage([], rule("non_finite_metric")), { n_observed: 0, why_not: "no metric events in the stream" });
  // a rule that must hold for 500 steps cannot fire on 15 steps of temperature, nor on 499
  assert.deepEqual(ruleCoverage(stream, rule("temperature_at_bound_500_steps")), { n_observed: 4, why_not: "its temperature events span 15 steps, fewer than the 500 the condition must hold for" });
  assert.equal(ruleCoverage([m("temperature", 1, 1), m("temperature", 500, 1)], rule("temperature_at_bound_500_steps")).why_not?.includes("499 steps"), true);
  assert.deepEqual(ruleCoverage([m("temperature", 0, 1), m("temperature", 500, 1)], rule("temperature_at_bound_500_steps")), { n_observed: 2, why_not: null });
});

test("joint curves: λ·EBM is lambda_ebm × infonce_loss at each step; an absent curve says so; DEMO is marked", () => {
  const series = jointSeries(stream);
  assert.deepEqual(series.get("lambda_x_ebm")?.map(([s, v]) => [s, Number(v.toFixed(6))]), [[0, 0.14], [5, 0.13], [10, 0.12], [15, 0.11]]);
  const svg = jointCurvesSvg(stream, false);
  assert.ok(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  assert.equal((svg.match(/<svg /g) ?? []).length, 1 + 4, "the outer chart and one per present curve (sft_loss, infonce_loss, λ·EBM, temperature)");
  for (const missing of ["centroid_l2", "ebm_rank1", "val_sft_loss", "val_infonce_loss"]) assert.match(svg, new RegExp(`${missing}: no events`));
  assert.match(svg, /λ·EBM \(lambda_ebm × infonce_loss\)/);
  assert.doesNotMatch(svg, /DEMO/);
  assert.match(jointCurvesSvg(stream, true), /DEMO: the demo world&#39;s stream, not a training run/);
  assert.equal(JOINT_CURVES.length, 8);
});
