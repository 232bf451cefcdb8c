/**
 * What kind of tactic a text is, as far as the synthetic Lean cares: the parser's view (is it a
 * tactic at all), which hypotheses it mentions, and how it may change a goal. Pure.
 */

/**
 * How a tactic acts on a goal that is not on the proof path:
 * - closer: finishes a goal or fails (linarith, omega, exact …, `t <;> s`): off the proof path it
 *   always fails, which is what makes off-path states unprovable;
 * - have: adds the stated hypothesis (or its proof fails);
 * - intro / split / destruct: structural, succeed only on a goal of the right shape;
 * - rewrite: anything else (rw, simp, norm_num, field_simp, apply, use …): leaves a new main goal
 *   or fails.
 */
export type TacticClass = "closer" | "have" | "intro" | "split" | "destruct" | "rewrite";

/** Tactic heads the synthetic parser accepts (every head the family generators write, and common Mathlib ones). */
const KNOWN_HEADS = new Set(
  (
    "intro intros rintro constructor rcases obtain cases induction have let set show exact exacts apply refine refine' use exists " +
    "linarith nlinarith positivity polyrith omega decide native_decide rfl ring ring_nf field_simp norm_num norm_num1 simp simp_all " +
    "simp_rw simpa rw rwa rewrite nth_rw nth_rewrite subst unfold specialize aesop tauto trivial assumption bound gcongr calc " +
    "push_neg push_cast norm_cast exact_mod_cast zify qify by_cases by_contra contrapose exfalso left right split_ifs interval_cases " +
    "linear_combination abel group module change symm trans congr ext funext all_goals any_goals first try repeat skip sorry admit case next"
  ).split(" "),
);

const CLOSER_HEADS = new Set("linarith nlinarith positivity polyrith omega decide native_decide rfl exact exacts ring aesop tauto trivial assumption bound linear_combination abel simpa".split(" "));

/** The first word of a tactic (`norm_num [h₀]` → norm_num). */
export function tacticHead(tactic: string): string {
  return /^\s*([^\s\[(⟨<;]+)/.exec(tactic)?.[1] ?? "";
}

/**
 * The parser's complaint about a tactic (the text after `<input>:line:col: `), or null when it
 * parses: an empty text, an unknown head, or unbalanced brackets.
 */
export function tacticSyntaxError(tactic: string): string | null {
  if (tactic.trim() === "") return "1:0: unexpected end of input";
  if (!KNOWN_HEADS.has(tacticHead(tactic))) return "1:1: unknown tactic";
  const open = "([{⟨";
  const close = ")]}⟩";
  const stack: string[] = [];
  const cps = Array.from(tactic);
  for (const c of cps) {
    if (open.includes(c)) stack.push(close[open.indexOf(c)]!);
    else if (close.includes(c) && stack.pop() !== c) return `1:${cps.length}: unexpected token '${c}'; expected term`;
  }
  return stack.length > 0 ? `1:${cps.length}: unexpected end of input; expected '${stack[stack.length - 1]}'` : null;
}

export function classifyTactic(tactic: string): TacticClass {
  const t = tactic.trim();
  const head = tacticHead(t);
  if (t.includes("<;>") || CLOSER_HEADS.has(head)) return "closer";
  if (head === "have") return "have";
  if (head === "intro" || head === "intros" || head === "rintro") return "intro";
  if (head === "constructor") return "split";
  if (head === "rcases" || head === "obtain" || head === "cases") return "destruct";
  return "rewrite";
}

const HYP_NAME = /(?<![\p{L}\p{N}_'])h[₀-₉]+(?![\p{L}\p{N}_'])/gu;

/**
 * Subscripted hypothesis names (`h₃`) the tactic *uses*, leaving out those it introduces (the
 * name of a `have`, `intro` binders, `⟨…⟩` patterns of rcases / obtain).
 */
export function referencedHyps(tactic: string): string[] {
  let t = tactic.replace(/^\s*have\s+\S+\s*:/, "have :");
  if (/^\s*(intro|intros|rintro)\b/.test(t)) return [];
  if (/^\s*(rcases|obtain)\b/.test(t)) t = t.replace(/⟨[^⟩]*⟩/g, "");
  return [...new Set(t.match(HYP_NAME) ?? [])];
}
