/**
 * The worker registry reaps exactly the groups a dead owner left behind, by their recorded ids,
 * and never a process whose pid was reused (start time differs) or one owned by a live run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkerRegistry } from "../../src/lean/worker-registry.js";
import { readProcStat } from "../../src/lean/process-memory.js";
import { pidAlive, waitFor } from "../fixtures/repl-double/double.js";

test("orphans of a dead owner are killed; reused pids and live owners' workers are left alone", async () => {
  const dir = mkdtempSync(join(tmpdir(), "burnqed-registry-"));
  const reused = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
  const live = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
  try {
    // An owner process that starts a detached worker, records it, and is then SIGKILLed.
    const script = `
      const { spawn } = require("node:child_process");
      const w = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
      w.unref();
      const { WorkerRegistry } = require(${JSON.stringify(join(process.cwd(), "src/lean/worker-registry.ts"))});
      new WorkerRegistry(${JSON.stringify(dir)}).record(w.pid, ["sleep", "60"]);
      console.log(w.pid);
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    owner.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    await waitFor(() => /\d+\n/.test(out), 20_000, "the owner to record its worker");
    const orphan = Number(out.trim());
    owner.kill("SIGKILL");
    await new Promise((r) => owner.on("exit", r));
    assert.ok(pidAlive(orphan), "the worker survived its owner");

    const reg = new WorkerRegistry(dir);
    // a record pointing at an unrelated live process with another start time (pid reuse): not ours
    const st = readProcStat(reused.pid!)!;
    writeFileSync(join(dir, `${reused.pid}.json`), JSON.stringify({ pgid: reused.pid, starttime: st.starttime - 1, owner_pid: 999999, owner_starttime: 1, argv: ["x"] }));
    // a record of a live owner (this test process): left for its owner
    reg.record(live.pid!, ["sleep"]);
    writeFileSync(join(dir, "notes.json"), "not a record");
    const r = reg.reapOrphans();
    assert.deepEqual(r.killed, [orphan]);
    assert.equal(r.stale, 1);
    assert.equal(r.owned_by_live, 1);
    await waitFor(() => !pidAlive(orphan), 2000, "the orphan to die");
    assert.ok(pidAlive(reused.pid!), "a process that is not the recorded one is never killed");
    assert.ok(pidAlive(live.pid!), "a live run's worker is left to its owner");
  } finally {
    reused.kill("SIGKILL");
    live.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
