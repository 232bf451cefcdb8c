/**
 * Splits Lean source holding one competition theorem into header, statement and proof, without
 * running Lean. Pure. Comments are located first (maskLeanComments) so `theorem` or `:=` inside a
 * comment or docstring never count.
 *
 * - header: every command before the theorem (imports, opens, set_option, helper declarations),
 *   comments removed, blank lines dropped;
 * - statement: `theorem NAME … :=` up to the first `:=` outside brackets;
 * - proof: the tactic block after `by` (see theorem-row.ts for the layout), or null when the
 *   statement has no proof (`sorry`, or nothing after `by`);
 * - anything else (no declaration, no `:=`, a term-mode proof) is a parse failure with a reason.
 */
import { maskLeanComments } from "../lean/lean-comments.js";

export type ParseFailure = "no_theorem" | "no_assign" | "term_proof" | "empty_statement";

export interface ParsedTheorem {
  readonly name: string;
  readonly header: string;
  readonly statement: string;
  readonly proof: string | null;
}

export type ParseResult = { readonly status: "ok"; readonly theorem: ParsedTheorem } | { readonly status: "failed"; readonly reason: ParseFailure; readonly detail: string };

const DECL_RE = /^[ \t]*(?:@\[[^\]\n]*\][ \t]*\n?[ \t]*)?(?:(?:private|protected|noncomputable|nonrec)[ \t]+)*(theorem|lemma)[ \t]+([^\s:({[⦃]+)/gm;
/** A top-level command at column 0 ends the theorem's proof. */
const NEXT_COMMAND_RE = /^(theorem|lemma|def|example|abbrev|instance|structure|inductive|class|namespace|section|end|open|#eval|#check|#print|set_option|noncomputable|@\[)\b/m;

const OPEN = "([{⟨⦃";
const CLOSE = ")]}⟩⦄";

function fail(reason: ParseFailure, detail: string): ParseResult {
  return { status: "failed", reason, detail: detail.slice(0, 200) };
}

/** Header text: code lines before the theorem, comments removed, blank lines dropped. */
export function normalizeHeader(maskedPrefix: string): string {
  return maskedPrefix
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "")
    .join("\n");
}

/** Index of the first `:=` at bracket depth 0 in masked text from `from`, skipping strings. */
function findAssign(masked: string, from: number): number {
  let depth = 0;
  for (let i = from; i < masked.length; i++) {
    const c = masked[i]!;
    if (c === '"') {
      i++;
      while (i < masked.length && masked[i] !== '"') i += masked[i] === "\\" ? 2 : 1;
    } else if (OPEN.includes(c)) depth++;
    else if (CLOSE.includes(c)) depth = Math.max(0, depth - 1);
    else if (c === ":" && masked[i + 1] === "=" && depth === 0) return i;
  }
  return -1;
}

/**
 * The proof after `:=`: "by" + tactics, "sorry", or a term. `after` is the raw text after `:=`,
 * `maskedAfter` the same with comments blanked.
 */
export function parseProofBody(after: string, maskedAfter: string): { kind: "tactic"; proof: string } | { kind: "none" } | { kind: "term"; head: string } {
  const lead = /^\s*/.exec(maskedAfter)![0].length;
  const rest = maskedAfter.slice(lead);
  if (/^sorry\b/.test(rest) && rest.slice(5).trim() === "") return { kind: "none" };
  if (rest.trim() === "") return { kind: "none" };
  if (!/^by(\s|$)/.test(rest)) return { kind: "term", head: rest.trim().slice(0, 60) };
  const byEnd = lead + 2;
  const bodyMasked = maskedAfter.slice(byEnd);
  if (bodyMasked.trim() === "" || /^\s*sorry\s*$/.test(bodyMasked)) return { kind: "none" };
  const nl = bodyMasked.indexOf("\n");
  const sameLine = (nl < 0 ? bodyMasked : bodyMasked.slice(0, nl)).trim() !== "";
  let proof: string;
  if (sameLine) {
    proof = after.slice(byEnd).replace(/^[ \t]+/, "").trimEnd();
  } else {
    proof = after.slice(byEnd + nl + 1).trimEnd();
    const lines = proof.split("\n");
    // A block written at column 0 is indented so the rebuilt `by` line keeps it a block.
    if (lines.some((l) => l.trim() !== "" && !/^\s/.test(l))) proof = lines.map((l) => (l.trim() === "" ? l : "  " + l)).join("\n");
  }
  return { kind: "tactic", proof };
}

/**
 * Parses `text` (a whole file or a statement + proof). With `expected_name`, the declaration of
 * that name is taken; otherwise the last theorem/lemma (earlier ones become header context).
 */
export function parseTheoremSource(text: string, expected_name?: string): ParseResult {
  const src = text.replace(/\r\n/g, "\n");
  const masked = maskLeanComments(src);
  const decls = [...masked.matchAll(DECL_RE)].map((m) => ({ index: m.index!, name: m[2]!, nameEnd: m.index! + m[0].length }));
  if (decls.length === 0) return fail("no_theorem", `no 'theorem' or 'lemma' declaration in: ${src.trim().slice(0, 150)}`);
  const decl = (expected_name !== undefined ? decls.find((d) => d.name === expected_name) : undefined) ?? decls[decls.length - 1]!;
  const assign = findAssign(masked, decl.nameEnd);
  if (assign < 0) return fail("no_assign", `theorem '${decl.name}' has no ':=' outside brackets (equation compiler or 'where' form?)`);
  const statement = src.slice(decl.index, assign + 2).replace(/^[ \t]+/, "").trimEnd();
  if (statement.length <= `theorem ${decl.name} :=`.length - 2) return fail("empty_statement", `theorem '${decl.name}' has an empty statement`);
  // The proof ends at the next top-level command, if any.
  const tailMasked = masked.slice(assign + 2);
  const next = NEXT_COMMAND_RE.exec(tailMasked.replace(/^[^\n]*\n?/, (first) => " ".repeat(first.length)));
  const end = next ? assign + 2 + next.index : src.length;
  const body = parseProofBody(src.slice(assign + 2, end), masked.slice(assign + 2, end));
  if (body.kind === "term") return fail("term_proof", `theorem '${decl.name}' has a term-mode proof (no tactics to trace): ${body.head}`);
  return {
    status: "ok",
    theorem: { name: decl.name, header: normalizeHeader(masked.slice(0, decl.index)), statement, proof: body.kind === "tactic" ? body.proof : null },
  };
}

/**
 * A statement (`theorem … := sorry`, `… := by`, `… := by sorry`, or a bare signature) with a proof
 * given separately: either `by …` or a tactic block. Returns text parseTheoremSource understands.
 */
export function attachProof(statement: string, proof: string): string {
  let s = statement.trimEnd().replace(/(?<![\w'])sorry$/, "").trimEnd();
  const p = proof.replace(/\s+$/, "");
  if (/^\s*by(\s|$)/.test(p)) {
    s = s.replace(/:=\s*by$/, ":=");
    return `${s.endsWith(":=") ? s : `${s} :=`} ${p.trimStart()}`;
  }
  const lines = p.replace(/^\s*\n/, "").split("\n");
  const indented = lines.some((l) => l.trim() !== "" && !/^\s/.test(l)) ? lines.map((l) => (l.trim() === "" ? l : `  ${l}`)).join("\n") : lines.join("\n");
  if (/:=\s*by$/.test(s)) return `${s}\n${indented}`;
  if (s.endsWith(":=")) return `${s} by\n${indented}`;
  return `${s} := by\n${indented}`;
}
