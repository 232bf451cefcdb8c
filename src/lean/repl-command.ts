/**
 * How a REPL worker is started: an argv (no shell), a working directory and extra environment.
 * Typical commands: `lake env ../repl/.lake/build/bin/repl` run in the Lean project (so the
 * project's Mathlib is on the search path), a path to a built repl binary, or — later — Pantograph
 * behind the same protocol. Normalised once here; everything downstream takes a ReplCommandSpec.
 */
import { existsSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { resolve } from "node:path";

export interface ReplCommandSpec {
  /** Program and arguments, run without a shell. */
  readonly argv: readonly string[];
  /** Working directory (the Lean project for `lake env`). Default: the current directory. */
  readonly cwd: string | null;
  /** Extra environment variables on top of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** Splits a command line like a POSIX shell would for plain words and quotes (no expansion). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: '"' | "'" | null = null;
  let have = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i]!;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      have = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i]!;
      have = true;
    } else if (/\s/.test(c)) {
      if (have || cur) out.push(cur);
      cur = "";
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in REPL command: ${line.slice(0, 200)}`);
  if (have || cur) out.push(cur);
  return out;
}

export function replCommand(command: string | readonly string[], opts: { cwd?: string | null; env?: Record<string, string> } = {}): ReplCommandSpec {
  const argv = typeof command === "string" ? splitCommandLine(command) : [...command];
  if (argv.length === 0 || !argv[0]) throw new Error(`REPL command is empty (got ${JSON.stringify(command)}); e.g. "lake env repl" or a path to the repl binary`);
  const cwd = opts.cwd ? resolve(opts.cwd) : null;
  if (cwd !== null && !existsSync(cwd)) throw new Error(`REPL working directory ${cwd} does not exist (the Lean project the REPL runs in)`);
  return Object.freeze({ argv: Object.freeze(argv), cwd, env: Object.freeze({ ...(opts.env ?? {}) }) });
}

/** Default worker count: min(16, 0.75 × cores), at least 1 (plan Task 0.4: 30 REPLs OOM 200 GB). */
export function defaultWorkerCount(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(16, Math.floor(0.75 * cores)));
}

/** Default memory cap per worker: 80 % of RAM shared by the workers, in MB. */
export function defaultMemCapMb(workers: number, total_bytes: number = totalmem()): number {
  return Math.floor((0.8 * total_bytes) / Math.max(1, workers) / (1024 * 1024));
}

/** `setpriv --pdeathsig SIGKILL` kills a worker when this process dies, even by SIGKILL (util-linux). */
export function parentDeathWrapper(): string[] | null {
  for (const p of ["/usr/bin/setpriv", "/bin/setpriv"]) if (existsSync(p)) return [p, "--pdeathsig", "SIGKILL", "--"];
  return null;
}
