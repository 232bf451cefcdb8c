/**
 * `burnqed ebm score --model head.onnx --states S.npy --goals G.npy --goal-index GI.npy --out energies.npy
 *   [--index embeddings_index.arrow] [--batch-rows N] [--threads N]`
 *
 * Energies E(state_i, goal_{GI[i]}) of every row of S with the exported head. With --index, rows
 * the embeddings index excludes are not scored: terminal → −∞, others → NaN. Prints the summary
 * as JSON on stdout.
 */
import { readTable } from "../artifacts/arrow-table.js";
import { EMBEDDINGS_INDEX } from "../artifacts/schemas.js";
import { rowStatusFromIndex, scoreEnergies } from "../ebm/score-energies.js";

export const EBM_HELP = `burnqed ebm — the energy head

  ebm score --model head.onnx --states S.npy --goals G.npy --goal-index GI.npy --out energies.npy
            [--index embeddings_index.arrow] [--batch-rows 4096] [--threads N]
      energy of every state row against its goal row (GI[i] = row of G for state i);
      with --index: terminal rows −Infinity, other excluded rows NaN
`;

const REQUIRED = ["model", "states", "goals", "goal-index", "out"] as const;
const OPTIONAL = ["index", "batch-rows", "threads"] as const;

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`ebm score: unexpected argument '${a}' (see 'burnqed ebm help')`);
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (!(REQUIRED as readonly string[]).includes(name) && !(OPTIONAL as readonly string[]).includes(name)) throw new Error(`ebm score: unknown option --${name} (see 'burnqed ebm help')`);
    if (value === undefined || value.startsWith("--")) throw new Error(`ebm score: --${name} needs a value`);
    flags.set(name, value);
  }
  for (const r of REQUIRED) if (!flags.has(r)) throw new Error(`ebm score: missing --${r} (see 'burnqed ebm help')`);
  return flags;
}

function positiveInt(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`ebm score: --${name} must be a positive integer, got '${v}'`);
  return n;
}

export async function ebmCommand(argv: string[]): Promise<number> {
  const sub = argv[0] ?? "help";
  if (sub === "help" || sub === "--help") {
    process.stdout.write(EBM_HELP);
    return 0;
  }
  if (sub !== "score") throw new Error(`ebm: unknown subcommand '${sub}' (see 'burnqed ebm help')`);
  const flags = parseFlags(argv.slice(1));
  const index = flags.get("index");
  let row_status: Uint8Array | undefined;
  if (index !== undefined) {
    const t = readTable(index, EMBEDDINGS_INDEX);
    row_status = rowStatusFromIndex(t.columns["excluded"]!, t.columns["exclude_reason"]!);
  }
  const batch_rows = positiveInt(flags, "batch-rows");
  const threads = positiveInt(flags, "threads");
  const summary = await scoreEnergies({
    model: flags.get("model")!,
    states: flags.get("states")!,
    goals: flags.get("goals")!,
    goal_index: flags.get("goal-index")!,
    out: flags.get("out")!,
    ...(row_status ? { row_status } : {}),
    ...(batch_rows !== undefined ? { batch_rows } : {}),
    ...(threads !== undefined ? { threads } : {}),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}
