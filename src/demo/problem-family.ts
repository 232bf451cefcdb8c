/**
 * Families of synthetic competition problems: the language their goals, facts and tactics are
 * written in. Texts only need to look like Lean (nobody elaborates them); numeric facts are kept
 * true where it is cheap to do so.
 */
import { hypLineName, hypName, type GoalState } from "./goal-state.js";
import type { Prng } from "../numeric/prng.js";

export const FAMILY_IDS = ["real_ineq", "real_eq", "nat_mod", "int_dvd", "func_eq"] as const;
export type FamilyId = (typeof FAMILY_IDS)[number];

export interface ProblemFamily {
  readonly id: FamilyId;
  /** A fresh problem: the theorem's initial goal state. */
  initial(rng: Prng): GoalState;
  /** A new main target in the family's language (what a rewriting tactic leaves behind). */
  target(rng: Prng, state: GoalState): string;
  /** A proposition worth a `have`. */
  fact(rng: Prng, state: GoalState): string;
  /** Tactic proving a `have` (the text after `:= by`). */
  factProof(rng: Prng, state: GoalState): string;
  /** Tactic closing the main goal. */
  closer(rng: Prng, state: GoalState): string;
  /** Tactic rewriting the main goal without closing it. */
  rewriter(rng: Prng, state: GoalState): string;
}

// ---------------------------------------------------------------- expression helpers

function coef(rng: Prng): number {
  return rng.pick([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 9]);
}

function scaled(c: number, body: string): string {
  return c === 1 ? body : `${c} * ${body}`;
}

function monomial(rng: Prng, names: readonly string[]): string {
  const v = rng.pick(names);
  const others = names.filter((n) => n !== v);
  const w = others.length > 0 ? rng.pick(others) : v;
  return rng.pick([v, `${v} ^ 2`, `${v} ^ 2`, `${v} ^ 3`, `${v} * ${w}`, `${v} ^ 2 * ${w}`, `${v} ^ 4`]);
}

/** c₁·m₁ ± c₂·m₂ ± … with nTerms terms. */
function polynomial(rng: Prng, names: readonly string[], nTerms: number): string {
  let out = scaled(coef(rng), monomial(rng, names));
  for (let i = 1; i < nTerms; i++) out += `${rng.bool(0.7) ? " + " : " - "}${scaled(coef(rng), monomial(rng, names))}`;
  return out;
}

/** `c₁ * x + c₂ * y` style linear form over names. */
function linear(coefs: readonly number[], names: readonly string[]): string {
  let out = "";
  coefs.forEach((c, i) => {
    if (c === 0) return;
    const name = names[i] ?? "x";
    const body = scaled(Math.abs(c), name);
    out += out === "" ? (c < 0 ? `-${body}` : body) : c < 0 ? ` - ${body}` : ` + ${body}`;
  });
  return out === "" ? "0" : out;
}

function pair(rng: Prng, names: readonly string[]): [string, string] {
  const v = rng.pick(names);
  const others = names.filter((n) => n !== v);
  return [v, others.length > 0 ? rng.pick(others) : v];
}

/** Hypothesis names whose proposition matches re (e.g. /^0 < / for positivity facts). */
function hypsMatching(state: GoalState, re: RegExp): string[] {
  return state.hyps.filter((h) => re.test(h.slice(h.indexOf(" : ") + 3))).map(hypLineName);
}

function hypLines(props: readonly string[], from = 0): string[] {
  return props.map((p, i) => `${hypName(from + i)} : ${p}`);
}

function state(binders: string[], names: string[], props: string[], target: string): GoalState {
  return { binders, hyps: hypLines(props), targets: [target], names, next_hyp: props.length };
}

// ---------------------------------------------------------------- real inequalities (Lean Workbook's bread and butter)

function realInequality(rng: Prng, names: readonly string[]): string {
  if (rng.bool(0.12)) {
    const [v, w] = pair(rng, names);
    return `${v} / ${w} + ${w} / ${v} ≥ 2`;
  }
  const lhs = polynomial(rng, names, rng.int(2, 3));
  const rhs = rng.bool(0.45) ? String(rng.int(0, 24)) : polynomial(rng, names, rng.int(1, 2));
  return `${lhs} ${rng.pick(["≥", "≥", "≤", ">", "<"])} ${rhs}`;
}

