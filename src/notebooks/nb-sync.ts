/**
 * `burnqed nb-sync`: give every pipeline notebook a cell for each of its registry stages
 * (src/stages/registry.ts). A stage added to the registry gets its cell
 * `lab.show(run, await lab.stage(run, "<name>"));` (under a `### <name>` heading) right after the
 * cell of the stage before it, or before the notebook's status cell; nothing else is touched.
 * Stages a notebook calls that the registry no longer has are reported, not deleted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../artifacts/atomic-write.js";
import { NOTEBOOKS, notebookStages, STAGE_NAMES, type NotebookName } from "../stages/registry.js";

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
}

interface Notebook {
  cells: Cell[];
  [k: string]: unknown;
}

const STAGE_CALL = /lab\.stage\(\s*run\s*,\s*"([^"]+)"\s*\)/;

const text = (c: Cell): string => (Array.isArray(c.source) ? c.source.join("") : c.source);

export interface SyncResult {
  readonly notebook: NotebookName;
  readonly added: string[];
  /** Called in the notebook but not a registry stage of it. */
  readonly stray: string[];
}

/** Insert the missing stage cells (pure: returns a new notebook). */
export function syncNotebook(notebook: NotebookName, nb: Notebook): { nb: Notebook; result: SyncResult } {
  const cells = [...nb.cells];
  const expected = notebookStages(notebook);
  const calledAt = (name: string) => cells.findIndex((c) => c.cell_type === "code" && STAGE_CALL.exec(text(c))?.[1] === name);
  const added: string[] = [];
  expected.forEach((name, i) => {
    if (calledAt(name) >= 0) return;
    const prev = expected.slice(0, i).reverse().map(calledAt).find((at) => at >= 0);
    const next = expected.slice(i + 1).map(calledAt).find((at) => at >= 0);
    const status = cells.findIndex((c) => c.cell_type === "code" && /lab\.status\(/.test(text(c)));
    const before = (k: number) => (k > 0 && cells[k - 1]!.cell_type === "markdown" ? k - 1 : k);
    // after the previous stage's cell; else before the next stage's cell (and its heading); else
    // before the status cell's heading; else at the end
    const at = prev !== undefined ? prev + 1 : next !== undefined ? before(next) : status >= 0 ? before(status) : cells.length;
    const id = `${notebook.slice(0, 2)}-${name.replace(/[^A-Za-z0-9]+/g, "-")}`;
    cells.splice(
      at,
      0,
      { cell_type: "markdown", id: `${id}-md`, metadata: {}, source: `### ${name}` },
      { cell_type: "code", id, metadata: {}, execution_count: null, outputs: [], source: `lab.show(run, await lab.stage(run, "${name}"));` },
    );
    added.push(name);
  });
  const mine = new Set<string>(expected);
  const stray = cells.flatMap((c) => {
    const m = c.cell_type === "code" ? STAGE_CALL.exec(text(c)) : null;
    return m && !mine.has(m[1]!) ? [m[1]!] : [];
  });
  return { nb: { ...nb, cells }, result: { notebook, added, stray } };
}

export function syncNotebookDir(dir: string): SyncResult[] {
  return NOTEBOOKS.map((name) => {
    const path = join(dir, `${name}.ipynb`);
    const before = JSON.parse(readFileSync(path, "utf8")) as Notebook;
    const { nb, result } = syncNotebook(name, before);
    if (result.added.length) writeFileAtomic(path, JSON.stringify(nb, null, 1) + "\n");
    return result;
  });
}

export { STAGE_NAMES };
