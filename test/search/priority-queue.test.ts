/** Max-heap by priority, insertion order among equals. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PriorityQueue } from "../../src/search/priority-queue.js";

test("pops the highest priority first and equal priorities in insertion order", () => {
  const q = new PriorityQueue();
  const pushes: Array<[number, number]> = [[0, -1], [1, -0.5], [2, -3], [3, -0.5], [4, 2], [5, -1], [6, -0.5]];
  for (const [id, p] of pushes) q.push(id, p);
  assert.equal(q.size, 7);
  const out: number[] = [];
  for (let id = q.pop(); id !== null; id = q.pop()) out.push(id);
  assert.deepEqual(out, [4, 1, 3, 6, 0, 5, 2]);
  assert.equal(q.pop(), null);
});

test("matches a sort on many random priorities with ties", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const q = new PriorityQueue();
  const items = Array.from({ length: 500 }, (_, id) => ({ id, p: Math.floor(rand() * 20) }));
  items.forEach((x) => q.push(x.id, x.p));
  const expected = [...items].sort((a, b) => b.p - a.p || a.id - b.id).map((x) => x.id);
  const got: number[] = [];
  for (let id = q.pop(); id !== null; id = q.pop()) got.push(id);
  assert.deepEqual(got, expected);
});

test("a NaN priority is refused", () => {
  assert.throws(() => new PriorityQueue().push(3, Number.NaN), /node 3 has priority NaN/);
});
