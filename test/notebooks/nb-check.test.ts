import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkNotebook, checkNotebookDir, NOTEBOOK_KERNEL } from "../../src/notebooks/nb-check.js";

function nb(cells: Array<{ src: string; tags?: string[]; outputs?: unknown[] }>) {
  return {
    metadata: { kernelspec: { name: NOTEBOOK_KERNEL } },
    cells: cells.map((c) => ({ cell_type: "code", source: c.src, metadata: c.tags ? { tags: c.tags } : {}, outputs: c.outputs ?? [] })),
  };
}

const PARAMS = { src: 'const run_id = "demo";\nconst seed = 1;', tags: ["parameters"] };

test("the committed notebooks pass the check", () => {
  const { notebooks, violations } = checkNotebookDir(join(process.cwd(), "notebooks"));
  assert.deepEqual(notebooks, ["00_data.ipynb", "01_sft_search.ipynb", "02_embeddings_ebm.ipynb", "03_joint.ipynb", "04_evaluation.ipynb"]);
  assert.deepEqual(violations, []);
});

test("a thin notebook passes", () => {
  const v = checkNotebook("ok.ipynb", nb([PARAMS, { src: 'import * as lab from "./src/lab.js";\nconst run = lab.openRun({ run_id: run_id });' }, { src: "lab.show(run, await lab.trace(run));" }]));
  assert.deepEqual(v, []);
});

test("functions, classes, loops, hard-coded paths and double stage calls fail, naming the cell", () => {
  const cases: Array<[string, RegExp]> = [
    ["function f() { return 1; }", /defines a function/],
    ["const f = (x: number) => x + 1;", /defines a function/],
    ["class Foo {}", /defines a class/],
    ["for (const r of rows) console.log(r);", /loops over data/],
    ["rows.map(String);", /loops over data/],
    ['lab.readTable("runs/demo/data/theorems.arrow");', /hard-codes a path/],
    ['lab.load("stats.json");', /hard-codes a path/],
    ["lab.show(run, await lab.a(run));\nlab.show(run, await lab.b(run));", /2 awaited calls/],
    ["const run = lab.openRun({ run_id, profile: profile });", /shorthand property/],
  ];
  for (const [src, re] of cases) {
    const v = checkNotebook("bad.ipynb", nb([PARAMS, { src }]));
    assert.equal(v.length, 1, `${src} → ${JSON.stringify(v)}`);
    assert.match(v[0]!.rule, re);
    assert.equal(v[0]!.cell, 2);
  }
});

test("parameters: exactly one, first, literals only; no outputs; right kernel", () => {
  assert.match(checkNotebook("x", nb([{ src: "lab.x();" }]))[0]!.rule, /exactly one cell tagged 'parameters'/);
  assert.match(checkNotebook("x", nb([{ src: "lab.x();" }, PARAMS]))[0]!.rule, /must be the first code cell/);
  assert.match(checkNotebook("x", nb([{ src: 'const out = "/data/x";', tags: ["parameters"] }]))[0]!.rule, /parameters cell may only hold/);
  assert.match(checkNotebook("x", nb([PARAMS, { src: "lab.x();", outputs: [{ output_type: "stream" }] }]))[0]!.rule, /committed with outputs/);
  const wrongKernel = { ...nb([PARAMS]), metadata: { kernelspec: { name: "python3" } } };
  assert.match(checkNotebook("x", wrongKernel)[0]!.rule, /kernel must be 'burnqed-ts'/);
});
