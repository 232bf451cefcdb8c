import { test } from "node:test";
import { matchSnapshot as matchSnapshotIn } from "../helpers/snapshot.js";
import assert from "node:assert/strict";
import { EBM_METRIC_KEYS, EMBEDDING_METRIC_KEYS, type MetricsFile } from "../../src/artifacts/schemas.js";
import {
  EBM_ROWS,
  EMBEDDING_ROWS,
  metricCells,
  notRun,
  renderBaselineMarkdown,
  valueCell,
  type BaselineReportModel,
} from "../../src/report/index.js";

function matchSnapshot(name: string, actual: string): void {
  matchSnapshotIn("test/report", name, actual);
}

const RUN = "runs/demo-0001";
const EMB_PATH = `${RUN}/iter_0/baselines/embedding_metrics.json`;
const EBM_PATH = `${RUN}/iter_0/baselines/ebm_metrics.json`;
const SEARCH_PATH = `${RUN}/iter_0/baselines/search_results.json`;
const STATS_PATH = `${RUN}/data/traced/stats.json`;

const EMBEDDING_FILE: MetricsFile = {
  kind: "embedding",
  values: {
    centroid_l2: 5.873,
    linear_probe_acc: 0.8123,
    linear_probe_base_rate: 0.6011,
    linear_probe_balanced_acc: 0.7745,
    linear_probe_auc: 0.8532,
    norm_gap: 3.912,
    sibling_l2_mean: 2.481,
    sibling_l2_median: 2.302,
    sibling_collision_rate: 0.1187,
    top1_variance_ratio: 0.5124,
    top10_variance_ratio: 0.8311,
    effective_dimension: 3.741,
    silhouette_shallow: 0.0412,
    silhouette_mid: 0.0233,
    silhouette_deep: -0.0105,
    dual_label_states: 1234,
    dual_label_rate: 0.0412,
  },
  not_computed: {},
};

const EBM_FILE: MetricsFile = {
  kind: "ebm",
  values: {
    rank1_accuracy: 0.6412,
    rank1_d0_1: 0.7122,
    rank1_d2_3: 0.6034,
    "rank1_d4+": 0.3811,
    energy_gap: 1.2043,
    energy_std_pos: 0.8121,
    energy_std_neg: 0.9544,
    sibling_discrimination: 0.1433,
    active_ratio: 0.2987,
  },
  not_computed: {},
};

function fullModel(): BaselineReportModel {
  return {
    header: {
      title: "v2 Iter 0 Baseline Report",
      run_id: "demo-0001",
      profile: "demo",
      code_version: { git_commit: "0123abcd4567", dirty: true },
      artifacts_read: [
        { path: EMB_PATH, sha256: "a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1" },
        { path: EBM_PATH, sha256: "0b1c2d3e4f5a0b1c2d3e4f5a0b1c2d3e4f5a0b1c2d3e4f5a0b1c2d3e4f5a6b7c" },
        { path: SEARCH_PATH, sha256: "ffee00112233ffee00112233ffee00112233ffee00112233ffee00112233ffee" },
        { path: STATS_PATH, sha256: "1234567890ab1234567890ab1234567890ab1234567890ab1234567890ab1234" },
      ],
    },
    data: {
      sft_pairs_train: valueCell(182_344, STATS_PATH),
      sft_pairs_val: valueCell(9_512, STATS_PATH),
      contrastive_theorems: valueCell(2_000, STATS_PATH),
      source_breakdown: { workbook: valueCell(0.712, STATS_PATH), numinamath: valueCell(0.288, STATS_PATH) },
    },
    embedding: metricCells(EMBEDDING_METRIC_KEYS, { path: EMB_PATH, file: EMBEDDING_FILE }),
    ebm: metricCells(EBM_METRIC_KEYS, { path: EBM_PATH, file: EBM_FILE }),
    search: {
      llm_only: { proved: valueCell(89, SEARCH_PATH), total: valueCell(244, SEARCH_PATH), rate: valueCell(89 / 244, SEARCH_PATH) },
      llm_ebm: { proved: valueCell(101, SEARCH_PATH), total: valueCell(244, SEARCH_PATH), rate: valueCell(101 / 244, SEARCH_PATH) },
    },
    plots: [
      { title: "Eigenvalue spectrum", svg_relpath: "plots/spectrum.svg", caption: "Covariance eigenvalues of frozen iter_0 state embeddings (log scale)." },
      { title: "Sibling L2 histogram", svg_relpath: "plots/sibling_l2.svg", caption: "Pairwise L2 between siblings; collision threshold 1.0 marked." },
    ],
    notes: ["Demo world: 300 theorems, 8-d embeddings."],
  };
}

