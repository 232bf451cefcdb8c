/**
 * The stage registry is the one list of stages: every entry builds in the profiles it names, under
 * its own name, with a code module that is the file that builds it; notebooks run exactly their
 * entries (nb-check), and nb-sync adds the cell of a new entry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkNotebook } from "../../src/notebooks/nb-check.js";
import { syncNotebook } from "../../src/notebooks/nb-sync.js";
import { NOTEBOOKS, STAGES, STAGE_NAMES, notebookStages, pipeline, stageSpec, type StageEntry } from "../../src/stages/registry.js";
import { repoRoot } from "../../src/util/repo-root.js";
import { stageCodeFiles } from "../../src/artifacts/code-closure.js";

test("stage names are unique", () => {
  assert.equal(new Set(STAGE_NAMES).size, STAGE_NAMES.length);
});

test("each profile's pipeline: names match, order is the registry's, code modules are the files that build them", async () => {
  const { openRun } = await import("../../src/artifacts/run.js");
  const { dir, cleanup } = (await import("../helpers/tmp-run.js")).tmpDir();
  try {
    const stagesDir = join(repoRoot(), "src/stages");
    const modules = new Map<string, string>();
    for (const f of readdirSync(stagesDir)) {
      const m = /const MODULE = "([^"]+)"/.exec(readFileSync(join(stagesDir, f), "utf8"));
      if (m) modules.set(`src/stages/${f}`, m[1]!);
    }
    for (const [file, declared] of modules) assert.equal(declared, file, `${file} declares MODULE = "${declared}"`);
    for (const profile of ["demo", "real"] as const) {
      const run = openRun({ run_id: `reg-${profile}`, profile, runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports") });
      const names = pipeline(run).map((e) => e.spec.name);
      const expected = (STAGES as readonly StageEntry[]).filter((e) => (profile === "demo" ? e.demo : e.real) !== null).map((e) => e.name);
      assert.deepEqual(names, expected, profile);
      for (const e of pipeline(run)) assert.ok(modules.has(e.spec.code.module), `${e.spec.name}: code module ${e.spec.code.module} is not a src/stages file declaring MODULE`);
      // every declared Python job resolves to a file (its closure enters the key)
      for (const e of pipeline(run)) assert.doesNotThrow(() => stageCodeFiles(e.spec.code), `${e.spec.name} (${profile})`);
      assert.equal(stageSpec(run, "demo/world") === null, profile === "real");
    }
  } finally {
    cleanup();
  }
});

test("the repository's notebooks run exactly their registry stages; a missing or extra one is named", () => {
  for (const nb of NOTEBOOKS) {
    const json = JSON.parse(readFileSync(join(repoRoot(), "notebooks", `${nb}.ipynb`), "utf8")) as { cells: Array<{ cell_type: string; source: string }> };
    assert.deepEqual(checkNotebook(`${nb}.ipynb`, json as never), [], nb);
    const calls = json.cells.filter((c) => c.cell_type === "code").flatMap((c) => [...c.source.matchAll(/lab\.stage\(run, "([^"]+)"\)/g)].map((m) => m[1]));
    assert.deepEqual(calls, notebookStages(nb));
  }
  const nb = JSON.parse(readFileSync(join(repoRoot(), "notebooks", "01_sft_search.ipynb"), "utf8")) as { cells: Array<{ cell_type: string; source: string }> };
  const without = { ...nb, cells: nb.cells.filter((c) => !c.source.includes('"iter_0/trajectory-stats"')) };
  assert.match(checkNotebook("01_sft_search.ipynb", without as never).map((v) => v.rule).join("\n"), /must run its registry stages in order: iter_0\/sft-seed, iter_0\/sft, iter_0\/merge, iter_0\/search, iter_0\/trajectory-stats, iter_0\/minif2f \(runs: iter_0\/sft-seed, iter_0\/sft, iter_0\/merge, iter_0\/search, iter_0\/minif2f\); 'npx burnqed nb-sync' adds missing cells/);
  const extra = { ...nb, cells: [...nb.cells, { cell_type: "code", source: 'lab.show(run, await lab.stage(run, "iter_9/nothing"));', metadata: {}, outputs: [] }] };
  assert.match(checkNotebook("01_sft_search.ipynb", extra as never).map((v) => v.rule).join("\n"), /runs 'iter_9\/nothing', which is not a registry stage/);
});

test("nb-sync puts a missing stage's cell after the previous stage's cell, and nothing else changes", () => {
  const nb = JSON.parse(readFileSync(join(repoRoot(), "notebooks", "01_sft_search.ipynb"), "utf8")) as { cells: Array<{ cell_type: string; source: string }> };
  const at = nb.cells.findIndex((c) => c.source.includes('"iter_0/trajectory-stats"'));
  const without = { ...nb, cells: nb.cells.filter((_, i) => i !== at) };
  const { nb: synced, result } = syncNotebook("01_sft_search", without);
  assert.deepEqual(result.added, ["iter_0/trajectory-stats"]);
  const cells = synced.cells as Array<{ cell_type: string; source: string }>;
  const search = cells.findIndex((c) => c.source.includes('"iter_0/search"'));
  assert.equal(cells[search + 1]!.source, "### iter_0/trajectory-stats");
  assert.equal(cells[search + 2]!.source, 'lab.show(run, await lab.stage(run, "iter_0/trajectory-stats"));');
  assert.equal(cells.length, without.cells.length + 2);
  assert.deepEqual(checkNotebook("01_sft_search.ipynb", synced as never), []);
  assert.deepEqual(syncNotebook("01_sft_search", nb).result.added, [], "an up-to-date notebook is left alone");
  // a missing first stage goes before the next stage's cell and its heading
  const first = nb.cells.findIndex((c) => c.source.includes('"iter_0/sft-seed"'));
  const noFirst = { ...nb, cells: nb.cells.filter((_, i) => i !== first) };
  const s2 = syncNotebook("01_sft_search", noFirst).nb.cells as Array<{ cell_type: string; source: string }>;
  const sft = s2.findIndex((c) => c.source.includes('"iter_0/sft"'));
  assert.equal(s2[sft - 2]!.source, 'lab.show(run, await lab.stage(run, "iter_0/sft-seed"));');
  assert.equal(s2[sft - 1]!.cell_type, "markdown", "the next stage keeps its heading");
  assert.deepEqual(checkNotebook("01_sft_search.ipynb", s2.length ? ({ ...noFirst, cells: s2 } as never) : (noFirst as never)), []);
});
