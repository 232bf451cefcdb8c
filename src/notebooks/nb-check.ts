/**
 * The notebook check: notebooks orchestrate, `src/` computes (style rule 1). A notebook fails when
 * a cell defines a function or class, loops over data, hard-codes a path, makes more than one stage
 * call, or when it has no single first `parameters` cell, or is committed with outputs. A
 * notebook of the pipeline must run exactly its registry stages (src/stages/registry.ts), in order,
 * by name (`lab.stage(run, "<name>")`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NOTEBOOKS, STAGE_NAMES, notebookStages, type NotebookName } from "../stages/registry.js";

export interface NbViolation {
  readonly notebook: string;
  /** 1-based index among all cells; 0 for notebook-level problems. */
  readonly cell: number;
  readonly rule: string;
  readonly excerpt: string;
}

interface NbCell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[] };
  outputs?: unknown[];
}

interface Notebook {
  cells: NbCell[];
  metadata?: { kernelspec?: { name?: string } };
}

export const NOTEBOOK_KERNEL = "burnqed-ts";

const CODE_RULES: ReadonlyArray<{ rule: string; re: RegExp }> = [
  { rule: "defines a function", re: /\bfunction\b|=>/ },
  { rule: "defines a class", re: /\bclass\s+[A-Za-z_$]/ },
  { rule: "loops over data", re: /\bfor\s*\(|\bwhile\s*\(|\bdo\s*\{|\.(forEach|map|reduce|filter|flatMap)\s*\(/ },
  // tslab (1.0.22) does not resolve a shorthand property that names a variable of an earlier cell.
  { rule: "uses a shorthand property (tslab cannot resolve `{ name }` across cells; write `{ name: name }`)", re: /[{,]\s*[A-Za-z_$][\w$]*\s*(?=[,}])/ },
];

const PATH_LIKE = /^(\.{0,2}\/|[A-Za-z]:\\|~\/)|\/[^/\s]+|\.(arrow|npy|json|jsonl|ipynb|md|html|svg|png|pt|onnx|parquet|lean|csv)$/i;

function sourceOf(c: NbCell): string {
  return Array.isArray(c.source) ? c.source.join("") : c.source;
}

/** String literals outside import lines. */
function stringLiterals(code: string): string[] {
  const out: string[] = [];
  for (const line of code.split("\n")) {
    if (/^\s*import\b/.test(line) || /\bimport\s*\(/.test(line)) continue;
    const re = /(["'`])((?:\\.|(?!\1).)*)\1/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line)) !== null) out.push(m[2]!);
  }
  return out;
}

function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

export function checkNotebook(name: string, nb: Notebook): NbViolation[] {
  const v: NbViolation[] = [];
  const add = (cell: number, rule: string, excerpt = "") => v.push({ notebook: name, cell, rule, excerpt: excerpt.slice(0, 120) });
  if (nb.metadata?.kernelspec?.name !== NOTEBOOK_KERNEL) add(0, `kernel must be '${NOTEBOOK_KERNEL}'`, String(nb.metadata?.kernelspec?.name));
  const code = nb.cells.map((c, i) => ({ c, i: i + 1 })).filter(({ c }) => c.cell_type === "code");
  const params = code.filter(({ c }) => c.metadata?.tags?.includes("parameters"));
  if (params.length !== 1) add(0, `needs exactly one cell tagged 'parameters' (found ${params.length})`);
  else if (params[0] !== code[0]) add(params[0]!.i, "the parameters cell must be the first code cell");
  for (const { c, i } of code) {
    const src = stripComments(sourceOf(c));
    if ((c.outputs ?? []).length > 0) add(i, "committed with outputs (executed copies belong in reports/)");
    if (c.metadata?.tags?.includes("parameters")) {
      for (const line of src.split("\n")) {
        if (!line.trim()) continue;
        if (!/^\s*const\s+[a-z_][a-z0-9_]*\s*=\s*("[^"\\/]*"|-?\d+(\.\d+)?(e-?\d+)?|true|false)\s*;\s*$/.test(line)) {
          add(i, "parameters cell may only hold `const name = <string|number|boolean>;` lines (no paths)", line.trim());
        }
      }
      continue;
    }
    for (const { rule, re } of CODE_RULES) {
      const m = re.exec(src);
      if (m) add(i, rule, lineAround(src, m.index));
    }
    for (const s of stringLiterals(src)) {
      if (PATH_LIKE.test(s) && !STAGE_NAME_SET.has(s)) add(i, "hard-codes a path (paths come from src/config run paths)", s);
    }
    const awaits = (src.match(/\bawait\b/g) ?? []).length;
    if (awaits > 1) add(i, `makes ${awaits} awaited calls (one stage call per cell)`, src.trim().split("\n")[0] ?? "");
  }
  const base = name.replace(/\.ipynb$/, "");
  if ((NOTEBOOKS as readonly string[]).includes(base)) checkStages(base as NotebookName, code.map(({ c }) => stripComments(sourceOf(c))).join("\n"), add);
  return v;
}

const STAGE_NAME_SET = new Set<string>(STAGE_NAMES);

/** The notebook's `lab.stage(run, "…")` calls must be its registry stages, each once, in registry order. */
function checkStages(notebook: NotebookName, code: string, add: (cell: number, rule: string, excerpt?: string) => void): void {
  const called = [...code.matchAll(/lab\.stage\(\s*run\s*,\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!);
  for (const n of called) if (!STAGE_NAME_SET.has(n)) add(0, `runs '${n}', which is not a registry stage (src/stages/registry.ts)`);
  const expected = notebookStages(notebook);
  if (called.join(",") !== expected.join(",")) {
    add(0, `must run its registry stages in order: ${expected.join(", ")} (runs: ${called.join(", ") || "none"}); 'npx burnqed nb-sync' adds missing cells`);
  }
}

function lineAround(src: string, idx: number): string {
  const start = src.lastIndexOf("\n", idx) + 1;
  const end = src.indexOf("\n", idx);
  return src.slice(start, end < 0 ? undefined : end).trim();
}

export function checkNotebookDir(dir: string): { notebooks: string[]; violations: NbViolation[] } {
  const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
  const violations: NbViolation[] = [];
  for (const f of notebooks) {
    let nb: Notebook;
    try {
      nb = JSON.parse(readFileSync(join(dir, f), "utf8")) as Notebook;
    } catch (e) {
      violations.push({ notebook: f, cell: 0, rule: `not valid notebook JSON: ${(e as Error).message}`, excerpt: "" });
      continue;
    }
    violations.push(...checkNotebook(f, nb));
  }
  return { notebooks, violations };
}

export function formatViolations(vs: readonly NbViolation[]): string {
  return vs.map((x) => `${x.notebook}${x.cell ? ` cell ${x.cell}` : ""}: ${x.rule}${x.excerpt ? ` — ${x.excerpt}` : ""}`).join("\n");
}
