/**
 * Run configuration: raw options are normalised once, here, into a frozen config. Unknown keys are
 * errors, not silently ignored.
 */
import { isAbsolute, join, resolve } from "node:path";
import { repoRoot } from "../util/repo-root.js";
import { parseOverrides, resolveRecipes, type Recipes } from "./recipes.js";

/** Which world a run lives in. */
export type Profile =
  | "demo" // seeded synthetic world; GPU and Lean stages take their outputs from it (marked DEMO)
  | "real"; // a researcher's run on a GPU box with Lean + Mathlib

export const PROFILES: readonly Profile[] = ["demo", "real"];

export interface DemoScale {
  /** Seed of the synthetic world: same seed → byte-identical artifacts. */
  readonly seed: number;
  readonly n_theorems: number;
  readonly n_search_theorems: number;
  /** Embedding dimension of the synthetic states (the real model has 4096). */
  readonly dim: number;
  readonly n_minif2f: number;
  /** Scenario knobs of the demo world (percent of the planted label signal; src/demo/demo-params.ts). */
  readonly label_signal_pct: number;
  readonly heldout_signal_pct: number;
}

export interface RunConfig {
  readonly run_id: string;
  readonly profile: Profile;
  /** Absolute folder holding every run (default <repo>/runs). */
  readonly runs_dir: string;
  /** Absolute folder for rendered reports (default <repo>/reports). */
  readonly reports_dir: string;
  readonly demo: DemoScale;
  /** Stage names to re-run even when fresh (`--force` / BURNQED_FORCE). */
  readonly force: readonly string[];
  /** Recipe overrides as given (`group.key=value`), in order. */
  readonly recipe_overrides: readonly string[];
  /** The profile's recipes with the overrides applied (src/config/recipes.ts). */
  readonly recipes: Recipes;
}

/** True for the seeded synthetic world (every page and cell that shows its data says DEMO). */
export function isDemo(config: RunConfig): boolean {
  return config.profile === "demo";
}

// n_minif2f 160, not miniF2F's 244: four miniF2F search stages on 2 cores are a third of a cold
// `make reports`; at 160 it stays under 3 minutes (the Wilson interval widens from ±6 to ±7.5 points)
export const DEFAULT_DEMO_SCALE: DemoScale = Object.freeze({ seed: 20261127, n_theorems: 400, n_search_theorems: 160, dim: 64, n_minif2f: 160, label_signal_pct: 100, heldout_signal_pct: 100 });

export type RunConfigInput = Partial<{
  run_id: string;
  profile: string;
  runs_dir: string;
  reports_dir: string;
  seed: number;
  n_theorems: number;
  n_search_theorems: number;
  dim: number;
  n_minif2f: number;
  label_signal_pct: number;
  heldout_signal_pct: number;
  force: readonly string[] | string;
  /** Recipe overrides: "group.key=value; group.key=value" or a list of such entries. */
  recipe: readonly string[] | string;
}>;

