/**
 * Run archives (plan Task 0.2): a finished run — its models, checkpoints, trajectories, embeddings,
 * heads, job folders and published reports — moved under `<archive_dir>/<name>/` with its
 * manifest and an ARCHIVE.json that records what was moved, the stage statuses at that moment
 * and the config to reopen it with.
 *
 *   <archive_dir>/<name>/ARCHIVE.json
 *   <archive_dir>/<name>/runs/<run_id>/      the run folder, manifest.json included
 *   <archive_dir>/<name>/reports/<run_id>/   the published reports (when there are any)
 *
 * Nothing is deleted and nothing is overwritten: a folder is moved with one rename (same
 * filesystem); across filesystems it is copied, every manifest artifact re-hashed at the copy, and
 * the original left where it was for the researcher to remove. An existing archive name is refused.
 * A run with stale or missing stages is refused unless `allow_stale` (the record lists them).
 *
 * An archived run reopens read-only (openArchivedRun): status, verify, the lab's readers and the
 * notebooks' fresh stages work; a stage that would run, or a manifest update, is refused.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { normalizeRunConfig, type RunConfig, type RunConfigInput } from "../config/run-config.js";
import { runPaths } from "../config/run-paths.js";
import { writeJson, readJson } from "./json-file.js";
import { gitVersion, type GitVersion } from "./code-version.js";
import { readManifest, verifyArtifact, emptyManifest } from "./manifest.js";
import { sha256File } from "./hash.js";
import type { Run } from "./run.js";
import { repoRoot } from "../util/repo-root.js";

export class ArchiveError extends Error {
  override name = "ArchiveError";
}

export interface StageState {
  readonly name: string;
  readonly state: "fresh" | "stale" | "missing" | string;
  readonly reasons: readonly string[];
}

export interface ArchiveRecord {
  readonly kind: "run_archive";
  readonly format: 1;
  readonly name: string;
  readonly run_id: string;
  readonly profile: string;
  readonly archived_at: string;
  readonly git: GitVersion;
  /** The run options to reopen it with (runs_dir / reports_dir point into the archive). */
  readonly config: RunConfigInput;
  readonly manifest_sha256: string;
  readonly artifacts: number;
  readonly bytes: number;
  readonly stages: readonly StageState[];
  /** Stages that were stale or missing when archived (only with allow_stale). */
  readonly not_fresh: readonly string[];
  readonly moved: ReadonlyArray<{ readonly from: string; readonly to: string; readonly how: "renamed" | "copied (original kept)" }>;
}

export interface ArchiveOptions {
  readonly name: string;
  readonly archive_dir: string;
  readonly allow_stale?: boolean;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** ARCHIVE_DIR, else <repo>/archive. */
export function defaultArchiveDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["ARCHIVE_DIR"] || join(repoRoot(), "archive");
}

export const archiveRecordPath = (archive_dir: string, name: string) => join(resolve(archive_dir), name, "ARCHIVE.json");

/** The options that rebuild this run's config (everything but where it lives). */
export function configInputOf(config: RunConfig): RunConfigInput {
  return { run_id: config.run_id, profile: config.profile, ...config.demo, recipe: [...config.recipe_overrides] };
}

