/**
 * The shape of one best-first search tree (no text yet): which node expanded which, in creation
 * order, and where the found proof path runs. The next node to expand is drawn from the frontier
 * with weight exp(depth_bias · depth) (a negative bias mimics best-first on summed log-probs).
 */
import type { Prng } from "../numeric/prng.js";

export interface SearchTreeShape {
  /** parent[i] of node i; -1 at the root. Ids are creation order (state_id). */
  readonly parent: Int32Array;
  readonly depth: Int32Array;
  /** Position on the found proof path (0 = root … proof_length = terminal); -1 off it. */
  readonly path_index: Int32Array;
  /** 1 when the node was expanded. */
  readonly expanded: Uint8Array;
  /** Tactics on the found proof; null when the search failed. */
  readonly proof_length: number | null;
}

export interface TreeGrowthOptions {
  /** Nodes the search may create before it gives up (a proved tree stops at its terminal node). */
  readonly node_budget: number;
  readonly proof_length: number | null;
  /** Nodes at this depth are not expanded. */
  readonly max_depth: number;
  /** Frontier weight exp(depth_bias · depth). */
  readonly depth_bias: number;
}

/** Children per expansion, 2..8 (weights for 2, 3, …, 8). */
const BRANCHING_WEIGHTS = [0.12, 0.18, 0.2, 0.18, 0.14, 0.1, 0.08];
const MEAN_BRANCHING = BRANCHING_WEIGHTS.reduce((s, w, i) => s + w * (i + 2), 0);

export function growSearchTree(rng: Prng, options: TreeGrowthOptions): SearchTreeShape {
  const { node_budget, proof_length, max_depth, depth_bias } = options;
  if (proof_length !== null && (proof_length < 1 || proof_length > max_depth)) {
    throw new Error(`growSearchTree: proof_length ${proof_length} outside [1, ${max_depth}]`);
  }
  const parent = [-1];
  const depth = [0];
  const path = [proof_length === null ? -1 : 0];
  const expanded = [0];
  const frontier: number[] = proof_length === null ? [0] : [];
  let pathNode = 0;
  let pathStep = 0;

  const expand = (node: number, positiveChild: number): number => {
    expanded[node] = 1;
    const b = 2 + rng.weighted(BRANCHING_WEIGHTS);
    const onPath = positiveChild >= 0 ? rng.int(0, b - 1) : -1;
    let positive = -1;
    for (let j = 0; j < b; j++) {
      const id = parent.length;
      parent.push(node);
      depth.push(depth[node]! + 1);
      expanded.push(0);
      if (j === onPath) {
        path.push(positiveChild);
        positive = id;
      } else {
        path.push(-1);
        if (depth[node]! + 1 < max_depth) frontier.push(id);
      }
    }
    return positive;
  };

  for (;;) {
    const n = parent.length;
    let onPath = false;
    if (proof_length !== null) {
      const stepsLeft = proof_length - pathStep;
      if (stepsLeft === 0) break; // the terminal node exists: the search stops
      const expansionsLeft = Math.max(1, (node_budget - n) / MEAN_BRANCHING);
      onPath = n >= node_budget || frontier.length === 0 || rng.next() < stepsLeft / expansionsLeft;
    } else if (n >= node_budget || frontier.length === 0) break;
    if (onPath) {
      pathNode = expand(pathNode, pathStep + 1);
      pathStep++;
    } else {
      const pick = rng.weighted(frontier.map((id) => Math.exp(depth_bias * depth[id]!)));
      const [node] = frontier.splice(pick, 1);
      expand(node!, -1);
    }
  }
  return {
    parent: Int32Array.from(parent),
    depth: Int32Array.from(depth),
    path_index: Int32Array.from(path),
    expanded: Uint8Array.from(expanded),
    proof_length,
  };
}
