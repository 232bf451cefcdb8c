/**
 * What the notebooks import: open a run, run one stage per cell by its registry name, show its
 * result, list the stages' status. Every stage a notebook can run is an entry of
 * src/stages/registry.ts; nothing here decides which implementation a profile uses.
 */
import { openRun as open, type Run } from "./artifacts/run.js";
import { defaultArchiveDir, openArchivedRun } from "./artifacts/archive.js";
import { runStage, stageStatus, type StageOutcome } from "./artifacts/stage.js";
import { isDemo, type RunConfigInput } from "./config/run-config.js";
import type { IterName } from "./config/run-paths.js";
import { show as showOutcome, showNotInProfile, showStatus } from "./notebooks/show.js";
import { pipeline, stageSpec, type NotebookName, type StageName } from "./stages/registry.js";

export type { Run, IterName, StageName };

/** Open (or create) the run the notebook's parameters name. */
export function openRun(input: RunConfigInput): Run {
  const run = open(input);
  const overrides = run.config.recipe_overrides.length ? `; recipe overrides: ${run.config.recipe_overrides.join("; ")}` : "";
  console.log(`run '${run.config.run_id}' (profile ${run.config.profile}${isDemo(run.config) ? " — DEMO: synthetic data" : ""}) at ${run.paths.root}${overrides}`);
  return run;
}

/** Reopen an archived run (burnqed archive) read-only: status and fresh stages' results work, nothing runs. */
export function openArchive(name: string, archive_dir = ""): Run {
  const run = openArchivedRun(archive_dir || defaultArchiveDir(), name);
  console.log(`archive '${name}': run '${run.config.run_id}' (profile ${run.config.profile}) at ${run.paths.root}, read-only`);
  return run;
}

/** A stage the run's profile does not have (the demo world in a real run). */
export interface NotInProfile {
  readonly name: StageName;
  readonly status: "not_in_profile";
  readonly profile: string;
}

/** Run one stage (fresh stages return their recorded result). */
export async function stage(run: Run, name: StageName): Promise<StageOutcome<unknown> | NotInProfile> {
  const spec = stageSpec(run, name);
  if (!spec) return { name, status: "not_in_profile", profile: run.config.profile };
  return runStage(run, spec);
}

/** Show a stage outcome (and the plots it wrote) under the cell. */
export function show(run: Run, outcome: StageOutcome<unknown> | NotInProfile): void {
  if (outcome.status === "not_in_profile") showNotInProfile(outcome.name, outcome.profile);
  else showOutcome(outcome, run);
}

/** Fresh / stale / missing / failed for every stage (of one notebook, when named). */
export function status(run: Run, notebook?: NotebookName): void {
  showStatus(
    pipeline(run)
      .filter((e) => notebook === undefined || e.notebook === notebook)
      .map((e) => ({ ...stageStatus(run, e.spec), notebook: e.notebook })),
  );
}
