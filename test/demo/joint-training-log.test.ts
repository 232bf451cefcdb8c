import { test } from "node:test";
import assert from "node:assert/strict";
import { generateDemoWorld, jointTrainingLog, unhealthyJointTrainingLog, type DemoMetricEvent } from "../../src/demo/index.js";

const series = (log: readonly DemoMetricEvent[], name: string): DemoMetricEvent[] => log.filter((e) => e.name === name);

test("healthy log: the plan's abort rules do not fire", () => {
  const world = generateDemoWorld({ seed: 5, n_theorems: 60, n_search_theorems: 20, n_minif2f: 10 });
  const log = world.joint_training_log;
  assert.ok(log.every((e) => e.event === "metric" && Number.isFinite(e.value)));
  const sft = series(log, "sft_loss");
  assert.equal(sft.length, 121);
  assert.deepEqual([sft[0]!.step, sft[1]!.step, sft.at(-1)!.step], [0, 50, 6000]);
  assert.ok(Math.abs(sft[0]!.value - 0.45) < 0.05 && Math.abs(sft.at(-1)!.value - 0.28) < 0.05);
  assert.ok(sft.filter((e) => e.step > 2000).every((e) => e.value < 0.5));
  const ebm = series(log, "ebm_loss");
  assert.ok(Math.abs(ebm[0]!.value - 2.08) < 0.2 && Math.abs(ebm.at(-1)!.value - 0.8) < 0.2);
  const temp = series(log, "temperature");
  assert.equal(temp.length, 121);
  assert.ok(temp.every((e) => e.value > 0.1 && e.value < 10 && e.value >= 0.5 && e.value <= 3));
  const centroid = series(log, "centroid_l2");
  assert.deepEqual(centroid.map((e) => e.step), Array.from({ length: 13 }, (_, i) => i * 500));
  assert.ok(centroid.every((e) => e.value >= 3.0));
  assert.equal(centroid[0]!.value, +world.planted.iter_0.population_centroid_l2.toFixed(5));
  assert.ok(centroid.at(-1)!.value >= centroid[0]!.value + 1, "≥ baseline + 1 by the end");
  assert.ok(series(log, "ebm_rank1").filter((e) => e.step > 2000).every((e) => e.value >= 0.25));
  for (let i = 1; i < log.length; i++) {
    assert.ok(log[i]!.step >= log[i - 1]!.step && log[i]!.t >= log[i - 1]!.t, "ordered by step and time");
  }
});

test("centroid_collapse: centroid_l2 is 2.5 at step 3000 and fine before", () => {
  const log = unhealthyJointTrainingLog("centroid_collapse");
  const c = series(log, "centroid_l2");
  assert.ok(c.filter((e) => e.step < 3000).every((e) => e.value >= 3));
  assert.equal(c.find((e) => e.step === 3000)!.value, 2.5);
  assert.ok(c.filter((e) => e.step >= 3000).every((e) => e.value < 3));
  assert.deepEqual(series(log, "temperature"), series(jointTrainingLog(), "temperature"));
});

test("temperature_pinned: 10.0 from step 1000 to 1600, healthy elsewhere", () => {
  const temp = series(unhealthyJointTrainingLog("temperature_pinned"), "temperature");
  const pinned = temp.filter((e) => e.value === 10);
  assert.deepEqual(pinned.map((e) => e.step), Array.from({ length: 13 }, (_, i) => 1000 + 50 * i));
  assert.ok(temp.filter((e) => e.value !== 10).every((e) => e.value >= 0.5 && e.value <= 3));
  assert.throws(() => unhealthyJointTrainingLog("bogus" as never), /unknown kind 'bogus'/);
});
