import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

let cached: string | undefined;

/**
 * The repository root: `BURNQED_ROOT`, else the nearest ancestor of the working directory holding
 * package.json and src/cli.ts. (No import.meta: tslab compiles notebook imports to CommonJS.)
 */
export function repoRoot(): string {
  if (cached !== undefined) return cached;
  const env = process.env["BURNQED_ROOT"];
  if (env) return (cached = resolve(env));
  let dir = process.cwd();
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "src", "cli.ts"))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(
    `cannot find the burnqed repository root (a folder with package.json and src/cli.ts) at or above ${process.cwd()}; ` +
      `run from inside the repository or set BURNQED_ROOT`,
  );
}
