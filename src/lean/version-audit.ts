/**
 * Lean version audit (plan Task 0.1): the toolchain and Mathlib pinned by the local Lean project
 * (the one the REPL runs in) against each dataset's pin, with the plan's decision per dataset:
 *
 *   match (same major, minor within one)  → trace directly, minor fixups expected
 *   parallel_install (further apart)      → a parallel Lean installation for tracing only (+½ day)
 *   fall_back (its seed batch failed >20%) → NuminaMath-LEAN only, or Goedel-Prover-V2's data
 *
 * Reading is a thin shell (lean-toolchain, lake-manifest.json in any of its formats: v5 with
 * {"git": {...}} entries, v7 and 1.x flat); deciding and formatting are pure.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface LeanVersion {
  /** As written, without the `leanprover/lean4:` prefix. */
  readonly raw: string;
  /** release: vMAJOR.MINOR.PATCH[-pre]; nightly: nightly-YYYY-MM-DD; unknown: anything else. */
  readonly kind: "release" | "nightly" | "unknown";
  readonly major: number | null;
  readonly minor: number | null;
  readonly patch: number | null;
  readonly pre: string | null;
}

export function parseLeanVersion(text: string): LeanVersion {
  const raw = text.trim().replace(/^leanprover\/lean4:/, "");
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-(\S+))?$/.exec(raw);
  if (m) return { raw, kind: "release", major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? null };
  if (/^nightly-\d{4}-\d{2}-\d{2}$/.test(raw)) return { raw, kind: "nightly", major: null, minor: null, patch: null, pre: null };
  return { raw, kind: "unknown", major: null, minor: null, patch: null, pre: null };
}

export interface LakePackage {
  readonly name: string;
  readonly url: string | null;
  readonly rev: string | null;
  readonly input_rev: string | null;
}

export interface LeanProjectPin {
  readonly dir: string;
  readonly toolchain: string;
  readonly lean: LeanVersion;
  /** lake-manifest.json "version" (5, 7, "1.0.0", "1.1.0"); null when there is no manifest. */
  readonly manifest_version: string | null;
  readonly name: string | null;
  readonly packages: readonly LakePackage[];
  /** The Mathlib the project depends on (rev), or null; "(this project)" when the project is Mathlib. */
  readonly mathlib: string | null;
  readonly repl: string | null;
}

/** lake-manifest packages, whatever the manifest version. */
export function parseLakeManifest(json: unknown, path = "lake-manifest.json"): { version: string | null; name: string | null; packages: LakePackage[] } {
  if (typeof json !== "object" || json === null) throw new Error(`${path}: not a JSON object`);
  const o = json as Record<string, unknown>;
  const pkgs = Array.isArray(o["packages"]) ? (o["packages"] as unknown[]) : [];
  const packages = pkgs.map((p, i) => {
    const entry = (typeof p === "object" && p !== null ? p : {}) as Record<string, unknown>;
    // v5 manifests: {"git": {...}} / {"path": {...}}; later ones: flat with "type"
    const inner = (entry["git"] ?? entry["path"] ?? entry) as Record<string, unknown>;
    const s = (k: string): string | null => (typeof inner[k] === "string" ? (inner[k] as string) : null);
    const name = s("name");
    if (!name) throw new Error(`${path}: packages[${i}] has no name`);
    return { name, url: s("url"), rev: s("rev"), input_rev: s("inputRev") ?? s("inputRev?") };
  });
  return { version: o["version"] === undefined ? null : String(o["version"]), name: typeof o["name"] === "string" ? o["name"] : null, packages };
}

export function readLeanProject(dir: string): LeanProjectPin {
  const abs = resolve(dir);
  const tcPath = join(abs, "lean-toolchain");
  if (!existsSync(tcPath)) throw new Error(`${abs}: no lean-toolchain file (is this a Lean project?)`);
  const toolchain = readFileSync(tcPath, "utf8").trim();
  const mPath = join(abs, "lake-manifest.json");
  let manifest: ReturnType<typeof parseLakeManifest> = { version: null, name: null, packages: [] };
  if (existsSync(mPath)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(mPath, "utf8"));
    } catch (e) {
      throw new Error(`${mPath}: invalid JSON (${(e as Error).message})`);
    }
    manifest = parseLakeManifest(json, mPath);
  }
  const find = (n: string) => manifest.packages.find((p) => p.name.toLowerCase() === n);
  const isMathlib = manifest.name?.toLowerCase() === "mathlib";
  return {
    dir: abs,
    toolchain,
    lean: parseLeanVersion(toolchain),
    manifest_version: manifest.version,
    name: manifest.name,
    packages: manifest.packages,
    mathlib: isMathlib ? "(this project)" : (find("mathlib")?.rev ?? null),
    repl: find("repl")?.rev ?? null,
  };
}

