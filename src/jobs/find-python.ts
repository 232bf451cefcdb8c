/**
 * Finds a Python interpreter that can import the modules a job needs.
 *
 * Order: the PYTHON environment variable (used as given, or an error: never silently replaced),
 * then `python3` on PATH, `/usr/bin/python3`, `python`. Results are cached per (PYTHON, modules).
 */
import { execFile } from "node:child_process";

export interface FindPythonOptions {
  /** Modules that must import (default ["numpy"]). */
  readonly modules?: readonly string[];
}

export const DEFAULT_PYTHON_MODULES: readonly string[] = ["numpy"];
const CANDIDATES = ["python3", "/usr/bin/python3", "python"] as const;
const IMPORT_TIMEOUT_S = 120; // importing torch cold can take a while

export class PythonNotFoundError extends Error {
  override readonly name = "PythonNotFoundError";
}

const cache = new Map<string, Promise<string>>();

/** Outcome of trying one interpreter: null when it imports every module, else why not. */
function tryInterpreter(python: string, modules: readonly string[]): Promise<string | null> {
  const code = modules.length ? `import ${modules.join(", ")}` : "pass";
  return new Promise((resolve) => {
    execFile(python, ["-c", code], { timeout: IMPORT_TIMEOUT_S * 1000, encoding: "utf8" }, (err, _stdout, stderr) => {
      if (!err) return resolve(null);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return resolve("not found");
      const last = stderr.trim().split("\n").pop() ?? err.message;
      resolve(last || err.message);
    });
  });
}

function checkModuleNames(modules: readonly string[]): void {
  for (const m of modules) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(m)) throw new Error(`findPython: invalid module name ${JSON.stringify(m)}`);
  }
}

async function search(modules: readonly string[], fromEnv: string | undefined): Promise<string> {
  const wanted = modules.join(", ");
  if (fromEnv) {
    const problem = await tryInterpreter(fromEnv, modules);
    if (problem === null) return fromEnv;
    throw new PythonNotFoundError(
      `PYTHON=${fromEnv} cannot import ${wanted}: ${problem}. Install the module(s) into that interpreter, or point PYTHON at one that has them (unset PYTHON to search python3, /usr/bin/python3, python).`,
    );
  }
  const tried: string[] = [];
  for (const candidate of CANDIDATES) {
    const problem = await tryInterpreter(candidate, modules);
    if (problem === null) return candidate;
    tried.push(`  ${candidate}: ${problem}`);
  }
  throw new PythonNotFoundError(
    `no Python interpreter can import ${wanted}. Tried:\n${tried.join("\n")}\n` +
      `Fix: apt-get install python3-numpy python3-torch (Debian/Ubuntu), or pip install the module(s), ` +
      `or set PYTHON=/path/to/python that has them.`,
  );
}

/** The interpreter to run jobs with (a command name or path). Rejects with PythonNotFoundError. */
export function findPython(opts: FindPythonOptions = {}): Promise<string> {
  const modules = [...new Set(opts.modules ?? DEFAULT_PYTHON_MODULES)].sort();
  checkModuleNames(modules);
  const fromEnv = process.env["PYTHON"] || undefined;
  const key = `${fromEnv ?? ""}\u0000${modules.join(",")}`;
  let found = cache.get(key);
  if (!found) {
    found = search(modules, fromEnv);
    cache.set(key, found);
    found.catch(() => cache.delete(key)); // a failure is not cached: the user may fix it and retry
  }
  return found;
}

/** Forget cached interpreters (tests, or after installing packages). */
export function clearPythonCache(): void {
  cache.clear();
}
