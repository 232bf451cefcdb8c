/** renderComparisonMarkdown: the Day 11 comparison report (Tasks 4.3–4.5, Success Metrics, abort rules). */
import { answerQuestions, type QuestionAnswer } from "./answer-questions.js";
import { formatCell, formatNotRun, formatSigned, formatSignedInterval, notRun, type Cell } from "./cell.js";
import { EBM_ROWS, EMBEDDING_ROWS } from "./baseline-report-model.js";
import { rowNote } from "./render-baseline-markdown.js";
import type { ComparisonInput } from "./comparison-inputs.js";
import {
  COMPARISON_COLUMNS,
  CONFIG_DESCRIPTIONS,
  CONFIG_IDS,
  CONFIG_LABELS,
  type AbortChecks,
  type ComparisonReportModel,
  type ConfigId,
  type RepeatedTables,
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
  return cell.ci ? `${formatSigned(cell.value, format)} ${formatSignedInterval(cell.ci, format)}` : formatSigned(cell.value, format);
}

function configCell(model: ComparisonReportModel, id: ConfigId, key: (typeof COMPARISON_COLUMNS)[number]["key"]): Cell {
  return model.configs[id][key] ?? notRun(`${key} not measured`);
}

function configSection(model: ComparisonReportModel): string {
  const header = ["Config", ...COMPARISON_COLUMNS.map((c) => c.header)];
  const rows = CONFIG_IDS.map((id) => [CONFIG_LABELS[id], ...COMPARISON_COLUMNS.map((c) => formatCell(configCell(model, id, c.key), c.format))]);
  const deltaList = configDeltas(model);
  const deltas = deltaList.map((d) => [`${d.from}→${d.to} (${d.meaning})`, ...COMPARISON_COLUMNS.map((c) => deltaText(d.values[c.key], c.format))]);
  const methods = [...new Set(deltaList.flatMap((d) => Object.entries(d.values).flatMap(([k, c]) => (c.kind === "value" && c.note ? [`${d.from}→${d.to} ${k}: ${c.note}`] : []))))];
  const probeNotes = CONFIG_IDS.flatMap((id) => {
    const c = model.configs[id].linear_probe_acc;
    return c.kind === "value" && c.note ? [`${id}: ${c.note}`] : [];
  });
  return [
    "## Three-config comparison (Task 4.3)",
    "",
    ...CONFIG_IDS.map((id) => `- **${id}**: ${CONFIG_DESCRIPTIONS[id]}`),
    "",
    "Embedding quality: centroid_l2, probe_acc (plan's metric) and probe_bal_acc (balanced accuracy). EBM quality, on held-out theorems: rank1_d4+, sibling (sibling_discrimination). End-to-end: miniF2F (v2s test, LLM + the config's EBM). Brackets: 95 % intervals (Wilson for rates, bootstrap over theorems for grouped metrics).",
    ...(probeNotes.length ? ["", `Probe base rates: ${mdText(probeNotes.join("; "))}.`] : []),
    "",
    markdownTable(header, rows),
    "",
    "### Deltas",
    "",
    "Later minus earlier, with the 95 % interval of the difference; miniF2F in percentage points.",
    "",
    markdownTable(["Delta", ...COMPARISON_COLUMNS.map((c) => c.header)], deltas),
    ...(methods.length ? ["", "How each interval was obtained:", "", ...methods.map((m) => `- ${mdText(m)}`)] : []),
  ].join("\n");
}

