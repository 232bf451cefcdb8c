import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as lab from "../../src/lab.js";

// The notebooks import scripts/lab.cjs (src/lab.ts bundled by esbuild): it must load under plain
// CommonJS (no import.meta, no top-level await in src) and export what src/lab.ts exports.

test("scripts/lab.cjs bundles src/lab.ts: it loads as CommonJS and exports the same functions", () => {
  const req = createRequire(join(process.cwd(), "package.json"));
  const bundled = req("./scripts/lab.cjs") as Record<string, unknown>;
  const want = Object.keys(lab).filter((k) => typeof (lab as Record<string, unknown>)[k] === "function").sort();
  const got = Object.keys(bundled).filter((k) => typeof bundled[k] === "function").sort();
  assert.deepEqual(got, want);
  assert.ok(want.includes("openRun") && want.includes("stage"));
});

test("every notebook imports the bundle, not src/lab.js (tslab would compile the whole graph: ~9 s a notebook)", () => {
  for (const f of readdirSync("notebooks").filter((n) => n.endsWith(".ipynb"))) {
    const cells = (JSON.parse(readFileSync(join("notebooks", f), "utf8")) as { cells: Array<{ source: string | string[] }> }).cells;
    const code = cells.map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source)).join("\n");
    assert.match(code, /import \* as lab from "\.\/scripts\/lab\.cjs"/, f);
    assert.doesNotMatch(code, /from "\.\/src\/lab\.js"/, f);
  }
});