function livePid(pid: unknown): boolean {
  if (typeof pid !== "number" || pid === process.pid) return false;
  try {
    process.kill(pid, 0); // signal 0: a liveness probe, nothing is sent
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Stages whose last log line says running, by a process still alive. */
export function runningStages(run: Run): Array<{ stage: string; pid: number }> {
  if (!existsSync(run.paths.stage_log)) return [];
  const last = new Map<string, { status: string; pid: number }>();
  for (const line of readFileSync(run.paths.stage_log, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { stage?: string; status?: string; pid?: number };
      if (typeof e.stage === "string") last.set(e.stage, { status: String(e.status), pid: Number(e.pid) });
    } catch {
      // a torn last line from a kill: ignore
    }
  }
  return [...last].filter(([, v]) => v.status === "running" && livePid(v.pid)).map(([stage, v]) => ({ stage, pid: v.pid }));
}

function moveDir(from: string, to: string): "renamed" | "copied (original kept)" {
  mkdirSync(dirname(to), { recursive: true });
  try {
    renameSync(from, to);
    return "renamed";
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
    cpSync(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false });
    return "copied (original kept)";
  }
}

/**
 * Archive a run. `stages`: every pipeline stage's status now (the CLI passes them; a stage not
 * fresh refuses the archive unless allow_stale).
 */
export function archiveRun(run: Run, stages: readonly StageState[], opts: ArchiveOptions): ArchiveRecord {
  const { name } = opts;
  if (!NAME.test(name)) throw new ArchiveError(`archive name must be 1–64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got '${name}'`);
  if (run.readonly) throw new ArchiveError(`run '${run.config.run_id}' at ${run.paths.root} is already an archive`);
  const dest = join(resolve(opts.archive_dir), name);
  if (existsSync(dest)) throw new ArchiveError(`archive '${name}' already exists at ${dest}: choose another name (nothing is overwritten)`);
  const manifest = readManifest(run.paths.manifest);
  if (!manifest || !Object.keys(manifest.stages).length) throw new ArchiveError(`run '${run.config.run_id}' at ${run.paths.root} has no finished stage: nothing to archive`);
  const running = runningStages(run);
  if (running.length) throw new ArchiveError(`run '${run.config.run_id}' has a stage running (${running.map((r) => `${r.stage}, pid ${r.pid}`).join("; ")}): archive it when it has finished`);
  const notFresh = stages.filter((s) => s.state !== "fresh");
  if (notFresh.length && !opts.allow_stale) {
    const shown = notFresh.slice(0, 12).map((s) => `  ${s.name}: ${s.state}${s.reasons.length ? ` (${s.reasons[0]})` : ""}`);
    throw new ArchiveError(
      `run '${run.config.run_id}' has ${notFresh.length} stage(s) not fresh; refusing to archive an unfinished run:\n${shown.join("\n")}${notFresh.length > shown.length ? `\n  … and ${notFresh.length - shown.length} more` : ""}\n` +
        `finish them (burnqed run-all) or archive as is with --allow-stale (the archive then lists them)`,
    );
  }
  // every recorded artifact must be there and intact before anything moves
  for (const entry of Object.values(manifest.artifacts)) verifyArtifact(run.paths.root, entry, { deep: false });
  const entries = Object.values(manifest.artifacts);
  const moved: Array<ArchiveRecord["moved"][number]> = [];
  const runTo = join(dest, "runs", run.config.run_id);
  const reportsFrom = run.paths.reports.dir;
  const reportsTo = join(dest, "reports", run.config.run_id);
  mkdirSync(dest, { recursive: true });
  const how = moveDir(run.paths.root, runTo);
  moved.push({ from: run.paths.root, to: runTo, how });
  if (how !== "renamed") for (const entry of entries) verifyArtifact(runTo, entry, { deep: true });
  if (existsSync(reportsFrom) && readdirSync(reportsFrom).length) moved.push({ from: reportsFrom, to: reportsTo, how: moveDir(reportsFrom, reportsTo) });
  const record: ArchiveRecord = {
    kind: "run_archive",
    format: 1,
    name,
    run_id: run.config.run_id,
    profile: run.config.profile,
    archived_at: new Date().toISOString(),
    git: gitVersion(),
    config: configInputOf(run.config),
    manifest_sha256: sha256File(join(runTo, "manifest.json")),
    artifacts: entries.length,
    bytes: entries.reduce((s, e) => s + e.bytes, 0),
    stages,
    not_fresh: notFresh.map((s) => s.name),
    moved,
  };
  writeJson(archiveRecordPath(opts.archive_dir, name), record);
  return record;
}

/** Archives under a folder, newest first. */
export function listArchives(archive_dir: string): ArchiveRecord[] {
  const dir = resolve(archive_dir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(archiveRecordPath(dir, n)))
    .map((n) => readJson<ArchiveRecord>(archiveRecordPath(dir, n)))
    .sort((a, b) => b.archived_at.localeCompare(a.archived_at));
}

/** Reopen an archived run read-only: reads work, writes are refused. Nothing under the archive is touched. */
export function openArchivedRun(archive_dir: string, name: string): Run {
  const recPath = archiveRecordPath(archive_dir, name);
  if (!existsSync(recPath)) {
    const known = listArchives(archive_dir).map((r) => r.name);
    throw new ArchiveError(`no archive '${name}' in ${resolve(archive_dir)} (archives: ${known.length ? known.join(", ") : "none"})`);
  }
  const rec = readJson<ArchiveRecord>(recPath);
  const dest = join(resolve(archive_dir), name);
  const config = normalizeRunConfig({ ...rec.config, runs_dir: join(dest, "runs"), reports_dir: join(dest, "reports") });
  const paths = runPaths(config);
  if (!existsSync(paths.manifest)) throw new ArchiveError(`archive '${name}': its manifest ${paths.manifest} is missing`);
  const refuse = (what: string): never => {
    throw new ArchiveError(`run '${config.run_id}' is archived as '${name}' (${dest}) and read-only: ${what} refused. Copy it into a runs folder to work on it.`);
  };
  return {
    config,
    paths,
    readonly: true,
    manifest: () => readManifest(paths.manifest) ?? emptyManifest(config.run_id, config.profile),
    update: () => refuse("a manifest update"),
    logStage: () => undefined,
  };
}
