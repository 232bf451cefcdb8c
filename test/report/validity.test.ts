/**
 * Report validity (issue 9): the numbers mean what the report says. Each test pins one defect a
 * reviewer found on the demo reports: decisions taken on what is known, intervals and paired
 * tests, base rates and chance levels, saturation, configs sharing embeddings, lab-choice labels,
 * self-contained HTML and DEMO-marked plots.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ebmMetrics, metricsTableFromColumns } from "../../src/metrics/index.js";
import { bootstrapInterval, mcnemarExact, wilson } from "../../src/numeric/intervals.js";
import {
  answerQuestions,
  configDeltas,
  decide,
  notRun,
  renderComparisonMarkdown,
  renderHtml,
  successMetricRows,
  valueCell,
  type ComparisonReportModel,
  type ConfigMeasurements,
} from "../../src/report/index.js";
import { renderSvg } from "../../src/viz/render-svg.js";
import { spectrumPlot } from "../../src/viz/spectrum-plot.js";

const cfg = (m: Partial<Record<keyof ConfigMeasurements, number | null>>): ConfigMeasurements => {
  const c = (k: keyof ConfigMeasurements, v: number | null | undefined) => (v === null || v === undefined ? notRun(`${k} not run`) : valueCell(v, `x/${k}.json`));
  return {
    centroid_l2: c("centroid_l2", m.centroid_l2),
    linear_probe_acc: c("linear_probe_acc", m.linear_probe_acc),
    linear_probe_balanced_acc: c("linear_probe_balanced_acc", m.linear_probe_balanced_acc),
    linear_probe_base_rate: c("linear_probe_base_rate", m.linear_probe_base_rate),
    rank1_accuracy: c("rank1_accuracy", m.rank1_accuracy),
    rank1_d4_plus: c("rank1_d4_plus", m.rank1_d4_plus),
    sibling_discrimination: c("sibling_discrimination", m.sibling_discrimination),
    minif2f_rate: c("minif2f_rate", m.minif2f_rate),
  };
};

/** The demo's numbers as the reviewer read them: config B's miniF2F missing. */
function demoLike(over: Partial<ComparisonReportModel> = {}): ComparisonReportModel {
  return {
    header: { title: "t", run_id: "r", profile: "real", code_version: { git_commit: "abc", dirty: false }, artifacts_read: [] },
    configs: {
      A: cfg({ centroid_l2: 6.29, linear_probe_acc: 0.977, linear_probe_base_rate: 0.984, linear_probe_balanced_acc: 0.57, rank1_accuracy: 0.833, rank1_d4_plus: 0.64, sibling_discrimination: 0.83, minif2f_rate: 0.41 }),
      B: cfg({ centroid_l2: 7.66, linear_probe_acc: 0.982, linear_probe_base_rate: 0.98, linear_probe_balanced_acc: 0.65, rank1_accuracy: 0.78, rank1_d4_plus: 0.86, sibling_discrimination: 0.78, minif2f_rate: null }),
      C: cfg({ centroid_l2: 7.66, linear_probe_acc: 0.982, linear_probe_base_rate: 0.98, linear_probe_balanced_acc: 0.65, rank1_accuracy: 0.78, rank1_d4_plus: 0.86, sibling_discrimination: 0.78, minif2f_rate: 0.439 }),
    },
    llm_only_rate: { iter_0: valueCell(0.361, "s0.json"), iter_1: valueCell(0.369, "s1.json") },
    sft_val_loss: { iter_0: notRun("SFT not run"), iter_1: notRun("SFT not run") },
    abort_checks: notRun("no log"),
    plots: [],
    notes: [],
    ...over,
  };
}

test("R1 is decided with B's miniF2F missing when the known numbers already fix it (point 3)", () => {
  const r = decide(demoLike());
  const r1 = r.rules.find((x) => x.id === "R1")!;
  assert.equal(r1.status, "holds", r1.detail);
  assert.match(r1.detail, /≥ 43\.9% − 41\.0% = \+2\.9 pts … .* > 2 pts: true whatever the missing numbers are/);
  assert.equal(r.decision.kind, "decided");
  assert.deepEqual(r.decision.kind === "decided" && [r.decision.rule_id, r.decision.provisional_because], ["R1", []]);
  // Q4 answers "yes" from the same bound instead of "cannot tell"
  const q4 = answerQuestions(demoLike()).find((q) => q.id === "Q4")!;
  assert.equal(q4.verdict, "yes", q4.answer);
});

