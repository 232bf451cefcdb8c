/**
 * The protocol double is faithful to the real repl: replaying each transcript it prints the exact
 * bytes the real repl printed (same pretty-printer, key order, framing, its getLines input rules),
 * and the client (ReplProcess) parses every response of every transcript through a real pipe.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ReplProcess } from "../../src/lean/repl-process.js";
import { parseReplResponse, type ReplRequest } from "../../src/lean/repl-protocol.js";
import { DOUBLE, TRANSCRIPTS, doubleCommand } from "../fixtures/repl-double/double.js";
import { renderLeanJson } from "../../src/lean/lean-json-format.mjs";

/** Transcripts with a recorded output (.in files without one are skipped by the repl's own tests too). */
function transcripts(): string[] {
  const out: string[] = [];
  for (const dir of [TRANSCRIPTS, join(TRANSCRIPTS, "mathlib")]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".expected.out")).sort()) out.push(join(dir, f.replace(/\.expected\.out$/, ".in")));
  }
  return out;
}

/** The repl's getLines: lines joined after trimming their right end, a blank line ends a query. */
function queriesOf(text: string): string[] {
  const out: string[] = [];
  let acc = "";
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (acc) out.push(acc);
      acc = "";
    } else acc += line.trimEnd();
  }
  if (acc) out.push(acc);
  return out;
}

function replay(f: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [DOUBLE, "--transcript", f], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    c.on("close", (code) => resolve({ code, stdout, stderr }));
    c.stdin.end(readFileSync(f));
  });
}

test("the double's printer reproduces every transcript response byte for byte (Lean's Json.pretty, width 80)", () => {
  const files = transcripts();
  assert.equal(files.length, 71);
  let frames = 0;
  for (const f of files) {
    const text = readFileSync(f.replace(/\.in$/, ".expected.out"), "utf8");
    const parts = text.split("\n\n").filter((x) => x.trim() !== "");
    assert.equal(parts.map((p) => renderLeanJson(JSON.parse(p)) + "\n\n").join(""), text, f);
    frames += parts.length;
  }
  assert.equal(frames, 217);
});

test("through a pipe, the double prints the real repl's bytes (raw newlines in requests included)", async () => {
  for (const name of ["invalid_line_break.in", "line_breaks.in", "calc.in", "mathlib/on_goal.in"]) {
    const f = join(TRANSCRIPTS, name);
    const r = await replay(f);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    assert.equal(r.stdout, readFileSync(f.replace(/\.in$/, ".expected.out"), "utf8"), f);
  }
});

test("ReplProcess sends every transcript request and parses every response", { timeout: 60_000 }, async () => {
  const files = transcripts();
  let responses = 0;
  for (let i = 0; i < files.length; i += 8) {
    await Promise.all(
      files.slice(i, i + 8).map(async (f, k) => {
        const proc = await ReplProcess.start({ command: doubleCommand({ transcript: f }), worker_id: i + k });
        try {
          const expected = readFileSync(f.replace(/\.in$/, ".expected.out"), "utf8").split("\n\n").filter((s) => s.trim() !== "");
          const requests = queriesOf(readFileSync(f, "utf8")).map((q) => JSON.parse(q) as ReplRequest);
          assert.equal(requests.length, expected.length, f);
          for (let j = 0; j < requests.length; j++) {
            const got = await proc.request(requests[j]!, 10);
            assert.deepEqual(got, parseReplResponse(expected[j]!), `${f} response ${j}`);
            responses++;
          }
          assert.equal(proc.uses, requests.length);
        } finally {
          await proc.close();
        }
      }),
    );
  }
  assert.equal(responses, 134 + 74 + 9);
});

test("the double reads input like the repl: a raw newline inside a JSON string vanishes", () => {
  // invalid_line_break.in sends `by<newline>sorry`; the real repl elaborated `bysorry`.
  const r = spawnSync(process.execPath, [DOUBLE], { input: '{"cmd": "import Lean"}\n\n# a comment query is skipped\n\n{"cmd": "theorem a : 1 = 1 := by\nrfl", "env": 0}\n\n', encoding: "utf8" });
  assert.equal(r.stdout.split("\n\n").filter(Boolean).length, 2);
  assert.match(r.stdout, /^\{"env": 0\}\n\n\{"messages":/); // `byrfl`: no tactic block, an error (as in invalid_line_break)
});
