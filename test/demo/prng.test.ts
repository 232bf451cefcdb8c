import { test } from "node:test";
import assert from "node:assert/strict";
import { Prng } from "../../src/numeric/index.js";

test("same seed, same stream; streams keyed by tag", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextUint32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Prng(43).nextUint32()));
  assert.equal(Prng.stream(1, "x").next(), Prng.stream(1, "x").next());
  assert.notEqual(Prng.stream(1, "x").next(), Prng.stream(1, "y").next());
});

test("uniforms in [0,1), normals with mean 0 and variance 1", () => {
  const r = new Prng(5);
  let s = 0;
  let s2 = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / n) < 0.02, `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 0.02, `variance ${s2 / n}`);
  const ints = new Set(Array.from({ length: 1000 }, () => r.int(2, 4)));
  assert.deepEqual([...ints].sort(), [2, 3, 4]);
});
