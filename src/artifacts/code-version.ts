/**
 * Code versions. A stage's cache key uses the content hash of the source files it declares
 * (so a commit that does not touch a stage leaves it fresh); every record also carries the git
 * commit and dirty flag for provenance.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { repoRoot } from "../util/repo-root.js";
import { sha256Text } from "./hash.js";

export interface GitVersion {
  /** Commit hash, or "unknown" outside a git checkout. */
  readonly git_commit: string;
  /** Uncommitted changes to tracked files (or untracked, non-ignored files) exist. */
  readonly dirty: boolean;
}

let gitCache: { at: number; v: GitVersion } | undefined;

export function gitVersion(): GitVersion {
  if (gitCache && Date.now() - gitCache.at < 2000) return gitCache.v;
  const root = repoRoot();
  let v: GitVersion;
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=normal", "--", "src", "python", "notebooks", "package.json"], {
      cwd: root,
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    v = { git_commit: commit, dirty: status.trim().length > 0 };
  } catch {
    v = { git_commit: "unknown", dirty: true };
  }
  gitCache = { at: Date.now(), v };
  return v;
}

/** Per-file sha256 of repo-relative (or absolute) files or folders (folders expand to their files, sorted). */
export function codeHashes(paths: readonly string[]): Record<string, string> {
  const root = repoRoot();
  const out: Record<string, string> = {};
  for (const p of paths) {
    const abs = isAbsolute(p) ? p : join(root, p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new Error(`stage code path '${p}' does not exist under ${root}`);
    }
    const files = st.isDirectory() ? listFiles(abs) : [abs];
    for (const f of files) out[isAbsolute(p) ? f : relative(root, f)] = sha256Text(readFileSync(f));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "__pycache__" || name.startsWith(".")) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else if (!name.endsWith(".pyc")) out.push(p);
  }
  return out;
}

export function combinedCodeHash(hashes: Record<string, string>): string {
  return sha256Text(Object.entries(hashes).map(([k, v]) => `${k}\0${v}`).join("\n"));
}
