/**
 * Training labels of a searched tree, assigned once after the search (pure):
 * - positive: on the found proof path, root and proof-complete node included;
 * - negative: expanded and off the path (its subtree was tried and did not give the proof);
 * - unknown: created but never expanded, off the path (nothing is known about it).
 * remaining_depth: tactics left to the proof along the path (proof length at the root, 0 at the
 * proof-complete node); -1 off the path. An unproved tree has no path: its expanded nodes are
 * negative.
 */
import type { Label } from "../artifacts/schemas.js";
import { proofPath } from "./proof-path.js";
import type { SearchResult } from "./search-result.js";

export interface SearchLabels {
  /** By node id. */
  readonly label: readonly Label[];
  readonly remaining_depth: readonly number[];
}

export function searchLabels(result: Pick<SearchResult, "theorem_name" | "status" | "proof_node_id" | "nodes">): SearchLabels {
  const { nodes } = result;
  nodes.forEach((n, i) => {
    if (n.id !== i) throw new Error(`searchLabels(${result.theorem_name}): node at index ${i} has id ${n.id}`);
  });
  if ((result.status === "proved") !== (result.proof_node_id !== null)) {
    throw new Error(`searchLabels(${result.theorem_name}): status ${result.status} with proof_node_id ${result.proof_node_id}`);
  }
  const remaining = new Array<number>(nodes.length).fill(-1);
  const path = proofPath(result);
  path.forEach((n, k) => (remaining[n.id] = path.length - 1 - k));
  const label = nodes.map((n): Label => (remaining[n.id]! >= 0 ? "positive" : n.expanded ? "negative" : "unknown"));
  return Object.freeze({ label: Object.freeze(label), remaining_depth: Object.freeze(remaining) });
}
