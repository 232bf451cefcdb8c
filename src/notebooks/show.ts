/**
 * Showing stage results: rich HTML (and the SVG plots a stage wrote) in a notebook, plain text in
 * a terminal. The one place that knows about tslab's display API.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { StageOutcome, StageStatus } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { isDemo as isDemoRun } from "../config/run-config.js";

interface TslabDisplay {
  html(s: string): void;
  svg(s: string): void;
  text(s: string): void;
}

let display: TslabDisplay | null | undefined;

function notebookDisplay(): TslabDisplay | null {
  if (display !== undefined) return display;
  display = null;
  if (process.env["BURNQED_DISPLAY"] === "notebook") {
    try {
      const req = createRequire(join(process.cwd(), "package.json"));
      display = (req("tslab") as { display: TslabDisplay }).display;
    } catch {
      display = null;
    }
  }
  return display;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function flat(result: unknown): Array<[string, string]> {
  if (result === null || typeof result !== "object") return result === undefined || result === null ? [] : [["result", fmt(result)]];
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(result as Record<string, unknown>)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) out.push([`${k}.${k2}`, fmt(v2)]);
    else out.push([k, fmt(v)]);
  }
  return out;
}

function isStandIn(o: StageOutcome<unknown>): boolean {
  return typeof o.result === "object" && o.result !== null && (o.result as { demo?: unknown }).demo === true;
}

export const DEMO_CELL_NOTE = "DEMO run: computed for real, on synthetic data from the seeded demo world — not a result about the prover";

/** The DEMO line a cell shows: a stand-in's own message, or the run-wide one in a demo run. */
function demoNoteOf(o: StageOutcome<unknown>, run?: Run): string | null {
  if (isStandIn(o)) return String((o.result as { message?: unknown }).message ?? "DEMO: synthetic stand-in");
  return run && isDemoRun(run.config) ? DEMO_CELL_NOTE : null;
}

function headline(o: StageOutcome<unknown>): string {
  const first = o.reasons.length === 1 && o.reasons[0] === "never ran";
  const how = o.status === "cached" ? "fresh — not run again (inputs, parameters and code unchanged)" : `ran in ${o.wall_s.toFixed(2)} s (${first ? "first run" : `because: ${o.reasons.join("; ")}`})`;
  return `${o.name}: ${how}`;
}

/** Show a stage outcome: status line, DEMO note, result values, outputs; and its SVG plots. */
export function show(o: StageOutcome<unknown>, run?: Run): StageOutcome<unknown> {
  const d = notebookDisplay();
  const rows = flat(o.result).filter(([k]) => k !== "demo" && !k.startsWith("outputs"));
  const demoNote = demoNoteOf(o, run);
  if (d) {
    const parts = [`<p><b>${esc(o.name)}</b> — ${esc(headline(o).slice(o.name.length + 2))}</p>`];
    if (demoNote) parts.push(`<p style="background:#fff3cd;border:1px solid #e0b000;padding:4px"><b>${esc(demoNote)}</b></p>`);
    if (rows.length) parts.push(`<table>${rows.map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td>${esc(v)}</td></tr>`).join("")}</table>`);
    parts.push(
      `<table><tr><th>output</th><th>schema</th><th>rows</th><th>sha256</th></tr>${o.outputs
        .map((a) => `<tr><td><code>${esc(a.path)}</code></td><td>${esc(a.schema ?? "")}</td><td>${a.rows ?? ""}</td><td><code>${a.sha256.slice(0, 12)}</code></td></tr>`)
        .join("")}</table>`,
    );
    d.html(parts.join("\n"));
    if (run) for (const a of o.outputs) if (a.kind === "svg") d.svg(readFileSync(run.paths.abs(a.path), "utf8"));
  } else {
    const lines = [headline(o)];
    if (demoNote) lines.push(`  ${demoNote}`);
    for (const [k, v] of rows) lines.push(`  ${k}: ${v}`);
    for (const a of o.outputs) lines.push(`  -> ${a.path}${a.rows !== null ? ` (${a.rows} rows)` : ""} sha256 ${a.sha256.slice(0, 12)}`);
    console.log(lines.join("\n"));
  }
  return o;
}

/** "failed" when the stage's last run failed after its last success, else its state. */
function stateLabel(s: StageStatus): string {
  return s.failure && s.state !== "fresh" ? "failed" : s.state;
}

function why(s: StageStatus): string[] {
  const out = [...s.reasons];
  if (s.failure && s.state !== "fresh") out.unshift(`last run failed at ${s.failure.at}: ${s.failure.message} (${s.failure.path})`);
  return out;
}

export function formatStatusTable(statuses: readonly (StageStatus & { notebook?: string })[]): string {
  const w = Math.max(...statuses.map((s) => s.name.length), 5);
  return statuses
    .map((s) => `${stateLabel(s).padEnd(7)} ${s.name.padEnd(w)}${s.notebook ? `  [${s.notebook}]` : ""}${why(s).length ? `  — ${why(s).join("; ")}` : ""}`)
    .join("\n");
}

/** A notebook cell whose stage the run's profile does not have. */
export function showNotInProfile(name: string, profile: string): void {
  const msg = `${name}: not part of the ${profile} profile — nothing to run`;
  const d = notebookDisplay();
  if (d) d.html(`<p><b>${esc(name)}</b> — not part of the ${esc(profile)} profile; nothing to run.</p>`);
  else console.log(msg);
}

export function showStatus(statuses: readonly (StageStatus & { notebook?: string })[]): void {
  const d = notebookDisplay();
  if (d) {
    d.html(
      `<table><tr><th>state</th><th>stage</th><th>why</th></tr>${statuses
        .map((s) => `<tr><td>${stateLabel(s)}</td><td><code>${esc(s.name)}</code></td><td>${esc(why(s).join("; "))}</td></tr>`)
        .join("")}</table>`,
    );
  } else console.log(formatStatusTable(statuses));
}
