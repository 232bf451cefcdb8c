import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRun, type Run } from "../../src/artifacts/run.js";

/** A throwaway run under a fresh temp folder. */
export function tmpRun(opts: { run_id?: string; force?: string[] } = {}): { run: Run; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "burnqed-test-"));
  const run = openRun({ run_id: opts.run_id ?? "t", profile: "demo", runs_dir: join(dir, "runs"), reports_dir: join(dir, "reports"), force: opts.force ?? [] });
  return { run, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function tmpDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "burnqed-test-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
