/**
 * The synthetic Lean behind leanprover-community/repl's protocol: one session (one process's
 * worth of environments and proof states) answering one request object at a time with the object
 * the real repl would print, field for field (the shapes of ../shared/data/lean_repl_transcripts):
 *
 * - `{"cmd": "import …"}` (no env): a header; answers `{"env": n}`;
 * - `{"cmd": "theorem NAME … := by sorry", "env": n}`: the root goal as a `sorries` entry with a
 *   `proofState`, plus the `declaration uses \`sorry\`` warning at the name;
 * - `{"cmd": "theorem NAME … := by\n  tac\n  …"}`: the whole proof replayed; no messages when it
 *   proves the theorem, else the first failure as an error at its tactic (or `unsolved goals` at
 *   `by`); `allTactics` lists every tactic run with the goals before it;
 * - `{"tactic": t, "proofState": n}`: `{proofState, goals, proofStatus}`, a failing tactic as
 *   `messages` + `goals: []` + "Incomplete: contains sorry" (as the real repl's error recovery
 *   prints it), a parse error as `{"message": "Lean error:\n<input>:…"}`, `sorry` / `admit` as a
 *   `sorries` entry; an unknown id as `{"message": "Unknown proof state."}`.
 *
 * Only the world's own theorems elaborate (by name, with the world's statement). No I/O: the
 * process shell (synthetic-lean-repl.ts) does the framing and printing.
 */
import type { ReplPos } from "../../lean/repl-protocol.js";
import type { SyntheticProofWorld, ReplayStep } from "./synthetic-proof-world.js";

type Json = Record<string, unknown>;

interface ProofStateRecord {
  /** Goal text; null when no goals are left (a finished or failed state). */
  readonly text: string | null;
}

interface TacticSpan {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const ORIGIN: ReplPos = { line: 0, column: 0 };

export class SyntheticReplSession {
  readonly #envs: (string | null)[] = [];
  readonly #states: ProofStateRecord[] = [];

  constructor(private readonly world: SyntheticProofWorld) {}

  /** The response object to one query (one JSON request as text). */
  answer(query: string): Json {
    let req: unknown;
    try {
      req = JSON.parse(query);
    } catch (e) {
      return { message: `Could not parse JSON:\n${(e as Error).message}` };
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) return { message: `Could not parse as a valid JSON command:\n${query.slice(0, 200)}` };
    const r = req as Json;
    if (typeof r["tactic"] === "string" && typeof r["proofState"] === "number") return this.#tactic(r["tactic"], r["proofState"]);
    if (typeof r["cmd"] === "string") return this.#command(r["cmd"], r["env"], r["allTactics"] === true);
    return { message: `synthetic repl: only cmd and tactic requests are modelled (got keys ${Object.keys(r).join(", ")})` };
  }

  #newState(text: string | null): number {
    return this.#states.push({ text }) - 1;
  }

