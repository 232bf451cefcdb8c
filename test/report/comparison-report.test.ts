import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { matchSnapshot as matchSnapshotIn } from "../helpers/snapshot.js";
import {
  allOf,
  answerQuestions,
  configDeltas,
  decide,
  formatCell,
  notRun,
  redLineText,
  renderComparisonMarkdown,
  SUCCESS_METRICS,
  successMetricRows,
  successStatus,
  targetText,
  valueCell,
  type AbortChecks,
  type ComparisonReportModel,
  type ConfigId,
  type ConfigMeasurements,
  type NotRunCell,
  type QuestionAnswer,
} from "../../src/report/index.js";

function matchSnapshot(name: string, actual: string): void {
  matchSnapshotIn("test/report", name, actual);
}

type Nums = Partial<Record<keyof ConfigMeasurements, number>>;

interface Numbers {
  readonly A?: Nums;
  readonly B?: Nums;
  readonly C?: Nums;
  readonly llm0?: number;
  readonly llm1?: number;
  readonly loss0?: number;
  readonly loss1?: number;
  readonly abort?: AbortChecks | NotRunCell;
}

const KEYS: readonly (keyof ConfigMeasurements)[] = ["centroid_l2", "linear_probe_acc", "linear_probe_balanced_acc", "rank1_accuracy", "rank1_d4_plus", "sibling_discrimination", "minif2f_rate"];

function cell(v: number | undefined, source: string, reason: string) {
  return v === undefined ? notRun(reason) : valueCell(v, source);
}

function config(id: ConfigId, nums: Nums = {}): ConfigMeasurements {
  const out = {} as Record<keyof ConfigMeasurements, ReturnType<typeof cell>>;
  for (const k of KEYS) out[k] = cell(nums[k], `runs/r/config_${id}/metrics.json`, `config ${id} ${k} not measured`);
  return out;
}

/** A comparison model from plain numbers; anything left out is not_run with a reason. */
function model(n: Numbers, profile: "demo" | "real" = "real"): ComparisonReportModel {
  return {
    header: {
      title: "v2 Iter 1 Comparison Report",
      run_id: "r",
      profile,
      code_version: { git_commit: "fedcba987654", dirty: false },
      artifacts_read: [{ path: "runs/r/iter_1/analysis/inputs.json", sha256: "00112233445566778899aabbccddeeff" }],
    },
    configs: { A: config("A", n.A), B: config("B", n.B), C: config("C", n.C) },
    llm_only_rate: { iter_0: cell(n.llm0, "runs/r/iter_0/search.json", "iter_0 LLM-only search not run"), iter_1: cell(n.llm1, "runs/r/iter_1/search.json", "iter_1 LLM-only search not run") },
    sft_val_loss: { iter_0: cell(n.loss0, "runs/r/iter_0/sft.json", "iter_0 SFT not run"), iter_1: cell(n.loss1, "runs/r/iter_1/train.json", "iter_1 training not run") },
    abort_checks: n.abort ?? notRun("iter_1 training events not found"),
    plots: [],
    notes: [],
  };
}

/** All numbers present: iter_1 better, centroid held → R1. */
const GOOD: Numbers = {
  A: { centroid_l2: 5.8, linear_probe_acc: 0.81, linear_probe_balanced_acc: 0.78, rank1_accuracy: 0.6, rank1_d4_plus: 0.33, sibling_discrimination: 0.13, minif2f_rate: 0.4 },
  B: { centroid_l2: 6.1, linear_probe_acc: 0.84, linear_probe_balanced_acc: 0.8, rank1_accuracy: 0.62, rank1_d4_plus: 0.37, sibling_discrimination: 0.14, minif2f_rate: 0.43 },
  C: { centroid_l2: 6.1, linear_probe_acc: 0.84, linear_probe_balanced_acc: 0.8, rank1_accuracy: 0.66, rank1_d4_plus: 0.42, sibling_discrimination: 0.16, minif2f_rate: 0.46 },
  llm0: 0.36,
  llm1: 0.37,
  loss0: 0.31,
  loss1: 0.3,
  abort: {
    source: "runs/r/iter_1/train_events.jsonl",
    rules: [
      { id: "centroid_floor", description: "centroid_l2 < 3.0 at any eval", fired: false },
      { id: "sft_loss", description: "SFT loss > 0.5 after step 2000", fired: false },
      { id: "nan", description: "Any NaN", fired: true, step: 4200, value: NaN },
    ],
  },
};

