/**
 * The run manifest: every artifact of a run (path, schema, rows, sha256, producing stage,
 * parameters, input hashes, code version, wall time) and every stage record. Updated under a
 * lock with read-modify-write and an atomic rename, so two writers never lose each other's records
 * and a crash never leaves a half-written manifest.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import type { RunRel } from "../config/run-paths.js";
import type { GitVersion } from "./code-version.js";
import { sha256File } from "./hash.js";

export type ArtifactKind = "table" | "npy" | "json" | "jsonl" | "markdown" | "html" | "svg" | "model" | "file";

export interface ArtifactEntry {
  readonly path: RunRel;
  readonly kind: ArtifactKind;
  /** Table schema name ("trajectories"), npy dtype+shape ("float32[20000,64]"), or a JSON kind. */
  readonly schema: string | null;
  readonly rows: number | null;
  readonly bytes: number;
  readonly sha256: string;
  /** mtime when hashed: a matching size+mtime skips rehashing (as DVC does). */
  readonly mtime_ms: number;
  readonly stage: string;
  readonly params_hash: string;
  readonly input_hashes: Readonly<Record<string, string>>;
  readonly code: GitVersion & { readonly code_hash: string };
  readonly wall_s: number;
  readonly created_at: string;
}

export interface StageRecord {
  readonly name: string;
  /** sha256 of (params, input hashes, code hash): equal key ⇒ equal outputs. */
  readonly key: string;
  readonly params: unknown;
  /** Run controls of the run that produced the outputs (not part of the key). */
  readonly controls?: unknown;
  readonly params_hash: string;
  readonly input_hashes: Readonly<Record<string, string>>;
  readonly code_files: Readonly<Record<string, string>>;
  readonly code_hash: string;
  readonly git: GitVersion;
  readonly outputs: readonly RunRel[];
  /** Small JSON summary the stage returned (shown again on a cache hit). */
  readonly result: unknown;
  readonly wall_s: number;
  readonly finished_at: string;
}

export interface Manifest {
  readonly format: 1;
  readonly run_id: string;
  readonly profile: string;
  readonly created_at: string;
  readonly artifacts: Readonly<Record<string, ArtifactEntry>>;
  readonly stages: Readonly<Record<string, StageRecord>>;
}

export class ManifestError extends Error {
  override name = "ManifestError";
}

export class ArtifactIntegrityError extends Error {
  override name = "ArtifactIntegrityError";
  constructor(readonly path: string, readonly problem: "missing" | "altered", detail: string) {
    super(detail);
  }
}

export function emptyManifest(run_id: string, profile: string): Manifest {
  return { format: 1, run_id, profile, created_at: new Date().toISOString(), artifacts: {}, stages: {} };
}

export function readManifest(path: string): Manifest | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, "utf8");
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new ManifestError(`${path}: manifest is not valid JSON (${(e as Error).message}); it is written atomically, so this file was edited or damaged by hand`);
  }
  if (m.format !== 1 || typeof m.artifacts !== "object" || typeof m.stages !== "object") {
    throw new ManifestError(`${path}: not a burnqed manifest (format ${String((m as { format?: unknown }).format)})`);
  }
  return m;
}

/** Apply `update` to the manifest under the run's lock; returns the new manifest. */
export function updateManifest(manifestPath: string, lockPath: string, init: () => Manifest, update: (m: Manifest) => Manifest): Manifest {
  return withLock(lockPath, () => {
    const cur = readManifest(manifestPath) ?? init();
    const next = update(cur);
    writeFileAtomic(manifestPath, JSON.stringify(next, null, 1) + "\n");
    return next;
  });
}

const LOCK_WAIT_MS = 30_000;

function withLock<T>(lockPath: string, fn: () => T): T {
  mkdirSync(dirname(lockPath), { recursive: true });
  const start = Date.now();
  for (;;) {
    try {
      mkdirSync(lockPath);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = lockOwner(lockPath);
      if (owner !== null && !isAlive(owner)) {
        rmSync(lockPath, { recursive: true, force: true }); // its holder died: the manifest itself is intact (atomic writes)
        continue;
      }
      if (Date.now() - start > LOCK_WAIT_MS) throw new ManifestError(`${lockPath}: manifest lock held by pid ${owner ?? "?"} for over ${LOCK_WAIT_MS / 1000} s`);
      sleepMs(20);
    }
  }
  try {
    writeFileSync(join(lockPath, "pid"), String(process.pid));
    return fn();
  } finally {
    rmSync(lockPath, { recursive: true, force: true });
  }
}

function lockOwner(lockPath: string): number | null {
  try {
    return Number(readFileSync(join(lockPath, "pid"), "utf8"));
  } catch {
    // Lock dir without pid file: either being created right now or its creator died in between.
    try {
      return Date.now() - statSync(lockPath).mtimeMs > 5000 ? -1 : null;
    } catch {
      return null;
    }
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Check an artifact against its manifest entry. Fast path: same size and mtime → trusted;
 * otherwise the file is rehashed. Throws ArtifactIntegrityError naming the file and the stage.
 */
export function verifyArtifact(runRoot: string, entry: ArtifactEntry, opts: { deep?: boolean } = {}): void {
  const abs = join(runRoot, entry.path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new ArtifactIntegrityError(entry.path, "missing", `${abs}: recorded in the manifest (written by stage '${entry.stage}') but the file is missing`);
  }
  if (!opts.deep && st.size === entry.bytes && Math.abs(st.mtimeMs - entry.mtime_ms) < 1) return;
  const sha = st.size === entry.bytes || opts.deep ? sha256File(abs) : "(size differs)";
  if (sha !== entry.sha256) {
    throw new ArtifactIntegrityError(
      entry.path,
      "altered",
      `${abs}: altered since stage '${entry.stage}' wrote it (recorded ${entry.bytes} bytes sha256 ${entry.sha256.slice(0, 12)}…, ` +
        `now ${st.size} bytes ${sha === "(size differs)" ? "" : `sha256 ${sha.slice(0, 12)}…`})`,
    );
  }
}