  #newEnv(header: string | null): number {
    return this.#envs.push(header) - 1;
  }

  #tactic(tactic: string, id: number): Json {
    const st = this.#states[id];
    if (st === undefined) return { message: "Unknown proof state." };
    if (st.text === null) return this.#failed("no goals to be proved");
    if (/^\s*(sorry|admit)\s*$/.test(tactic)) {
      const [main, ...rest] = st.text.split("\n\n");
      const admitted = this.#newState(main!);
      const after = this.#newState(rest.length > 0 ? rest.join("\n\n") : null);
      return { sorries: [{ proofState: admitted, goal: main }], proofStatus: rest.length > 0 ? "Incomplete: open goals remain" : "Incomplete: contains sorry", proofState: after, goals: rest };
    }
    const r = this.world.step(st.text, tactic);
    switch (r.kind) {
      case "state":
        return { proofStatus: "Incomplete: open goals remain", proofState: this.#newState(r.goals_text), goals: r.goals };
      case "no_goals":
        return { proofStatus: "Completed", proofState: this.#newState(null), goals: [] };
      case "error":
        return r.phase === "parse" ? { message: `Lean error:\n${r.message}` } : this.#failed(r.message);
    }
  }

  /** A tactic that elaborated with an error: the real repl's recovery admits the goal. */
  #failed(data: string): Json {
    return { proofStatus: "Incomplete: contains sorry", proofState: this.#newState(null), messages: [message("error", ORIGIN, ORIGIN, data)], goals: [] };
  }

  #command(code: string, env: unknown, allTactics: boolean): Json {
    if (env !== undefined && (typeof env !== "number" || this.#envs[env] === undefined)) return { message: "Unknown environment." };
    if (env === undefined && /^\s*import\b/.test(code)) return { env: this.#newEnv(code) };
    const decl = /^(\s*)(theorem|lemma)(\s+)(\S+)/.exec(code);
    if (!decl) {
      if (/^\s*(open|set_option|namespace|section|end|variable|universe)\b/.test(code)) return { env: this.#newEnv(null) };
      return { messages: [message("error", posAt(code, 0), posAt(code, code.length), "synthetic Lean: only the world's theorem declarations elaborate here")], env: this.#newEnv(null) };
    }
    const name = decl[4]!;
    const nameStart = decl[1]!.length + decl[2]!.length + decl[3]!.length;
    const namePos = posAt(code, nameStart);
    const nameEnd = posAt(code, nameStart + name.length);
    const problem = this.world.findProblem(name);
    if (!problem) return { messages: [message("error", namePos, nameEnd, `synthetic Lean: unknown theorem '${name}' (this world elaborates only its own ${this.world.problems.length} theorems)`)], env: this.#newEnv(null) };
    const by = /:=\s*by\b/.exec(code);
    if (!by) return { messages: [message("error", posAt(code, code.length), posAt(code, code.length), "unexpected end of input; expected ':=', 'where' or '|'")], env: this.#newEnv(null) };
    const statement = code.slice(0, by.index + 2);
    if (ws(statement) !== ws(problem.statement)) {
      return { messages: [message("error", namePos, nameEnd, `synthetic Lean: the statement of '${name}' differs from the world's:\n${problem.statement.slice(0, 300)}`)], env: this.#newEnv(null) };
    }
    const byStart = by.index + by[0].length - 2;
    const spans = tacticSpans(code, byStart + 2);
    if (spans.length === 1 && spans[0]!.text === "sorry") {
      const s = spans[0]!;
      const root = this.world.rootText(name);
      return { sorries: [{ proofState: this.#newState(root), pos: posAt(code, s.start), goal: root, endPos: posAt(code, s.end) }], messages: [message("warning", namePos, nameEnd, "declaration uses `sorry`")], env: this.#newEnv(null) };
    }
    return this.#wholeProof(code, name, spans, byStart, allTactics, [namePos, nameEnd]);
  }

  #wholeProof(code: string, name: string, spans: readonly TacticSpan[], byStart: number, allTactics: boolean, [namePos, nameEnd]: [ReplPos, ReplPos]): Json {
    const replay = this.world.replay(name, spans.map((s) => s.text));
    const tactics: Json[] = [];
    const sorries: Json[] = [];
    const messages: Json[] = [];
    replay.steps.forEach((st: ReplayStep, i) => {
      const span = spans[i]!;
      const [pos, endPos] = [posAt(code, span.start), posAt(code, span.end)];
      tactics.push({ usedConstants: [], tactic: span.text, proofState: this.#newState(st.before), pos, goals: st.before, endPos });
      if (st.result.kind === "admitted") sorries.push({ proofState: this.#newState(st.before.split("\n\n")[0]!), pos, goal: st.before.split("\n\n")[0]!, endPos });
      if (st.result.kind === "error") messages.push(message("error", pos, endPos, st.result.phase === "parse" ? st.result.message.replace(/^<input>:\d+:\d+: /, "") : st.result.message));
    });
    if (replay.extra_tactic !== null) {
      const span = spans[replay.extra_tactic]!;
      messages.push(message("error", posAt(code, span.start), posAt(code, span.end), "no goals to be proved"));
    }
    if (replay.status === "unsolved") {
      const last = spans[spans.length - 1];
      messages.push(message("error", posAt(code, byStart), posAt(code, last ? last.end : byStart + 2), `unsolved goals\n${replay.detail}`));
    }
    if (sorries.length > 0) messages.unshift(message("warning", namePos, nameEnd, "declaration uses `sorry`"));
    const out: Json = {};
    if (allTactics && tactics.length > 0) out["tactics"] = tactics;
    if (sorries.length > 0) out["sorries"] = sorries;
    if (messages.length > 0) out["messages"] = messages;
    out["env"] = this.#newEnv(null);
    return out;
  }
}

function message(severity: "error" | "warning", pos: ReplPos, endPos: ReplPos, data: string): Json {
  return { severity, pos, endPos, data };
}

const ws = (s: string): string => s.replace(/\s+/g, " ").trim();

/** 1-based line, column in code points (as Lean counts). */
export function posAt(code: string, offset: number): ReplPos {
  const before = code.slice(0, offset);
  const nl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: Array.from(before.slice(nl + 1)).length };
}

/**
 * Top-level tactics of a `by` block starting at `from`: the first tactic's column is the block's;
 * a line starting at that column (or left of it) starts a tactic, a deeper one continues the
 * previous tactic; blank and `--` comment lines are skipped. Offsets are into `code`.
 */
export function tacticSpans(code: string, from: number): TacticSpan[] {
  const spans: { text: string; start: number; end: number }[] = [];
  let column: number | null = null;
  let offset = from;
  for (const line of code.slice(from).split("\n")) {
    const lineStart = offset;
    offset += line.length + 1;
    const body = line.replace(/\s+--.*$/, "").trimEnd();
    const indent = body.length - body.trimStart().length;
    if (body.trim() === "" || body.trimStart().startsWith("--")) continue;
    const start = lineStart + indent;
    const col = lineStart === from ? (posAt(code, start).column) : indent;
    const end = lineStart + body.length;
    const last = spans[spans.length - 1];
    if (column === null) column = col;
    if (last && col > column) {
      last.text += "\n" + code.slice(lineStart, end);
      last.end = end;
    } else spans.push({ text: code.slice(start, end), start, end });
  }
  return spans;
}