const realIneq: ProblemFamily = {
  id: "real_ineq",
  initial(rng) {
    const names = rng.pick([["x", "y"], ["a", "b"], ["a", "b", "c"], ["x", "y", "z"]]);
    const binders = [`${names.join(" ")} : ℝ`];
    const style = rng.next();
    const props: string[] = [];
    let target = realInequality(rng, names);
    if (style < 0.6) props.push(...names.map((n) => `0 < ${n}`));
    else if (style < 0.8) props.push(names.map((n) => `0 < ${n}`).join(" ∧ "));
    else {
      props.push(...names.slice(0, -1).map((n) => `0 < ${n}`));
      target = `0 < ${names[names.length - 1] ?? "x"} → ${target}`;
    }
    if (rng.bool(0.3)) props.push(rng.bool(0.5) ? `${names.join(" + ")} = ${names.length}` : `${names.join(" * ")} = 1`);
    if (rng.bool(0.1) && !target.includes(" → ")) target = `${target} ∧ ${realInequality(rng, names)}`;
    return state(binders, names, props, target);
  },
  target: (rng, s) => realInequality(rng, s.names),
  fact(rng, s) {
    const [v, w] = pair(rng, s.names);
    return rng.pick([
      `0 < ${v} * ${w}`,
      `0 ≤ (${v} - ${w}) ^ 2`,
      `0 < ${v} ^ 2 + ${w} ^ 2`,
      `${v} * ${w} ≤ (${v} ^ 2 + ${w} ^ 2) / 2`,
      `(${v} + ${w}) ^ 2 ≥ 4 * ${v} * ${w}`,
      realInequality(rng, s.names),
    ]);
  },
  factProof(rng, s) {
    const [v, w] = pair(rng, s.names);
    const pos = hypsMatching(s, /^0 < \w+$/);
    const options = ["positivity", `nlinarith [sq_nonneg (${v} - ${w})]`, `nlinarith [sq_nonneg (${v} + ${w}), sq_nonneg (${v} - ${w})]`];
    if (pos.length >= 2) options.push(`exact mul_pos ${pos[0]} ${pos[1]}`);
    return rng.pick(options);
  },
  closer(rng, s) {
    const [v, w] = pair(rng, s.names);
    const pos = hypsMatching(s, /^0 < \w+$/);
    const hints = [`sq_nonneg (${v} - ${w})`, `sq_nonneg (${v} + ${w})`];
    if (s.names.length >= 3) hints.push(`sq_nonneg (${s.names[1]} - ${s.names[2]})`);
    if (pos.length >= 2) hints.push(`mul_pos ${pos[0]} ${pos[1]}`);
    const some = hints.filter(() => rng.bool(0.7));
    return rng.pick([
      `nlinarith [${(some.length > 0 ? some : hints).join(", ")}]`,
      `nlinarith [${hints.join(", ")}]`,
      "linarith",
      "positivity",
      `nlinarith [sq_nonneg (${v} - ${w}), sq_abs (${v} - ${w})]`,
    ]);
  },
  rewriter(rng, s) {
    const pos = hypsMatching(s, /^0 < \w+$/);
    const options = ["ring_nf", "field_simp", "norm_num", "rw [ge_iff_le, ← sub_nonneg]", "simp only [mul_comm, mul_assoc, mul_left_comm]", "apply le_of_sub_nonneg", "rw [div_le_iff (by positivity)]"];
    if (pos.length >= 2) options.push(`rw [div_add_div _ _ (ne_of_gt ${pos[0]}) (ne_of_gt ${pos[1]})]`);
    if (s.next_hyp > 1) options.push(`ring_nf at ${hypName(s.next_hyp - 1)} ⊢`);
    return rng.pick(options);
  },
};

// ---------------------------------------------------------------- linear systems over ℝ

const realEq: ProblemFamily = {
  id: "real_eq",
  initial(rng) {
    const names = rng.pick([["x", "y"], ["a", "b"], ["x", "y"], ["x", "y", "z"]]);
    const sol = names.map(() => rng.int(-6, 9));
    const props: string[] = [];
    for (let e = 0; e < names.length; e++) {
      const cs = names.map(() => rng.int(-5, 7));
      const value = cs.reduce((acc, c, i) => acc + c * (sol[i] ?? 0), 0);
      props.push(`${linear(cs, names)} = ${value}`);
    }
    const [x, y] = [names[0] ?? "x", names[1] ?? "y"];
    const [sx, sy] = [sol[0] ?? 0, sol[1] ?? 0];
    const target = rng.pick([`${x} = ${sx}`, `${x} * ${y} = ${sx * sy}`, `${x} = ${sx} ∧ ${y} = ${sy}`, `${x} + ${y} = ${sx + sy}`]);
    return state([`${names.join(" ")} : ℝ`], names, props, target);
  },
  target(rng, s) {
    const cs = s.names.map(() => rng.int(-4, 6));
    return rng.bool(0.4) ? `${rng.pick(s.names)} = ${rng.int(-9, 12)}` : `${linear(cs, s.names)} = ${rng.int(-30, 40)}`;
  },
  fact(rng, s) {
    return rng.bool(0.6) ? `${rng.pick(s.names)} = ${rng.int(-9, 12)}` : `${linear(s.names.map(() => rng.int(-3, 5)), s.names)} = ${rng.int(-20, 30)}`;
  },
  factProof: (rng) => rng.pick(["linarith", "linarith [h₀, h₁]", "nlinarith [h₀, h₁]", "field_simp at h₀ ⊢; linarith"]),
  closer(rng, s) {
    const [v, w] = pair(rng, s.names);
    return rng.pick(["linarith", "linarith [h₀, h₁]", `nlinarith [h₀, h₁, sq_nonneg (${v} - ${w})]`, "norm_num [h₀, h₁]", "linarith [h₀]"]);
  },
  rewriter(rng, s) {
    const last = hypName(Math.max(0, s.next_hyp - 1));
    return rng.pick(["norm_num at h₀ h₁ ⊢", "ring_nf at h₀ ⊢", `rw [${last}] at h₀`, `simp only [${last}]`, "field_simp", `subst ${rng.pick(s.names)}`]);
  },
};

