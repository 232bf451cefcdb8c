/** The semaphore: at most max holders, FIFO hand-over, idempotent release, abort leaves the queue. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Semaphore } from "../../src/policy/semaphore.js";

test("at most max holders; a release hands the slot to the first waiter", async () => {
  const s = new Semaphore(2);
  const order: string[] = [];
  const r1 = await s.acquire();
  const r2 = await s.acquire();
  const p3 = s.acquire().then((r) => (order.push("3"), r));
  const p4 = s.acquire().then((r) => (order.push("4"), r));
  assert.deepEqual([s.held, s.waiting], [2, 2]);
  r1();
  r1(); // idempotent: a second call frees nothing more
  const r3 = await p3;
  assert.deepEqual([s.held, s.waiting, order], [2, 1, ["3"]]);
  r2();
  const r4 = await p4;
  assert.deepEqual(order, ["3", "4"]);
  r3();
  r4();
  assert.deepEqual([s.held, s.waiting], [0, 0]);
});

test("an aborted waiter leaves the queue with the signal's reason; an aborted signal fails at once", async () => {
  const s = new Semaphore(1);
  const r1 = await s.acquire();
  const ac = new AbortController();
  const p = s.acquire(ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(p, /stop/);
  assert.equal(s.waiting, 0);
  await assert.rejects(s.acquire(ac.signal), /stop/);
  r1();
  assert.equal(s.held, 0);
  assert.throws(() => new Semaphore(0), /max must be a positive integer, got 0/);
});
