/**
 * When a proof counts as proved (design.md §5–6). Pure functions of the repl's response and the
 * text that was sent; no I/O.
 *
 * A whole proof (one `cmd`) is accepted only when: the repl answered with a command response, no
 * message has severity error, there is no sorry (no `declaration uses 'sorry'` warning, no
 * reported sorry), the proof text and the traced tactics contain none of sorry/admit/cheat as a
 * whole word (comments excluded), and the repl traced at least one tactic. The same holds for the
 * header submitted with the theorem (design.md §5): helper lemmas placed before the theorem are
 * split into the header (src/data/lean-source.ts) and imported separately by the pool, so their
 * text and Lean's sorry report for them are checked too (`checkHeader`). A header of only
 * imports / open / set_option has no banned word and no sorry, and passes.
 *
 * One tactic (tactic mode) completes a proof only when additionally no goal is left, the repl's
 * proofStatus (when it prints one) is "Completed", and the tactic does not start with a focusing
 * bullet: a failed tactic may return only messages with `goals: []` (pitfall 1), and a replayed
 * `· tac` makes old repls report the *focused* goal closed as if the proof were done (pitfall 2).
 */
import { maskLeanComments } from "./lean-comments.js";
import { SORRY_WARNING, type ReplResponse } from "./repl-protocol.js";

export const BANNED_WORDS = ["sorry", "admit", "cheat"] as const;

/** A banned word with no identifier character (letter, digit, _, ', !, ?, subscript) on either side. */
const BANNED_RE = /(?<![\p{L}\p{N}_'!?])(sorry|admit|cheat)(?![\p{L}\p{N}_'!?])/u;

/** The first banned word used as a whole word outside comments, or null. */
export function findBannedWord(text: string): string | null {
  const m = BANNED_RE.exec(maskLeanComments(text));
  return m ? m[1]! : null;
}

/** `· tac` / `. tac`: a focusing bullet at the start of the tactic. */
export function startsWithBullet(tactic: string): boolean {
  return /^\s*(·|\.(\s|$))/.test(tactic);
}

/**
 * Why a proof was not accepted:
 * - banned_word: sorry / admit / cheat in the proof or tactic text;
 * - sorry: Lean reported a sorry (warning or sorries list) without a banned word in the text;
 * - lean_error: a message with severity error (a messages-only failure included);
 * - repl_error: the repl answered with an error object ("Unknown environment.", "Lean error: ...");
 * - no_tactics: the repl traced no tactic (a term-mode proof, or a repl without allTactics);
 * - incomplete: tactic mode: no goals left but proofStatus is not "Completed";
 * - bullet: tactic mode: the tactic starts with a focusing bullet, so "no goals" proves nothing.
 */
export type ProofRejection = "banned_word" | "sorry" | "lean_error" | "repl_error" | "no_tactics" | "incomplete" | "bullet";

/** Reasons a whole proof can be rejected for (incomplete and bullet are tactic-mode only). */
export type WholeProofRejection = Exclude<ProofRejection, "incomplete" | "bullet">;

export type ProofVerdict = { readonly status: "accepted" } | { readonly status: "rejected"; readonly reason: WholeProofRejection; readonly detail: string };

export type StepVerdict =
  | { readonly status: "complete" }
  | { readonly status: "open"; readonly goals: readonly string[] }
  | { readonly status: "failed"; readonly reason: ProofRejection; readonly detail: string };

const reject = (reason: WholeProofRejection, detail: string): { status: "rejected"; reason: WholeProofRejection; detail: string } => ({ status: "rejected", reason, detail: detail.slice(0, 300) });

/** The header sent with a theorem, and what Lean said about it when the pool imported it. */
export interface SubmittedHeader {
  /** Imports / opens / set_option and any helper declarations before the theorem. */
  readonly text: string;
  /** Lean's sorry report for the header (ReplLease.header_sorry), or null when it had none. */
  readonly lean_sorry: string | null;
}

/** Verdict on the header alone: no banned word in its text (comments excluded), no sorry Lean reported. */
export function checkHeader(header: SubmittedHeader): ProofVerdict {
  const word = findBannedWord(header.text);
  if (word) {
    const masked = maskLeanComments(header.text).split("\n");
    const line = masked.findIndex((l) => findBannedWord(l) !== null);
    const where = line >= 0 ? `line ${line + 1}: ${JSON.stringify(header.text.split("\n")[line]!.trim().slice(0, 120))}` : "";
    return reject("banned_word", `'${word}' in the header (a declaration before the theorem) ${where}`.trimEnd());
  }
  if (header.lean_sorry !== null) return reject("sorry", `in the header (a declaration before the theorem): ${header.lean_sorry}`);
  return { status: "accepted" };
}

/**
 * Verdict on a whole proof elaborated by one `cmd` (with allTactics). `header`: what was submitted
 * before the theorem (checked first); omit it only when the theorem was sent without one.
 */
export function checkWholeProof(response: ReplResponse, proof_text: string, header?: SubmittedHeader): ProofVerdict {
  if (header !== undefined) {
    const h = checkHeader(header);
    if (h.status === "rejected") return h;
  }
  if (response.kind === "error") return reject("repl_error", response.message);
  const word = findBannedWord(proof_text);
  if (word) return reject("banned_word", `'${word}' in the proof text`);
  if (response.kind === "command") {
    const t = response.tactics.find((x) => findBannedWord(x.tactic));
    if (t) return reject("banned_word", `'${findBannedWord(t.tactic)}' in traced tactic '${t.tactic.slice(0, 100)}'`);
  }
  const sorryMsg = response.messages.find((m) => SORRY_WARNING.test(m.data));
  if (sorryMsg || response.sorries.length) return reject("sorry", sorryMsg ? `${sorryMsg.data} (line ${sorryMsg.pos.line})` : `${response.sorries.length} sorry reported`);
  const err = response.messages.find((m) => m.severity === "error");
  if (err) return reject("lean_error", `line ${err.pos.line}: ${err.data}`);
  if (response.kind !== "command" || response.tactics.length === 0) return reject("no_tactics", "the repl traced no tactic (term-mode proof, or no allTactics support)");
  return { status: "accepted" };
}

/** Verdict on one tactic run in tactic mode. */
export function checkProofStep(response: ReplResponse, tactic: string): StepVerdict {
  const fail = (reason: ProofRejection, detail: string): StepVerdict => ({ status: "failed", reason, detail: detail.slice(0, 300) });
  if (response.kind === "error") return fail("repl_error", response.message);
  const word = findBannedWord(tactic);
  if (word) return fail("banned_word", `'${word}' in the tactic`);
  const err = response.messages.find((m) => m.severity === "error");
  if (err) return fail("lean_error", err.data);
  if (response.sorries.length || response.messages.some((m) => SORRY_WARNING.test(m.data))) return fail("sorry", "the tactic left a sorry");
  if (response.kind !== "proof_step") return fail("repl_error", "expected a proof-step response");
  if (response.goals.length > 0) return { status: "open", goals: response.goals };
  if (startsWithBullet(tactic)) return fail("bullet", `no goals reported after a bulleted tactic '${tactic.slice(0, 80)}': only the focused goal is known to be closed`);
  if (response.proofStatus !== null && response.proofStatus !== "Completed") return fail("incomplete", response.proofStatus);
  return { status: "complete" };
}
