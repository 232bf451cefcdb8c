/** report: report models (pure), decision logic (pure), markdown/HTML rendering, one writer. */
export {
  cellNumber,
  formatCell,
  formatNotRun,
  formatSigned,
  formatValue,
  notRun,
  textCell,
  valueCell,
  type Cell,
  type CellFormat,
  type CellNumber,
  type NotRunCell,
  type TextCell,
  type ValueCell,
} from "./cell.js";
export { metricCells, type LoadedMetrics } from "./metric-cells.js";
export { markdownTable, mdText } from "./markdown-table.js";
export {
  DEMO_BANNER,
  DEMO_BANNER_TEXT,
  DEMO_BANNER_TITLE,
  renderHeaderMarkdown,
  renderProvenanceMarkdown,
  type ArtifactRead,
  type ReportHeader,
  type ReportProfile,
} from "./report-header.js";
export { GLOSSARY, renderGlossaryMarkdown } from "./glossary.js";
export { renderPlotsMarkdown, type PlotRef } from "./plots-section.js";
export {
  EBM_NOTE,
  EBM_ROWS,
  EMBEDDING_ROWS,
  OLD_ITER4_LLM_EBM_RATE,
  OLD_ITER4_LLM_ONLY_RATE,
  SEARCH_FOOTNOTE,
  SOURCE_NAMES,
  type BaselineData,
  type BaselineReportModel,
  type EbmMetricKey,
  type EmbeddingMetricKey,
  type MetricRowSpec,
  type SearchCells,
} from "./baseline-report-model.js";
export { renderBaselineMarkdown } from "./render-baseline-markdown.js";
export {
  COMPARISON_COLUMNS,
  CONFIG_DESCRIPTIONS,
  CONFIG_IDS,
  CONFIG_LABELS,
  type AbortChecks,
  type AbortRuleCheck,
  type ComparisonColumn,
  type ComparisonReportModel,
  type ConfigId,
  type ConfigMeasurements,
} from "./comparison-report-model.js";
export { configDeltas, deltaCell, DELTA_PAIRS, type ConfigDelta } from "./config-deltas.js";
export {
  bestRate,
  DECISION_THRESHOLDS,
  iterationRateInputs,
  type ComparisonInput,
  type DecisionThresholds,
  type Iteration,
  type Measured,
} from "./comparison-inputs.js";
export {
  answerQuestions,
  competitionDataQuestion,
  ebmQuestion,
  embeddingProtectionQuestion,
  endToEndQuestion,
  type QuestionAnswer,
  type Verdict,
} from "./answer-questions.js";
export { allOf, decide, evaluateRules, pickDecision, type Decision, type DecisionResult, type RuleEvaluation, type RuleStatus, type Truth } from "./decide.js";
export {
  formatStatus,
  redLineText,
  SUCCESS_METRICS,
  successMeasurements,
  successMetricRows,
  successStatus,
  targetText,
  type RedLine,
  type SuccessMetricRow,
  type SuccessMetricSpec,
  type SuccessStatus,
  type Target,
} from "./success-metrics.js";
export { renderComparisonMarkdown } from "./render-comparison-markdown.js";
export { renderHtml, type HtmlOptions } from "./render-html.js";
export { writeReport } from "./write-report.js";