// ---------------------------------------------------------------- modular arithmetic over ℕ

function modulus(s: GoalState): number {
  for (const h of s.hyps) {
    const m = / % (\d+) = /.exec(h);
    if (m) return Number(m[1]);
  }
  return 7;
}

function modExpression(rng: Prng, names: readonly string[], p: number): string {
  const [v, w] = pair(rng, names);
  const a = rng.int(2, 9);
  const b = rng.int(1, 12);
  return rng.pick([
    `(${a} * ${v} + ${b}) % ${p}`,
    `${v} ^ 2 % ${p}`,
    `(${v} + ${w}) % ${p}`,
    `(${v} ^ 3 + ${b}) % ${p}`,
    `(${a} * (${v} % ${p}) + ${b}) % ${p}`,
    `(${v} % ${p}) ^ 2 % ${p}`,
  ]);
}

const natMod: ProblemFamily = {
  id: "nat_mod",
  initial(rng) {
    const names = rng.pick([["n"], ["n"], ["n", "m"], ["a", "b"]]);
    const p = rng.pick([3, 5, 7, 9, 11, 13]);
    const residues = names.map(() => rng.int(0, p - 1));
    const props = names.map((n, i) => `${n} % ${p} = ${residues[i]}`);
    const [v, r] = [names[0] ?? "n", residues[0] ?? 0];
    const a = rng.int(2, 9);
    const b = rng.int(1, 12);
    const target = rng.pick([
      `(${a} * ${v} + ${b}) % ${p} = ${(a * r + b) % p}`,
      `${v} ^ 2 % ${p} = ${(r * r) % p}`,
      `(${v} ^ 3 + ${b}) % ${p} = ${(r * r * r + b) % p}`,
    ]);
    return state([`${names.join(" ")} : ℕ`], names, props, target);
  },
  target(rng, s) {
    const p = modulus(s);
    return `${modExpression(rng, s.names, p)} = ${rng.int(0, p - 1)}`;
  },
  fact(rng, s) {
    const p = modulus(s);
    const v = rng.pick(s.names);
    return rng.pick([`${v} % ${p} < ${p}`, `${v} = ${p} * (${v} / ${p}) + ${v} % ${p}`, `${modExpression(rng, s.names, p)} = ${rng.int(0, p - 1)}`]);
  },
  factProof: (rng) => rng.pick(["omega", "exact Nat.mod_lt _ (by norm_num)", "simp [Nat.pow_mod, h₀]", "rw [Nat.mul_mod, h₀]", "exact (Nat.mod_add_div _ _).symm"]),
  closer: (rng) => rng.pick(["omega", "simp [Nat.add_mod, Nat.mul_mod, h₀]", "norm_num [Nat.pow_mod, Nat.mul_mod, h₀]", "decide", "simp [Nat.pow_succ, Nat.mul_mod, h₀]"]),
  rewriter(rng, s) {
    const p = modulus(s);
    return rng.pick(["rw [Nat.add_mod]", "rw [Nat.mul_mod, h₀]", "simp only [Nat.pow_succ, Nat.mul_mod, h₀]", "norm_num [Nat.add_mod]", `rw [← Nat.mod_add_div ${rng.pick(s.names)} ${p}]`, "ring_nf"]);
  },
};

// ---------------------------------------------------------------- divisibility over ℤ

function divisor(s: GoalState): number {
  for (const h of s.hyps.concat(s.targets)) {
    const m = /(\d+) ∣ /.exec(h);
    if (m) return Number(m[1]);
  }
  return 3;
}

