/**
 * The `burnqed` command line. Every pipeline stage is also a command (`burnqed stage <name>`).
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { openRun, type Run } from "../artifacts/run.js";
import { runStage, stageStatus } from "../artifacts/stage.js";
import { verifyArtifact } from "../artifacts/manifest.js";
import { exportSchemas } from "../artifacts/schemas.js";
import { writeFileAtomic } from "../artifacts/atomic-write.js";
import { isDemo, normalizeRunConfig, runConfigInputFromEnv, type RunConfigInput } from "../config/run-config.js";
import { checkNotebookDir, formatViolations } from "../notebooks/nb-check.js";
import { syncNotebookDir } from "../notebooks/nb-sync.js";
import { executeNotebook, notebookCodeHash, planNotebook, NOTEBOOKS } from "../notebooks/execute-notebooks.js";
import { publishReports } from "../notebooks/publish-reports.js";
import { formatStatusTable, show } from "../notebooks/show.js";
import { pipeline, stageEntry, stageSpec, STAGE_NAMES } from "../stages/registry.js";
import { exportRecipes } from "../config/recipes.js";
import { repoRoot } from "../util/repo-root.js";
import { archiveRun, defaultArchiveDir, listArchives, openArchivedRun, ArchiveError } from "../artifacts/archive.js";
import { ebmCommand } from "./ebm-command.js";
import { METRICS_HELP, metricsCommand, plotsCommand } from "./metrics-command.js";
import { dataCommand } from "./data-command.js";
import { leanCommand } from "./lean-command.js";
import { traceCommand } from "./trace-command.js";

const HELP = `burnqed — the burn-qed v2 lab

Usage: burnqed <command> [options]     (run options come from flags or RUN / PROFILE / RUNS_DIR / SEED env)

  reports [--no-notebooks]   build or reuse the run, execute the notebooks headless, publish the reports
  status                     every stage of the run: fresh, stale (and why) or missing
  stage <name> [--force]     run one stage (names: see status)
  run-all [--force]          run every stage in order in this process (no notebooks)
  recipes [--out F|--check F]  the plan's and the demo's recipes as JSON (python/burnqed/recipes.json)
  verify [--deep]            check every artifact of the manifest (size+mtime, or full sha256 with --deep)
  archive [--name N] [--allow-stale]   move the finished run (models, checkpoints, trajectories, reports)
                             under <archive-dir>/N/ with its manifest; refuses stale or missing stages
                             unless --allow-stale; never deletes or overwrites (default N: the run id)
  archive list               the archives, newest first
  status|verify --archive N  reopen archive N read-only
                             (--archive-dir DIR or ARCHIVE_DIR; default <repo>/archive)
  schemas [--out F|--check F]  export the artifact schemas as JSON (for the Python side)
  nb-check                   notebooks orchestrate: no functions, loops or hard-coded paths; each runs its registry stages
  nb-sync                    add a cell to its notebook for every registry stage that has none
  data ingest|download|split|pool   Phase 0 data tools (burnqed data help)
  lean audit [--project DIR]        Lean version audit: the plan's decision table
  trace --theorems F --out DIR      trace proofs through a REPL pool (burnqed trace --help)
  ebm score --model H.onnx --states S.npy --goals G.npy --goal-index GI.npy --out E.npy [--index IX.arrow]
                             energies of states under their root goals (see 'burnqed ebm help')
  help

Run options: --run ID  --profile demo|real  --runs-dir DIR  --reports-dir DIR  --seed N
             --set group.key=value   (repeatable) override a recipe value or a run control, e.g.
                                     --set ebm_train.lr=1e-4 --set ebm_train.timeout_s=7200
                                     (also BURNQED_SET="a.b=1; c.d=2"; groups and keys: burnqed recipes)
`;

interface Args {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
  /** Every --set value, in order. */
  readonly sets: string[];
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const sets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    if (a === "--set" || a.startsWith("--set=")) {
      const v = a === "--set" ? argv[++i] : a.slice("--set=".length);
      if (v === undefined) throw new Error("--set needs group.key=value");
      sets.push(v);
      continue;
    }
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--") && VALUE_FLAGS.has(a.slice(2))) flags.set(a.slice(2), argv[++i]!);
    else flags.set(a.slice(2), true);
  }
  return { positional, flags, sets };
}

const VALUE_FLAGS = new Set(["run", "profile", "runs-dir", "reports-dir", "seed", "out", "check", "name", "archive", "archive-dir"]);

function archiveDir(args: Args): string {
  const f = args.flags.get("archive-dir");
  return typeof f === "string" ? f : defaultArchiveDir();
}

/** The run, or with --archive NAME the archived run, read-only. */
function runOrArchive(args: Args): Run {
  const name = args.flags.get("archive");
  if (name === undefined) return runFrom(args);
  if (typeof name !== "string") throw new Error("--archive needs an archive name (burnqed archive list)");
  return openArchivedRun(archiveDir(args), name);
}
const RUN_FLAGS: Record<string, keyof RunConfigInput> = { run: "run_id", profile: "profile", "runs-dir": "runs_dir", "reports-dir": "reports_dir", seed: "seed" };

