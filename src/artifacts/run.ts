/**
 * An open run: its frozen config, its paths and its manifest.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { normalizeRunConfig, type RunConfig, type RunConfigInput } from "../config/run-config.js";
import { runPaths, type RunPaths } from "../config/run-paths.js";
import { removeStalePartials } from "./atomic-write.js";
import { emptyManifest, readManifest, updateManifest, type Manifest, ManifestError } from "./manifest.js";

export interface Run {
  readonly config: RunConfig;
  readonly paths: RunPaths;
  /** An archived run (src/artifacts/archive.ts): reads only; a stage that would run is refused. */
  readonly readonly?: boolean;
  /** The manifest as it is on disk now. */
  manifest(): Manifest;
  update(fn: (m: Manifest) => Manifest): Manifest;
  /** Append one line to the run's stage log (runs/<id>/stage_log.jsonl). */
  logStage(entry: Record<string, unknown>): void;
}

export function isRunConfig(x: RunConfigInput | RunConfig): x is RunConfig {
  return Object.isFrozen(x) && typeof (x as RunConfig).demo === "object" && Array.isArray((x as RunConfig).force);
}

export function openRun(input: RunConfigInput | RunConfig = {}): Run {
  const config = isRunConfig(input) ? input : normalizeRunConfig(input);
  const paths = runPaths(config);
  mkdirSync(paths.root, { recursive: true });
  removeStalePartials(paths.root);
  const init = () => emptyManifest(config.run_id, config.profile);
  const existing = readManifest(paths.manifest);
  if (existing && existing.profile !== config.profile) {
    throw new ManifestError(
      `run '${config.run_id}' at ${paths.root} was created with profile '${existing.profile}', not '${config.profile}'; ` +
        `use another RUN id or the same PROFILE`,
    );
  }
  if (!existing) updateManifest(paths.manifest, paths.manifest_lock, init, (m) => m);
  const logPath = paths.stage_log;
  return {
    config,
    paths,
    manifest: () => readManifest(paths.manifest) ?? init(),
    update: (fn) => updateManifest(paths.manifest, paths.manifest_lock, init, fn),
    logStage: (entry) => {
      mkdirSync(dirname(logPath), { recursive: true });
      appendFileSync(logPath, JSON.stringify({ at: new Date().toISOString(), pid: process.pid, ...entry }) + "\n");
    },
  };
}
