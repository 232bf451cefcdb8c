/**
 * The leanprover-community/repl protocol: JSON requests on stdin, each followed by a blank line;
 * responses on stdout, each a pretty-printed JSON object followed by a blank line. Field names are
 * the wire names (camelCase, as the repl prints them). Lists the repl omits when empty
 * (`messages`, `sorries`, `tactics`, `traces`) parse as []. `raw` keeps the object exactly as
 * printed (key order included) for anything this module does not model (e.g. `infotree`).
 */

export interface ReplPos {
  readonly line: number;
  readonly column: number;
}

/** Lean message severities as the repl prints them. */
export type ReplSeverity = "error" | "warning" | "info" | "trace";
const SEVERITIES: readonly string[] = ["error", "warning", "info", "trace"];

export interface ReplMessage {
  readonly severity: ReplSeverity;
  readonly pos: ReplPos;
  /** Absent in some messages (the repl prints it when Lean has one). */
  readonly endPos: ReplPos | null;
  readonly data: string;
}

export interface ReplSorry {
  /** Proof state at the sorry (tactic mode); null for term-mode sorries of old repls. */
  readonly proofState: number | null;
  /** Omitted by the repl for sorries created in tactic mode (line 0). */
  readonly pos: ReplPos | null;
  readonly endPos: ReplPos | null;
  readonly goal: string;
}

/** One entry of `allTactics`: a tactic of the elaborated source and the goals before it. */
export interface ReplTactic {
  /** Pretty-printed tactic (Lean's ppTactic), not necessarily the source text. */
  readonly tactic: string;
  /** Goals before the tactic, joined by blank lines; "no goals" when none. */
  readonly goals: string;
  readonly proofState: number | null;
  readonly pos: ReplPos;
  readonly endPos: ReplPos;
  readonly usedConstants: readonly string[];
}

/** Response to `cmd`, `path`, `pickleTo` (env) and `unpickleEnvFrom`. */
export interface CommandResponse {
  readonly kind: "command";
  readonly env: number | null;
  readonly messages: readonly ReplMessage[];
  readonly sorries: readonly ReplSorry[];
  readonly tactics: readonly ReplTactic[];
  readonly infotree: unknown;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Response to `tactic` + `proofState` (and to proof-state pickling). */
export interface ProofStepResponse {
  readonly kind: "proof_step";
  readonly proofState: number;
  readonly goals: readonly string[];
  readonly messages: readonly ReplMessage[];
  readonly sorries: readonly ReplSorry[];
  readonly traces: readonly string[];
  /**
   * Newer repls: "Completed", "Incomplete: open goals remain", "Incomplete: contains sorry",
   * "Incomplete: contains metavariable(s)", "Error: ...", "Not verified: ...". Null when the repl
   * predates the field (then goals/messages/sorries are all there is).
   */
  readonly proofStatus: string | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** `{"message": "Unknown environment."}`, `{"message": "Lean error:\n..."}`, parse errors. */
export interface ReplErrorResponse {
  readonly kind: "error";
  readonly message: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

export type ReplResponse = CommandResponse | ProofStepResponse | ReplErrorResponse;

/** Requests, by the fields the repl tries in order (see its `parse`). */
export type ReplRequest =
  | { readonly cmd: string; readonly env?: number; readonly allTactics?: boolean; readonly rootGoals?: boolean; readonly infotree?: string }
  | { readonly tactic: string; readonly proofState: number }
  | { readonly path: string; readonly env?: number; readonly allTactics?: boolean }
  | { readonly pickleTo: string; readonly env: number }
  | { readonly pickleTo: string; readonly proofState: number }
  | { readonly unpickleEnvFrom: string }
  | { readonly unpickleProofStateFrom: string; readonly env?: number };

export class ReplProtocolError extends Error {
  override name = "ReplProtocolError";
  constructor(readonly detail: string, readonly frame: string) {
    super(`repl protocol: ${detail}; response starts: ${JSON.stringify(frame.slice(0, 200))}`);
  }
}

/** One request as the repl reads it: a single JSON line and a blank line. */
export function encodeReplRequest(req: ReplRequest): string {
  return JSON.stringify(req) + "\n\n";
}

/**
 * Splits stdout into response frames at blank lines. Strings in the repl's JSON escape newlines, so
 * a blank line only ever separates responses. Feed decoded text (setEncoding("utf8")).
 */
export class ReplFrameReader {
  private buf = "";
  private scanFrom = 0;

  push(chunk: string): string[] {
    this.buf += chunk;
    const frames: string[] = [];
    for (;;) {
      const i = this.buf.indexOf("\n\n", Math.max(0, this.scanFrom - 1));
      if (i < 0) {
        this.scanFrom = this.buf.length;
        break;
      }
      const frame = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      this.scanFrom = 0;
      if (frame.trim() !== "") frames.push(frame);
    }
    return frames;
  }

