/**
 * The found proof as tree nodes, root first. Checks the parent links, since trees can be read back
 * from files or built by hand.
 */
import type { SearchResult } from "./search-result.js";

/** Nodes root → proof-complete node; empty when there is no proof. */
export function proofPath(result: Pick<SearchResult, "theorem_name" | "proof_node_id" | "nodes">): SearchResult["nodes"] {
  const out: SearchResult["nodes"][number][] = [];
  for (let id: number | null = result.proof_node_id; id !== null; ) {
    const n = result.nodes[id];
    if (n === undefined || n.id !== id) throw new Error(`proofPath(${result.theorem_name}): no node ${id} at index ${id}`);
    out.push(n);
    id = n.parent_id;
    if (out.length > result.nodes.length) throw new Error(`proofPath(${result.theorem_name}): parent links form a cycle`);
  }
  out.reverse();
  const [root, last] = [out[0], out[out.length - 1]];
  if (root !== undefined && root.id !== 0) throw new Error(`proofPath(${result.theorem_name}): the path starts at node ${root.id}, not the root`);
  if (last !== undefined && !last.is_proof_complete) throw new Error(`proofPath(${result.theorem_name}): proof node ${last.id} is not proof-complete`);
  return Object.freeze(out);
}
