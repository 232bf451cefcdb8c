/** renderComparisonMarkdown: the Day 11 comparison report (Tasks 4.3–4.5, Success Metrics, abort rules). */
import { answerQuestions, type QuestionAnswer } from "./answer-questions.js";
import { formatCell, formatNotRun, formatSigned, type Cell } from "./cell.js";
import type { ComparisonInput } from "./comparison-inputs.js";
import {
  COMPARISON_COLUMNS,
  CONFIG_DESCRIPTIONS,
  CONFIG_IDS,
  CONFIG_LABELS,
  type AbortChecks,
  type ComparisonReportModel,
} from "./comparison-report-model.js";
import { configDeltas } from "./config-deltas.js";
import { decide, type Decision, type DecisionResult, type RuleStatus } from "./decide.js";
import { renderGlossaryMarkdown } from "./glossary.js";
import { markdownTable, mdText } from "./markdown-table.js";
import { renderPlotsMarkdown } from "./plots-section.js";
import { renderHeaderMarkdown, renderProvenanceMarkdown } from "./report-header.js";
import { formatMeasured, formatStatus, redLineText, successMetricRows, targetText, type SuccessStatus } from "./success-metrics.js";

function deltaText(cell: Cell, format: (typeof COMPARISON_COLUMNS)[number]["format"]): string {
  if (cell.kind !== "value" || !Number.isFinite(cell.value)) return formatCell(cell);
  return formatSigned(cell.value, format);
}

function configSection(model: ComparisonReportModel): string {
  const header = ["Config", ...COMPARISON_COLUMNS.map((c) => c.header)];
  const rows = CONFIG_IDS.map((id) => [CONFIG_LABELS[id], ...COMPARISON_COLUMNS.map((c) => formatCell(model.configs[id][c.key], c.format))]);
  const deltas = configDeltas(model).map((d) => [
    `${d.from}→${d.to} (${d.meaning})`,
    ...COMPARISON_COLUMNS.map((c) => deltaText(d.values[c.key], c.format)),
  ]);
  return [
    "## Three-config comparison (Task 4.3)",
    "",
    ...CONFIG_IDS.map((id) => `- **${id}**: ${CONFIG_DESCRIPTIONS[id]}`),
    "",
    "Embedding quality: centroid_l2, probe_acc. EBM quality: rank1_d4+, sibling (sibling_discrimination). End-to-end: miniF2F (v2s test, LLM + the config's EBM).",
    "",
    markdownTable(header, rows),
    "",
    "### Deltas",
    "",
    "Later minus earlier; miniF2F in percentage points.",
    "",
    markdownTable(["Delta", ...COMPARISON_COLUMNS.map((c) => c.header)], deltas),
  ].join("\n");
}

function inputLines(inputs: readonly ComparisonInput[]): string[] {
  return inputs.map((i) => {
    const source = i.cell.kind === "value" ? ` (from \`${i.cell.source}\`)` : "";
    return `  - ${mdText(i.label)}: ${mdText(formatCell(i.cell, i.format))}${source}`;
  });
}

function questionSection(answers: readonly QuestionAnswer[]): string {
  const lines = ["## Key questions (Task 4.4)"];
  answers.forEach((q, n) => {
    lines.push("", `### ${n + 1}. ${q.question}`, "", "- Compares:", ...inputLines(q.inputs), `- Rule: ${mdText(q.rule)}`, "", `**Answer: ${mdText(q.answer)}**`);
  });
  return lines.join("\n");
}

const STATUS_TEXT: Readonly<Record<RuleStatus, string>> = {
  holds: "**holds**",
  does_not_hold: "does not hold",
  cannot_evaluate: "cannot evaluate",
};

function decisionText(decision: Decision): string {
  switch (decision.kind) {
    case "decided": {
      const lines = [`**Decision (${decision.rule_id}): ${decision.action}**`];
      if (decision.provisional_because.length > 0) {
        lines.push("", `Provisional: an earlier rule could not be evaluated — ${mdText(decision.provisional_because.join(" | "))}`);
      }
      if (decision.also_holding.length > 0) lines.push("", `Also holding: ${decision.also_holding.join(", ")} (see table).`);
      return lines.join("\n");
    }
    case "none_holds":
      return "**Decision: none of the plan's rules holds** — the outcome is outside the plan's cases; read the questions above.";
    case "cannot_decide":
      return `**Decision: cannot decide** — no rule holds and some cannot be evaluated: ${mdText(decision.reasons.join(" | "))}`;
  }
}

