/**
 * Progress display of a running job: a terminal bar on stderr, or a live notebook display
 * (live-plot.ts), chosen by `display` / BURNQED_DISPLAY / detection of the tslab kernel.
 */
import { LivePlot, loadNotebookDisplay } from "./live-plot.js";
import { NULL_PROGRESS, ProgressStats, formatDuration, formatNumber, formatProgressLine } from "./progress-stats.js";
import type { ProgressReporter } from "./progress-stats.js";
import type { JobEvent } from "./events.js";

export type DisplayMode = "auto" | "terminal" | "notebook" | "none";

const BAR_WIDTH = 20;
const TTY_REDRAW_MS = 100;
const PLAIN_EVERY_FRACTION = 0.1;
const PLAIN_EVERY_MS = 10_000;

/** Resolves "auto": BURNQED_DISPLAY (terminal|notebook|none) if set, else notebook inside the tslab kernel, else terminal. */
export function resolveDisplayMode(requested: DisplayMode = "auto", env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): Exclude<DisplayMode, "auto"> {
  if (requested !== "auto") return requested;
  const forced = env["BURNQED_DISPLAY"];
  if (forced === "terminal" || forced === "notebook" || forced === "none") return forced;
  if (forced) throw new Error(`BURNQED_DISPLAY must be terminal, notebook or none, got ${JSON.stringify(forced)}`);
  return argv.some((a) => /tslab/.test(a)) ? "notebook" : "terminal";
}

/** Minimal writable the terminal display needs (process.stderr satisfies it). */
export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Terminal progress. On a TTY: one line redrawn with \r (job, bar, step/total, %, rate, ETA,
 * latest metrics). Otherwise: one plain line per 10% of progress or every 10 s.
 */
export class TerminalProgress implements ProgressReporter {
  private readonly stats = new ProgressStats();
  private last_draw_ms = Number.NEGATIVE_INFINITY;
  private last_bucket = -1;
  private drawn = false;

  constructor(
    readonly job: string,
    private readonly stream: ProgressStream = process.stderr,
    private readonly now_ms: () => number = Date.now,
  ) {}

  private line(): string {
    const p = this.stats.snapshot();
    const metrics = [...this.stats.metrics].slice(-3).map(([k, v]) => `${k}=${formatNumber(v)}`).join(" ");
    let bar = "";
    if (p) {
      const filled = Number.isFinite(p.fraction) ? Math.round(p.fraction * BAR_WIDTH) : 0;
      bar = `${this.stream.isTTY ? `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ` : ""}${formatProgressLine(p)}`;
    }
    return [this.job, bar, metrics].filter(Boolean).join(" ");
  }

  private draw(force: boolean): void {
    const t = this.now_ms();
    if (this.stream.isTTY) {
      if (!force && t - this.last_draw_ms < TTY_REDRAW_MS) return;
      const width = Math.max(20, (this.stream.columns ?? 100) - 1);
      this.stream.write(`\r\x1b[2K${this.line().slice(0, width)}`);
      this.drawn = true;
    } else {
      const p = this.stats.snapshot();
      const bucket = p && Number.isFinite(p.fraction) ? Math.floor(p.fraction / PLAIN_EVERY_FRACTION) : -1;
      if (!force && bucket <= this.last_bucket && t - this.last_draw_ms < PLAIN_EVERY_MS) return;
      this.last_bucket = Math.max(bucket, this.last_bucket);
      this.stream.write(`${this.line()}\n`);
    }
    this.last_draw_ms = t;
  }

  private clearLine(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write("\r\x1b[2K");
  }

  onEvent(e: JobEvent): void {
    this.stats.observe(e);
    if (e.event === "warning") {
      this.clearLine();
      this.stream.write(`${this.job}: warning: ${e.message}\n`);
      this.draw(true);
    } else if (e.event === "progress" || e.event === "metric") {
      this.draw(false);
    }
  }

  finish(outcome: { readonly ok: boolean; readonly message?: string }): void {
    const elapsed = formatDuration(this.stats.elapsed_s);
    this.clearLine();
    const status = outcome.ok ? `done in ${elapsed}` : `FAILED: ${outcome.message ?? "see error"}`;
    this.stream.write(`${this.line()} ${status}\n`);
  }
}

/** The reporter for a display mode; notebook falls back to terminal when tslab cannot be loaded. */
export function createProgress(job: string, mode: DisplayMode = "auto"): ProgressReporter {
  const resolved = resolveDisplayMode(mode);
  if (resolved === "none") return NULL_PROGRESS;
  if (resolved === "notebook") {
    const display = loadNotebookDisplay();
    if (display) return new LivePlot(job, display);
  }
  return new TerminalProgress(job);
}