function withRates(i0: { llm0: number; A: number }, i1: { llm1: number; B: number; C: number }, centroid: { A?: number; C?: number } = { A: 5.8, C: 6.1 }): Numbers {
  return {
    A: { minif2f_rate: i0.A, ...(centroid.A !== undefined ? { centroid_l2: centroid.A } : {}) },
    B: { minif2f_rate: i1.B },
    C: { minif2f_rate: i1.C, ...(centroid.C !== undefined ? { centroid_l2: centroid.C } : {}) },
    llm0: i0.llm0,
    llm1: i1.llm1,
  };
}

function tableRows(md: string): string[][] {
  const lines = md.split("\n");
  return lines
    .filter((line, i) => line.startsWith("|") && !/^\|[-| ]+\|$/.test(line) && !(lines[i + 1] ?? "").startsWith("|--"))
    .map((line) => line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
}

describe("configDeltas", () => {
  test("A→B, B→C, A→C per column", () => {
    const [ab, bc, ac] = configDeltas(model(GOOD));
    assert.ok(ab !== undefined && bc !== undefined && ac !== undefined);
    assert.equal(formatCell(ab.values.centroid_l2), "0.30");
    assert.ok(Math.abs((ac.values.minif2f_rate as { value: number }).value - 0.06) < 1e-12);
    assert.equal(bc.values.centroid_l2.kind, "value");
  });
  test("a delta with a not-run side is not run, naming the side and reason", () => {
    const [ab] = configDeltas(model({ A: GOOD.A }));
    assert.deepEqual(ab?.values.linear_probe_acc, notRun("Config B: config B linear_probe_acc not measured"));
  });
});

describe("answerQuestions", () => {
  const q = (n: Numbers, id: QuestionAnswer["id"]): QuestionAnswer => {
    const a = answerQuestions(model(n)).find((x) => x.id === id);
    assert.ok(a !== undefined);
    return a;
  };
  test("Q1 competition data: yes / no / unclear / cannot tell", () => {
    assert.equal(q({ llm0: 0.41 }, "Q1").verdict, "yes");
    assert.equal(q({ llm0: 0.37 }, "Q1").verdict, "no", "+2 pts is inside the ≈ band");
    assert.equal(q({ llm0: 0.38 }, "Q1").verdict, "unclear");
    const none = q({}, "Q1");
    assert.equal(none.verdict, "cannot_tell");
    assert.equal(none.answer, "cannot tell — iter_0 miniF2F, LLM-only not run (iter_0 LLM-only search not run)");
  });
  test("Q2 embeddings protected: yes when iter_1 ≥ iter_0 (ties count), no otherwise", () => {
    assert.equal(q({ A: { centroid_l2: 5.8 }, C: { centroid_l2: 5.8 } }, "Q2").verdict, "yes");
    const no = q({ A: { centroid_l2: 5.8 }, C: { centroid_l2: 2.5 } }, "Q2");
    assert.equal(no.verdict, "no");
    assert.match(no.answer, /below the 3\.00 collapse line/);
    assert.match(q({ A: { centroid_l2: 5.8 } }, "Q2").answer, /^cannot tell — iter_1 centroid_l2 \(Config C\) not run/);
  });
  test("Q3 EBM: C against the best of A and B with a ±0.02 band", () => {
    const r = (a: number, b: number, c: number): Numbers => ({ A: { rank1_accuracy: a }, B: { rank1_accuracy: b }, C: { rank1_accuracy: c } });
    assert.equal(q(r(0.6, 0.62, 0.64), "Q3").verdict, "yes", "exactly +0.02 counts");
    assert.equal(q(r(0.6, 0.62, 0.6), "Q3").verdict, "no");
    assert.equal(q(r(0.6, 0.62, 0.63), "Q3").verdict, "unclear");
    assert.match(q({ A: { rank1_accuracy: 0.6 } }, "Q3").answer, /^cannot tell — .*Config B.*; .*Config C/);
  });
  test("Q4 end-to-end: best iter_1 config vs best iter_0 config", () => {
    assert.equal(q(withRates({ llm0: 0.36, A: 0.4 }, { llm1: 0.37, B: 0.43, C: 0.46 }), "Q4").verdict, "yes");
    assert.equal(q(withRates({ llm0: 0.36, A: 0.4 }, { llm1: 0.37, B: 0.39, C: 0.42 }), "Q4").verdict, "unclear", "+2 pts is ≈");
    assert.equal(q(withRates({ llm0: 0.36, A: 0.4 }, { llm1: 0.3, B: 0.35, C: 0.37 }), "Q4").verdict, "no");
    // B missing: the best that ran is a lower bound; here it already settles the answer
    const settled = q({ llm0: 0.36, A: { minif2f_rate: 0.4 }, C: { minif2f_rate: 0.5 }, llm1: 0.4 }, "Q4");
    assert.equal(settled.verdict, "yes");
    assert.match(settled.answer, /≥ Config C miniF2F; not run: Config B miniF2F.* settled whatever the missing configs score/);
    // ... and here it does not: B could still lift iter_1 above iter_0
    const open = q({ llm0: 0.36, A: { minif2f_rate: 0.4 }, C: { minif2f_rate: 0.41 }, llm1: 0.4 }, "Q4");
    assert.equal(open.verdict, "cannot_tell");
    assert.match(open.answer, /decided by Config B miniF2F .* not run/);
  });
});

describe("decide", () => {
  const rule = (n: Numbers) => decide(model(n));
  test("R1 holds: iter_1 > iter_0 and centroid held", () => {
    const d = rule(withRates({ llm0: 0.36, A: 0.45 }, { llm1: 0.37, B: 0.43, C: 0.5 }));
    assert.deepEqual(d.rules.map((r) => r.status), ["holds", "does_not_hold", "does_not_hold", "does_not_hold"]);
    assert.deepEqual(d.decision, { kind: "decided", rule_id: "R1", action: d.rules[0]?.action, provisional_because: [], also_holding: [] });
  });
  test("R1 does not hold when centroid_l2 dropped, even though miniF2F improved", () => {
    const d = rule(withRates({ llm0: 0.36, A: 0.4 }, { llm1: 0.37, B: 0.43, C: 0.46 }, { A: 5.8, C: 5.0 }));
    assert.equal(d.rules[0]?.status, "does_not_hold");
    assert.match(d.rules[0]?.detail ?? "", /centroid_l2 iter_1 vs iter_0: 5\.00 ≥ 5\.80: false/);
  });
  test("R2 holds: iter_0 >> 41.7% and iter_1 ≈ iter_0", () => {
    const d = rule(withRates({ llm0: 0.4, A: 0.48 }, { llm1: 0.4, B: 0.47, C: 0.49 }));
    assert.equal(d.decision.kind === "decided" && d.decision.rule_id, "R2");
  });
  test("R3 holds: iter_0 ≈ 41.7%", () => {
    const d = rule(withRates({ llm0: 0.36, A: 0.42 }, { llm1: 0.36, B: 0.39, C: 0.4 }));
    assert.equal(d.decision.kind === "decided" && d.decision.rule_id, "R3");
  });
  test("R4 holds: iter_1 centroid_l2 collapsed", () => {
    const d = rule(withRates({ llm0: 0.25, A: 0.3 }, { llm1: 0.2, B: 0.2, C: 0.2 }, { A: 5.8, C: 2.5 }));
    assert.deepEqual(d.rules.map((r) => r.status), ["does_not_hold", "does_not_hold", "does_not_hold", "holds"]);
    assert.equal(d.decision.kind === "decided" && d.decision.rule_id, "R4");
  });
  test("first holding rule wins; later holding rules are listed", () => {
    const d = rule(withRates({ llm0: 0.36, A: 0.42 }, { llm1: 0.3, B: 0.3, C: 0.3 }, { A: 5.8, C: 2.0 }));
    assert.ok(d.decision.kind === "decided");
    assert.equal(d.decision.rule_id, "R3");
    assert.deepEqual(d.decision.also_holding, ["R4"]);
  });
  test("decision is provisional when an earlier rule cannot be evaluated", () => {
    const d = rule(withRates({ llm0: 0.36, A: 0.4 }, { llm1: 0.37, B: 0.43, C: 0.46 }, { C: 6.0 }));
    assert.equal(d.rules[0]?.status, "cannot_evaluate");
    assert.ok(d.decision.kind === "decided");
    assert.equal(d.decision.rule_id, "R3");
    assert.equal(d.decision.provisional_because.length, 1);
    assert.match(d.decision.provisional_because[0] ?? "", /^R1: .*iter_0 centroid_l2 \(Config A\) not run/);
  });
  test("none holds / cannot decide", () => {
    const none = rule(withRates({ llm0: 0.28, A: 0.3 }, { llm1: 0.3, B: 0.31, C: 0.31 }, { A: 5.0, C: 4.0 }));
    assert.deepEqual(none.decision, { kind: "none_holds" });
    const nothing = rule({});
    assert.equal(nothing.decision.kind, "cannot_decide");
    assert.ok(nothing.rules.every((r) => r.status === "cannot_evaluate"));
  });
  test("three-valued AND: a known false beats an unknown", () => {
    assert.equal(allOf([{ known: false, reason: "x" }, { known: true, value: false, detail: "d" }]).status, "does_not_hold");
    assert.equal(allOf([{ known: false, reason: "x" }, { known: true, value: true, detail: "d" }]).status, "cannot_evaluate");
    assert.equal(allOf([{ known: true, value: true, detail: "d" }]).status, "holds");
  });
  test("thresholds are inclusive at exactly 2 pts (≈) despite float noise", () => {
    const d = rule(withRates({ llm0: 0.3, A: 0.4 }, { llm1: 0.3, B: 0.3, C: 0.42 }));
    assert.equal(d.rules[0]?.status, "does_not_hold", "0.42 − 0.40 is ≈, not >");
  });
});

describe("successMetricRows", () => {
  const abs = (op: ">=" | "<=", value: number) => ({ kind: "absolute" as const, op, value });
  test("status branches: pass, fail, red line, not run, relative", () => {
    const red = { op: "<" as const, value: 3 };
    assert.equal(successStatus(valueCell(5.5, "s"), abs(">=", 5), red).kind, "pass");
    assert.equal(successStatus(valueCell(4, "s"), abs(">=", 5), red).kind, "fail");
    assert.equal(successStatus(valueCell(2.9, "s"), abs(">=", 5), red).kind, "red_line");
    assert.deepEqual(successStatus(notRun("no run"), abs(">=", 5), red), { kind: "not_run", reason: "no run" });
    const rel = { kind: "at_least_iter_0" as const };
    assert.equal(successStatus(valueCell(5.8, "s"), rel, red, valueCell(5.8, "s")).kind, "pass");
    assert.equal(successStatus(valueCell(5.7, "s"), rel, red, valueCell(5.8, "s")).kind, "fail");
    assert.equal(successStatus(valueCell(2, "s"), rel, red, valueCell(5.8, "s")).kind, "red_line");
    assert.deepEqual(successStatus(valueCell(5.7, "s"), rel, red, notRun("no iter_0")), { kind: "not_run", reason: "relative target: iter_0 value not run (no iter_0)" });
    const loss_red = { op: ">" as const, value: 0.65 };
    assert.equal(successStatus(valueCell(0.5, "s"), abs("<=", 0.5), loss_red).kind, "pass");
    assert.equal(successStatus(valueCell(0.6, "s"), abs("<=", 0.5), loss_red).kind, "fail");
    assert.equal(successStatus(valueCell(0.7, "s"), abs("<=", 0.5), loss_red).kind, "red_line");
  });
  test("targets and red lines print as in the plan", () => {
    const texts = SUCCESS_METRICS.map((s) => [s.metric, targetText(s.iter_0_target, s), targetText(s.iter_1_target, s), redLineText(s)]);
    assert.deepEqual(texts, [
      ["miniF2F v2s (LLM-only)", "≥ 35%", "≥ 35%", "< 25%"],
      ["miniF2F v2s (LLM+EBM)", "≥ 40%", "≥ 45%", "< 35%"],
      ["centroid_l2", "≥ 5.0", "≥ iter_0 val", "< 3.0"],
      ["linear_probe_acc", "≥ 0.75", "≥ iter_0 val", "< 0.65"],
      ["linear_probe_balanced_acc (lab choice: the plan's thresholds on the balanced variant)", "≥ 0.75", "≥ iter_0 val", "< 0.65"],
      ["EBM rank-1 (d4+)", "≥ 0.30", "≥ 0.40", "< 0.25"],
      ["sibling_discrimination", "≥ 0.12", "≥ 0.15", "< 0.10"],
      ["SFT val loss", "≤ 0.50", "≤ 0.50", "> 0.65"],
    ]);
  });
  test("rows compare Config A (iter_0) with Config C (iter_1)", () => {
    const rows = successMetricRows(model(GOOD));
    const ebm = rows.find((r) => r.spec.id === "minif2f_llm_ebm");
    assert.deepEqual([ebm?.iter_0_status.kind, ebm?.iter_1_status.kind], ["pass", "pass"]);
    const c = rows.find((r) => r.spec.id === "centroid_l2");
    assert.deepEqual([c?.iter_0_status.kind, c?.iter_1_status.kind], ["pass", "pass"]);
  });
});

describe("renderComparisonMarkdown", () => {
  const sparse: Numbers = {
    A: { centroid_l2: 5.2, linear_probe_acc: 0.79, rank1_accuracy: 0.58, rank1_d4_plus: 0.24, minif2f_rate: 0.39 },
    C: { centroid_l2: 2.7 },
    llm0: 0.35,
  };
  test("full comparison report matches the snapshot", () => {
    matchSnapshot("comparison-full.md", renderComparisonMarkdown(model(GOOD, "demo")));
  });
  test("comparison report with many not-run cells matches the snapshot", () => {
    matchSnapshot("comparison-not-run.md", renderComparisonMarkdown(model(sparse)));
  });
  test("sections, 3-row table, deltas, questions, decision, success metrics, abort rules", () => {
    const md = renderComparisonMarkdown(model(GOOD, "demo"));
    assert.ok(md.startsWith("> **DEMO RUN — synthetic data, not a result.**"));
    const headings = md.split("\n").filter((l) => /^## /.test(l));
    assert.deepEqual(headings, [
      "## Three-config comparison (Task 4.3)",
      "## All baseline measurements, iter_0 vs iter_1 (Task 4.3)",
      "## Key questions (Task 4.4)",
      "## Decision (Task 4.5)",
      "## Success metrics",
      "## Training-run abort rules (iter_1, Task 4.1)",
      "## Plots",
      "## Provenance",
      "## Glossary",
    ]);
    assert.match(md, /\| Config +\| centroid_l2 \| probe_acc \| probe_bal_acc \| rank1_d4\+ \| sibling \| miniF2F +\|/);
    assert.match(md, /\| A: iter_0 decoupled +\| 5\.80 +\| 0\.810 +\| 0\.780 +\| 0\.330 +\| 0\.130 +\| 40\.0% +\|/);
    assert.match(md, /\| A→C \(total system improvement\) +\| \+0\.30 +\| \+0\.030 +\| \+0\.020 +\| \+0\.090 +\| \+0\.030 +\| \+6\.0 pts \|/);
    assert.match(md, /\*\*Decision \(R1\): Joint training works\./);
    assert.match(md, /"≈": within 2 pts\. ">": higher by more than 2 pts\. ">>": higher by at least 5 pts\./);
    assert.match(md, /\| nan +\| Any NaN +\| \*\*FIRED\*\* \| 4200 \| NaN +\|/);
  });
  test("an abort rule whose metric never appeared reads 'not evaluated', and the summary line does not say it held", () => {
    const abort: AbortChecks = {
      source: "iter_1/analysis/abort_check.json",
      rules: [
        { id: "centroid_l2_below_3", description: "< 3", fired: false, not_evaluated: "no centroid_l2 events in the stream" },
        { id: "sft_loss_above_0.5_after_2000", description: "> 0.5 after step 2000", fired: false },
      ],
    };
    const md = renderComparisonMarkdown(model({ ...GOOD, abort }));
    assert.match(md, /No rule fired; 1 of 2 not evaluated \(the stream has no event they look at\), so they neither fired nor held\./);
    assert.match(md, /\| centroid_l2_below_3 +\| < 3 +\| not evaluated: no centroid_l2 events in the stream \| — +\| — +\|/);
    assert.match(md, /\| sft_loss_above_0\.5_after_2000 \| > 0\.5 after step 2000 \| no +\|/);
  });
  test("no empty cells; not-run values never print as 0; red lines flagged", () => {
    for (const n of [GOOD, sparse, {}]) {
      const md = renderComparisonMarkdown(model(n));
      for (const row of tableRows(md)) for (const c of row) assert.notEqual(c, "", `empty cell in ${JSON.stringify(row)}`);
    }
    const md = renderComparisonMarkdown(model(sparse));
    assert.match(md, /\| B: iter_1 LoRA, decoupled \| not run — config B centroid_l2 not measured +\|/);
    assert.match(md, /\| A→B \(effect of joint LoRA training on embedding quality\) +\| not run — Config B: config B centroid_l2 not measured/);
    assert.match(md, /\| centroid_l2 +\| ≥ 5\.0 +\| ≥ iter_0 val +\| < 3\.0 +\| 5\.20 +\| pass +\| 2\.70 +\| \*\*RED LINE\*\* +\|/);
    assert.match(md, /\| EBM rank-1 \(d4\+\) +\| ≥ 0\.30 +\| ≥ 0\.40 +\| < 0\.25 +\| 0\.240 +\| \*\*RED LINE\*\* +\| not run — config C rank1_d4_plus not measured +\|/);
    assert.match(md, /not run — iter_1 training events not found/);
    assert.match(md, /\*\*Answer: cannot tell — /);
    const rows = tableRows(md).filter((r) => r[0]?.startsWith("B:"));
    assert.ok(rows.every((r) => !r.slice(1).some((c) => /^0(\.0+)?%?$/.test(c))));
  });
});