/** Many stages missing: partial embedding metrics, no EBM, no EBM search, no plots. */
function notRunModel(): BaselineReportModel {
  const partial: MetricsFile = {
    kind: "embedding",
    values: { centroid_l2: 0, linear_probe_acc: 0.5 },
    not_computed: { silhouette_shallow: "not enough data: n=12", silhouette_mid: "not enough data: n=40", silhouette_deep: "not enough data: n=3" },
  };
  const m = fullModel();
  return {
    ...m,
    header: { ...m.header, profile: "real", run_id: "real-2025-01", code_version: { git_commit: "89abcdef0123", dirty: false }, artifacts_read: [{ path: EMB_PATH, sha256: "a3f1c9e2b7d4a3f1c9e2b7d4" }] },
    data: {
      sft_pairs_train: notRun("tracing not finished (stats.json missing)"),
      sft_pairs_val: notRun("tracing not finished (stats.json missing)"),
      contrastive_theorems: notRun("contrastive pool not built"),
      source_breakdown: { workbook: notRun("stats.json missing"), numinamath: notRun("stats.json missing") },
    },
    embedding: metricCells(EMBEDDING_METRIC_KEYS, { path: EMB_PATH, file: partial }),
    ebm: metricCells(EBM_METRIC_KEYS, notRun("EBM not trained (no GPU on this machine) <script>")),
    search: {
      llm_only: { proved: valueCell(0, SEARCH_PATH), total: notRun("theorem list missing"), rate: notRun("theorem list missing") },
      llm_ebm: { proved: notRun("EBM server not run"), total: notRun("EBM server not run"), rate: notRun("EBM server not run") },
    },
    plots: [],
    notes: [],
  };
}

/** Cells of every markdown table row (header and separator excluded). */
function tableRows(md: string): string[][] {
  const rows: string[][] = [];
  const lines = md.split("\n");
  lines.forEach((line, i) => {
    if (!line.startsWith("|") || /^\|[-| ]+\|$/.test(line) || (lines[i + 1] ?? "").startsWith("|--")) return;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  });
  return rows;
}

test("full baseline report matches the snapshot", () => {
  matchSnapshot("baseline-full.md", renderBaselineMarkdown(fullModel()));
});

test("baseline report with many not-run cells matches the snapshot", () => {
  matchSnapshot("baseline-not-run.md", renderBaselineMarkdown(notRunModel()));
});

