import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDecade, formatTick, logTicks, niceTicks } from "../../src/viz/index.js";

test("niceTicks: 1-2-5 steps covering the data", () => {
  const t = niceTicks(0, 9.3);
  assert.deepEqual(t.ticks.map((x) => x.label), ["0", "2", "4", "6", "8", "10"]);
  assert.deepEqual(t.domain, [0, 10]);
});

test("niceTicks: fractional steps print without float noise", () => {
  const t = niceTicks(0.3, 0.9);
  assert.deepEqual(t.ticks.map((x) => x.label), ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]);
  assert.deepEqual(t.ticks.map((x) => x.value), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
});

test("niceTicks: straddling zero includes 0 and widens to whole steps", () => {
  const t = niceTicks(-3.3, 7.1);
  assert.deepEqual(t.ticks.map((x) => x.value), [-4, -2, 0, 2, 4, 6, 8]);
});

test("niceTicks: a constant or non-finite range still gives a usable axis", () => {
  assert.ok(niceTicks(5, 5).ticks.length >= 2);
  assert.deepEqual(niceTicks(NaN, Infinity).domain, [0, 1]);
});

test("logTicks: one tick per decade, exact powers of ten", () => {
  const t = logTicks(0.003, 420);
  assert.deepEqual(t.ticks.map((x) => x.label), ["0.001", "0.01", "0.1", "1", "10", "100", "1000"]);
  assert.deepEqual(t.ticks.map((x) => x.value), [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]);
  assert.deepEqual(t.domain, [1e-3, 1e3]);
});

test("logTicks: many decades label every n-th decade", () => {
  const t = logTicks(1e-12, 1e6);
  assert.deepEqual(t.ticks.map((x) => x.label), ["1e-12", "1e-9", "1e-6", "0.001", "1", "1000", "1e6"]);
});

test("logTicks: within one decade still spans a full decade", () => {
  assert.deepEqual(logTicks(2, 8).ticks.map((x) => x.label), ["1", "10"]);
});

test("formatTick / formatDecade are fixed-format", () => {
  assert.equal(formatTick(-0.0000001, 0.1), "0.0");
  assert.equal(formatTick(0.25, 0.05), "0.25");
  assert.equal(formatTick(2_500_000, 500_000), "2.50e6");
  assert.equal(formatDecade(-4), "1e-4");
  assert.equal(formatDecade(4), "10000");
});
