import { test } from "node:test";
import assert from "node:assert/strict";
import { LivePlot, ProgressStats, TerminalProgress, formatDuration, resolveDisplayMode, sparklineSvg } from "../../src/jobs/index.js";
import type { JobEvent, ProgressStream } from "../../src/jobs/index.js";

const progress = (step: number, total: number, t: number): JobEvent => ({ event: "progress", t, step, total, unit: "rows" });

class FakeStream implements ProgressStream {
  readonly writes: string[] = [];
  constructor(readonly isTTY: boolean, readonly columns = 120) {}
  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }
}

test("display mode: explicit > BURNQED_DISPLAY > tslab kernel argv > terminal", () => {
  assert.equal(resolveDisplayMode("none", { BURNQED_DISPLAY: "notebook" }, []), "none");
  assert.equal(resolveDisplayMode("auto", { BURNQED_DISPLAY: "notebook" }, ["node"]), "notebook");
  assert.equal(resolveDisplayMode("auto", { BURNQED_DISPLAY: "terminal" }, ["node", "/x/tslab/bin/tslab", "kernel"]), "terminal");
  assert.equal(resolveDisplayMode("auto", {}, ["node", "/x/node_modules/tslab/bin/tslab", "kernel"]), "notebook");
  assert.equal(resolveDisplayMode("auto", {}, ["node", "cli.ts"]), "terminal");
  assert.throws(() => resolveDisplayMode("auto", { BURNQED_DISPLAY: "fancy" }, []), /BURNQED_DISPLAY.*"fancy"/);
});

test("rate and ETA come from the job clock", () => {
  const stats = new ProgressStats();
  stats.observe(progress(0, 100, 0));
  stats.observe(progress(50, 100, 10));
  const s = stats.snapshot();
  assert.ok(s);
  assert.equal(s.rate_per_s, 5);
  assert.equal(s.eta_s, 10);
  assert.equal(s.fraction, 0.5);
  assert.deepEqual(["12s", "3m07s", "2h05m", "?"], [formatDuration(12.2), formatDuration(187), formatDuration(7500), formatDuration(Number.NaN)]);
});

test("non-TTY: one line per 10% (or 10 s), then a final line", () => {
  const stream = new FakeStream(false);
  let now = 0;
  const bar = new TerminalProgress("embed", stream, () => now);
  for (let step = 0; step <= 100; step++) bar.onEvent(progress(step, 100, step / 10));
  assert.equal(stream.writes.length, 11);
  assert.ok(stream.writes.includes("embed 50/100 (50.0%) 10 rows/s ETA 5s\n"), stream.writes.join(""));
  now = 20_000; // 10 s later in the same bucket: one more line
  bar.onEvent(progress(100, 100, 12));
  assert.equal(stream.writes.length, 12);
  bar.finish({ ok: true });
  assert.match(stream.writes.at(-1) ?? "", /^embed 100\/100 .* done in 12s\n$/);
});

test("TTY: one redrawn line with a bar, throttled; warnings on their own line", () => {
  const stream = new FakeStream(true);
  let now = 0;
  const bar = new TerminalProgress("sft", stream, () => now);
  bar.onEvent(progress(0, 100, 0));
  bar.onEvent(progress(50, 100, 5)); // same ms: throttled
  assert.equal(stream.writes.length, 1);
  now = 200;
  bar.onEvent({ event: "metric", t: 5, name: "loss", value: 0.3125, step: 50 });
  assert.equal(stream.writes.at(-1), "\r\x1b[2Ksft [##########----------] 50/100 (50.0%) 10 rows/s ETA 5s loss=0.3125");
  bar.onEvent({ event: "warning", t: 6, message: "slow disk" });
  assert.ok(stream.writes.includes("sft: warning: slow disk\n"));
  bar.finish({ ok: false, message: "crashed (exit code 1)" });
  assert.match(stream.writes.at(-1) ?? "", /FAILED: crashed \(exit code 1\)\n$/);
});

test("sparkline: polyline of the points, min/max labels, escaped label, non-finite counted not drawn", () => {
  const svg = sparklineSvg([[0, 1], [10, 3], [20, Number.NaN], [30, 2]], { label: "<loss & co>", width: 100, height: 40 });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="100" height="40"/);
  assert.match(svg, /&lt;loss &amp; co&gt;/);
  assert.ok(!svg.includes("<loss"));
  const points = /points="([^"]+)"/.exec(svg)?.[1]?.split(" ") ?? [];
  assert.deepEqual(points, ["4.0,28.0", "34.7,14.0", "96.0,21.0"]); // x: 4 + step/30·92, y: 14 + (1 - (v-1)/2)·14
  assert.match(svg, /max 3</);
  assert.match(svg, /min 1</);
  assert.match(svg, /1 non-finite/);
  assert.ok(!sparklineSvg([[0, 5], [1, 5]]).includes("NaN")); // flat series
  assert.match(sparklineSvg([[3, 5]]), /<circle/);
  assert.ok(!sparklineSvg([]).includes("<polyline"));
});

test("sparkline thins long histories to about the width in points", () => {
  const long = Array.from({ length: 10_000 }, (_, i) => [i, Math.sin(i / 100)] as const);
  const n = (/points="([^"]+)"/.exec(sparklineSvg(long, { width: 200 }))?.[1] ?? "").split(" ").length;
  assert.equal(n, 200);
});

test("LivePlot redraws at most once per second and always shows the final state", () => {
  const shown: string[] = [];
  let now = 10_000;
  const plot = new LivePlot("joint_train", { html: (s) => shown.push(s) }, () => now);
  plot.onEvent(progress(1, 10, 0));
  plot.onEvent({ event: "metric", t: 0.1, name: "sft_loss", value: 0.4, step: 1 });
  now += 500;
  plot.onEvent({ event: "metric", t: 0.2, name: "sft_loss", value: 0.35, step: 2 });
  assert.equal(shown.length, 1);
  now += 600;
  plot.onEvent(progress(5, 10, 1));
  assert.equal(shown.length, 2);
  assert.match(shown[1] ?? "", /<b>joint_train<\/b>.*5\/10 \(50\.0%\).*<svg/);
  plot.finish({ ok: true });
  assert.equal(shown.length, 3);
  assert.match(shown[2] ?? "", /<i>done<\/i>/);
});
