/**
 * renderSvg: a PlotSpec as a static, deterministic SVG string (no browser, no clock, no
 * randomness: same spec → byte-identical output). Coordinates are rounded to 0.1 px, and
 * scatter markers are drawn as zero-length round-capped path segments grouped by colour, so
 * ~20K points stay a few hundred KB.
 */
import { logTicks, niceTicks, type AxisTicks } from "./axis-ticks.js";
import { viridis } from "./color-scale.js";
import { escapeXml } from "./escape-xml.js";
import { traceColor, type AxisSpec, type PlotSpec, type Trace } from "./plot-spec.js";

/** Numeric colour is quantised to this many levels: one <path> per level keeps files small. */
const COLOR_LEVELS = 32;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

interface Point {
  readonly x: number;
  readonly y: number;
  readonly c?: number;
}

/** A trace after dropping values its axes cannot show. */
interface Prepared {
  readonly trace: Trace;
  readonly color: string;
  readonly points: readonly Point[]; // scatter / line; bars: (x_start, y) with x_end in x1
  readonly x1: readonly number[];
}

interface DropCounts {
  non_finite: number;
  x_non_positive: number;
  y_non_positive: number;
}

interface Axis {
  readonly spec: AxisSpec;
  readonly ticks: AxisTicks;
  readonly px: (v: number) => number;
}

/** Rounds a pixel coordinate to 0.1 and prints it without "-0". */
export function px(v: number): string {
  const r = Math.round(v * 10) / 10;
  return (r === 0 ? 0 : r).toString();
}

function visible(v: number | undefined, type: AxisSpec["type"]): v is number {
  return v !== undefined && Number.isFinite(v) && (type !== "log" || v > 0);
}

/** Counts why a value cannot be drawn; returns true when it can. */
function keep(v: number | undefined, axis: "x" | "y", type: AxisSpec["type"], drops: DropCounts): boolean {
  if (v === undefined || !Number.isFinite(v)) {
    drops.non_finite++;
    return false;
  }
  if (type === "log" && v <= 0) {
    if (axis === "x") drops.x_non_positive++;
    else drops.y_non_positive++;
    return false;
  }
  return true;
}

function prepareTrace(spec: PlotSpec, trace: Trace, index: number, drops: DropCounts): Prepared {
  const points: Point[] = [];
  const x1: number[] = [];
  const xt = spec.x_axis.type;
  const yt = spec.y_axis.type;
  if (trace.kind === "bar") {
    trace.x_start.forEach((x0, i) => {
      const x_end = trace.x_end[i];
      const y = trace.y[i];
      if (!keep(x0, "x", xt, drops) || !keep(x_end, "x", xt, drops) || !keep(y, "y", yt, drops)) return;
      points.push({ x: x0, y: y as number });
      x1.push(x_end as number);
    });
  } else {
    const colors = trace.kind === "scatter" ? trace.color_values?.values : undefined;
    trace.x.forEach((x, i) => {
      const y = trace.y[i];
      const c = colors?.[i];
      if (colors !== undefined && (c === undefined || !Number.isFinite(c))) {
        drops.non_finite++;
        return;
      }
      if (!keep(x, "x", xt, drops) || !keep(y, "y", yt, drops)) return;
      points.push(c === undefined ? { x, y: y as number } : { x, y: y as number, c });
    });
  }
  return { trace, color: traceColor(trace, index), points, x1 };
}

function dropNotes(spec: PlotSpec, drops: DropCounts): string[] {
  const notes: string[] = [];
  if (drops.non_finite > 0) notes.push(`${drops.non_finite} non-finite value(s) omitted`);
  if (drops.x_non_positive > 0) notes.push(`${drops.x_non_positive} value(s) with x <= 0 omitted (log x axis)`);
  if (drops.y_non_positive > 0) notes.push(`${drops.y_non_positive} value(s) with y <= 0 omitted (log y axis)`);
  for (const line of spec.shapes ?? []) {
    const axis = line.orientation === "vertical" ? spec.x_axis : spec.y_axis;
    if (!visible(line.at, axis.type)) notes.push(`reference line "${line.label}" at ${line.at} omitted (not drawable on ${axis.type} axis)`);
  }
  return notes;
}

function axisTicks(spec: AxisSpec, values: readonly number[]): AxisTicks {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const empty = values.length === 0;
  if (spec.type === "log") return empty ? logTicks(1, 10) : logTicks(min, max);
  return empty ? niceTicks(0, 1) : niceTicks(min, max);
}