test("sections follow the plan's Task 2.7 template", () => {
  const md = renderBaselineMarkdown(fullModel());
  const headings = md.split("\n").filter((l) => /^#{1,2} /.test(l));
  assert.deepEqual(headings, [
    "# v2 Iter 0 Baseline Report",
    "## Data",
    "## Embedding Space (frozen, before EBM)",
    "## EBM (GoalConditioned PyTorch, frozen encoder, decoupled training)",
    "## Search (miniF2F v2s test)",
    "## Notes",
    "## Plots",
    "## Provenance",
    "## Glossary",
  ]);
  assert.match(md, /\| Metric +\| Value +\| Old iter_4 \| Notes +\|/);
  assert.match(md, /\| Metric +\| Value +\| Old iter_5 \| Notes +\|/);
  assert.match(md, /\| Config +\| Proved +\| Rate \[95% Wilson\] \| Old iter_4 \|/);
  assert.match(md, /\| LLM-only +\| 89 \/ 244 +\| 36\.5% +\| ~35% +\|/);
  assert.ok(md.includes("41.7%*") && md.includes("*Old number used context-free burn-rs EBM."));
  assert.ok(md.includes("- Source breakdown, by SFT pairs: Workbook 71.2%, NuminaMath 28.8%"));
  assert.ok(md.includes("![Covariance eigenvalues of frozen iter_0 state embeddings (log scale).](plots/spectrum.svg)"));
});

test("every plan row and every Task 2.2 / 2.5 metric has a row with the plan's reference column", () => {
  const rows = tableRows(renderBaselineMarkdown(fullModel()));
  const byLabel = new Map(rows.map((r) => [r[0], r]));
  for (const key of EMBEDDING_METRIC_KEYS) assert.ok(byLabel.has(EMBEDDING_ROWS[key].label), key);
  for (const key of EBM_METRIC_KEYS) assert.ok(byLabel.has(EBM_ROWS[key].label), key);
  assert.deepEqual(byLabel.get("centroid_l2"), ["centroid_l2", "5.87", "6.40", "Higher = better"]);
  assert.deepEqual(byLabel.get("top1_variance_ratio")?.slice(2), ["0.645", "Lower = better spread"]);
  assert.deepEqual(byLabel.get("rank1_accuracy (d4+)"), ["rank1_accuracy (d4+)", "0.381", "0.35-0.39", "Key metric for search"]);
  assert.deepEqual(byLabel.get("rank1_accuracy (overall)")?.[2], "0.68 train");
  assert.equal(byLabel.get("effective_dimension")?.[2], "—");
});

test("no table cell is empty and no not-run value prints as 0", () => {
  for (const model of [fullModel(), notRunModel()]) {
    const md = renderBaselineMarkdown(model);
    for (const row of tableRows(md)) for (const cell of row) assert.notEqual(cell, "", `empty cell in ${JSON.stringify(row)}`);
    for (const key of EMBEDDING_METRIC_KEYS) {
      if (model.embedding[key].kind !== "not_run") continue;
      const row = tableRows(md).find((r) => r[0] === EMBEDDING_ROWS[key].label);
      assert.match(row?.[1] ?? "", /^not run — /, key);
    }
  }
  const md = renderBaselineMarkdown(notRunModel());
  assert.ok(md.includes("| centroid_l2 ") && /\| centroid_l2 +\| 0\.00 /.test(md), "a measured 0 still prints as 0");
  assert.match(md, /\| rank1_accuracy \(d4\+\) +\| not run — EBM not trained \(no GPU on this machine\) &lt;script> /);
  assert.match(md, /\| silhouette_deep \(d4\+\) +\| not run — not enough data: n=3 /);
  assert.ok(md.includes("| LLM-only                       | 0 (total: not run — theorem list missing) |"));
  assert.ok(md.includes("- Source breakdown, by SFT pairs: Workbook not run — stats.json missing, NuminaMath not run — stats.json missing"));
  assert.ok(md.includes("not run — no plots were produced for this run"));
});

test("demo banner is the very first line; real runs have none", () => {
  const demo = renderBaselineMarkdown(fullModel());
  assert.ok(demo.startsWith("> **DEMO RUN — synthetic data, not a result.**"));
  const real = renderBaselineMarkdown(notRunModel());
  assert.ok(real.startsWith("# v2 Iter 0 Baseline Report"));
  assert.ok(!real.includes("DEMO RUN"));
});

test("header shows code version with dirty flag; provenance shows 12-char hashes", () => {
  const md = renderBaselineMarkdown(fullModel());
  assert.ok(md.includes("- Code version: `0123abcd4567` (dirty)"));
  assert.ok(md.includes(`| \`${EMB_PATH}\` | \`a3f1c9e2b7d4\` |`));
  assert.ok(!md.includes("a3f1c9e2b7d4a"));
  assert.ok(!renderBaselineMarkdown(notRunModel()).includes("(dirty)"));
  const dated = renderBaselineMarkdown({ ...fullModel(), header: { ...fullModel().header, generated_at: "2025-01-02T03:04:05Z" } });
  assert.ok(dated.includes("- Generated: 2025-01-02T03:04:05Z"));
});

test("rendering is deterministic", () => {
  assert.equal(renderBaselineMarkdown(fullModel()), renderBaselineMarkdown(fullModel()));
});
