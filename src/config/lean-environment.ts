/**
 * Where a real run finds Lean and its datasets, from the environment (one place):
 *   BURNQED_REPL          REPL command (default "lake env repl")
 *   BURNQED_LEAN_PROJECT  folder the REPL runs in (lean-toolchain, lake-manifest.json)
 *   BURNQED_DATASETS      "format=path,format=path" (default: the catalog folders present in the run)
 * These describe the machine, and they decide results (another Lean, other data), so they are part
 * of the stages' keys.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Run } from "../artifacts/run.js";
import { DATASET_CATALOG, DATASET_FORMATS, type DatasetFormat } from "../data/dataset-catalog.js";
import type { DatasetInput } from "../data/ingest-datasets.js";
import { replCommand } from "../lean/repl-command.js";

export interface LeanEnvironment {
  readonly repl_argv: readonly string[];
  readonly lean_project: string | null;
}

export function leanEnvironment(env: NodeJS.ProcessEnv = process.env): LeanEnvironment {
  return { repl_argv: replCommand(env["BURNQED_REPL"] ?? "lake env repl").argv, lean_project: env["BURNQED_LEAN_PROJECT"] || null };
}

function parseDatasetsEnv(value: string, run: Run): DatasetInput[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const eq = item.indexOf("=");
      const format = item.slice(0, eq) as DatasetFormat;
      if (eq < 0 || !DATASET_FORMATS.includes(format)) throw new Error(`BURNQED_DATASETS: '${item}' is not format=path (formats: ${DATASET_FORMATS.join(", ")})`);
      const p = item.slice(eq + 1);
      return { format, path: isAbsolute(p) ? p : resolve(run.paths.root, p) };
    });
}

/** The datasets a real run ingests: BURNQED_DATASETS, or the catalog folders present in the run. */
export function datasetInputs(run: Run, env: NodeJS.ProcessEnv = process.env): DatasetInput[] {
  const v = env["BURNQED_DATASETS"];
  if (v) return parseDatasetsEnv(v, run);
  return DATASET_CATALOG.flatMap((c) => {
    const abs = run.paths.abs(run.paths.data.downloads[c.format]);
    return existsSync(abs) ? [{ format: c.format, path: abs }] : [];
  });
}
