/**
 * What a progress display shows, computed purely from a job's events: step/total, rate, ETA,
 * latest metrics and their history, warnings. Rates use the job's own clock (event `t`).
 */
import type { JobEvent } from "./events.js";

/** A live view of a running job (terminal bar, notebook display, or nothing). */
export interface ProgressReporter {
  onEvent(e: JobEvent): void;
  /** The job ended; `ok` false with a one-line reason on failure. */
  finish(outcome: { readonly ok: boolean; readonly message?: string }): void;
}

export const NULL_PROGRESS: ProgressReporter = { onEvent() {}, finish() {} };

export interface ProgressSnapshot {
  readonly step: number;
  readonly total: number;
  /** In [0, 1]; NaN before the first progress event or when total is 0. */
  readonly fraction: number;
  readonly unit: string;
  readonly message?: string;
  /** Steps per second since the first progress event; NaN until it can be measured. */
  readonly rate_per_s: number;
  /** Seconds to go at the current rate; NaN when unknown. */
  readonly eta_s: number;
  /** Seconds since the job started (latest event `t`). */
  readonly elapsed_s: number;
}

export class ProgressStats {
  private first?: { step: number; t: number };
  private last?: { step: number; total: number; t: number; unit?: string; message?: string };
  private latest_t = 0;
  /** Latest value per metric, in order of last update. */
  readonly metrics = new Map<string, number>();
  readonly history = new Map<string, Array<[number, number]>>();
  readonly warnings: string[] = [];

  observe(e: JobEvent): void {
    this.latest_t = Math.max(this.latest_t, e.t);
    if (e.event === "progress") {
      this.first ??= { step: e.step, t: e.t };
      this.last = { step: e.step, total: e.total, t: e.t, ...(e.unit !== undefined && { unit: e.unit }), ...(e.message !== undefined && { message: e.message }) };
    } else if (e.event === "metric") {
      this.metrics.delete(e.name);
      this.metrics.set(e.name, e.value);
      let h = this.history.get(e.name);
      if (!h) this.history.set(e.name, (h = []));
      h.push([e.step, e.value]);
    } else if (e.event === "warning") {
      this.warnings.push(e.message);
    }
  }

  /** Seconds since the job started, per its latest event. */
  get elapsed_s(): number {
    return this.latest_t;
  }

  snapshot(): ProgressSnapshot | null {
    const last = this.last;
    const first = this.first;
    if (!last || !first) return null;
    const dt = last.t - first.t;
    const rate = dt > 0 ? (last.step - first.step) / dt : Number.NaN;
    const fraction = last.total > 0 ? Math.min(1, Math.max(0, last.step / last.total)) : Number.NaN;
    return {
      step: last.step,
      total: last.total,
      fraction,
      unit: last.unit ?? "steps",
      ...(last.message !== undefined && { message: last.message }),
      rate_per_s: rate,
      eta_s: rate > 0 ? Math.max(0, last.total - last.step) / rate : Number.NaN,
      elapsed_s: this.latest_t,
    };
  }
}

/** "12s", "3m07s", "2h05m"; "?" when unknown. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A compact number: 4 significant digits, exponent for very large/small magnitudes. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/** One line: "step 120/500 (24.0%) 56.1 rows/s ETA 7s". */
export function formatProgressLine(p: ProgressSnapshot): string {
  const pct = Number.isFinite(p.fraction) ? ` (${(p.fraction * 100).toFixed(1)}%)` : "";
  const rate = Number.isFinite(p.rate_per_s) ? ` ${formatNumber(p.rate_per_s)} ${p.unit}/s` : "";
  const eta = Number.isFinite(p.eta_s) ? ` ETA ${formatDuration(p.eta_s)}` : "";
  return `${p.step}/${p.total}${pct}${rate}${eta}`;
}
