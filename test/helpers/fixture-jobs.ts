import path from "node:path";
import { fileURLToPath } from "node:url";
import type { JobSpec } from "../../src/jobs/index.js";

/** test/fixtures/jobs: the tiny protocol jobs (package burnqed_fixtures) the job-runner tests run. */
export const FIXTURE_JOBS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/jobs");

/** A JobSpec running burnqed_fixtures.<name> with `config` in `job_dir`, quietly; `extra` overrides. */
export function fixtureJobSpec(name: string, config: Record<string, unknown>, job_dir: string, extra: Partial<JobSpec> = {}): JobSpec {
  return { job: name, module: `burnqed_fixtures.${name}`, config, job_dir, python_modules: [], pythonpath: [FIXTURE_JOBS], display: "none", ...extra };
}
