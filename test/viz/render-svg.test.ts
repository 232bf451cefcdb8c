import { test } from "node:test";
import { matchSnapshot as matchSnapshotIn } from "../helpers/snapshot.js";
import assert from "node:assert/strict";
import { histogramPlot, linePlot, renderSvg, scatter2dPlot, spectrumPlot, type PlotSpec } from "../../src/viz/index.js";

function matchSnapshot(name: string, actual: string): void {
  matchSnapshotIn("test/viz", name, actual);
}

const SMALL_SPECTRUM = [12.5, 4.2, 1.1, 0.35, 0.08, 0.012];

test("spectrum SVG matches the snapshot", () => {
  matchSnapshot("spectrum-small.svg", renderSvg(spectrumPlot(SMALL_SPECTRUM, { title: "Eigenvalue spectrum (iter_0)" })));
});

test("same spec → byte-identical SVG", () => {
  const spec = spectrumPlot(SMALL_SPECTRUM, { title: "s" });
  const clone = JSON.parse(JSON.stringify(spec)) as PlotSpec;
  assert.equal(renderSvg(spec), renderSvg(clone));
});

test("log y axis: ticks at decades", () => {
  const svg = renderSvg(spectrumPlot(SMALL_SPECTRUM));
  const labels = [...svg.matchAll(/text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(labels, ["0.01", "0.1", "1", "10", "100"]);
});

test("linear axis: nice tick labels", () => {
  const spec = histogramPlot([0, 1, 2, 3, 4, 5, 6, 7, 8, 9.3], { bins: 5 });
  const svg = renderSvg(spec);
  const x_labels = [...svg.matchAll(/text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(x_labels.slice(0, 6), ["0", "2", "4", "6", "8", "10"]);
});

test("log axis: non-positive values are dropped and reported in the figure", () => {
  const svg = renderSvg(spectrumPlot([10, 1, 0, -2, 0.1]));
  assert.match(svg, /<text class="note"[^>]*>2 value\(s\) with y &lt;= 0 omitted \(log y axis\)<\/text>/);
  const d = /class="trace line" d="([^"]*)"/.exec(svg)?.[1] ?? "";
  assert.equal((d.match(/[ML]/g) ?? []).length, 3, "only the 3 positive eigenvalues are drawn");
  assert.doesNotMatch(svg, /NaN|Infinity/);
});

test("text is escaped: title, axis titles, legend, reference line labels", () => {
  const spec = linePlot(
    [
      { name: "a<b", x: [0, 1], y: [1, 2] },
      { name: "c&d", x: [0, 1], y: [2, 3] },
    ],
    { title: 'x < y & z > "w"', x_title: "<x>", y_title: "y&", reference_lines: [{ orientation: "horizontal", at: 2, label: "t<1>" }] },
  );
  const svg = renderSvg(spec);
  assert.ok(svg.includes("x &lt; y &amp; z &gt; &quot;w&quot;"));
  assert.ok(svg.includes("&lt;x&gt;") && svg.includes("y&amp;") && svg.includes("a&lt;b") && svg.includes("c&amp;d") && svg.includes("t&lt;1&gt;"));
  assert.ok(!svg.includes("a<b") && !svg.includes("c&d") && !svg.includes('"w"'));
});

test("histogram: threshold line with its label", () => {
  const svg = renderSvg(histogramPlot([0.2, 0.9, 1.4, 2.2, 3.1], { bins: 4, threshold: { x: 1.0, label: "collision threshold 1.0" } }));
  assert.match(svg, /<line class="ref"/);
  assert.ok(svg.includes(">collision threshold 1.0</text>"));
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 4 + 1, "4 bars + the plot frame");
});

test("groups get a legend; numeric colour gets a colour bar", () => {
  const pts = new Float32Array([0, 0, 1, 1, 2, 0, 3, 1]);
  const grouped = renderSvg(scatter2dPlot(pts, { title: "g", labels: ["positive", "negative", "positive", "negative"] }));
  assert.match(grouped, /class="legend"/);
  assert.ok(grouped.includes(">negative</text>") && grouped.includes(">positive</text>"));
  const colored = renderSvg(scatter2dPlot(pts, { title: "c", color: [0, 1, 2, 3], color_title: "depth" }));
  assert.match(colored, /class="colorbar"/);
  assert.ok(colored.includes(">depth</text>"));
  assert.ok(colored.includes('stroke="#440154"') && colored.includes('stroke="#fde725"'), "min and max depth at the ends of viridis");
});

test("20K-point scatter stays small and uses 0.1 px coordinates", () => {
  const n = 20_000;
  const pts = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    pts[2 * i] = Math.sin(i * 12.9898) * 43758.5453 % 10;
    pts[2 * i + 1] = Math.cos(i * 78.233) * 12345.678 % 10;
  }
  const depth = Array.from({ length: n }, (_, i) => i % 12);
  const svg = renderSvg(scatter2dPlot(pts, { title: "big", color: depth, color_title: "depth" }));
  assert.ok(svg.length < 600_000, `SVG is ${svg.length} bytes`);
  const coords = [...svg.matchAll(/ d="([^"]*)"/g)].map((m) => m[1] ?? "").join("");
  assert.ok(coords.length > 0);
  assert.doesNotMatch(coords, /\d\.\d\d/, "coordinates are rounded to 1 decimal");
});

test("non-finite values are omitted and noted; an empty plot says so", () => {
  const svg = renderSvg(linePlot([{ name: "s", x: [0, 1, 2], y: [1, NaN, 3] }], { title: "t", x_title: "x", y_title: "y" }));
  assert.ok(svg.includes(">1 non-finite value(s) omitted</text>"));
  const empty = renderSvg(histogramPlot([], { bins: 3 }));
  assert.ok(empty.includes(">no data</text>"));
});
