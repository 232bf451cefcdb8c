#!/usr/bin/env node
/** `burnqed <command>`: every stage and tool of the lab from the shell. `burnqed help` lists them. */
import { main } from "./cli/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`burnqed: ${(e as Error).message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
