/**
 * The search's Lean (src/search/proof-env.ts) on the repl pool, in tactic mode. One theorem per
 * env. Proof states live in one repl process, so the env holds one worker lease for the theorem's
 * whole search (a "session") and hands it back in `close()`:
 *
 * - root(): `STATEMENT := by sorry` as one `cmd` against the worker's header env (the pool imports
 *   each header once per worker); the root proof state and goal text come from that sorry;
 * - apply(): `{tactic, proofState}`; new goals are joined as tracing joins them (joinGoals) and
 *   mapped through checkProofStep: an empty goal list is `no_goals` only when Lean also reports no
 *   error, no sorry and "Completed" (a messages-only failure is an error, pitfall 1; a bulleted
 *   tactic never finishes a proof, pitfall 2); `{"message": "Unknown proof state."}` and other
 *   repl errors are error outcomes with the repl's text;
 * - verify(): the whole proof replayed from the statement as one `cmd` (`STATEMENT := by` and one
 *   indented line per tactic), accepted only through checkWholeProof, header included: no goals,
 *   no error, no sorry, no banned word, in the theorem or in the declarations before it.
 *
 * A tactic that runs past its timeout, or a worker that crashes, goes over its memory cap or breaks
 * protocol, is an error outcome the search records — never a hang: every request carries a
 * timeout, the worker is killed and handed back, and the pool replaces it. Later calls lease a
 * fresh worker, state `STATEMENT := by sorry` again and rebuild the proof state they need by
 * replaying its tactic path (handles carry it), so the rest of the search tree stays usable.
 */
import type { EnvState, ProofEnv, TacticOutcome, VerifyResult } from "../search/proof-env.js";
import { checkHeader, checkProofStep, checkWholeProof, findBannedWord, startsWithBullet } from "./proof-check.js";
import { ReplError, type ReplErrorKind } from "./repl-errors.js";
import type { HeldReplLease, ReplPool } from "./repl-pool.js";
import type { ReplRequest, ReplResponse } from "./repl-protocol.js";
import { joinGoals } from "./trace-pairs.js";

/** The theorem as the env states it. */
export interface ReplProofTheorem {
  readonly name: string;
  /** Imports / opens / set_option and any helper declarations before the theorem; "" for none. */
  readonly header: string;
  /** `theorem NAME … :=` (a THEOREMS row's statement); a trailing `by`/`sorry` is dropped. */
  readonly statement: string;
}

export interface ReplProofEnvOptions {
  /** The root `cmd` (statement `:= by sorry`). Default: the pool's request_timeout_s. */
  readonly root_timeout_s?: number;
  /** The replayed whole proof in verify(). Default: the pool's request_timeout_s. */
  readonly verify_timeout_s?: number;
  /** Workers one theorem may use (1 + replacements after crashes / timeouts). Default 4. */
  readonly max_sessions?: number;
}

/** A proof state of this env: opaque to the search. */
export interface ReplProofHandle {
  /** The worker session (lease) whose repl holds `proofState`; states die with their worker. */
  readonly session: number;
  readonly proofState: number;
  /** Tactics root → this state: how to rebuild it on a fresh worker. */
  readonly tactics: readonly string[];
}

export interface ReplProofEnvStats {
  /** Lean wall time of the root `cmd`s (one per session), ms. */
  readonly root_lean_ms: number;
  readonly apply_calls: number;
  /** Lean wall time of apply() calls (rebuilds and a new session's root included), ms. */
  readonly apply_lean_ms: number;
  readonly verify_calls: number;
  readonly verify_lean_ms: number;
  /** Workers leased for this theorem: 1, plus one per worker lost to a crash or timeout. */
  readonly sessions: number;
  /** Tactics re-run to rebuild states on a fresh worker. */
  readonly replayed_tactics: number;
  /** Workers lost, by kind (timeout, crash, memory_cap, protocol). */
  readonly worker_failures: Readonly<Record<string, number>>;
}

