/** What is retried, and the exact backoff schedule. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay_s, isConnectionLoss, isRetryableStatus, parseRetryAfter_s } from "../../src/policy/retry-policy.js";

test("retried statuses: 429 and 5xx; not other 4xx", () => {
  assert.deepEqual([429, 500, 502, 503, 599].map(isRetryableStatus), [true, true, true, true, true]);
  assert.deepEqual([400, 401, 404, 408, 422, 200].map(isRetryableStatus), [false, false, false, false, false, false]);
});

test("connection loss: ECONNREFUSED, ECONNRESET, EPIPE, socket hang up; not DNS or other errors", () => {
  const err = (code: string | undefined, message = "x") => Object.assign(new Error(message), code ? { code } : {});
  assert.deepEqual([err("ECONNREFUSED"), err("ECONNRESET"), err("EPIPE"), err(undefined, "socket hang up")].map(isConnectionLoss), [true, true, true, true]);
  assert.deepEqual([err("ENOTFOUND"), err(undefined, "boom"), "ECONNRESET"].map(isConnectionLoss), [false, false, false]);
});

test("backoff: base × 2^attempt capped, equal jitter in [step/2, step), Retry-After honoured up to the cap", () => {
  assert.equal(backoffDelay_s(0, 0.5, 8, 0), 0.25);
  assert.equal(backoffDelay_s(0, 0.5, 8, 0.5), 0.375);
  assert.equal(backoffDelay_s(3, 0.5, 8, 0), 2);
  assert.equal(backoffDelay_s(10, 0.5, 8, 0), 4);
  assert.equal(backoffDelay_s(10, 0.5, 8, 0.5), 6);
  assert.equal(backoffDelay_s(0, 0.5, 8, 0, 3), 3);
  assert.equal(backoffDelay_s(0, 0.5, 8, 0, 30), 8);
  assert.equal(backoffDelay_s(4, 0.5, 8, 0.5, 1), 6); // the jittered step is already longer
});

test("Retry-After: delta seconds parsed; a date or garbage is ignored", () => {
  assert.deepEqual([parseRetryAfter_s("2"), parseRetryAfter_s(" 1.5 "), parseRetryAfter_s(["3"]), parseRetryAfter_s(undefined), parseRetryAfter_s("Wed, 21 Oct 2015 07:28:00 GMT")], [2, 1.5, 3, null, null]);
});