/** A dataset's pin: from its own project folder when available, else from its card/paper. */
export interface DatasetPin {
  readonly dataset: string;
  readonly lean: string;
  readonly mathlib: string | null;
  /** Where the pin comes from ("lake-manifest.json of …", "HF card", "paper"). */
  readonly evidence: string;
}

export type AuditDecision = "match" | "parallel_install" | "fall_back" | "no_local_project";

export interface AuditRow {
  readonly dataset: string;
  readonly dataset_lean: string;
  readonly dataset_mathlib: string | null;
  readonly local_lean: string | null;
  readonly local_mathlib: string | null;
  readonly decision: AuditDecision;
  readonly action: string;
  readonly note: string;
}

const short = (rev: string | null) => (rev === null ? null : /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 12) : rev);

export function decideVersion(local: LeanVersion | null, data: LeanVersion, seed_failure_rate: number | null): { decision: AuditDecision; action: string } {
  if (seed_failure_rate !== null && seed_failure_rate > 0.2) {
    return { decision: "fall_back", action: `its seed batch failed ${(100 * seed_failure_rate).toFixed(0)} % (> 20 %): fall back to NuminaMath-LEAN only, or Goedel-Prover-V2's data (newer Lean)` };
  }
  if (local === null) return { decision: "no_local_project", action: "no local Lean project given (--project DIR or BURNQED_LEAN_PROJECT): nothing to compare" };
  const parallel = { decision: "parallel_install" as const, action: `parallel Lean installation for tracing only: elan toolchain install leanprover/lean4:${data.raw} + a project pinned like the dataset; budget an extra half-day` };
  if (local.kind === "release" && data.kind === "release") {
    if (local.major === data.major && Math.abs(local.minor! - data.minor!) <= 1) return { decision: "match", action: "trace directly; minor fixups expected" };
    return parallel;
  }
  if (local.raw === data.raw) return { decision: "match", action: "same toolchain; trace directly" };
  return parallel;
}

export function auditVersions(local: LeanProjectPin | null, pins: readonly DatasetPin[], seed_failure_rates: Readonly<Record<string, number>> = {}): AuditRow[] {
  return pins.map((p) => {
    const data = parseLeanVersion(p.lean);
    const { decision, action } = decideVersion(local?.lean ?? null, data, seed_failure_rates[p.dataset] ?? null);
    const notes: string[] = [`pin: ${p.evidence}`];
    if (local && p.mathlib && local.mathlib && p.mathlib !== local.mathlib) notes.push(`Mathlib differs (${short(p.mathlib)} vs local ${short(local.mathlib)})`);
    if (local && data.kind === "release" && local.lean.kind === "release" && decision === "match" && data.minor !== local.lean.minor) notes.push(`minor ${data.minor} vs ${local.lean.minor}`);
    return { dataset: p.dataset, dataset_lean: data.raw, dataset_mathlib: short(p.mathlib), local_lean: local?.lean.raw ?? null, local_mathlib: short(local?.mathlib ?? null), decision, action, note: notes.join("; ") };
  });
}

/** The decision table as markdown (what `burnqed lean audit` prints). */
export function formatAuditTable(local: LeanProjectPin | null, rows: readonly AuditRow[]): string {
  const head = local
    ? `Local Lean project: ${local.dir}\n  toolchain ${local.toolchain}; Mathlib ${short(local.mathlib) ?? "none"}; repl ${short(local.repl) ?? "not a dependency"}\n\n`
    : "Local Lean project: none given\n\n";
  const cell = (s: string | null) => (s ?? "—").replace(/\|/g, "\\|");
  const lines = [
    "| Dataset | Dataset Lean | Dataset Mathlib | Local Lean | Decision | Action |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${cell(r.dataset)} | ${cell(r.dataset_lean)} | ${cell(r.dataset_mathlib)} | ${cell(r.local_lean)} | **${r.decision}** | ${cell(r.action)} |`),
  ];
  const notes = rows.map((r) => `- ${r.dataset}: ${r.note}`);
  return `${head}${lines.join("\n")}\n\n${notes.join("\n")}\n`;
}

/** The pin of a dataset shipped as a Lean project folder (its own lean-toolchain / lake-manifest.json). */
export function pinFromProject(dataset: string, dir: string): DatasetPin {
  const p = readLeanProject(dir);
  return { dataset, lean: p.lean.raw, mathlib: p.mathlib, evidence: `lean-toolchain${p.manifest_version ? " + lake-manifest.json" : ""} in ${p.dir}` };
}
