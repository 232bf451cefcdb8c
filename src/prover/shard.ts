/**
 * `--shard i/n`: which theorems one host searches. Membership is a hash of the theorem name, so it
 * does not depend on the order or the length of the theorem list, and the n shards partition it.
 */
import { sha256Text } from "../artifacts/hash.js";

export interface Shard {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = Object.freeze({ index: 0, count: 1 });

/** "i/n" with 1 ≤ i ≤ n (as people count shards) → { index: i − 1, count: n }. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(i >= 1 && i <= n)) throw new Error(`--shard must be i/n with 1 ≤ i ≤ n (e.g. 2/4), got ${JSON.stringify(text)}`);
  return Object.freeze({ index: i - 1, count: n });
}

export const formatShard = (s: Shard): string => `${s.index + 1}/${s.count}`;

export function inShard(name: string, s: Shard): boolean {
  if (s.count === 1) return true;
  return parseInt(sha256Text(`burnqed-shard\0${name}`).slice(0, 8), 16) % s.count === s.index;
}