interface Session {
  readonly id: number;
  readonly lease: HeldReplLease;
  readonly root: EnvState<ReplProofHandle>;
  /** Tactic path (NUL-joined) → proof state id in this session's repl. */
  readonly states: Map<string, number>;
}

/** Kinds of ReplError after which the worker is gone (its proof states with it). */
const WORKER_LOST: readonly ReplErrorKind[] = ["timeout", "crash", "memory_cap", "protocol"];
const DEFAULT_MAX_SESSIONS = 4;
const OPTION_KEYS: readonly string[] = ["root_timeout_s", "verify_timeout_s", "max_sessions"];
const pathKey = (tactics: readonly string[]): string => tactics.join("\u0000");

/** The statement without its trailing `:=` (and a `by` / `sorry` after it). */
function statementHead(t: ReplProofTheorem): string {
  const head = t.statement.trimEnd().replace(/\s*:=\s*(?:by\b\s*)?(?:sorry\s*)?$/, "");
  if (!/:=\s*(?:by\b\s*)?(?:sorry\s*)?$/.test(t.statement.trimEnd()) || head.trim() === "") {
    throw new Error(`ReplProofEnv: the statement of '${t.name}' must be 'theorem NAME … :=', got: ${t.statement.slice(0, 200)}`);
  }
  const word = findBannedWord(head);
  if (word) throw new Error(`ReplProofEnv: the statement of '${t.name}' uses '${word}': ${head.slice(0, 200)}`);
  return head;
}

/** One tactic as a line (or lines) of a `by` block: its own indentation dropped, every line indented two spaces. */
export function indentTactic(tactic: string): string {
  return tactic
    .replace(/^\s+/, "")
    .trimEnd()
    .split("\n")
    .map((l) => (l.trim() === "" ? "" : `  ${l}`))
    .join("\n");
}

/** The `cmd` verify() sends: `STATEMENT := by` and one indented line (or block) per tactic. */
export function wholeProofCommand(statement_head: string, tactics: readonly string[]): string {
  return `${statement_head} := by\n${tactics.map(indentTactic).join("\n")}`;
}

export class ReplProofEnv implements ProofEnv<ReplProofHandle> {
  readonly theorem: ReplProofTheorem;
  private readonly head: string;
  private readonly root_timeout_s: number;
  private readonly verify_timeout_s: number;
  private readonly max_sessions: number;
  private session: Session | null = null;
  private n_sessions = 0;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly s = { root_lean_ms: 0, apply_calls: 0, apply_lean_ms: 0, verify_calls: 0, verify_lean_ms: 0, replayed_tactics: 0 };
  private readonly failures: Record<string, number> = {};

