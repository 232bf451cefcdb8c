/** renderBaselineMarkdown: the plan's Task 2.7 baseline report from a BaselineReportModel. */
import { SOURCES } from "../artifacts/schemas.js";
import {
  EBM_NOTE,
  EBM_ROWS,
  EMBEDDING_ROWS,
  SEARCH_FOOTNOTE,
  SOURCE_NAMES,
  type BaselineReportModel,
  type MetricRowSpec,
  type SearchCells,
} from "./baseline-report-model.js";
import { formatCell, type Cell } from "./cell.js";
import { renderGlossaryMarkdown } from "./glossary.js";
import { markdownTable, mdText } from "./markdown-table.js";
import { renderPlotsMarkdown } from "./plots-section.js";
import { renderHeaderMarkdown, renderProvenanceMarkdown } from "./report-header.js";

function dataSection(model: BaselineReportModel): string {
  const d = model.data;
  const breakdown = SOURCES.flatMap((s) => {
    const cell = d.source_breakdown[s];
    return cell === undefined ? [] : [`${SOURCE_NAMES[s]} ${formatCell(cell, "pct")}`];
  });
  return [
    "## Data",
    `- SFT pairs: train ${formatCell(d.sft_pairs_train, "int")}, val ${formatCell(d.sft_pairs_val, "int")}`,
    `- Contrastive theorems: ${formatCell(d.contrastive_theorems, "int")}`,
    `- Source breakdown: ${breakdown.join(", ")}`,
  ]
    .map(mdText)
    .join("\n");
}

function metricTable<K extends string>(cells: Readonly<Record<K, Cell>>, rows: Readonly<Record<K, MetricRowSpec>>, old_header: string): string {
  const keys = Object.keys(rows) as K[];
  return markdownTable(
    ["Metric", "Value", old_header, "Notes"],
    keys.map((k) => [rows[k].label, formatCell(cells[k], rows[k].format), rows[k].old, rows[k].note]),
  );
}

function provedText(s: SearchCells): string {
  const proved = formatCell(s.proved, "int");
  if (s.proved.kind !== "value") return proved;
  if (s.total.kind === "value") return `${proved} / ${formatCell(s.total, "int")}`;
  return `${proved} (total: ${formatCell(s.total, "int")})`;
}

function searchSection(model: BaselineReportModel): string {
  const { llm_only, llm_ebm } = model.search;
  const table = markdownTable(
    ["Config", "Proved", "Rate", "Old iter_4"],
    [
      ["LLM-only", provedText(llm_only), formatCell(llm_only.rate, "pct"), "~35%"],
      ["LLM + GoalCond EBM (decoupled)", provedText(llm_ebm), formatCell(llm_ebm.rate, "pct"), "41.7%*"],
    ],
  );
  return ["## Search (miniF2F v2s test)", table, "", SEARCH_FOOTNOTE].join("\n");
}

/** The baseline report as markdown; byte-identical for identical models. */
export function renderBaselineMarkdown(model: BaselineReportModel): string {
  const sections = [
    renderHeaderMarkdown(model.header),
    dataSection(model),
    ["## Embedding Space (frozen, before EBM)", metricTable(model.embedding, EMBEDDING_ROWS, "Old iter_4")].join("\n"),
    ["## EBM (GoalConditioned PyTorch, frozen encoder, decoupled training)", metricTable(model.ebm, EBM_ROWS, "Old iter_5"), "", EBM_NOTE].join("\n"),
    searchSection(model),
  ];
  if (model.notes.length > 0) sections.push(["## Notes", "", ...model.notes.map((n) => `- ${mdText(n)}`)].join("\n"));
  sections.push(renderPlotsMarkdown(model.plots), renderProvenanceMarkdown(model.header), renderGlossaryMarkdown());
  return sections.join("\n\n") + "\n";
}
