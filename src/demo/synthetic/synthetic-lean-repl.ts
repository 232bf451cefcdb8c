/**
 * The synthetic Lean REPL as a process, for ReplPool / ReplProcess to drive exactly like the real
 * leanprover-community/repl:
 *
 *   node --import tsx src/demo/synthetic/synthetic-lean-repl.ts --world WORLD.json
 *
 * Input follows the repl's `getLines`: lines are joined after trimming their right end and a
 * blank line ends a query (queries starting with `#` or `--` are skipped); EOF ends the process.
 * Every response is Lean's pretty JSON (the protocol double's renderer, which mirrors Lean's
 * `Json.render` + `Format.pretty` byte for byte) followed by a blank line. An internal error
 * (a bug, not a Lean error) is written to stderr and exits 70, so the pool reports it as a crash
 * with the stderr tail. syntheticReplCommand (synthetic-repl-command.ts) builds this command.
 */
import { renderLeanJson } from "../../lean/lean-json-format.mjs";
import { readSyntheticWorldFile } from "./synthetic-world-file.js";
import { SyntheticReplSession } from "./synthetic-repl-session.js";

function worldPath(argv: readonly string[]): string {
  const i = argv.indexOf("--world");
  const path = i >= 0 ? argv[i + 1] : undefined;
  if (path === undefined || argv.length !== 2) throw new Error(`usage: synthetic-lean-repl.ts --world WORLD.json (got ${JSON.stringify(argv)})`);
  return path;
}

function main(): void {
  let session: SyntheticReplSession;
  try {
    session = new SyntheticReplSession(readSyntheticWorldFile(worldPath(process.argv.slice(2))));
  } catch (e) {
    process.stderr.write(`synthetic-lean-repl: ${(e as Error).message}\n`);
    process.exit(2);
  }
  let pending = "";
  let acc = "";
  const run = (query: string): void => {
    if (query.startsWith("#") || query.startsWith("--")) return;
    let out: string;
    try {
      out = renderLeanJson(session.answer(query));
    } catch (e) {
      process.stderr.write(`synthetic-lean-repl: internal error on ${JSON.stringify(query.slice(0, 200))}: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(70);
    }
    process.stdout.write(out + "\n\n");
  };
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() === "") {
        if (acc !== "") run(acc);
        acc = "";
      } else acc += line.trimEnd();
    }
  });
  process.stdin.on("end", () => {
    if (pending.trim() !== "") acc += pending.trimEnd();
    if (acc !== "") run(acc);
    process.exitCode = 0;
  });
}

main();
