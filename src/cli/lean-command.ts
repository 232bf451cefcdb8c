/**
 * `burnqed lean audit`: the Lean version audit (plan Task 0.1) as a decision table.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { readJson } from "../artifacts/json-file.js";
import { catalogPins } from "../data/dataset-catalog.js";
import { auditVersions, formatAuditTable, pinFromProject, readLeanProject, type DatasetPin } from "../lean/version-audit.js";

const HELP = `burnqed lean audit — Lean version audit (plan Task 0.1)

  burnqed lean audit [--project DIR] [--dataset NAME=DIR ...] [--seed-report NAME=tracing_report.json ...] [--json]

  --project DIR       the local Lean project the REPL runs in (default: BURNQED_LEAN_PROJECT)
  --dataset NAME=DIR  a dataset's own Lean project folder (lean-toolchain, lake-manifest.json); replaces
                      the catalog's pin for NAME, or adds NAME. Without any, the catalog's pins are used
                      (Goedel v4.9.0-rc1, Lean Workbook v4.8.0-rc1, NuminaMath-LEAN v4.15.0, miniF2F v4.9.0-rc1).
  --seed-report NAME=F  a tracing_report.json whose seed failure rate > 20 % means: fall back
  --json              print the rows as JSON instead of the table

  Decision per dataset (the plan's): match (same major, minor within one: trace directly),
  parallel_install (further apart: a parallel Lean for tracing only), fall_back (seed batch > 20 % failed).
`;

export async function leanCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  if (sub !== "audit") {
    process.stderr.write(`burnqed lean: unknown subcommand '${sub}'\n\n${HELP}`);
    return 2;
  }
  const { values: f } = parseArgs({
    args: rest,
    options: {
      help: { type: "boolean", short: "h" },
      project: { type: "string" },
      dataset: { type: "string", multiple: true },
      "seed-report": { type: "string", multiple: true },
      json: { type: "boolean" },
    },
    strict: true,
  });
  if (f.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const projectDir = f.project ?? process.env["BURNQED_LEAN_PROJECT"];
  const local = projectDir ? readLeanProject(projectDir) : null;
  const pins: DatasetPin[] = catalogPins();
  for (const spec of f.dataset ?? []) {
    const [name, dir] = splitSpec(spec, "--dataset");
    const pin = pinFromProject(name, dir);
    const i = pins.findIndex((p) => p.dataset === name);
    if (i >= 0) pins[i] = pin;
    else pins.push(pin);
  }
  const rates: Record<string, number> = {};
  for (const spec of f["seed-report"] ?? []) {
    const [name, file] = splitSpec(spec, "--seed-report");
    if (!existsSync(file)) throw new Error(`--seed-report ${spec}: ${file} does not exist`);
    const r = readJson<{ values?: Record<string, number> }>(file);
    const rate = r.values?.["seed_failure_rate"];
    if (typeof rate !== "number") throw new Error(`${file}: no values.seed_failure_rate (is it a tracing_report.json?)`);
    rates[name] = rate;
  }
  const rows = auditVersions(local, pins, rates);
  if (f.json) console.log(JSON.stringify({ local, rows }, null, 2));
  else process.stdout.write(formatAuditTable(local, rows));
  return 0;
}

function splitSpec(spec: string, flag: string): [string, string] {
  const eq = spec.lastIndexOf("=");
  if (eq <= 0) throw new Error(`${flag} ${spec}: expected NAME=PATH`);
  return [spec.slice(0, eq), spec.slice(eq + 1)];
}
