/**
 * What must be identical across configs A, B and C for the comparison to attribute its deltas
 * (plan Task 4.3): the head architecture, the embedding recipe, the held-out data split, the
 * contrastive sampling and the head's seed. Each config contributes one or more *facts* per field,
 * each read from an artifact (a training summary, an embedding meta, a contrastive plan) and named
 * by its source. Every fact of a field must agree; the comparison refuses to render otherwise,
 * naming the field, the key inside it and the sources that disagree.
 *
 * Pure: the stage (src/stages/reports.ts) reads the artifacts.
 */
import { canonicalJson } from "../artifacts/hash.js";

export type AbcConfigName = "A" | "B" | "C";

export const ABC_INVARIANT_FIELDS = ["head_architecture", "embedding_recipe", "data_split", "contrastive_sampling", "head_seed"] as const;
export type AbcInvariantField = (typeof ABC_INVARIANT_FIELDS)[number];

export const ABC_FIELD_MEANING: Readonly<Record<AbcInvariantField, string>> = {
  head_architecture: "the energy head's architecture (embedding width, hidden layers, dropout, temperature bounds)",
  embedding_recipe: "the embedding recipe (template, truncation, position, layer, dtypes)",
  data_split: "the held-out theorem split of the contrastive plan (val fraction and seed of the per-name rule)",
  contrastive_sampling: "the negatives per anchor (K) and their hard-negative share",
  head_seed: "the head's training seed",
};

/** One value of a field, as one artifact of one config states it. */
export interface AbcFact {
  readonly config: AbcConfigName;
  readonly field: AbcInvariantField;
  readonly value: unknown;
  /** The artifact (run-relative path) and the key in it. */
  readonly source: string;
}

/** A field that some config could not state (the artifact or its key is missing). */
export interface AbcMissing {
  readonly config: AbcConfigName;
  readonly field: AbcInvariantField;
  readonly reason: string;
}

export interface AbcDifference {
  readonly field: AbcInvariantField;
  /** The key inside the field's value where the facts first differ ("" for the whole value). */
  readonly key: string;
  /** One entry per distinct value: which facts hold it. */
  readonly values: ReadonlyArray<{ readonly value: unknown; readonly facts: readonly AbcFact[] }>;
}

export interface AbcInvariants {
  readonly kind: "abc_invariants";
  readonly fields: Readonly<Record<AbcInvariantField, { readonly value: unknown; readonly sources: readonly string[] } | null>>;
  readonly differences: readonly AbcDifference[];
  readonly missing: readonly AbcMissing[];
}

/** Dotted key paths of the leaves where a and b differ (arrays compared whole). */
function differingKeys(a: unknown, b: unknown, prefix = ""): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differingKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) ? [] : [prefix];
}

function at(value: unknown, key: string): unknown {
  if (key === "") return value;
  let v: unknown = value;
  for (const k of key.split(".")) v = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  return v === undefined ? "(absent)" : v;
}

/** Compare every fact of each field; a field with no fact at all is reported missing by the caller. */
export function checkAbcInvariants(facts: readonly AbcFact[], missing: readonly AbcMissing[] = []): AbcInvariants {
  const fields = {} as Record<AbcInvariantField, { value: unknown; sources: string[] } | null>;
  const differences: AbcDifference[] = [];
  for (const field of ABC_INVARIANT_FIELDS) {
    const fs = facts.filter((f) => f.field === field);
    if (!fs.length) {
      fields[field] = null;
      continue;
    }
    const ref = fs[0]!;
    const keys = [...new Set(fs.slice(1).flatMap((f) => differingKeys(ref.value, f.value)))];
    if (!keys.length) {
      fields[field] = { value: ref.value, sources: fs.map((f) => `${f.config}: ${f.source}`) };
      continue;
    }
    fields[field] = null;
    for (const key of keys) {
      const groups = new Map<string, { value: unknown; facts: AbcFact[] }>();
      for (const f of fs) {
        const v = at(f.value, key);
        const g = groups.get(canonicalJson(v)) ?? { value: v, facts: [] };
        g.facts.push(f);
        groups.set(canonicalJson(v), g);
      }
      differences.push({ field, key, values: [...groups.values()] });
    }
  }
  return { kind: "abc_invariants", fields, differences, missing };
}

export class AbcMismatchError extends Error {
  override name = "AbcMismatchError";
  constructor(readonly invariants: AbcInvariants) {
    super(formatAbcProblems(invariants));
  }
}

const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : canonicalJson(v ?? null));

/** The refusal, naming each field (and key) that differs with its sources, and each fact that is missing. */
export function formatAbcProblems(inv: AbcInvariants): string {
  const lines = ["the comparison of configs A/B/C needs identical " + ABC_INVARIANT_FIELDS.join(", ") + "; refusing to render:"];
  for (const d of inv.differences) {
    const name = d.key ? `${d.field}.${d.key}` : d.field;
    lines.push(`  ${name} differs (${ABC_FIELD_MEANING[d.field]}):`);
    for (const g of d.values) lines.push(`    ${show(g.value)} in ${g.facts.map((f) => `${f.config} (${f.source})`).join(", ")}`);
  }
  for (const m of inv.missing) lines.push(`  ${m.field} of config ${m.config} is unknown: ${m.reason}`);
  return lines.join("\n");
}

/** Whether the comparison may render. */
export function abcConsistent(inv: AbcInvariants): boolean {
  return inv.differences.length === 0 && inv.missing.length === 0;
}
