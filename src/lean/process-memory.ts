/**
 * Resident memory of process groups, from /proc (Linux). One scan of /proc/<pid>/stat gives every
 * process's group and RSS; a worker's memory is the sum over its group (lake + repl + anything
 * they started). On systems without /proc the result is empty and no cap is enforced.
 */
import { readdirSync, readFileSync } from "node:fs";

const PAGE_BYTES = 4096;

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  /** 'R', 'S', 'Z', ... */
  readonly state: string;
  /** Clock ticks after boot (field 22): with the pid, identifies a process across pid reuse. */
  readonly starttime: number;
  readonly rss_bytes: number;
}

/** Fields of /proc/<pid>/stat, or null when the process is gone. */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  return parseProcStat(pid, text);
}

export function parseProcStat(pid: number, text: string): ProcStat | null {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const f = text.slice(close + 2).split(" ");
  // f[0] = field 3 (state), f[1] = ppid, f[2] = pgrp, f[19] = starttime (22), f[21] = rss (24)
  const n = (i: number) => Number(f[i]);
  return { pid, state: f[0] ?? "?", ppid: n(1), pgrp: n(2), starttime: n(19), rss_bytes: n(21) * PAGE_BYTES };
}

/** Every live (non-zombie) process whose group is one of `pgids`. */
export function processesInGroups(pgids: ReadonlySet<number>): ProcStat[] {
  if (pgids.size === 0) return [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readProcStat(Number(name));
    if (st && pgids.has(st.pgrp) && st.state !== "Z") out.push(st);
  }
  return out;
}

/**
 * The leader and its descendants that are still in its group, walking /proc/<pid>/task/<tid>/children
 * (a few reads per worker instead of one per process on the machine). Null when the kernel does not
 * provide the children files.
 */
export function groupTree(pgid: number): ProcStat[] | null {
  const out: ProcStat[] = [];
  const todo = [pgid];
  const seen = new Set<number>();
  while (todo.length) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = readProcStat(pid);
    if (!st) continue;
    if (st.pgrp === pgid && st.state !== "Z") out.push(st);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" && pid === pgid && out.length) return null;
        continue;
      }
      for (const c of text.split(" ")) if (c.trim()) todo.push(Number(c));
    }
  }
  return out;
}

/** pgid → summed RSS in MB over the group's live processes (groups with none are absent). */
export function groupRssMb(pgids: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  const add = (p: ProcStat) => out.set(p.pgrp, (out.get(p.pgrp) ?? 0) + p.rss_bytes / (1024 * 1024));
  const rest = new Set<number>();
  for (const g of pgids) {
    const tree = groupTree(g);
    if (tree === null) rest.add(g);
    else tree.forEach(add);
  }
  if (rest.size) processesInGroups(rest).forEach(add);
  return out;
}

const SIGKILL_BIT = 1n << 8n; // signal 9 is bit 8 of the pending masks

/**
 * alive, dying (SIGKILL pending: it will never answer again) or dead (gone or a zombie), from
 * /proc/<pid>/status. Null where /proc is not available.
 */
export function processLiveness(pid: number): "alive" | "dying" | "dead" | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? (existsProc() ? "dead" : null) : "dead";
  }
  if (/^State:\s*[ZX]/m.test(text)) return "dead";
  for (const m of text.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)/gm)) if ((BigInt(`0x${m[1]}`) & SIGKILL_BIT) !== 0n) return "dying";
  return "alive";
}

let procMounted: boolean | undefined;
function existsProc(): boolean {
  if (procMounted === undefined) {
    try {
      readFileSync("/proc/self/stat");
      procMounted = true;
    } catch {
      procMounted = false;
    }
  }
  return procMounted;
}