test("a rule the known numbers do not settle is open and names the number that would decide it", () => {
  const m = demoLike({ configs: { ...demoLike().configs, C: cfg({ centroid_l2: 7.66, minif2f_rate: 0.40 }) } });
  const r1 = decide(m).rules.find((x) => x.id === "R1")!;
  assert.equal(r1.status, "cannot_evaluate");
  assert.match(r1.detail, /open — decided by Config B miniF2F .* not run .*: it holds iff miniF2F\(iter_1\) .* > 41\.0% \+ 2 pts/);
  // and a rule that some known part already falsifies is false, not open
  const r2 = decide(m).rules.find((x) => x.id === "R2")!;
  assert.equal(r2.status, "does_not_hold");
});

test("B and C share iter_1's embeddings: their embedding deltas say so instead of a measured 0 (point 7)", () => {
  const m = demoLike({ paired: { same_embeddings: [["B", "C"]] } });
  const bc = configDeltas(m).find((d) => d.from === "B" && d.to === "C")!;
  for (const k of ["centroid_l2", "linear_probe_acc", "linear_probe_balanced_acc"] as const) {
    const c = bc.values[k];
    assert.equal(c.kind, "text");
    assert.match(c.kind === "text" ? c.text : "", /same embeddings — equal by construction/);
  }
  assert.doesNotMatch(renderComparisonMarkdown(m), /B→C[^\n]*\| 0\.00 /);
});

test("deltas carry intervals: paired bootstrap + McNemar on the same miniF2F theorems, normal approx. for independent estimates (point 8)", () => {
  const n = 244;
  const a = Array.from({ length: n }, (_, i) => i < 100);
  const c = Array.from({ length: n }, (_, i) => i < 90 || (i >= 100 && i < 117)); // 10 lost, 17 gained
  const m = demoLike({ paired: { minif2f: { theorems: a.map((_, i) => `t${i}`), proved: { A: a, C: c }, source: "s" }, se: { A: { centroid_l2: 0.2 }, C: { centroid_l2: 0.2 } }, bootstrap: { samples: 500, seed: 0 } } });
  const ac = configDeltas(m).find((d) => d.from === "A" && d.to === "C")!;
  const mf = ac.values.minif2f_rate;
  assert.equal(mf.kind, "value");
  if (mf.kind !== "value") return;
  assert.ok(Math.abs(mf.value - 7 / 244) < 1e-12);
  assert.ok(mf.ci && mf.ci[0] < mf.value && mf.value < mf.ci[1], JSON.stringify(mf.ci));
  assert.match(mf.note ?? "", /paired bootstrap over theorems; McNemar p = 0\.248 \(17 vs 10 discordant\)/);
  const cl = ac.values.centroid_l2;
  assert.ok(cl.kind === "value" && cl.ci && Math.abs(cl.ci[1] - cl.ci[0] - 2 * 1.959964 * Math.sqrt(0.08)) < 1e-9);
});

test("interval primitives: Wilson, exact McNemar, seeded bootstrap", () => {
  const [lo, hi] = wilson(100, 244);
  assert.deepEqual([lo.toFixed(4), hi.toFixed(4)], ["0.3500", "0.4725"]);
  assert.deepEqual(wilson(0, 0), [0, 1]);
  // 17 vs 10 discordant: 2·P(X ≤ 10 | Bin(27, ½)) = 0.2478
  assert.equal(mcnemarExact(Array.from({ length: 27 }, (_, i) => i < 10), Array.from({ length: 27 }, (_, i) => i >= 10)).p_value.toFixed(4), "0.2478");
  const stat = (s: Int32Array) => s.reduce((x, i) => x + i, 0) / s.length;
  assert.deepEqual(bootstrapInterval(50, stat, { samples: 200, seed: 3 }), bootstrapInterval(50, stat, { samples: 200, seed: 3 }));
});

test("an accuracy at or below its base rate is uninformative, not a pass; the balanced variant is judged too (point 2)", () => {
  const rows = successMetricRows(demoLike());
  const probe = rows.find((r) => r.spec.id === "linear_probe_acc")!;
  assert.equal(probe.iter_0_status.kind, "uninformative"); // 0.977 < base 0.984
  const bal = rows.find((r) => r.spec.id === "linear_probe_balanced_acc")!;
  assert.equal(bal.iter_0_status.kind, "red_line"); // 0.57 < 0.65
  assert.match(bal.spec.metric, /lab choice/);
});

