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
  const breakdown = (cells: Readonly<Partial<Record<(typeof SOURCES)[number], Cell>>>) =>
    SOURCES.flatMap((s) => {
      const cell = cells[s];
      return cell === undefined ? [] : [`${SOURCE_NAMES[s]} ${formatCell(cell, "pct")}`];
    }).join(", ");
  return [
    "## Data",
    `- SFT pairs: train ${formatCell(d.sft_pairs_train, "int")}, val ${formatCell(d.sft_pairs_val, "int")}`,
    `- Contrastive theorems: ${formatCell(d.contrastive_theorems, "int")}`,
    `- Source breakdown, by SFT pairs: ${breakdown(d.source_breakdown)}`,
    ...(d.source_breakdown_theorems ? [`- Source breakdown, by theorems: ${breakdown(d.source_breakdown_theorems)}`] : []),
  ]
    .map(mdText)
    .join("\n");
}

/**
 * The row's own note, then the cells' (a base rate, a chance level, a saturation warning). With
 * several labelled cells (iter_0 / iter_1, A / B / C), each note says whose it is; equal notes merge.
 */
export function rowNote(spec: MetricRowSpec, ...cells: ReadonlyArray<Cell | undefined | readonly [string, Cell | undefined]>): string {
  const byNote = new Map<string, string[]>();
  for (const entry of cells) {
    const [label, c] = Array.isArray(entry) ? (entry as readonly [string, Cell | undefined]) : ["", entry as Cell | undefined];
    if (c?.kind !== "value" || !c.note) continue;
    const list = byNote.get(c.note) ?? [];
    if (label) list.push(label);
    byNote.set(c.note, list);
  }
  const dynamic = [...byNote].map(([note, labels]) => (labels.length && labels.length < cells.length ? `${labels.join(", ")}: ${note}` : note));
  return [spec.note === "—" && dynamic.length ? "" : spec.note, ...dynamic].filter(Boolean).join("; ");
}

function metricTable<K extends string>(cells: Readonly<Record<K, Cell>>, rows: Readonly<Record<K, MetricRowSpec>>, old_header: string, in_sample?: Readonly<Record<K, Cell>>): string {
  const keys = Object.keys(rows) as K[];
  const header = in_sample ? ["Metric", "Held-out theorems", "Training theorems (in-sample)", old_header, "Notes"] : ["Metric", "Value", old_header, "Notes"];
  return markdownTable(
    header,
    keys.map((k) => [
      rows[k].label,
      formatCell(cells[k], rows[k].format),
      ...(in_sample ? [formatCell(in_sample[k], rows[k].format)] : []),
      rows[k].old,
      rowNote(rows[k], cells[k]),
    ]),
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
    ["Config", "Proved", "Rate [95% Wilson]", "Old iter_4"],
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
    [
      "## EBM (GoalConditioned PyTorch, frozen encoder, decoupled training)",
      ...(model.ebm_split ? [`Evaluated on ${mdText(model.ebm_split)}. The in-sample column is the head's training theorems, for reference only.`, ""] : []),
      metricTable(model.ebm, EBM_ROWS, "Old iter_5", model.ebm_in_sample),
      "",
      EBM_NOTE,
    ].join("\n"),
    searchSection(model),
  ];
  if (model.notes.length > 0) sections.push(["## Notes", "", ...model.notes.map((n) => `- ${mdText(n)}`)].join("\n"));
  sections.push(renderPlotsMarkdown(model.plots), renderProvenanceMarkdown(model.header), renderGlossaryMarkdown());
  return sections.join("\n\n") + "\n";
}
