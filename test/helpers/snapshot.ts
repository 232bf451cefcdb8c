import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Compares `actual` with `<dir>/__snapshots__/<name>` (dir: the test file's folder, e.g.
 * "test/report"); UPDATE_SNAPSHOTS=1 rewrites the snapshot instead.
 */
export function matchSnapshot(dir: string, name: string, actual: string): void {
  const path = join(process.cwd(), dir, "__snapshots__", name);
  if (process.env["UPDATE_SNAPSHOTS"] === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual, "utf8");
    return;
  }
  assert.ok(existsSync(path), `snapshot ${path} is missing: run the tests with UPDATE_SNAPSHOTS=1`);
  assert.equal(actual, readFileSync(path, "utf8"), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 rewrites it)`);
}