function ebmTable(energy: (label: "positive" | "negative", i: number) => number) {
  // 8 theorems × one sibling group of 16 children under the root (1 positive, 15 negatives)
  const cols: Record<string, unknown[]> = { theorem_name: [], state_id: [], parent_state_id: [], depth_from_root: [], label: [], state_pp: [] };
  const e: number[] = [];
  let i = 0;
  for (let t = 0; t < 8; t++) {
    let id = 0;
    const push = (parent: number | null, label: "positive" | "negative", depth: number) => {
      cols["theorem_name"]!.push(`t${t}`);
      cols["state_id"]!.push(id++);
      cols["parent_state_id"]!.push(parent);
      cols["depth_from_root"]!.push(depth);
      cols["label"]!.push(label);
      cols["state_pp"]!.push(`s${t}-${id}`);
      e.push(energy(label, i++));
    };
    push(null, "positive", 0);
    for (let g = 0; g < 4; g++) {
      push(0, g === 0 ? "positive" : "negative", 1);
      for (let k = 0; k < 3; k++) push(0, "negative", 1);
    }
  }
  return { table: metricsTableFromColumns("t.jsonl", cols), energies: e };
}

test("EBM metrics: chance level on the same groups, intervals over theorems, saturation flagged (point 5)", () => {
  // energies inside a 0.1-wide band (all pairs active whatever the order); positives slightly lower
  const { table, energies } = ebmTable((l, i) => (l === "positive" ? 0 : 0.05) + 0.001 * (i % 7));
  const m = ebmMetrics({ table, energies });
  const d = m.details as { chance: Record<string, number>; ci95: Record<string, [number, number]>; notes: string[]; per_theorem: unknown[] };
  assert.equal(m.values["active_ratio"], 1);
  assert.ok(d.notes.some((n) => /active_ratio 1\.000 is saturated: the usable energies span .* narrower than the margin 1/.test(n)), d.notes.join("\n"));
  assert.equal(d.chance["rank1_accuracy"], 1 / 16); // one group of 16 children (1 positive) per theorem: p/k
  assert.equal(d.per_theorem.length, 8);
  const [lo, hi] = d.ci95["rank1_accuracy"]!;
  assert.ok(lo <= m.values["rank1_accuracy"]! && m.values["rank1_accuracy"]! <= hi);
  // with a wide energy scale the same ranking is not saturated
  const wide = ebmMetrics({ table, energies: energies.map((x) => 100 * x) });
  assert.ok(!(wide.details as { notes: string[] }).notes.some((n) => n.includes("saturated")));
});

test("held-out and in-sample numbers come from the rows `include` selects (point 1)", () => {
  // perfect on t0..t5, inverted on t6..t7: the held-out pair scores 0, the rest 1
  const { table, energies } = ebmTable((l, i) => {
    const t = Math.floor(i / 17);
    return (l === "positive") === t < 6 ? -1 : 1;
  });
  const held = ebmMetrics({ table, energies, include: (r) => ["t6", "t7"].includes(table.theorem_name[r]!) });
  const train = ebmMetrics({ table, energies, include: (r) => !["t6", "t7"].includes(table.theorem_name[r]!) });
  assert.equal(held.values["rank1_accuracy"], 0);
  assert.equal(train.values["rank1_accuracy"], 1);
  assert.equal((held.details as { theorems: number }).theorems, 2);
});

test("HTML is self-contained (plots inline), and every plot of a demo run carries the DEMO mark (point 9)", () => {
  const svg = renderSvg({ ...spectrumPlot([3, 2, 1]), watermark: "DEMO — synthetic data" });
  assert.match(svg, /class="watermark"[^>]*>DEMO — synthetic data</);
  const html = renderHtml("# r\n\n![a plot](plots/x.svg)\n", { title: "r", demo: true, inline_svgs: { "plots/x.svg": svg } });
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /<figure class="plot" role="img" aria-label="a plot"><svg/);
  assert.throws(() => renderHtml("![p](plots/missing.svg)", { title: "r", demo: false, inline_svgs: {} }), /no SVG given for the image 'plots\/missing\.svg'/);
});

test("thresholds are the recipe's, and the report marks the lab's choices as such", () => {
  const strict = demoLike({ thresholds: { approx_points: 5, much_better_points: 5, rank1_approx: 0.02, centroid_collapse: 3 } });
  assert.equal(decide(strict).rules.find((x) => x.id === "R1")!.status, "cannot_evaluate"); // +2.9 no longer beats 5 pts for sure
  const md = renderComparisonMarkdown(demoLike());
  assert.match(md, /These margins are this lab's choice \(recipe `decision`\): the plan gives none/);
  assert.match(md, /\*\*lab choice\*\*/);
});