function makeAxis(spec: AxisSpec, values: readonly number[], from_px: number, to_px: number): Axis {
  const ticks = axisTicks(spec, values);
  const [d0, d1] = ticks.domain;
  const log = spec.type === "log";
  const a = log ? Math.log10(d0) : d0;
  const b = log ? Math.log10(d1) : d1;
  const span = b - a || 1;
  const toPx = (v: number): number => from_px + (((log ? Math.log10(v) : v) - a) / span) * (to_px - from_px);
  return { spec, ticks, px: toPx };
}

function extents(spec: PlotSpec, prepared: readonly Prepared[]): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of prepared) {
    for (const pt of p.points) {
      xs.push(pt.x);
      ys.push(pt.y);
    }
    xs.push(...p.x1);
    // Bars grow from 0 on a linear axis; 0 must be inside the domain.
    if (p.trace.kind === "bar" && spec.y_axis.type === "linear" && p.points.length > 0) ys.push(0);
  }
  for (const line of spec.shapes ?? []) {
    const vertical = line.orientation === "vertical";
    if (!visible(line.at, (vertical ? spec.x_axis : spec.y_axis).type)) continue;
    (vertical ? xs : ys).push(line.at);
  }
  return { xs, ys };
}

interface Frame {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

function drawAxes(frame: Frame, x: Axis, y: Axis): string[] {
  const out: string[] = [`<g class="axes" ${FONT} font-size="11" fill="#333">`];
  for (const t of x.ticks.ticks) {
    const xp = px(x.px(t.value));
    out.push(`<line x1="${xp}" y1="${px(frame.top)}" x2="${xp}" y2="${px(frame.bottom)}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${xp}" y1="${px(frame.bottom)}" x2="${xp}" y2="${px(frame.bottom + 5)}" stroke="#333"/>`);
    out.push(`<text x="${xp}" y="${px(frame.bottom + 18)}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of y.ticks.ticks) {
    const yp = px(y.px(t.value));
    out.push(`<line x1="${px(frame.left)}" y1="${yp}" x2="${px(frame.right)}" y2="${yp}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${px(frame.left - 5)}" y1="${yp}" x2="${px(frame.left)}" y2="${yp}" stroke="#333"/>`);
    out.push(`<text x="${px(frame.left - 8)}" y="${px(y.px(t.value) + 4)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  }
  const w = frame.right - frame.left;
  const h = frame.bottom - frame.top;
  out.push(`<rect x="${px(frame.left)}" y="${px(frame.top)}" width="${px(w)}" height="${px(h)}" fill="none" stroke="#333"/>`);
  const x_title = `${x.spec.title}${x.spec.type === "log" ? " (log)" : ""}`;
  const y_title = `${y.spec.title}${y.spec.type === "log" ? " (log)" : ""}`;
  const cx = px(frame.left + w / 2);
  const cy = px(frame.top + h / 2);
  out.push(`<text x="${cx}" y="${px(frame.bottom + 38)}" text-anchor="middle" font-size="12">${escapeXml(x_title)}</text>`);
  out.push(`<text x="16" y="${cy}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${cy})">${escapeXml(y_title)}</text>`);
  out.push("</g>");
  return out;
}

function drawBars(p: Prepared, x: Axis, y: Axis, frame: Frame): string[] {
  const base = y.spec.type === "log" ? frame.bottom : y.px(0);
  const out: string[] = [`<g class="trace bar" fill="${p.color}" fill-opacity="0.75" stroke="#fff" stroke-width="0.5">`];
  p.points.forEach((pt, i) => {
    const x0 = x.px(pt.x);
    const x1 = x.px(p.x1[i] ?? pt.x);
    const yp = y.px(pt.y);
    const top = Math.min(yp, base);
    out.push(`<rect x="${px(Math.min(x0, x1))}" y="${px(top)}" width="${px(Math.abs(x1 - x0))}" height="${px(Math.abs(base - yp))}"/>`);
  });
  out.push("</g>");
  return out;
}

function drawLine(p: Prepared, x: Axis, y: Axis): string[] {
  if (p.points.length === 0) return [];
  const d = p.points.map((pt, i) => `${i === 0 ? "M" : "L"}${px(x.px(pt.x))} ${px(y.px(pt.y))}`).join("");
  return [`<path class="trace line" d="${d}" fill="none" stroke="${p.color}" stroke-width="1.5" stroke-linejoin="round"/>`];
}

/** Colour range of a numeric-colour scatter (min, max over finite values). */
function colorRange(values: readonly number[]): readonly [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : [0, 1];
}

function drawScatter(p: Prepared, x: Axis, y: Axis): string[] {
  if (p.trace.kind !== "scatter" || p.points.length === 0) return [];
  const size = p.trace.marker_size_px ?? 5;
  const paths = new Map<string, Set<string>>(); // colour → unique "Mx yh0" segments
  const range = p.trace.color_values ? colorRange(p.trace.color_values.values) : undefined;
  for (const pt of p.points) {
    let color = p.color;
    if (range !== undefined && pt.c !== undefined) {
      const t = range[1] > range[0] ? (pt.c - range[0]) / (range[1] - range[0]) : 0.5;
      color = viridis(Math.round(t * (COLOR_LEVELS - 1)) / (COLOR_LEVELS - 1));
    }
    let segs = paths.get(color);
    if (segs === undefined) paths.set(color, (segs = new Set()));
    segs.add(`M${px(x.px(pt.x))} ${px(y.px(pt.y))}h0`);
  }
  const colors = [...paths.keys()].sort();
  const out = [`<g class="trace scatter" fill="none" stroke-width="${size}" stroke-linecap="round" stroke-opacity="0.8">`];
  for (const c of colors) out.push(`<path stroke="${c}" d="${[...(paths.get(c) ?? [])].join("")}"/>`);
  out.push("</g>");
  return out;
}

function drawReferenceLines(spec: PlotSpec, x: Axis, y: Axis, frame: Frame): string[] {
  const out: string[] = [];
  for (const line of spec.shapes ?? []) {
    const vertical = line.orientation === "vertical";
    if (!visible(line.at, (vertical ? spec.x_axis : spec.y_axis).type)) continue;
    const label = escapeXml(line.label);
    if (vertical) {
      const xp = px(x.px(line.at));
      out.push(`<line class="ref" x1="${xp}" y1="${px(frame.top)}" x2="${xp}" y2="${px(frame.bottom)}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      out.push(`<text x="${px(x.px(line.at) + 4)}" y="${px(frame.top + 14)}" ${FONT} font-size="11" fill="#d62728">${label}</text>`);
    } else {
      const yp = px(y.px(line.at));
      out.push(`<line class="ref" x1="${px(frame.left)}" y1="${yp}" x2="${px(frame.right)}" y2="${yp}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      out.push(`<text x="${px(frame.right - 4)}" y="${px(y.px(line.at) - 4)}" ${FONT} font-size="11" fill="#d62728" text-anchor="end">${label}</text>`);
    }
  }
  return out;
}

function legendSwatch(p: Prepared, x: number, y: number): string {
  if (p.trace.kind === "line") return `<line x1="${px(x)}" y1="${px(y)}" x2="${px(x + 16)}" y2="${px(y)}" stroke="${p.color}" stroke-width="2"/>`;
  if (p.trace.kind === "bar") return `<rect x="${px(x + 2)}" y="${px(y - 5)}" width="12" height="10" fill="${p.color}" fill-opacity="0.75"/>`;
  const fill = p.trace.color_values ? viridis(0.5) : p.color;
  return `<circle cx="${px(x + 8)}" cy="${px(y)}" r="4" fill="${fill}"/>`;
}

/** Legend in the right panel; returns the SVG and the height it used. */
function drawLegend(prepared: readonly Prepared[], frame: Frame): { svg: string[]; height: number } {
  if (prepared.length < 2) return { svg: [], height: 0 };
  const x = frame.right + 14;
  const out = [`<g class="legend" ${FONT} font-size="11" fill="#333">`];
  prepared.forEach((p, i) => {
    const y = frame.top + 8 + i * 18;
    out.push(legendSwatch(p, x, y));
    out.push(`<text x="${px(x + 22)}" y="${px(y + 4)}">${escapeXml(p.trace.name)}</text>`);
  });
  out.push("</g>");
  return { svg: out, height: prepared.length * 18 + 8 };
}

function drawColorbar(prepared: readonly Prepared[], frame: Frame, offset: number): string[] {
  const colored = prepared.find((p) => p.trace.kind === "scatter" && p.trace.color_values !== undefined);
  if (colored === undefined || colored.trace.kind !== "scatter" || colored.trace.color_values === undefined) return [];
  const [c0, c1] = colorRange(colored.trace.color_values.values);
  const x = frame.right + 20;
  const top = frame.top + offset + 22;
  const bottom = frame.bottom;
  if (bottom - top < 30) return [];
  const stops = Array.from({ length: 11 }, (_, i) => `<stop offset="${i / 10}" stop-color="${viridis(1 - i / 10)}"/>`);
  const out = [
    `<g class="colorbar" ${FONT} font-size="11" fill="#333">`,
    `<defs><linearGradient id="cbar" x1="0" y1="0" x2="0" y2="1">${stops.join("")}</linearGradient></defs>`,
    `<text x="${px(x)}" y="${px(top - 8)}">${escapeXml(colored.trace.color_values.title)}</text>`,
    `<rect x="${px(x)}" y="${px(top)}" width="14" height="${px(bottom - top)}" fill="url(#cbar)" stroke="#333" stroke-width="0.5"/>`,
  ];
  const ticks = c1 > c0 ? niceTicks(c0, c1, 4).ticks.filter((t) => t.value >= c0 && t.value <= c1) : [{ value: c0, label: String(c0) }];
  for (const t of ticks) {
    const yp = c1 > c0 ? bottom - ((t.value - c0) / (c1 - c0)) * (bottom - top) : (top + bottom) / 2;
    out.push(`<text x="${px(x + 20)}" y="${px(yp + 4)}">${escapeXml(t.label)}</text>`);
  }
  out.push("</g>");
  return out;
}

/** The SVG document for a plot spec. */
export function renderSvg(spec: PlotSpec): string {
  const drops: DropCounts = { non_finite: 0, x_non_positive: 0, y_non_positive: 0 };
  const prepared = spec.traces.map((t, i) => prepareTrace(spec, t, i, drops));
  const notes = [...(spec.notes ?? []), ...dropNotes(spec, drops)];
  const has_panel = prepared.length > 1 || prepared.some((p) => p.trace.kind === "scatter" && p.trace.color_values);
  const W = spec.width_px;
  const H = spec.height_px;
  const frame: Frame = { left: 72, right: W - (has_panel ? 150 : 24), top: 36, bottom: H - 52 - notes.length * 14 };
  const { xs, ys } = extents(spec, prepared);
  const x = makeAxis(spec.x_axis, xs, frame.left, frame.right);
  const y = makeAxis(spec.y_axis, ys, frame.bottom, frame.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${px(W / 2)}" y="22" text-anchor="middle" ${FONT} font-size="15" font-weight="bold" fill="#111">${escapeXml(spec.title)}</text>`,
    ...drawAxes(frame, x, y),
  ];
  for (const p of prepared) {
    if (p.trace.kind === "bar") out.push(...drawBars(p, x, y, frame));
    else if (p.trace.kind === "line") out.push(...drawLine(p, x, y));
    else out.push(...drawScatter(p, x, y));
  }
  if (prepared.every((p) => p.points.length === 0)) {
    out.push(`<text x="${px((frame.left + frame.right) / 2)}" y="${px((frame.top + frame.bottom) / 2)}" text-anchor="middle" ${FONT} font-size="13" fill="#999">no data</text>`);
  }
  out.push(...drawReferenceLines(spec, x, y, frame));
  const legend = drawLegend(prepared, frame);
  out.push(...legend.svg, ...drawColorbar(prepared, frame, legend.height));
  if (spec.watermark) {
    const cx = px((frame.left + frame.right) / 2);
    const cy = px((frame.top + frame.bottom) / 2);
    out.push(
      `<text class="watermark" x="${cx}" y="${cy}" text-anchor="middle" ${FONT} font-size="44" font-weight="bold" fill="#b00020" fill-opacity="0.16" transform="rotate(-18 ${cx} ${cy})">${escapeXml(spec.watermark)}</text>`,
      `<text class="watermark-label" x="8" y="22" ${FONT} font-size="11" font-weight="bold" fill="#b00020">${escapeXml(spec.watermark)}</text>`,
    );
  }
  notes.forEach((note, i) => {
    const yp = H - 8 - (notes.length - 1 - i) * 14;
    out.push(`<text class="note" x="8" y="${yp}" ${FONT} font-size="10" fill="#555">${escapeXml(note)}</text>`);
  });
  out.push("</svg>", "");
  return out.join("\n");
}
