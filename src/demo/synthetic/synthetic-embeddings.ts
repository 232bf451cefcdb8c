/**
 * The synthetic encoder behind `/v1/embeddings`: a deterministic vector per input text, a
 * hash-seeded Gaussian of norm ≈ 1, plus a planted shift of length `embed_shift · proximity`
 * along one fixed unit direction for states on a proof path (proximity 0.5 + 0.5 / distance:
 * 1 one tactic from the end, → 0.5 far from it; 0 off the proof path). An energy head trained on
 * these embeddings can learn to prefer on-path states; with embed_shift 0 there is nothing to
 * learn. Inputs in the embedding recipe's `[GOAL]{state}[PROOFSTEP]` template are recognised by
 * their state; the Gaussian part is drawn from the whole input, so a recipe change (template,
 * raw text) changes the vectors, as it would with a real encoder. Pure.
 */
import { GOAL_TOKEN, PROOFSTEP_TOKEN } from "../../data/sft-format.js";
import { hash32, Prng } from "../../numeric/prng.js";
import type { SyntheticProofWorld } from "./synthetic-proof-world.js";

export const DEFAULT_EMBEDDING_DIM = 64;

/** 0 off the proof path; 0.5 + 0.5 / distance on it. */
export function proofProximity(distance: number | null): number {
  return distance === null ? 0 : 0.5 + 0.5 / distance;
}

/** The planted unit direction of a seed (the same for every model). */
export function plantedDirection(seed: number, dim: number): Float64Array {
  const rng = new Prng(hash32(`${seed}/embedding-direction`));
  const u = Float64Array.from({ length: dim }, () => rng.normal());
  const norm = Math.hypot(...u);
  return u.map((x) => x / norm);
}

/** The state inside the recipe template, or the input itself. */
export function embeddedState(input: string): string {
  return input.startsWith(GOAL_TOKEN) && input.endsWith(PROOFSTEP_TOKEN) ? input.slice(GOAL_TOKEN.length, input.length - PROOFSTEP_TOKEN.length) : input;
}

export interface SyntheticEncoder {
  readonly seed: number;
  readonly model: string;
  readonly dim: number;
  readonly embed_shift: number;
}

/** One embedding, as float32 values (what a server in float mode sends). */
export function syntheticEmbedding(world: SyntheticProofWorld, enc: SyntheticEncoder, input: string, direction = plantedDirection(enc.seed, enc.dim)): number[] {
  const rng = new Prng(hash32(`${enc.seed}/embed/${enc.model}/${input}`));
  const shift = enc.embed_shift * proofProximity(world.distanceToProof(embeddedState(input)));
  const scale = 1 / Math.sqrt(enc.dim);
  return Array.from({ length: enc.dim }, (_, i) => Math.fround(scale * rng.normal() + shift * direction[i]!));
}
