/**
 * A synthetic world on disk: the JSON file the synthetic REPL process and the synthetic policy
 * server are started with, so both hold the same theorems, proofs and seed. Written atomically.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../../artifacts/atomic-write.js";
import { normalizeWorldSpec, SyntheticProofWorld, type SyntheticWorldSpec } from "./synthetic-proof-world.js";

/** Tag of the file format (the first key of the file). */
export const WORLD_FILE_FORMAT = "burnqed-synthetic-world/1";

export function writeSyntheticWorldFile(path: string, spec: SyntheticWorldSpec): void {
  const s = normalizeWorldSpec(spec);
  writeFileAtomic(path, JSON.stringify({ format: WORLD_FILE_FORMAT, seed: s.seed, p_tactic_error: s.p_tactic_error, problems: s.problems }) + "\n");
}

/** Reads and validates a world file; errors name the file. */
export function readSyntheticWorldFile(path: string): SyntheticProofWorld {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`synthetic world file ${path}: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || (raw as Record<string, unknown>)["format"] !== WORLD_FILE_FORMAT) {
    throw new Error(`synthetic world file ${path}: expected "format": "${WORLD_FILE_FORMAT}", got ${JSON.stringify((raw as Record<string, unknown> | null)?.["format"])}`);
  }
  const { format: _format, ...spec } = raw as Record<string, unknown>;
  try {
    return new SyntheticProofWorld(normalizeWorldSpec(spec));
  } catch (e) {
    throw new Error(`synthetic world file ${path}: ${(e as Error).message}`);
  }
}