function runFrom(args: Args, extra: Partial<RunConfigInput> = {}): Run {
  const input: Record<string, unknown> = { ...runConfigInputFromEnv() };
  for (const [flag, key] of Object.entries(RUN_FLAGS)) {
    const v = args.flags.get(flag);
    if (typeof v === "string") input[key] = key === "seed" ? Number(v) : v;
  }
  if (args.sets.length) input["recipe"] = [...(typeof input["recipe"] === "string" ? [input["recipe"]] : []), ...args.sets];
  return openRun(normalizeRunConfig({ ...(input as RunConfigInput), ...extra }));
}

function allowOnly(args: Args, cmd: string, allowed: string[]): void {
  for (const f of args.flags.keys()) {
    if (!allowed.includes(f) && !(f in RUN_FLAGS)) throw new Error(`${cmd}: unknown option --${f} (see 'burnqed help')`);
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "ebm") return ebmCommand(argv.slice(1));
  if (argv[0] === "metrics") return metricsCommand(argv.slice(1));
  if (argv[0] === "plots") return plotsCommand(argv.slice(1));
  if (argv[0] === "data") return dataCommand(argv.slice(1));
  if (argv[0] === "lean") return leanCommand(argv.slice(1));
  if (argv[0] === "trace") return traceCommand(argv.slice(1));
  const args = parseArgs(argv);
  const cmd = args.positional[0] ?? "help";
  switch (cmd) {
    case "help":
    case "--help":
      process.stdout.write(HELP + "\n" + METRICS_HELP);
      return 0;
    case "status": {
      allowOnly(args, cmd, ["archive", "archive-dir"]);
      const run = runOrArchive(args);
      const rows = pipeline(run).map((e) => ({ ...stageStatus(run, e.spec), notebook: e.notebook }));
      console.log(`run '${run.config.run_id}' (${run.config.profile}) at ${run.paths.root}`);
      console.log(formatStatusTable(rows));
      return 0;
    }
    case "stage": {
      allowOnly(args, cmd, ["force"]);
      const name = args.positional[1];
      if (!name) throw new Error(`stage: name a stage (stages: ${STAGE_NAMES.join(", ")})`);
      const run = runFrom(args);
      stageEntry(name);
      const spec = stageSpec(run, name);
      if (!spec) {
        console.log(`${name}: not part of the ${run.config.profile} profile — nothing to run`);
        return 0;
      }
      show(await runStage(run, spec, { force: args.flags.has("force") }), run);
      return 0;
    }
    case "run-all": {
      allowOnly(args, cmd, ["force"]);
      const run = runFrom(args);
      let ran = 0;
      for (const e of pipeline(run)) {
        const o = await runStage(run, e.spec, { force: args.flags.has("force") });
        if (o.status === "ran") ran++;
      }
      console.log(`${ran} stage(s) ran, ${pipeline(run).length - ran} fresh`);
      return 0;
    }
    case "verify": {
      allowOnly(args, cmd, ["deep", "archive", "archive-dir"]);
      const run = runOrArchive(args);
      const m = run.manifest();
      let bad = 0;
      for (const entry of Object.values(m.artifacts)) {
        try {
          verifyArtifact(run.paths.root, entry, { deep: args.flags.has("deep") });
        } catch (e) {
          bad++;
          console.error((e as Error).message);
        }
      }
      console.log(`${Object.keys(m.artifacts).length - bad} artifact(s) ok, ${bad} bad`);
      return bad ? 1 : 0;
    }
    case "archive": {
      allowOnly(args, cmd, ["name", "allow-stale", "archive-dir"]);
      if (args.positional[1] === "list") {
        const all = listArchives(archiveDir(args));
        if (!all.length) console.log(`no archives in ${archiveDir(args)}`);
        for (const a of all) console.log(`${a.name}\trun '${a.run_id}' (${a.profile}), ${a.artifacts} artifacts, ${(a.bytes / 2 ** 20).toFixed(1)} MiB, archived ${a.archived_at}${a.not_fresh.length ? `, ${a.not_fresh.length} stage(s) not fresh` : ""}`);
        return 0;
      }
      if (args.positional[1] !== undefined) throw new Error(`archive: unknown argument '${args.positional[1]}' (archive [--name N] | archive list)`);
      const run = runFrom(args);
      const stages = pipeline(run).map((e) => {
        const st = stageStatus(run, e.spec);
        return { name: e.spec.name, state: st.state, reasons: st.reasons };
      });
      const name = args.flags.get("name");
      try {
        const rec = archiveRun(run, stages, { name: typeof name === "string" ? name : run.config.run_id, archive_dir: archiveDir(args), allow_stale: args.flags.has("allow-stale") });
        for (const m of rec.moved) console.log(`${m.how}: ${m.from} -> ${m.to}`);
        console.log(`archived run '${rec.run_id}' as '${rec.name}': ${rec.artifacts} artifacts, ${(rec.bytes / 2 ** 20).toFixed(1)} MiB, manifest sha256 ${rec.manifest_sha256.slice(0, 12)}${rec.not_fresh.length ? `; ${rec.not_fresh.length} stage(s) not fresh: ${rec.not_fresh.join(", ")}` : ""}`);
        console.log(`reopen read-only: burnqed status --archive ${rec.name}${typeof args.flags.get("archive-dir") === "string" ? ` --archive-dir ${archiveDir(args)}` : ""}`);
        return 0;
      } catch (e) {
        if (!(e instanceof ArchiveError)) throw e;
        console.error(`burnqed archive: ${e.message}`);
        return 1;
      }
    }
    case "recipes": {
      allowOnly(args, cmd, ["out", "check"]);
      return exportJsonCommand(args, JSON.stringify(exportRecipes(), null, 2) + "\n", "src/config/recipes.ts", "recipes");
    }
    case "schemas": {
      allowOnly(args, cmd, ["out", "check"]);
      return exportJsonCommand(args, JSON.stringify(exportSchemas(), null, 2) + "\n", "src/artifacts/schemas.ts", "schemas");
    }
    case "nb-sync": {
      allowOnly(args, cmd, []);
      for (const r of syncNotebookDir(join(repoRoot(), "notebooks"))) {
        if (r.added.length) console.log(`${r.notebook}: added ${r.added.join(", ")}`);
        if (r.stray.length) console.warn(`${r.notebook}: runs ${r.stray.join(", ")}, not a registry stage of this notebook (left as is)`);
      }
      return 0;
    }
    case "nb-check": {
      allowOnly(args, cmd, []);
      const { notebooks, violations } = checkNotebookDir(join(repoRoot(), "notebooks"));
      if (violations.length) {
        console.error(formatViolations(violations));
        console.error(`nb-check: ${violations.length} problem(s) in ${notebooks.length} notebook(s)`);
        return 1;
      }
      console.log(`nb-check: ${notebooks.length} notebooks ok (${notebooks.join(", ")})`);
      return 0;
    }
    case "reports":
      allowOnly(args, cmd, ["no-notebooks"]);
      return reports(runFrom(args), !args.flags.has("no-notebooks"));
    default:
      process.stderr.write(`burnqed: unknown command '${cmd}'\n\n${HELP}`);
      return 2;
  }
}

