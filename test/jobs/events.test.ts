import { test } from "node:test";
import assert from "node:assert/strict";
import { JobProtocolError, parseEventLine } from "../../src/jobs/index.js";

const ctx = { job: "sft", line_no: 7 };

test("parses every event type", () => {
  assert.deepEqual(parseEventLine('{"event":"progress","t":0.5,"step":3,"total":10,"unit":"rows"}', ctx), {
    event: "progress", t: 0.5, step: 3, total: 10, unit: "rows",
  });
  assert.deepEqual(parseEventLine('{"event":"metric","t":1,"name":"loss","value":0.25,"step":100}', ctx), {
    event: "metric", t: 1, name: "loss", value: 0.25, step: 100,
  });
  assert.deepEqual(parseEventLine('{"event":"artifact","t":2,"path":"/r/ckpt","kind":"checkpoint"}', ctx), {
    event: "artifact", t: 2, path: "/r/ckpt", kind: "checkpoint",
  });
  assert.deepEqual(parseEventLine('{"event":"artifact","t":2,"path":"e.npy","kind":"npy","rows":12}', ctx), {
    event: "artifact", t: 2, path: "e.npy", kind: "npy", rows: 12,
  });
  assert.deepEqual(parseEventLine('{"event":"warning","t":3,"message":"m"}', ctx), { event: "warning", t: 3, message: "m" });
  assert.deepEqual(parseEventLine('{"event":"abort","t":3,"reason":"r"}', ctx), { event: "abort", t: 3, reason: "r" });
  assert.deepEqual(parseEventLine('{"event":"done","t":4,"summary":{"a":1}}', ctx), { event: "done", t: 4, summary: { a: 1 } });
});

test("metric values NaN / Infinity / -Infinity decode to numbers", () => {
  const value = (v: string): number => {
    const e = parseEventLine(`{"event":"metric","t":0,"name":"x","value":${v},"step":1}`, ctx);
    assert.equal(e.event, "metric");
    return e.event === "metric" ? e.value : 0;
  };
  assert.ok(Number.isNaN(value('"NaN"')));
  assert.equal(value('"Infinity"'), Number.POSITIVE_INFINITY);
  assert.equal(value('"-Infinity"'), Number.NEGATIVE_INFINITY);
  assert.throws(() => value('"nan"'), /field 'value' must be a number/);
});

test("non-JSON line: error names job, line number and the line", () => {
  const err = (() => {
    try {
      parseEventLine("Loading checkpoint shards: 100%", ctx);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof JobProtocolError);
  assert.equal(err.job, "sft");
  assert.equal(err.line_no, 7);
  assert.match(err.message, /job sft: stdout line 7 .*not JSON.*Loading checkpoint shards: 100%/);
});

test("long offending lines are cut to 200 characters", () => {
  const line = `x${"y".repeat(500)}`;
  try {
    parseEventLine(line, ctx);
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof JobProtocolError);
    assert.equal(e.line_excerpt.length, 200);
    assert.ok(!e.message.includes("y".repeat(250)));
  }
});

test("JSON without a known event, or with bad fields, is a protocol error", () => {
  assert.throws(() => parseEventLine('{"event":"hello","t":0}', ctx), (e: unknown) => e instanceof JobProtocolError && /unknown event type "hello"/.test(e.message));
  assert.throws(() => parseEventLine('{"t":0}', ctx), /unknown event type undefined/);
  assert.throws(() => parseEventLine("[1,2]", ctx), /not a JSON object/);
  assert.throws(() => parseEventLine('{"event":"metric","t":0,"name":"x","step":1}', ctx), /field 'value'/);
  assert.throws(() => parseEventLine('{"event":"progress","step":1,"total":2}', ctx), /field 't'/);
  assert.throws(() => parseEventLine('{"event":"done","t":0,"summary":[1]}', ctx), /field 'summary' must be an object/);
});