const KEYS = ["run_id", "profile", "runs_dir", "reports_dir", "seed", "n_theorems", "n_search_theorems", "dim", "n_minif2f", "label_signal_pct", "heldout_signal_pct", "force", "recipe"];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Normalise raw options (notebook parameters, CLI flags, env) into a frozen RunConfig. */
export function normalizeRunConfig(raw: RunConfigInput): RunConfig {
  for (const k of Object.keys(raw)) {
    if (!KEYS.includes(k)) throw new ConfigError(`unknown run option '${k}' (known: ${KEYS.join(", ")})`);
  }
  // An empty string (a notebook parameter left at its default) means "use the default".
  raw = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== "" && v !== undefined)) as RunConfigInput;
  const profile = (raw.profile ?? "demo") as Profile;
  if (!PROFILES.includes(profile)) throw new ConfigError(`profile must be one of ${PROFILES.join(" | ")}, got '${raw.profile}'`);
  const run_id = raw.run_id ?? (profile === "demo" ? "demo" : "");
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(run_id)) {
    throw new ConfigError(`run_id must be 1–64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got '${run_id}'`);
  }
  const root = repoRoot();
  const dir = (p: string | undefined, fallback: string) => (p === undefined ? join(root, fallback) : isAbsolute(p) ? p : resolve(root, p));
  const demo: DemoScale = Object.freeze({
    seed: int("seed", raw.seed ?? DEFAULT_DEMO_SCALE.seed, 0),
    n_theorems: int("n_theorems", raw.n_theorems ?? DEFAULT_DEMO_SCALE.n_theorems, 10),
    n_search_theorems: int("n_search_theorems", raw.n_search_theorems ?? DEFAULT_DEMO_SCALE.n_search_theorems, 4),
    dim: int("dim", raw.dim ?? DEFAULT_DEMO_SCALE.dim, 8),
    n_minif2f: int("n_minif2f", raw.n_minif2f ?? DEFAULT_DEMO_SCALE.n_minif2f, 1),
    label_signal_pct: int("label_signal_pct", raw.label_signal_pct ?? DEFAULT_DEMO_SCALE.label_signal_pct, 0),
    heldout_signal_pct: int("heldout_signal_pct", raw.heldout_signal_pct ?? DEFAULT_DEMO_SCALE.heldout_signal_pct, 0),
  });
  const forceRaw = raw.force ?? [];
  const force = Object.freeze((typeof forceRaw === "string" ? forceRaw.split(",") : [...forceRaw]).map((s) => s.trim()).filter(Boolean));
  const recipeRaw = raw.recipe ?? [];
  const overrides = (typeof recipeRaw === "string" ? [recipeRaw] : [...recipeRaw]).flatMap((t) => parseOverrides(t, "recipe overrides"));
  // the demo searches n_search_theorems of its pool (an explicit recipe override still wins)
  const scale = profile === "demo" ? parseOverrides(`contrastive_pool.max_theorems=${demo.n_search_theorems}`, "demo scale") : [];
  const recipes = resolveRecipes(profile, [...scale, ...overrides]);
  const recipe_overrides = Object.freeze(overrides.map((o) => o.text));
  return Object.freeze({ run_id, profile, runs_dir: dir(raw.runs_dir, "runs"), reports_dir: dir(raw.reports_dir, "reports"), demo, force, recipe_overrides, recipes });
}

function int(name: string, v: unknown, min: number): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Run options from the environment (RUN, PROFILE, RUNS_DIR, REPORTS_DIR, SEED, BURNQED_FORCE, BURNQED_SET and the tracing shorthands), as `make reports` passes them. */
export function runConfigInputFromEnv(env: NodeJS.ProcessEnv = process.env): RunConfigInput {
  const out: Record<string, unknown> = {};
  if (env["RUN"]) out["run_id"] = env["RUN"];
  if (env["PROFILE"]) out["profile"] = env["PROFILE"];
  if (env["RUNS_DIR"]) out["runs_dir"] = env["RUNS_DIR"];
  if (env["REPORTS_DIR"]) out["reports_dir"] = env["REPORTS_DIR"];
  if (env["SEED"]) out["seed"] = Number(env["SEED"]);
  if (env["BURNQED_FORCE"]) out["force"] = env["BURNQED_FORCE"];
  // shorthands kept from the tracing docs: each is a recipe override
  const shorthands: Array<[string, string]> = [
    ["BURNQED_TRACE_WORKERS", "trace.workers"],
    ["BURNQED_TRACE_TIMEOUT_S", "trace.timeout_s"],
    ["BURNQED_MEM_CAP_MB", "trace.mem_cap_mb"],
    ["BURNQED_MAX_SEED_FAILURE_RATE", "trace.max_seed_failure_rate"],
  ];
  const sets = shorthands.flatMap(([name, key]) => (env[name] ? [`${key}=${env[name]}`] : []));
  if (env["BURNQED_SET"]) sets.push(env["BURNQED_SET"]);
  if (sets.length) out["recipe"] = sets.join("; ");
  return out as RunConfigInput;
}
