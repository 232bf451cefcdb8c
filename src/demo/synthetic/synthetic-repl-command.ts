/** The command that starts the synthetic REPL process (for ReplPool, like `lake env repl`). */
import { join, resolve } from "node:path";
import { replCommand, type ReplCommandSpec } from "../../lean/repl-command.js";
import { repoRoot } from "../../util/repo-root.js";

/** The process entry point, relative to the repository root. */
export const SYNTHETIC_REPL_SCRIPT = "src/demo/synthetic/synthetic-lean-repl.ts";

/** `node --import tsx src/demo/synthetic/synthetic-lean-repl.ts --world FILE`, run in the repository root (where tsx resolves). */
export function syntheticReplCommand(world_file: string): ReplCommandSpec {
  const root = repoRoot();
  return replCommand([process.execPath, "--import", "tsx", join(root, SYNTHETIC_REPL_SCRIPT), "--world", resolve(world_file)], { cwd: root });
}