function decisionSection(result: DecisionResult): string {
  const t = result.thresholds;
  return [
    "## Decision (Task 4.5)",
    "",
    "Definitions used below (miniF2F rates in percentage points, v2s test):",
    `- miniF2F(iter_k) = best rate over that iteration's search configs, all of which must have run (iter_0: LLM-only, A; iter_1: LLM-only, B, C).`,
    `- "≈": within ${t.approx_points} pts. ">": higher by more than ${t.approx_points} pts. ">>": higher by at least ${t.much_better_points} pts.`,
    `- "centroid_l2 held": iter_1 ≥ iter_0. "collapsed": iter_1 centroid_l2 < ${t.centroid_collapse.toFixed(1)} (the abort line and red line).`,
    "- Rules are read in the plan's order; the first that holds is the decision.",
    "",
    markdownTable(
      ["Rule", "Condition", "Result", "Evaluation"],
      result.rules.map((r) => [r.id, r.condition, STATUS_TEXT[r.status], r.detail]),
    ),
    "",
    decisionText(result.decision),
  ].join("\n");
}

/** The value column already says why a number is missing; the status column then just says "not run". */
function statusText(status: SuccessStatus, value: Cell): string {
  return status.kind === "not_run" && value.kind === "not_run" ? "not run" : formatStatus(status);
}

function successSection(model: ComparisonReportModel): string {
  const rows = successMetricRows(model).map((r) => [
    r.spec.metric,
    targetText(r.spec.iter_0_target, r.spec),
    targetText(r.spec.iter_1_target, r.spec),
    redLineText(r.spec),
    formatMeasured(r.iter_0, r.spec),
    statusText(r.iter_0_status, r.iter_0),
    formatMeasured(r.iter_1, r.spec),
    statusText(r.iter_1_status, r.iter_1),
  ]);
  return [
    "## Success metrics",
    "",
    "LLM+EBM and EBM rows compare Config A (iter_0) with Config C (iter_1). \"≥ iter_0 val\" targets are relative to the measured iter_0 value. A red line overrides the target.",
    "",
    markdownTable(["Metric", "iter_0 target", "iter_1 target", "Red line", "iter_0", "iter_0 status", "iter_1", "iter_1 status"], rows),
  ].join("\n");
}

function abortSection(checks: AbortChecks | { kind: "not_run"; reason: string }): string {
  const lines = ["## Training-run abort rules (iter_1, Task 4.1)", ""];
  if ("kind" in checks) {
    lines.push(formatNotRun(checks.reason));
    return lines.join("\n");
  }
  const fired = checks.rules.filter((r) => r.fired).length;
  lines.push(`Read from \`${checks.source}\`. ${fired === 0 ? "No rule fired." : `${fired} rule(s) fired.`}`, "");
  if (checks.rules.length === 0) {
    lines.push("not run — the source lists no abort rules");
    return lines.join("\n");
  }
  const rows = checks.rules.map((r) => [
    r.id,
    r.description,
    r.fired ? "**FIRED**" : "no",
    r.step === undefined ? "—" : String(r.step),
    r.value === undefined ? "—" : Number.isFinite(r.value) ? r.value.toPrecision(4) : String(r.value),
  ]);
  lines.push(markdownTable(["Rule", "Condition", "Fired", "Step", "Value"], rows));
  return lines.join("\n");
}

/** The comparison report as markdown; byte-identical for identical models. */
export function renderComparisonMarkdown(model: ComparisonReportModel): string {
  const sections = [
    renderHeaderMarkdown(model.header),
    configSection(model),
    questionSection(answerQuestions(model)),
    decisionSection(decide(model)),
    successSection(model),
    abortSection(model.abort_checks),
  ];
  if (model.notes.length > 0) sections.push(["## Notes", "", ...model.notes.map((n) => `- ${mdText(n)}`)].join("\n"));
  sections.push(
    renderPlotsMarkdown(model.plots),
    renderProvenanceMarkdown(model.header),
    renderGlossaryMarkdown({
      "Config A / B / C": "See the three-config comparison: B isolates the effect of joint LoRA on embeddings, C adds the live-gradient EBM head.",
      "pts": "Percentage points (difference of two rates).",
    }),
  );
  return sections.join("\n\n") + "\n";
}
