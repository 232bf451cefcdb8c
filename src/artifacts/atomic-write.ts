/**
 * Atomic file writes: data goes to a hidden temp file in the target's directory, is fsynced, then
 * renamed over the target. A crash leaves either the old file or the new one, never half of one;
 * leftovers are named `.<name>.partial-<pid>-<n>` so nothing mistakes them for an artifact.
 */
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

export function partialPath(target: string): string {
  counter += 1;
  return join(dirname(target), `.${basename(target)}.partial-${process.pid}-${counter}`);
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const w = openAtomic(target);
  try {
    w.write(typeof data === "string" ? Buffer.from(data, "utf8") : data);
    w.commit();
  } finally {
    w.abandon();
  }
}

/** A streamed atomic write: `write` chunks, then `commit`; `abandon` (idempotent) drops the temp file. */
export interface AtomicWriter {
  readonly target: string;
  readonly temp_path: string;
  write(chunk: Uint8Array, position?: number): void;
  commit(): void;
  abandon(): void;
}

export function openAtomic(target: string): AtomicWriter {
  mkdirSync(dirname(target), { recursive: true });
  const temp_path = partialPath(target);
  let fd: number | null = openSync(temp_path, "w");
  let done = false;
  return {
    target,
    temp_path,
    write(chunk, position) {
      if (fd === null) throw new Error(`write after commit/abandon of ${target}`);
      let off = 0;
      while (off < chunk.length) {
        const pos = position === undefined ? null : position + off;
        off += writeSync(fd, chunk, off, chunk.length - off, pos);
      }
    },
    commit() {
      if (fd === null) throw new Error(`commit after abandon of ${target}`);
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(temp_path, target);
      done = true;
      fsyncDir(dirname(target));
    },
    abandon() {
      if (fd !== null) {
        closeSync(fd);
        fd = null;
      }
      if (!done) rmSync(temp_path, { force: true });
      done = true;
    },
  };
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse directory fsync; the rename is still atomic.
  }
}

/** Remove `.partial-<pid>-*` leftovers of processes that are no longer alive. Returns removed paths. */
export function removeStalePartials(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /\.partial-(\d+)(?:-\d+)?$/.exec(name);
    if (!m || !name.startsWith(".")) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    rmSync(join(dir, name), { force: true, recursive: true });
    removed.push(join(dir, name));
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Copy a file atomically (temp copy in the target's folder, then rename). */
export function copyFileAtomic(source: string, target: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const temp = partialPath(target);
  try {
    copyFileSync(source, temp);
    const fd = openSync(temp, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
}
