import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  histogramBins,
  histogramPlot,
  linePlot,
  renderSvg,
  scatter2dPlot,
  spectrumPlot,
  toPlotlyFigure,
  viridis,
  writePlot,
} from "../../src/viz/index.js";

test("histogramBins: equal width, last bin includes max, non-finite counted", () => {
  const b = histogramBins([0, 0.5, 1, 1.5, 2, NaN, Infinity], 2);
  assert.deepEqual(b.x_start, [0, 1]);
  assert.deepEqual(b.x_end, [1, 2]);
  assert.deepEqual(b.count, [2, 3]);
  assert.equal(b.n_non_finite, 2);
});

test("histogramBins: constant and empty samples; bad bin count", () => {
  assert.deepEqual(histogramBins([3, 3, 3], 10), { x_start: [2.5], x_end: [3.5], count: [3], n_non_finite: 0 });
  assert.deepEqual(histogramBins([], 4).count, []);
  assert.throws(() => histogramBins([1], 0), /bins must be a positive integer, got 0/);
});

test("histogramPlot: threshold becomes a vertical reference line; non-finite noted", () => {
  const spec = histogramPlot([0.5, NaN, 2], { bins: 2, threshold: { x: 1, label: "collision threshold 1.0" } });
  assert.deepEqual(spec.shapes, [{ orientation: "vertical", at: 1, label: "collision threshold 1.0" }]);
  assert.deepEqual(spec.notes, ["1 non-finite value(s) not binned"]);
});

test("spectrumPlot: 1-based index vs eigenvalue, log y", () => {
  const spec = spectrumPlot(new Float64Array([4, 2, 1]));
  assert.equal(spec.y_axis.type, "log");
  assert.equal(spec.x_axis.type, "linear");
  const trace = spec.traces[0];
  assert.ok(trace !== undefined && trace.kind === "line");
  assert.deepEqual(trace.x, [1, 2, 3]);
  assert.deepEqual(trace.y, [4, 2, 1]);
});

test("scatter2dPlot: one trace per group, sorted by name", () => {
  const spec = scatter2dPlot(new Float32Array([0, 1, 2, 3, 4, 5]), { title: "t", labels: ["neg", "pos", "neg"] });
  assert.deepEqual(spec.traces.map((t) => t.name), ["neg", "pos"]);
  const neg = spec.traces[0];
  assert.ok(neg !== undefined && neg.kind === "scatter");
  assert.deepEqual(neg.x, [0, 4]);
  assert.deepEqual(neg.y, [1, 5]);
});

test("scatter2dPlot: shape errors name the sizes", () => {
  assert.throws(() => scatter2dPlot([1, 2, 3], { title: "t" }), /length 3/);
  assert.throws(() => scatter2dPlot([1, 2], { title: "t", labels: ["a", "b"] }), /2 labels for 1 points/);
  assert.throws(() => scatter2dPlot([1, 2], { title: "t", color: [1, 2] }), /2 colour values for 1 points/);
  assert.throws(() => scatter2dPlot([1, 2], { title: "t", labels: ["a"], color: [1] }), /not both/);
});

test("linePlot: mismatched series lengths are an error naming the series", () => {
  assert.throws(() => linePlot([{ name: "iter_0", x: [1, 2], y: [1] }], { title: "t", x_title: "x", y_title: "y" }), /"iter_0" has 2 x and 1 y/);
});

test("toPlotlyFigure: axes, bars as centres + widths, reference lines as shapes", () => {
  const fig = toPlotlyFigure(histogramPlot([0, 1, 2, 3], { bins: 2, threshold: { x: 1, label: "thr" } }));
  const bar = fig.data[0];
  assert.ok(bar !== undefined);
  assert.equal(bar.type, "bar");
  assert.deepEqual(bar.x, [0.75, 2.25]);
  assert.deepEqual(bar.width, [1.5, 1.5]);
  assert.equal(fig.layout.shapes[0]?.x0, 1);
  assert.equal(fig.layout.annotations[0]?.text, "thr");
  assert.equal(toPlotlyFigure(spectrumPlot([1, 2])).layout.yaxis.type, "log");
  const colored = toPlotlyFigure(scatter2dPlot([0, 0, 1, 1], { title: "t", color: [3, 4], color_title: "depth" })).data[0];
  assert.equal(colored?.marker?.colorscale, "Viridis");
  assert.deepEqual(colored?.marker?.color, [3, 4]);
});

test("viridis: ends and clamping", () => {
  assert.equal(viridis(0), "#440154");
  assert.equal(viridis(1), "#fde725");
  assert.equal(viridis(2), "#fde725");
  assert.equal(viridis(NaN), "#440154");
});

test("writePlot: writes <path>.svg atomically and leaves no temp file", () => {
  const dir = mkdtempSync(join(tmpdir(), "viz-"));
  try {
    const spec = spectrumPlot([3, 2, 1]);
    const out = writePlot(spec, join(dir, "plots", "spectrum"));
    assert.equal(out.svg_path, join(dir, "plots", "spectrum.svg"));
    assert.equal(readFileSync(out.svg_path, "utf8"), renderSvg(spec));
    assert.deepEqual(readdirSync(join(dir, "plots")), ["spectrum.svg"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