async function reports(run: Run, withNotebooks: boolean): Promise<number> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  console.log(`[reports] run '${run.config.run_id}' (profile ${run.config.profile}${isDemo(run.config) ? ", DEMO" : ""}) at ${run.paths.root}`);
  let executed = 0;
  if (withNotebooks) {
    const code = notebookCodeHash();
    for (const nb of NOTEBOOKS) {
      const plan = planNotebook(run, nb, code);
      if (!plan.execute) {
        console.log(`[reports] ${nb}: up to date, not executed`);
        continue;
      }
      console.log(`[reports] ${nb}: executing (${plan.reasons.join("; ")})`);
      const rec = await executeNotebook(run, nb, plan.key);
      executed++;
      console.log(`[reports] ${nb}: executed in ${rec.wall_s.toFixed(1)} s`);
    }
  } else {
    for (const e of pipeline(run)) await runStage(run, e.spec);
  }
  const pub = publishReports(run);
  if (pub.missing.length) console.warn(`[reports] not rendered yet: ${pub.missing.join(", ")}`);
  const log = stageLogSince(run, startedAt);
  const ran = log.filter((l) => l.status === "ran").length;
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (ran === 0 && executed === 0) {
    console.log(`[reports] nothing changed: no stage ran, no notebook executed (${pipeline(run).length} stages fresh) — ${secs} s`);
  } else {
    console.log(`[reports] ${ran} stage(s) ran, ${log.filter((l) => l.status === "cached").length} cached; ${executed} notebook(s) executed — ${secs} s`);
  }
  console.log(`[reports] ${run.paths.reports.dir}: ${pub.copied.length} file(s) updated, ${pub.unchanged.length} unchanged`);
  return 0;
}

function stageLogSince(run: Run, since: string): Array<{ status: string; stage: string }> {
  const p = run.paths.stage_log;
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { at: string; status: string; stage: string })
    .filter((l) => l.at >= since);
}

/** `schemas` / `recipes`: print the JSON the Python side reads, write it (--out) or check a copy (--check). */
function exportJsonCommand(args: Args, text: string, source: string, cmd: string): number {
  const out = args.flags.get("out");
  const check = args.flags.get("check");
  if (typeof check === "string") {
    const cur = existsSync(check) ? readFileSync(check, "utf8") : "";
    if (cur !== text) {
      console.error(`${check} is out of date with ${source}; run: npx tsx src/cli.ts ${cmd} --out ${check}`);
      return 1;
    }
    console.log(`${check} matches ${source}`);
  } else if (typeof out === "string") writeFileAtomic(out, text);
  else process.stdout.write(text);
  return 0;
}