  constructor(
    private readonly pool: ReplPool,
    theorem: ReplProofTheorem,
    options: ReplProofEnvOptions = {},
  ) {
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.includes(k));
    if (unknown.length) throw new Error(`ReplProofEnv '${theorem.name}': unknown option(s) ${unknown.join(", ")} (known: ${OPTION_KEYS.join(", ")})`);
    this.theorem = Object.freeze({ ...theorem });
    this.head = statementHead(theorem);
    this.root_timeout_s = options.root_timeout_s ?? pool.config.request_timeout_s;
    this.verify_timeout_s = options.verify_timeout_s ?? pool.config.request_timeout_s;
    this.max_sessions = options.max_sessions ?? DEFAULT_MAX_SESSIONS;
    for (const [k, v] of [["root_timeout_s", this.root_timeout_s], ["verify_timeout_s", this.verify_timeout_s]] as const) {
      if (!(v > 0)) throw new Error(`ReplProofEnv '${theorem.name}': ${k} must be a positive number of seconds, got ${v}`);
    }
    if (!Number.isInteger(this.max_sessions) || this.max_sessions < 1) throw new Error(`ReplProofEnv '${theorem.name}': max_sessions must be a positive integer, got ${this.max_sessions}`);
  }

  /** The `cmd` root() sends. */
  get rootCommand(): string {
    return `${this.head} := by sorry`;
  }

  /** Leases a worker (first call) and states the theorem; later calls return the current session's root. */
  root(): Promise<EnvState<ReplProofHandle>> {
    return this.serial(async () => (await this.liveSession()).root);
  }

  apply(handle: ReplProofHandle, tactic: string, timeout_s: number): Promise<TacticOutcome<ReplProofHandle>> {
    return this.serial(async () => {
      const t0 = performance.now();
      const out = await this.applyNow(handle, tactic, timeout_s, t0);
      this.s.apply_calls++;
      this.s.apply_lean_ms += out.lean_ms;
      return out;
    });
  }

  verify(tactics: readonly string[]): Promise<VerifyResult> {
    return this.serial(async () => {
      const t0 = performance.now();
      try {
        return await this.verifyNow(tactics, t0);
      } finally {
        this.s.verify_calls++;
        this.s.verify_lean_ms += performance.now() - t0;
      }
    });
  }

  /** Hands the worker back to the pool (after any call in flight). Idempotent; later calls throw. */
  close(): Promise<void> {
    return this.serial(async () => {
      this.closed = true;
      this.session?.lease.release();
      this.session = null;
    }, true);
  }

  stats(): ReplProofEnvStats {
    return { ...this.s, sessions: this.n_sessions, worker_failures: { ...this.failures } };
  }

  // ------------------------------------------------------------------ internals

  /** Runs calls one at a time (one request in flight per worker), in call order. */
  private serial<T>(fn: () => Promise<T>, even_when_closed = false): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed && !even_when_closed) throw new Error(`ReplProofEnv '${this.theorem.name}': used after close()`);
      return fn();
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private error(message: string, t0: number): TacticOutcome<ReplProofHandle> {
    return { kind: "error", message: message.slice(0, 500), lean_ms: performance.now() - t0 };
  }

  private async applyNow(handle: ReplProofHandle, tactic: string, timeout_s: number, t0: number): Promise<TacticOutcome<ReplProofHandle>> {
    if (!(timeout_s > 0)) return this.error(`no time left for the tactic (timeout_s ${timeout_s})`, t0);
    const deadline_ms = t0 + timeout_s * 1000;
    let session: Session;
    let ps: number | string;
    const sessions_before = this.n_sessions;
    try {
      session = await this.liveSession();
      ps = await this.stateIn(session, handle, deadline_ms);
    } catch (e) {
      const lost = this.lostWorker(e);
      if (lost === null) throw e;
      return this.error(`the state could not be reached: ${lost}`, t0);
    }
    if (typeof ps === "string") return this.error(ps, t0);
    // The whole timeout, unless part of it went on a new session's root or a rebuild.
    const direct = this.n_sessions === sessions_before && handle.session === session.id;
    const left_s = direct ? timeout_s : (deadline_ms - performance.now()) / 1000;
    if (!(left_s > 0)) return this.error(`the tactic's ${timeout_s} s went on rebuilding its state on a fresh worker`, t0);
    let r: ReplResponse;
    try {
      r = await session.lease.request({ tactic, proofState: ps }, left_s);
    } catch (e) {
      const lost = this.lostWorker(e);
      if (lost === null) throw e;
      return this.error(lost, t0);
    }
    const verdict = checkProofStep(r, tactic);
    if (verdict.status === "failed") return this.error(`${verdict.reason}: ${verdict.detail}`, t0);
    if (r.kind !== "proof_step") return this.error(`expected a proof-step response, got ${JSON.stringify(r.raw).slice(0, 200)}`, t0);
    const lean_ms = performance.now() - t0;
    const tactics = [...handle.tactics, tactic];
    const next: ReplProofHandle = Object.freeze({ session: session.id, proofState: r.proofState, tactics: Object.freeze(tactics) });
    if (verdict.status === "complete") return { kind: "ok", goals_pp: joinGoals([]), handle: next, no_goals: true, lean_ms };
    session.states.set(pathKey(tactics), next.proofState);
    return { kind: "ok", goals_pp: joinGoals(verdict.goals), handle: next, no_goals: false, lean_ms };
  }

  private async verifyNow(tactics: readonly string[], t0: number): Promise<VerifyResult> {
    const no = (reason: string): VerifyResult => ({ ok: false, reason: reason.slice(0, 500) });
    if (tactics.length === 0) return no("no tactics to replay");
    const bullet = tactics.findIndex((t) => startsWithBullet(t));
    if (bullet >= 0) return no(`bullet: tactic ${bullet + 1} ${JSON.stringify(tactics[bullet]!.slice(0, 80))} starts with a focusing bullet: a replayed bullet only shows its focused goal closed`);
    const proof_text = tactics.join("\n");
    const header = checkHeader({ text: this.theorem.header, lean_sorry: null });
    if (header.status === "rejected") return no(`${header.reason}: ${header.detail}`);
    const word = findBannedWord(proof_text);
    if (word) return no(`banned_word: '${word}' in the proof text`);
    const deadline_ms = t0 + this.verify_timeout_s * 1000;
    let r: ReplResponse;
    let lease: HeldReplLease;
    try {
      lease = (await this.liveSession()).lease;
      const cmd = wholeProofCommand(this.head, tactics);
      const req: ReplRequest = lease.env === null ? { cmd, allTactics: true } : { cmd, env: lease.env, allTactics: true };
      r = await lease.request(req, Math.max(0.001, (deadline_ms - performance.now()) / 1000));
    } catch (e) {
      const lost = this.lostWorker(e);
      if (lost === null) throw e;
      return no(`replaying the proof: ${lost}`);
    }
    const verdict = checkWholeProof(r, proof_text, { text: this.theorem.header, lean_sorry: lease.header_sorry });
    return verdict.status === "accepted" ? { ok: true } : no(`${verdict.reason}: ${verdict.detail}`);
  }

  /** The current session, or a new one (a fresh lease and root) when there is none or its worker died. */
  private async liveSession(): Promise<Session> {
    const cur = this.session;
    if (cur && cur.lease.alive) return cur;
    if (cur) this.dropSession(cur, "crash"); // died between calls (memory cap, killed from outside)
    if (this.n_sessions >= this.max_sessions) {
      throw new Error(`search of '${this.theorem.name}': ${this.n_sessions} worker(s) lost (${JSON.stringify(this.failures)}), max_sessions ${this.max_sessions} reached`);
    }
    const lease = await this.pool.lease(this.theorem.header);
    this.n_sessions++;
    const t0 = performance.now();
    try {
      const req: ReplRequest = lease.env === null ? { cmd: this.rootCommand } : { cmd: this.rootCommand, env: lease.env };
      const r = await lease.request(req, this.root_timeout_s);
      const ps = this.rootState(r);
      const id = this.n_sessions;
      const root: EnvState<ReplProofHandle> = Object.freeze({ goals_pp: joinGoals([ps.goal]), handle: Object.freeze({ session: id, proofState: ps.proofState, tactics: Object.freeze([]) }) });
      this.session = { id, lease, root, states: new Map([["", ps.proofState]]) };
      return this.session;
    } catch (e) {
      lease.release();
      if (e instanceof ReplError && WORKER_LOST.includes(e.kind)) this.failures[e.kind] = (this.failures[e.kind] ?? 0) + 1;
      throw e;
    } finally {
      this.s.root_lean_ms += performance.now() - t0;
    }
  }

  /** Root proof state and goal from the `:= by sorry` response; throws (with the theorem and code) otherwise. */
  private rootState(r: ReplResponse): { proofState: number; goal: string } {
    const where = `root of '${this.theorem.name}' (${JSON.stringify(this.rootCommand.slice(0, 200))})`;
    if (r.kind === "error") throw new Error(`${where}: the repl answered: ${r.message}`);
    if (r.kind !== "command") throw new Error(`${where}: expected a command response, got ${JSON.stringify(r.raw).slice(0, 200)}`);
    const err = r.messages.find((m) => m.severity === "error");
    if (err) throw new Error(`${where}: the statement does not elaborate: line ${err.pos.line}: ${err.data.slice(0, 300)}`);
    const sorry = r.sorries.find((x) => x.proofState !== null);
    if (!sorry || sorry.proofState === null) throw new Error(`${where}: the repl reported no sorry with a proof state (${r.sorries.length} sorries)`);
    return { proofState: sorry.proofState, goal: sorry.goal };
  }

  /**
   * The handle's proof state in `session`: its own id when the session made it, else rebuilt by
   * replaying its tactics from the longest path this session already has. A string says why not.
   */
  private async stateIn(session: Session, handle: ReplProofHandle, deadline_ms: number): Promise<number | string> {
    if (handle.session === session.id) return handle.proofState;
    if (handle.session > session.id || handle.session < 1) return `unknown handle (session ${handle.session}; this env is at session ${session.id})`;
    let k = handle.tactics.length;
    while (k > 0 && !session.states.has(pathKey(handle.tactics.slice(0, k)))) k--;
    let ps = session.states.get(pathKey(handle.tactics.slice(0, k)))!;
    for (let i = k; i < handle.tactics.length; i++) {
      const tactic = handle.tactics[i]!;
      const left_s = (deadline_ms - performance.now()) / 1000;
      if (!(left_s > 0)) return `out of time rebuilding the state on a fresh worker (${i} of ${handle.tactics.length} tactics replayed)`;
      this.s.replayed_tactics++;
      const r = await session.lease.request({ tactic, proofState: ps }, left_s);
      const v = checkProofStep(r, tactic);
      if (v.status !== "open" || r.kind !== "proof_step") {
        return `rebuilding the state on a fresh worker: tactic ${i + 1} ${JSON.stringify(tactic.slice(0, 80))} gave ${v.status === "failed" ? `${v.reason}: ${v.detail}` : "no goals"}`;
      }
      ps = r.proofState;
      session.states.set(pathKey(handle.tactics.slice(0, i + 1)), ps);
    }
    return ps;
  }

  /**
   * For a ReplError that cost the worker (timeout, crash, memory cap, protocol): hands the lease
   * back so the pool replaces the worker, and says what happened. Null for anything else.
   */
  private lostWorker(e: unknown): string | null {
    if (!(e instanceof ReplError) || !WORKER_LOST.includes(e.kind)) return null;
    const cur = this.session;
    if (cur && cur.lease.worker_id === e.worker_id) this.dropSession(cur, e.kind);
    else if (cur && !cur.lease.alive) this.dropSession(cur, e.kind);
    // else: the worker died while a new session stated the theorem (liveSession counted it)
    const what = e.kind === "timeout" ? `timeout: ${e.detail}` : `${e.kind}: ${e.detail}`;
    return `${what}; the worker was replaced${e.stderr_tail ? ` | stderr: ${e.stderr_tail.slice(-200)}` : ""}`;
  }

  private dropSession(s: Session, kind: string): void {
    s.lease.release();
    if (this.session === s) this.session = null;
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
  }
}

/** A ProofEnv for one theorem on `pool` (no worker is leased until root()). Call close() when done. */
export function replProofEnv(pool: ReplPool, theorem: ReplProofTheorem, options: ReplProofEnvOptions = {}): ReplProofEnv {
  return new ReplProofEnv(pool, theorem, options);
}

/** Runs `fn` (a theorem's search) with its env and always hands the worker back afterwards. */
export async function withReplProofEnv<T>(pool: ReplPool, theorem: ReplProofTheorem, fn: (env: ReplProofEnv) => Promise<T>, options: ReplProofEnvOptions = {}): Promise<T> {
  const env = replProofEnv(pool, theorem, options);
  try {
    return await fn(env);
  } finally {
    await env.close();
  }
}
