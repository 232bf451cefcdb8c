/**
 * The JSON-lines event protocol a Python job speaks on stdout (python/burnqed/events.py).
 * One JSON object per line; `event` discriminates; every event has `t` (s since job start).
 */

export interface ProgressEvent {
  readonly event: "progress";
  readonly t: number;
  readonly step: number;
  readonly total: number;
  readonly unit?: string;
  readonly message?: string;
}

/** `value` may be NaN/±Infinity (sent as the strings "NaN", "Infinity", "-Infinity"). */
export interface MetricEvent {
  readonly event: "metric";
  readonly t: number;
  readonly name: string;
  readonly value: number;
  readonly step: number;
}

/** Known artifact kinds; jobs may add others. */
export type ArtifactKind = "checkpoint" | "npy" | "json" | "jsonl" | "model" | (string & {});

export interface ArtifactEvent {
  readonly event: "artifact";
  readonly t: number;
  readonly path: string;
  readonly kind: ArtifactKind;
  readonly rows?: number;
}

export interface WarningEvent {
  readonly event: "warning";
  readonly t: number;
  readonly message: string;
}

/** The job decided itself to stop (python: `raise JobAbort(reason)`). */
export interface AbortEvent {
  readonly event: "abort";
  readonly t: number;
  readonly reason: string;
}

export interface DoneEvent {
  readonly event: "done";
  readonly t: number;
  readonly summary: Record<string, unknown>;
}

export type JobEvent = ProgressEvent | MetricEvent | ArtifactEvent | WarningEvent | AbortEvent | DoneEvent;
export type JobEventType = JobEvent["event"];

/** Where a line came from, for error messages. `line_no` is 1-based. */
export interface EventLineContext {
  readonly job: string;
  readonly line_no: number;
}

const LINE_EXCERPT_CHARS = 200;

/** A stdout line of a job that is not a valid protocol event. */
export class JobProtocolError extends Error {
  override readonly name = "JobProtocolError";
  readonly job: string;
  readonly line_no: number;
  /** The first 200 characters of the offending line. */
  readonly line_excerpt: string;

  constructor(ctx: EventLineContext, line: string, problem: string) {
    const excerpt = line.length > LINE_EXCERPT_CHARS ? `${line.slice(0, LINE_EXCERPT_CHARS)}…` : line;
    super(`job ${ctx.job}: stdout line ${ctx.line_no} is not a protocol event (${problem}): ${JSON.stringify(excerpt)}`);
    this.job = ctx.job;
    this.line_no = ctx.line_no;
    this.line_excerpt = line.slice(0, LINE_EXCERPT_CHARS);
  }
}

const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

/** Decodes a protocol number: a JSON number, or one of the non-finite strings. */
export function decodeNumber(raw: unknown): number | undefined {
  if (typeof raw === "number") return raw;
  if (typeof raw === "string" && raw in NON_FINITE) return NON_FINITE[raw];
  return undefined;
}

type Fields = Record<string, unknown>;

/** A malformed field; parseEventLine turns it into a JobProtocolError with the line. */
class FieldProblem extends Error {}

/** Field readers: each throws a FieldProblem describing what is wrong. */
function num(o: Fields, key: string): number {
  const v = decodeNumber(o[key]);
  if (v === undefined) throw new FieldProblem(`field '${key}' must be a number, got ${JSON.stringify(o[key])}`);
  return v;
}
function finiteNum(o: Fields, key: string): number {
  const v = o[key];
  if (typeof v !== "number") throw new FieldProblem(`field '${key}' must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}
function str(o: Fields, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new FieldProblem(`field '${key}' must be a string, got ${JSON.stringify(v)}`);
  return v;
}
function optStr(o: Fields, key: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : str(o, key);
}
function optFiniteNum(o: Fields, key: string): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : finiteNum(o, key);
}
function isRecord(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodeEvent(o: Fields): JobEvent {
  const t = finiteNum(o, "t");
  switch (o["event"]) {
    case "progress": {
      const unit = optStr(o, "unit");
      const message = optStr(o, "message");
      return { event: "progress", t, step: finiteNum(o, "step"), total: finiteNum(o, "total"), ...(unit !== undefined && { unit }), ...(message !== undefined && { message }) };
    }
    case "metric":
      return { event: "metric", t, name: str(o, "name"), value: num(o, "value"), step: finiteNum(o, "step") };
    case "artifact": {
      const rows = optFiniteNum(o, "rows");
      return { event: "artifact", t, path: str(o, "path"), kind: str(o, "kind"), ...(rows !== undefined && { rows }) };
    }
    case "warning":
      return { event: "warning", t, message: str(o, "message") };
    case "abort":
      return { event: "abort", t, reason: str(o, "reason") };
    case "done": {
      const summary = o["summary"] ?? {};
      if (!isRecord(summary)) throw new FieldProblem(`field 'summary' must be an object, got ${JSON.stringify(summary)}`);
      return { event: "done", t, summary };
    }
    default:
      throw new FieldProblem(`unknown event type ${JSON.stringify(o["event"])}`);
  }
}

/** Parses one stdout line of a job. Throws JobProtocolError naming the job, line number and line. */
export function parseEventLine(line: string, ctx: EventLineContext): JobEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new JobProtocolError(ctx, line, "not JSON");
  }
  if (!isRecord(parsed)) throw new JobProtocolError(ctx, line, "not a JSON object");
  try {
    return decodeEvent(parsed);
  } catch (problem) {
    if (problem instanceof FieldProblem) throw new JobProtocolError(ctx, line, problem.message);
    throw problem;
  }
}
