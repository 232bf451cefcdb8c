/**
 * Headless notebook execution for `make reports`: each notebook runs in real Jupyter (nbclient,
 * tslab kernel) with the run's parameters injected, and its executed copy lands under
 * reports/<run>/notebooks/. A notebook is executed again only when it, the code, its parameters
 * or the freshness of its stages changed; records live in executions.json.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJson } from "../artifacts/json-file.js";
import { codeHashes, combinedCodeHash } from "../artifacts/code-version.js";
import { canonicalJson, sha256Text } from "../artifacts/hash.js";
import type { Run } from "../artifacts/run.js";
import { stageStatus } from "../artifacts/stage.js";
import { findPython } from "../jobs/find-python.js";
import { pipeline, NOTEBOOKS, type NotebookName } from "../stages/registry.js";
import { repoRoot } from "../util/repo-root.js";
import { checkTslabCompat } from "./tslab-compat.js";

export interface ExecutionRecord {
  readonly key: string;
  readonly executed_at: string;
  readonly wall_s: number;
}

export interface NotebookPlan {
  readonly notebook: NotebookName;
  readonly execute: boolean;
  readonly reasons: readonly string[];
  readonly key: string;
}

/** Code whose change re-executes every notebook (its stages still decide what actually runs). */
const NOTEBOOK_CODE = ["src", "python/burnqed", "scripts/tslab-kernel", "scripts/lab.cjs", "package-lock.json"];

export function notebookParams(run: Run): Record<string, string | number> {
  const c = run.config;
  return {
    run_id: c.run_id,
    profile: c.profile,
    runs_dir: c.runs_dir,
    reports_dir: c.reports_dir,
    seed: c.demo.seed,
    n_theorems: c.demo.n_theorems,
    n_search_theorems: c.demo.n_search_theorems,
    dim: c.demo.dim,
    force: c.force.join(","),
    recipe: c.recipe_overrides.join("; "),
  };
}

function readRecords(run: Run): Record<string, ExecutionRecord> {
  const p = run.paths.reports.notebook_records;
  if (!existsSync(p)) return {};
  try {
    return JSON.parse(readFileSync(p, "utf8")) as Record<string, ExecutionRecord>;
  } catch {
    return {};
  }
}

export function notebookKey(run: Run, notebook: NotebookName, codeHash: string): string {
  const nb = readFileSync(join(repoRoot(), "notebooks", `${notebook}.ipynb`));
  return sha256Text(canonicalJson({ nb: sha256Text(nb), params: notebookParams(run), code: codeHash }));
}

export function planNotebook(run: Run, notebook: NotebookName, codeHash: string): NotebookPlan {
  const key = notebookKey(run, notebook, codeHash);
  const rec = readRecords(run)[notebook];
  const reasons: string[] = [];
  if (run.config.force.length > 0) reasons.push(`forced stages: ${run.config.force.join(", ")}`);
  if (!rec) reasons.push("never executed");
  else if (rec.key !== key) reasons.push("notebook, parameters or code changed");
  if (!existsSync(join(run.paths.reports.notebooks_dir, `${notebook}.ipynb`))) reasons.push("executed copy missing");
  for (const e of pipeline(run).filter((x) => x.notebook === notebook)) {
    const s = stageStatus(run, e.spec);
    if (s.state !== "fresh") reasons.push(`stage ${e.spec.name} ${s.state}`);
  }
  return { notebook, execute: reasons.length > 0, reasons: [...new Set(reasons)], key };
}

export function notebookCodeHash(): string {
  return combinedCodeHash(codeHashes(NOTEBOOK_CODE));
}

/** Execute one notebook headless; rejects with the notebook, cell and error on failure. */
export async function executeNotebook(run: Run, notebook: NotebookName, key: string): Promise<ExecutionRecord> {
  const root = repoRoot();
  const python = await findPython({ modules: ["nbclient", "nbformat"] });
  const out = join(run.paths.reports.notebooks_dir, `${notebook}.ipynb`);
  const t0 = performance.now();
  const env = {
    ...process.env,
    JUPYTER_PATH: process.env["JUPYTER_PATH"] ?? join(root, ".jupyter"),
    PYTHONPATH: join(root, "python"),
    BURNQED_DISPLAY: "notebook",
  };
  if (!existsSync(join(env.JUPYTER_PATH, "kernels", "burnqed-ts", "kernel.json"))) {
    throw new Error(`no Jupyter kernel spec 'burnqed-ts' under ${env.JUPYTER_PATH}; run scripts/install-kernel.sh (make setup does)`);
  }
  const args = ["-m", "burnqed.notebook_exec", "--notebook", join(root, "notebooks", `${notebook}.ipynb`), "--out", out, "--params", JSON.stringify(notebookParams(run)), "--cwd", root];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(python, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  if (code !== 0) {
    // tslab reports a compile error of an imported module as an empty <Error>: say what it is
    const compile = checkTslabCompat("src/lab.ts").map((p) => `  ${p.file}:${p.line} ${p.message.split("\n")[0]}`);
    const why = compile.length ? `\nsrc/lab.ts does not compile under tslab's TypeScript (the notebooks' kernel):\n${compile.slice(0, 10).join("\n")}` : "";
    throw new Error(`notebook ${notebook} failed (exit ${code}); see the error above and the partial copy ${out.replace(/\.ipynb$/, ".failed.ipynb")}${why}`);
  }
  const rec: ExecutionRecord = { key, executed_at: new Date().toISOString(), wall_s: (performance.now() - t0) / 1000 };
  const all = { ...readRecords(run), [notebook]: rec };
  writeJson(run.paths.reports.notebook_records, all);
  return rec;
}

export { NOTEBOOKS };
