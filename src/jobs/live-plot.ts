/**
 * Live notebook display of a running job (tslab kernel): an HTML progress line and one small
 * inline SVG line chart per metric, redrawn in place at most once per second.
 */
import path from "node:path";
import { createRequire } from "node:module";
import { ProgressStats, formatNumber, formatProgressLine } from "./progress-stats.js";
import type { ProgressReporter } from "./progress-stats.js";
import type { JobEvent } from "./events.js";

/** The part of tslab's Display we use. */
export interface HtmlDisplay {
  html(s: string): void;
}

const MIN_REDRAW_MS = 1000;
const MAX_WARNINGS_SHOWN = 5;

/** tslab's `newDisplay()` (one display entry overwritten in place), or null outside tslab. Loaded lazily. */
export function loadNotebookDisplay(): HtmlDisplay | null {
  try {
    const require = createRequire(path.join(process.cwd(), "package.json"));
    const tslab = require("tslab") as { newDisplay?: () => HtmlDisplay };
    return typeof tslab.newDisplay === "function" ? tslab.newDisplay() : null;
  } catch {
    return null;
  }
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

export interface SparklineOptions {
  readonly width?: number;
  readonly height?: number;
  /** Title drawn top-left (escaped). */
  readonly label?: string;
  readonly stroke?: string;
}

/** Keeps at most `max` points, evenly spaced, always including the last. */
function thin(points: ReadonlyArray<readonly [number, number]>, max: number): ReadonlyArray<readonly [number, number]> {
  if (points.length <= max) return points;
  const stride = points.length / max;
  const out: Array<readonly [number, number]> = [];
  for (let i = 0; i < max - 1; i++) {
    const p = points[Math.floor(i * stride)];
    if (p) out.push(p);
  }
  const lastPoint = points[points.length - 1];
  if (lastPoint) out.push(lastPoint);
  return out;
}

/**
 * A self-contained SVG line chart of (step, value) points: polyline, min/max value labels, the
 * last value, and a count of non-finite values (which are not drawn).
 */
export function sparklineSvg(points: ReadonlyArray<readonly [number, number]>, opts: SparklineOptions = {}): string {
  const width = opts.width ?? 240;
  const height = opts.height ?? 64;
  const stroke = opts.stroke ?? "#1f77b4";
  const pad = { left: 4, right: 4, top: 14, bottom: 12 };
  const finite = points.filter(([s, v]) => Number.isFinite(s) && Number.isFinite(v));
  const n_bad = points.length - finite.length;
  const title = escapeXml(opts.label ?? "");
  const texts: string[] = [`<text x="${pad.left}" y="10" font-size="10" font-family="monospace">${title}</text>`];
  let body = "";
  if (finite.length > 0) {
    const drawn = thin(finite, Math.max(2, width));
    const steps = drawn.map((p) => p[0]);
    const values = drawn.map((p) => p[1]);
    const [s0, s1] = [Math.min(...steps), Math.max(...steps)];
    const [v0, v1] = [Math.min(...values), Math.max(...values)];
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const x = (s: number): number => pad.left + (s1 > s0 ? ((s - s0) / (s1 - s0)) * plotW : plotW / 2);
    const y = (v: number): number => pad.top + (v1 > v0 ? (1 - (v - v0) / (v1 - v0)) * plotH : plotH / 2);
    const pts = drawn.map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    body = drawn.length === 1
      ? `<circle cx="${pts.split(",")[0]}" cy="${pts.split(",")[1]}" r="2" fill="${stroke}"/>`
      : `<polyline fill="none" stroke="${stroke}" stroke-width="1.5" points="${pts}"/>`;
    const lastValue = finite[finite.length - 1]?.[1] ?? Number.NaN;
    texts.push(
      `<text x="${width - pad.right}" y="10" font-size="10" font-family="monospace" text-anchor="end">${escapeXml(formatNumber(lastValue))}</text>`,
      `<text x="${width - pad.right}" y="${pad.top + 8}" font-size="8" fill="#666" font-family="monospace" text-anchor="end">max ${escapeXml(formatNumber(v1))}</text>`,
      `<text x="${width - pad.right}" y="${height - 2}" font-size="8" fill="#666" font-family="monospace" text-anchor="end">min ${escapeXml(formatNumber(v0))}</text>`,
    );
  }
  if (n_bad > 0) {
    texts.push(`<text x="${pad.left}" y="${height - 2}" font-size="8" fill="#c00" font-family="monospace">${n_bad} non-finite</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}${texts.join("")}</svg>`;
}

/** Notebook reporter: HTML progress line + a sparkline per metric, throttled to ~1 redraw/s. */
export class LivePlot implements ProgressReporter {
  private readonly stats = new ProgressStats();
  private last_draw_ms = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private status = "running";

  constructor(
    readonly job: string,
    private readonly display: HtmlDisplay,
    private readonly now_ms: () => number = Date.now,
  ) {}

  /** The current HTML (also used by tests). */
  html(): string {
    const p = this.stats.snapshot();
    const bar = p && Number.isFinite(p.fraction) ? `<progress value="${p.fraction.toFixed(4)}" max="1" style="width:200px"></progress> ` : "";
    const line = p ? escapeXml(formatProgressLine(p) + (p.message ? ` ${p.message}` : "")) : "";
    const charts = [...this.stats.history]
      .map(([name, h]) => `<div style="display:inline-block;margin:2px 8px 2px 0">${sparklineSvg(h, { label: name })}</div>`)
      .join("");
    const warnings = this.stats.warnings.slice(-MAX_WARNINGS_SHOWN)
      .map((w) => `<div style="color:#a60">warning: ${escapeXml(w)}</div>`)
      .join("");
    return `<div style="font-family:monospace;font-size:12px"><div><b>${escapeXml(this.job)}</b> ${bar}${line} <i>${escapeXml(this.status)}</i></div>${warnings}<div>${charts}</div></div>`;
  }

  private draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last_draw_ms = this.now_ms();
    this.display.html(this.html());
  }

  onEvent(e: JobEvent): void {
    this.stats.observe(e);
    const wait = MIN_REDRAW_MS - (this.now_ms() - this.last_draw_ms);
    if (wait <= 0) this.draw();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.draw(), wait);
      this.timer.unref();
    }
  }

  finish(outcome: { readonly ok: boolean; readonly message?: string }): void {
    this.status = outcome.ok ? "done" : `failed: ${outcome.message ?? ""}`;
    this.draw();
  }
}