  /** Text received after the last complete frame (shown in errors when the process dies). */
  pending(): string {
    return this.buf;
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nat(v: unknown, what: string, frame: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new ReplProtocolError(`${what} is not a natural number (${JSON.stringify(v)})`, frame);
  return v;
}

function str(v: unknown, what: string, frame: string): string {
  if (typeof v !== "string") throw new ReplProtocolError(`${what} is not a string (${JSON.stringify(v)?.slice(0, 60)})`, frame);
  return v;
}

function list(v: unknown, what: string, frame: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ReplProtocolError(`${what} is not a list`, frame);
  return v;
}

function parsePos(v: unknown, what: string, frame: string): ReplPos {
  if (!isObj(v)) throw new ReplProtocolError(`${what} is not a position`, frame);
  return { line: nat(v["line"], `${what}.line`, frame), column: nat(v["column"], `${what}.column`, frame) };
}

function parseMessage(v: unknown, i: number, frame: string): ReplMessage {
  const what = `messages[${i}]`;
  if (!isObj(v)) throw new ReplProtocolError(`${what} is not an object`, frame);
  const severity = str(v["severity"], `${what}.severity`, frame);
  if (!SEVERITIES.includes(severity)) throw new ReplProtocolError(`${what}.severity is '${severity}'`, frame);
  return {
    severity: severity as ReplSeverity,
    pos: parsePos(v["pos"], `${what}.pos`, frame),
    endPos: v["endPos"] === undefined || v["endPos"] === null ? null : parsePos(v["endPos"], `${what}.endPos`, frame),
    data: str(v["data"], `${what}.data`, frame),
  };
}

function parseSorry(v: unknown, i: number, frame: string): ReplSorry {
  const what = `sorries[${i}]`;
  if (!isObj(v)) throw new ReplProtocolError(`${what} is not an object`, frame);
  return {
    proofState: v["proofState"] === undefined || v["proofState"] === null ? null : nat(v["proofState"], `${what}.proofState`, frame),
    pos: v["pos"] === undefined ? null : parsePos(v["pos"], `${what}.pos`, frame),
    endPos: v["endPos"] === undefined ? null : parsePos(v["endPos"], `${what}.endPos`, frame),
    goal: str(v["goal"], `${what}.goal`, frame),
  };
}

function parseTactic(v: unknown, i: number, frame: string): ReplTactic {
  const what = `tactics[${i}]`;
  if (!isObj(v)) throw new ReplProtocolError(`${what} is not an object`, frame);
  return {
    tactic: str(v["tactic"], `${what}.tactic`, frame),
    goals: str(v["goals"], `${what}.goals`, frame),
    proofState: v["proofState"] === undefined || v["proofState"] === null ? null : nat(v["proofState"], `${what}.proofState`, frame),
    pos: parsePos(v["pos"], `${what}.pos`, frame),
    endPos: parsePos(v["endPos"], `${what}.endPos`, frame),
    usedConstants: list(v["usedConstants"], `${what}.usedConstants`, frame).map((c, j) => str(c, `${what}.usedConstants[${j}]`, frame)),
  };
}

/** Parses one response frame. Throws ReplProtocolError (with the frame's start) on anything else. */
export function parseReplResponse(frame: string): ReplResponse {
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch (e) {
    throw new ReplProtocolError(`not JSON (${(e as Error).message})`, frame);
  }
  if (!isObj(raw)) throw new ReplProtocolError("not a JSON object", frame);
  const messages = list(raw["messages"], "messages", frame).map((m, i) => parseMessage(m, i, frame));
  const sorries = list(raw["sorries"], "sorries", frame).map((s, i) => parseSorry(s, i, frame));
  if ("proofState" in raw && "goals" in raw) {
    return {
      kind: "proof_step",
      proofState: nat(raw["proofState"], "proofState", frame),
      goals: list(raw["goals"], "goals", frame).map((g, i) => str(g, `goals[${i}]`, frame)),
      messages,
      sorries,
      traces: list(raw["traces"], "traces", frame).map((t, i) => str(t, `traces[${i}]`, frame)),
      proofStatus: raw["proofStatus"] === undefined ? null : str(raw["proofStatus"], "proofStatus", frame),
      raw,
    };
  }
  if ("env" in raw || "messages" in raw || "sorries" in raw || "tactics" in raw) {
    return {
      kind: "command",
      env: raw["env"] === undefined || raw["env"] === null ? null : nat(raw["env"], "env", frame),
      messages,
      sorries,
      tactics: list(raw["tactics"], "tactics", frame).map((t, i) => parseTactic(t, i, frame)),
      infotree: raw["infotree"] ?? null,
      raw,
    };
  }
  if (typeof raw["message"] === "string" && Object.keys(raw).length === 1) return { kind: "error", message: raw["message"], raw };
  throw new ReplProtocolError(`unknown response shape (keys: ${Object.keys(raw).join(", ") || "none"})`, frame);
}

/** Message data of Lean's sorry warning (backticks since Lean 4.1x, quotes before). */
export const SORRY_WARNING = /declaration uses ['`]sorry['`]/;