const intDvd: ProblemFamily = {
  id: "int_dvd",
  initial(rng) {
    const names = rng.pick([["a", "b"], ["x", "y"], ["m", "n"]]);
    const d = rng.pick([2, 3, 4, 5, 6, 7]);
    const [v, w] = [names[0] ?? "a", names[1] ?? "b"];
    const props = [`${d} ∣ ${v}`];
    if (rng.bool(0.4)) props.push(`${d} ∣ ${w}`);
    const c = d * rng.int(1, 4);
    const target = rng.pick([`${d} ∣ ${v} * ${w} + ${c} * ${v}`, `${d * d} ∣ ${v} ^ 2`, `${d} ∣ ${v} ^ 2 + ${c} * ${w}`, `${d} ∣ ${v} * (${w} + ${rng.int(1, 9)})`]);
    return state([`${names.join(" ")} : ℤ`], names, props, target);
  },
  target(rng, s) {
    const d = divisor(s);
    const expr = polynomial(rng, s.names, rng.int(1, 3));
    return rng.bool(0.7) ? `${d} ∣ ${expr}` : `${expr} = ${d} * (${polynomial(rng, s.names, rng.int(1, 2))})`;
  },
  fact(rng, s) {
    const d = divisor(s);
    const [v, w] = pair(rng, s.names);
    return rng.pick([`${d} ∣ ${v} * ${w}`, `${d} ∣ ${d * rng.int(1, 5)} * ${w}`, `${d} ∣ ${v} ^ 2`]);
  },
  factProof: (rng) => rng.pick(["exact Dvd.dvd.mul_right h₀ _", "omega", "exact dvd_mul_of_dvd_left h₀ _", "exact Dvd.intro _ rfl"]),
  closer(rng, s) {
    const v = rng.pick(s.names);
    return rng.pick(["omega", "exact dvd_add (Dvd.dvd.mul_right h₀ _) (Dvd.intro _ rfl)", "decide", "exact Dvd.intro _ (by ring)", `exact ⟨${v} + ${rng.int(1, 6)}, by ring⟩`, "ring"]);
  },
  rewriter(rng, s) {
    const last = hypName(Math.max(0, s.next_hyp - 1));
    return rng.pick([`rw [${last}]`, "apply dvd_add", "ring_nf", "simp only [Int.add_emod, Int.mul_emod, h₀]", `use ${polynomial(rng, s.names, 2)}`, "apply Dvd.dvd.mul_right"]);
  },
};

// ---------------------------------------------------------------- functional equations with a closed form

function affineOf(s: GoalState): [number, number] {
  for (const h of s.hyps) {
    const m = /f x = (\d+) \* x \+ (\d+)/.exec(h);
    if (m) return [Number(m[1]), Number(m[2])];
  }
  return [2, 3];
}

const funcEq: ProblemFamily = {
  id: "func_eq",
  initial(rng) {
    const a = rng.int(2, 7);
    const b = rng.int(1, 11);
    const c = rng.int(0, 6);
    const f = (x: number): number => a * x + b;
    const type = rng.bool(0.7) ? "ℝ" : "ℕ";
    const props = [`∀ x, f x = ${a} * x + ${b}`];
    if (rng.bool(0.3)) props.push(`f 0 = ${b}`);
    const target = rng.pick([`f (f ${c}) = ${f(f(c))}`, `f ${c} = ${f(c)}`, `f ${c + 2} - f ${c} = ${f(c + 2) - f(c)}`]);
    return state([`f : ${type} → ${type}`], ["f"], props, target);
  },
  target(rng, s) {
    const [a, b] = affineOf(s);
    const c = rng.int(0, 9);
    return rng.pick([`${a} * ${c} + ${b} = ${a * c + b}`, `f ${c} = ${a * c + b}`, `${a} * (${a} * ${c} + ${b}) + ${b} = ${a * (a * c + b) + b}`, `f (${a} * ${c} + ${b}) = ${a * (a * c + b) + b}`]);
  },
  fact(rng, s) {
    const [a, b] = affineOf(s);
    const c = rng.int(0, 9);
    return `f ${c} = ${a * c + b}`;
  },
  factProof: (rng) => rng.pick(["norm_num [h₀]", "simp [h₀]", "rw [h₀]; norm_num", "linarith [h₀ 1]"]),
  closer: (rng) => rng.pick(["norm_num [h₀]", "simp [h₀]", "norm_num", "linarith [h₀ 1, h₀ 2]", "rfl"]),
  rewriter: (rng, s) => rng.pick(["rw [h₀]", "simp only [h₀]", "norm_num [h₀]", "ring_nf", `rw [${hypName(Math.max(0, s.next_hyp - 1))}]`]),
};

export const PROBLEM_FAMILIES: Readonly<Record<FamilyId, ProblemFamily>> = {
  real_ineq: realIneq,
  real_eq: realEq,
  nat_mod: natMod,
  int_dvd: intDvd,
  func_eq: funcEq,
};