/** Task 4.3: every baseline measurement repeated on iter_1, beside iter_0's (and every EBM metric for A, B, C). */
function repeatedSection(tables: RepeatedTables | undefined): string {
  if (!tables) return ["## All baseline measurements, iter_0 vs iter_1 (Task 4.3)", "", formatNotRun("the repeated measurement tables were not built")].join("\n");
  const embKeys = Object.keys(EMBEDDING_ROWS) as (keyof typeof EMBEDDING_ROWS)[];
  const emb = markdownTable(
    ["Metric", "iter_0", "iter_1", "Notes"],
    embKeys.map((k) => [EMBEDDING_ROWS[k].label, formatCell(tables.embedding.iter_0[k], EMBEDDING_ROWS[k].format), formatCell(tables.embedding.iter_1[k], EMBEDDING_ROWS[k].format), rowNote(EMBEDDING_ROWS[k], ["iter_0", tables.embedding.iter_0[k]], ["iter_1", tables.embedding.iter_1[k]])]),
  );
  const ebmKeys = Object.keys(EBM_ROWS) as (keyof typeof EBM_ROWS)[];
  const ebm = markdownTable(
    ["Metric", ...CONFIG_IDS.map((id) => `Config ${id}`), "Notes"],
    ebmKeys.map((k) => [EBM_ROWS[k].label, ...CONFIG_IDS.map((id) => formatCell(tables.ebm[id][k], EBM_ROWS[k].format)), rowNote(EBM_ROWS[k], ...CONFIG_IDS.map((id) => [id, tables.ebm[id][k]] as const))]),
  );
  const splits = CONFIG_IDS.flatMap((id) => (tables.ebm_split[id] ? [`- Config ${id}: ${tables.ebm_split[id]}`] : []));
  return [
    "## All baseline measurements, iter_0 vs iter_1 (Task 4.3)",
    "",
    "### Embedding space",
    "",
    emb,
    "",
    "### EBM, on held-out theorems",
    "",
    ...(splits.length ? [...splits.map(mdText), ""] : []),
    ebm,
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
  cannot_evaluate: "open",
};

function decisionText(decision: Decision): string {
  switch (decision.kind) {
    case "decided": {
      const lines = [`**Decision (${decision.rule_id}): ${decision.action}**`];
      if (decision.provisional_because.length > 0) {
        lines.push("", `Provisional: an earlier rule is open — ${mdText(decision.provisional_because.join(" | "))}`);
      }
      if (decision.also_holding.length > 0) lines.push("", `Also holding: ${decision.also_holding.join(", ")} (see table).`);
      return lines.join("\n");
    }
    case "none_holds":
      return "**Decision: none of the plan's rules holds** — the outcome is outside the plan's cases; read the questions above.";
    case "cannot_decide":
      return `**Decision: cannot decide yet** — no rule holds and these are open: ${mdText(decision.reasons.join(" | "))}`;
  }
}

function decisionSection(result: DecisionResult): string {
  const t = result.thresholds;
  return [
    "## Decision (Task 4.5)",
    "",
    "Definitions used below (miniF2F rates in percentage points, v2s test):",
    `- miniF2F(iter_k) = best rate over that iteration's search configs (iter_0: LLM-only, A; iter_1: LLM-only, B, C). A config that did not run can only raise its iteration's best: the best that ran is a lower bound, and a rule the bounds already settle is decided; an open one names the number that would decide it.`,
    `- "≈": within ${t.approx_points} pts. ">": higher by more than ${t.approx_points} pts. ">>": higher by at least ${t.much_better_points} pts. These margins are this lab's choice (recipe \`decision\`): the plan gives none.`,
    `- "centroid_l2 held": iter_1 ≥ iter_0. "collapsed": iter_1 centroid_l2 < ${t.centroid_collapse.toFixed(1)} (the plan's abort line and red line).`,
    "- Rules are read on point estimates, in the plan's order; the first that holds is the decision. The intervals above say how far to trust a difference.",
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
    "LLM+EBM and EBM rows compare Config A (iter_0) with Config C (iter_1); EBM rows are on held-out theorems. \"≥ iter_0 val\" targets are relative to the measured iter_0 value. A red line overrides the target. An accuracy at or below its base rate is uninformative: it passes nothing.",
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
  const unchecked = checks.rules.filter((r) => !r.fired && r.not_evaluated !== undefined).length;
  const held = `${fired === 0 ? "No rule fired" : `${fired} rule(s) fired`}${unchecked ? `; ${unchecked} of ${checks.rules.length} not evaluated (the stream has no event they look at), so they neither fired nor held` : ""}.`;
  lines.push(`Read from \`${checks.source}\`. ${held}`, "");
  if (checks.rules.length === 0) {
    lines.push("not run — the source lists no abort rules");
    return lines.join("\n");
  }
  const rows = checks.rules.map((r) => [
    r.id,
    r.description,
    r.fired ? "**FIRED**" : r.not_evaluated !== undefined ? `not evaluated: ${r.not_evaluated}` : "no",
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
    repeatedSection(model.tables),
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
      "[a, b]": "95 % interval: Wilson for a proportion of theorems or rows, percentile bootstrap over theorems for grouped metrics (sibling groups of one theorem are not independent); for differences, a paired bootstrap over the shared theorems, or the normal approximation from independent bootstrap SEs (named under the table).",
      "McNemar p": "Exact two-sided McNemar test on the theorems exactly one of two search runs proved (same theorems, paired).",
      "lab choice": "A threshold or rule this lab chose where the plan gives none (the ≈ / > / >> margins, the balanced-accuracy success row, the saturation rule).",
    }),
  );
  return sections.join("\n\n") + "\n";
}
