/**
 * The synthetic policy server as a process:
 *
 *   node --import tsx src/demo/synthetic/synthetic-policy-server-main.ts --world WORLD.json --config SERVER.json [--watch-stdin]
 *
 * SERVER.json: { "policies": [{ "model": "iter_0", "p_correct": 0.4, … }], "seed"?, "embedding_dim"?, "port"? }.
 * Prints one line `{"url": "http://127.0.0.1:PORT"}` on stdout once it listens; stops on SIGTERM /
 * SIGINT, and with --watch-stdin also when stdin closes (so it dies with the process that
 * started it). spawnSyntheticPolicyServer (synthetic-policy-server-process.ts) runs this.
 */
import { readFileSync } from "node:fs";
import { readSyntheticWorldFile } from "./synthetic-world-file.js";
import { startSyntheticPolicyServer } from "./synthetic-policy-server.js";

function arg(argv: readonly string[], name: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`usage: synthetic-policy-server-main.ts --world WORLD.json --config SERVER.json [--watch-stdin] (missing ${name}; got ${JSON.stringify(argv)})`);
  return v;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const world = readSyntheticWorldFile(arg(argv, "--world"));
  const configPath = arg(argv, "--config");
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (e) {
    throw new Error(`server config ${configPath}: ${(e as Error).message}`);
  }
  const server = await startSyntheticPolicyServer(world, config);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (argv.includes("--watch-stdin")) {
    process.stdin.on("end", stop);
    process.stdin.resume();
  }
  process.stdout.write(JSON.stringify({ url: server.url }) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`synthetic-policy-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
