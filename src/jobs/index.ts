/** Starting Python jobs, their event stream, progress displays and abort rules. */
export { runJob, repoRoot, DEFAULT_KILL_GRACE_S } from "./run-job.js";
export type { JobSpec, JobResult } from "./run-job.js";
export { JobError, JobAbortedError } from "./job-error.js";
export type { JobErrorKind, JobErrorInfo, JobAbortInfo } from "./job-error.js";
export { parseEventLine, decodeNumber, JobProtocolError } from "./events.js";
export type {
  JobEvent,
  JobEventType,
  ProgressEvent,
  MetricEvent,
  ArtifactEvent,
  ArtifactKind,
  WarningEvent,
  AbortEvent,
  DoneEvent,
  EventLineContext,
} from "./events.js";
export {
  AbortMonitor,
  replayAbortRules,
  validateAbortRule,
  describeAbortCondition,
  TASK_4_1_ABORT_RULES,
  AT_BOUND_REL_TOL,
} from "./abort-rules.js";
export type { AbortRule, AbortOp, AbortFiring } from "./abort-rules.js";
export { findPython, clearPythonCache, PythonNotFoundError, DEFAULT_PYTHON_MODULES } from "./find-python.js";
export type { FindPythonOptions } from "./find-python.js";
export { createProgress, resolveDisplayMode, TerminalProgress } from "./progress.js";
export type { DisplayMode, ProgressStream } from "./progress.js";
export { ProgressStats, NULL_PROGRESS, formatDuration, formatNumber, formatProgressLine } from "./progress-stats.js";
export type { ProgressReporter, ProgressSnapshot } from "./progress-stats.js";
export { LivePlot, sparklineSvg, escapeXml, loadNotebookDisplay } from "./live-plot.js";
export type { HtmlDisplay, SparklineOptions } from "./live-plot.js";
export { signalProcessGroup, trackProcessGroup, trackedProcessGroupCount } from "./process-groups.js";
export { TailBuffer } from "./tail-buffer.js";
