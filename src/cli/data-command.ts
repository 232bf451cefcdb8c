/**
 * `burnqed data <ingest|download|split|pool>`: the Phase 0 data tools on explicit files (the run's
 * stages call the same functions: see src/stages/phase0-real.ts and phase0-data.ts).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { readTable, writeTable } from "../artifacts/arrow-table.js";
import { writeJson, writeJsonl } from "../artifacts/json-file.js";
import { CONTRASTIVE_THEOREMS, TACTIC_PAIRS, THEOREMS, SOURCES, isSource } from "../artifacts/schemas.js";
import { DATASET_CATALOG, DATASET_FORMATS, type DatasetFormat } from "../data/dataset-catalog.js";
import { buildDataProducts, contrastiveRowsOf, type ContrastiveRow } from "../data/data-stats.js";
import { formatInventory, ingestDatasets, ingestReport, type DatasetInput } from "../data/ingest-datasets.js";
import { readSearchTracePairs } from "../data/search-trace-pairs.js";
import { poolDocument, selectContrastivePool } from "../data/select-contrastive-pool.js";
import { DEFAULT_SPLIT } from "../data/split-by-theorem.js";
import { theoremColumns, theoremRowsOf } from "../data/theorem-row.js";
import { runLayout } from "../config/run-paths.js";

const HELP = `burnqed data — Phase 0 data tools (plan Tasks 0.3, 0.6, 1.3)

  burnqed data download [--dir DIR]
      Print the download commands (Hugging Face hub / GitHub) and the plan's inventory estimates.
      DIR is the run directory (default runs/<RUN>); files land where the data/ingest stage looks.

  burnqed data ingest --input FORMAT=PATH [--input ...] --out theorems.arrow
                      [--report ingest_report.json] [--quarantine quarantine.jsonl] [--header-file F]
      Read datasets into the theorems table. FORMAT: ${DATASET_FORMATS.join(" | ")}; PATH is a file or a
      folder (JSON, JSON Lines, .lean). Malformed rows are quarantined with a reason and counted.
      Prints the inventory table (statements, with proofs, quarantined, Lean) next to the plan's numbers.

  burnqed data split (--pairs tactic_pairs.arrow | --tactic-states DIR) --out DIR
                     [--val-fraction 0.05] [--min-depth 3] [--salt S]
      Split by theorem (95/5, by name hash, stratified by source), write sft_train.jsonl / sft_val.jsonl
      ([GOAL]state[PROOFSTEP]tactic), contrastive_theorems.arrow (max depth >= min-depth) and stats.json.
      --tactic-states reads published search traces (llemma_formal2formal / LeanDojo result JSON).

  burnqed data pool --contrastive contrastive_theorems.arrow --out contrastive_pool.json
                    [--theorems theorems.arrow] [--max-theorems 2000] [--min-depth 3] [--no-prefer-hard]
      select_contrastive_pool: deepest proofs from the hardest sources first (IMO/USAMO > AIME > AMC).
`;

function flags(argv: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  return parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" }, ...options }, allowPositionals: false, strict: true }).values as Record<string, string | boolean | string[] | undefined>;
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== "string" || v === "") throw new Error(`--${name} is required (see --help)`);
  return v;
};

const numOr = (v: unknown, fallback: number, name: string): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${String(v)}`);
  return n;
};

export async function dataCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "ingest":
      return ingest(rest);
    case "download":
      return download(rest);
    case "split":
      return split(rest);
    case "pool":
      return pool(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP);
      return 0;
    default:
      process.stderr.write(`burnqed data: unknown subcommand '${sub}'\n\n${HELP}`);
      return 2;
  }
}

function download(argv: string[]): number {
  const f = flags(argv, { dir: { type: "string" } });
  if (f["help"]) return void process.stdout.write(HELP), 0;
  const dir = resolve(typeof f["dir"] === "string" ? f["dir"] : join(process.env["RUNS_DIR"] ?? "runs", process.env["RUN"] ?? "<run-id>"));
  const layout = runLayout(dir);
  console.log(`# Datasets for plan Task 0.3 (run directory ${dir}); needs huggingface-cli (pip install huggingface_hub)\n`);
  for (const c of DATASET_CATALOG) {
    console.log(`# ${c.dataset} — ${c.source}, Lean ${c.lean}`);
    for (const line of c.download(layout.abs(layout.data.downloads[c.format]))) console.log(line);
  }
  console.log(`\n# If a download holds only .parquet files, convert them to JSON Lines (the ingest reads JSON / JSONL / .lean).`);
  console.log(`\nPlan inventory (estimates):\n`);
  console.log("| Dataset | Statements | With proofs (est.) | Source distribution |\n|---|---|---|---|");
  for (const c of DATASET_CATALOG) console.log(`| ${c.dataset} | ${c.plan.statements} | ${c.plan.with_proofs} | ${c.plan.distribution} |`);
  console.log(`\nThen: burnqed data ingest --input goedel=${layout.abs(layout.data.downloads.goedel)} ... --out ${layout.abs(layout.data.theorems)}`);
  return 0;
}

function ingest(argv: string[]): number {
  const f = flags(argv, {
    input: { type: "string", multiple: true },
    out: { type: "string" },
    report: { type: "string" },
    quarantine: { type: "string" },
    "header-file": { type: "string" },
  });
  if (f["help"]) return void process.stdout.write(HELP), 0;
  const out = resolve(str(f["out"], "out"));
  const inputs = ((f["input"] as string[] | undefined) ?? []).map((spec): DatasetInput => {
    const eq = spec.indexOf("=");
    const format = spec.slice(0, eq) as DatasetFormat;
    if (eq < 0 || !DATASET_FORMATS.includes(format)) throw new Error(`--input ${spec}: expected FORMAT=PATH with FORMAT one of ${DATASET_FORMATS.join(", ")}`);
    const header = typeof f["header-file"] === "string" ? { header: readFileSync(f["header-file"], "utf8").trim() } : {};
    return { format, path: resolve(spec.slice(eq + 1)), ...header };
  });
  if (inputs.length === 0) throw new Error("data ingest: give at least one --input FORMAT=PATH (see --help)");
  const r = ingestDatasets(inputs);
  const rows = writeTable(out, THEOREMS, theoremColumns(r.rows));
  const report = typeof f["report"] === "string" ? resolve(f["report"]) : join(dirname(out), "ingest_report.json");
  const quarantine = typeof f["quarantine"] === "string" ? resolve(f["quarantine"]) : join(dirname(out), "quarantine.jsonl");
  writeJson(report, ingestReport(r));
  writeJsonl(quarantine, r.quarantine);
  console.log(formatInventory(r.datasets));
  for (const d of r.datasets) {
    const extra = [...Object.entries(d.quarantine_reasons).map(([k, n]) => `quarantined ${k} ${n}`), ...Object.entries(d.skipped).map(([k, n]) => `skipped ${k} ${n}`), ...Object.entries(d.notes).map(([k, n]) => `note ${k} ${n}`)];
    if (extra.length) console.log(`- ${d.dataset} (${d.path}): ${extra.join(", ")}`);
  }
  console.log(`\n${rows} theorem(s) → ${out}\nreport → ${report}\nquarantine (${r.quarantine.length}) → ${quarantine}`);
  return 0;
}

function split(argv: string[]): number {
  const f = flags(argv, {
    pairs: { type: "string" },
    "tactic-states": { type: "string" },
    out: { type: "string" },
    "val-fraction": { type: "string" },
    "min-depth": { type: "string" },
    salt: { type: "string" },
    source: { type: "string" },
  });
  if (f["help"]) return void process.stdout.write(HELP), 0;
  const out = resolve(str(f["out"], "out"));
  let pairs;
  if (typeof f["pairs"] === "string") {
    pairs = readTable(resolve(f["pairs"]), TACTIC_PAIRS).columns;
  } else if (typeof f["tactic-states"] === "string") {
    const source = typeof f["source"] === "string" ? f["source"] : "minif2f";
    if (!isSource(source)) throw new Error(`--source must be one of ${SOURCES.join(", ")}, got '${source}'`);
    const r = readSearchTracePairs(resolve(f["tactic-states"]), source);
    console.log(`${r.files} file(s), ${r.results} search result(s), ${r.proofs} proof path(s) (${r.proofs_with_banned_word} dropped for sorry/admit/cheat), ${r.repeated_pairs} repeated pair(s) kept once`);
    pairs = r.pairs;
  } else throw new Error("data split: give --pairs tactic_pairs.arrow or --tactic-states DIR (see --help)");
  const params = { val_fraction: numOr(f["val-fraction"], DEFAULT_SPLIT.val_fraction, "val-fraction"), salt: typeof f["salt"] === "string" ? f["salt"] : DEFAULT_SPLIT.salt };
  const p = buildDataProducts(pairs, params, numOr(f["min-depth"], 3, "min-depth"));
  mkdirSync(out, { recursive: true });
  writeJsonl(join(out, "sft_train.jsonl"), p.sft_train);
  writeJsonl(join(out, "sft_val.jsonl"), p.sft_val);
  writeTable(join(out, "contrastive_theorems.arrow"), CONTRASTIVE_THEOREMS, {
    theorem_name: p.contrastive.map((r) => r.theorem_name),
    source: p.contrastive.map((r) => r.source),
    max_depth: p.contrastive.map((r) => r.max_depth),
    n_pairs: p.contrastive.map((r) => r.n_pairs),
    split: p.contrastive.map((r) => r.split),
  });
  writeJson(join(out, "stats.json"), p.stats);
  const v = p.stats.values;
  console.log(`Total SFT pairs: ${v.sft_pairs_train} train, ${v.sft_pairs_val} val`);
  console.log(`Theorems: ${v.theorems_train} train, ${v.theorems_val} val`);
  console.log(`Theorems with depth >= ${p.stats.details.min_depth} (contrastive pool): ${v.contrastive_theorems}`);
  console.log(`→ ${out}/{sft_train.jsonl, sft_val.jsonl, contrastive_theorems.arrow, stats.json}`);
  return 0;
}

function pool(argv: string[]): number {
  const f = flags(argv, {
    contrastive: { type: "string" },
    theorems: { type: "string" },
    out: { type: "string" },
    "max-theorems": { type: "string" },
    "min-depth": { type: "string" },
    "no-prefer-hard": { type: "boolean" },
  });
  if (f["help"]) return void process.stdout.write(HELP), 0;
  const c = readTable(resolve(str(f["contrastive"], "contrastive")), CONTRASTIVE_THEOREMS).columns;
  const rows: ContrastiveRow[] = contrastiveRowsOf(c);
  const params = { max_theorems: numOr(f["max-theorems"], 2000, "max-theorems"), min_depth: numOr(f["min-depth"], 3, "min-depth"), prefer_hard: f["no-prefer-hard"] !== true };
  const statements =
    typeof f["theorems"] === "string" ? new Map(theoremRowsOf(readTable(resolve(f["theorems"]), THEOREMS).columns).map((r) => [r.name, { header: r.header, statement: r.statement }])) : undefined;
  const sel = selectContrastivePool(rows, params);
  const out = resolve(str(f["out"], "out"));
  const doc = poolDocument(sel, params, statements);
  writeJson(out, doc);
  console.log(`${sel.length} of ${rows.length} theorem(s) selected (min depth ${params.min_depth}, prefer hard: ${params.prefer_hard}); by tier ${JSON.stringify((doc["counts"] as { by_tier: unknown }).by_tier)} → ${out}`);
  return 0;
}
