/** Labels and remaining_depth on a hand-made tree (see handMadeTree in search-fakes.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { searchLabels } from "../../src/search/search-labels.js";
import { handMadeTree, handMadeUnproved } from "./search-fakes.js";

test("proof path positive (root and proof node included), expanded off-path negative, the rest unknown", () => {
  const { label, remaining_depth } = searchLabels(handMadeTree());
  //                     R           A           B           C           D          E          proof
  assert.deepEqual(label, ["positive", "positive", "negative", "positive", "unknown", "unknown", "positive"]);
  assert.deepEqual(remaining_depth, [3, 2, -1, 1, -1, -1, 0]);
});

test("an unproved tree has no positives: expanded nodes are negative, frontier nodes unknown", () => {
  const { label, remaining_depth } = searchLabels(handMadeUnproved());
  assert.deepEqual(label, ["negative", "negative", "negative", "negative", "unknown", "unknown"]);
  assert.deepEqual(remaining_depth, [-1, -1, -1, -1, -1, -1]);
});

test("inconsistent trees are refused, not labelled", () => {
  const t = handMadeTree();
  assert.throws(() => searchLabels({ ...t, status: "exhausted" }), /status exhausted with proof_node_id 6/);
  assert.throws(() => searchLabels({ ...t, proof_node_id: 4 }), /proof node 4 is not proof-complete/);
  assert.throws(() => searchLabels({ ...t, nodes: [t.nodes[0]!, t.nodes[2]!] }), /node at index 1 has id 2/);
});
