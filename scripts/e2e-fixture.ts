/**
 * The real profile's end-to-end fixture (issue 12): theorems of the synthetic Lean written in the
 * real datasets' formats, the synthetic world that elaborates them, and the texts a tokenizer is
 * trained on. Nothing here is read by the pipeline except through the real ingest / trace / search
 * paths: the datasets go in through BURNQED_DATASETS, the world through BURNQED_REPL.
 *
 *   node --import tsx scripts/e2e-fixture.ts --out DIR [--n-train 30] [--n-minif2f 16] [--seed 7]
 *
 * Writes DIR/world.json, DIR/datasets/{goedel,numinamath,minif2f}/…jsonl (Goedel-LM/Lean-workbook-proofs
 * rows {problem_id, full_proof}; NuminaMath-LEAN rows {uuid, formal_statement, formal_proof};
 * DeepSeek-style miniF2F rows {name, split, header, formal_statement `… := by`}), DIR/texts.txt
 * (every state and tactic, one per line, for the tokenizer). bench/e2e-real-run.sh points
 * BURNQED_DATASETS and BURNQED_REPL at them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateSyntheticProblems, syntheticProofText, SYNTHETIC_HEADER, type SyntheticProblem } from "../src/demo/synthetic/synthetic-problems.js";
import { writeSyntheticWorldFile } from "../src/demo/synthetic/synthetic-world-file.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const out = resolve(flag("out", ""));
if (!flag("out", "")) throw new Error("usage: e2e-fixture.ts --out DIR [--n-train 30] [--n-minif2f 16] [--seed 7]");
const nTrain = Number(flag("n-train", "30"));
const nMini = Number(flag("n-minif2f", "16"));
const seed = Number(flag("seed", "7"));
// short proofs: a small model trained briefly can learn them, and the search can find them
const train = generateSyntheticProblems({ seed, n_theorems: nTrain, min_length: 1, max_length: 3, name_prefix: "e2e" });
const mini = generateSyntheticProblems({ seed: seed + 1, n_theorems: nMini, min_length: 1, max_length: 3, name_prefix: "mathd_e2e" });
const world = { seed, p_tactic_error: 0.5, problems: [...train, ...mini] };
mkdirSync(out, { recursive: true });
writeSyntheticWorldFile(join(out, "world.json"), world);

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const full = (p: SyntheticProblem) => `${p.header}\n\n${p.statement} by\n${syntheticProofText(p.tactics)}\n`;
const goedel = train.filter((_, i) => i % 3 !== 2);
const numina = train.filter((_, i) => i % 3 === 2);
for (const d of ["goedel", "numinamath", "minif2f"]) mkdirSync(join(out, "datasets", d), { recursive: true });
writeFileSync(join(out, "datasets/goedel/lean_workbook_proofs.jsonl"), jsonl(goedel.map((p) => ({ problem_id: p.name, full_proof: full(p) }))));
writeFileSync(
  join(out, "datasets/numinamath/numinamath_lean.jsonl"),
  jsonl(numina.map((p, i) => ({ uuid: `e2e-${i}`, formal_statement: `${p.header}\n\n${p.statement} by sorry`, formal_proof: `${p.header}\n\n${p.statement} by\n${syntheticProofText(p.tactics)}` }))),
);
writeFileSync(
  join(out, "datasets/minif2f/minif2f.jsonl"),
  jsonl(mini.map((p, i) => ({ name: p.name, split: i % 4 === 3 ? "valid" : "test", informal_prefix: "", header: p.header, formal_statement: `${p.statement} by`, goal: p.states[0] }))),
);
writeFileSync(join(out, "texts.txt"), [...world.problems.flatMap((p) => [...p.states, ...p.tactics, p.statement]), SYNTHETIC_HEADER].join("\n") + "\n");
const steps = world.problems.reduce((s, p) => s + p.tactics.length, 0);
console.log(`e2e fixture in ${out}: ${train.length} training theorems (${goedel.length} Goedel rows, ${numina.length} NuminaMath rows), ${mini.length} miniF2F-format theorems (${mini.filter((_, i) => i % 4 !== 3).length} test), ${steps} proof steps`);
