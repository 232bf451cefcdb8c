import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { readNpy, writeNpy } from "../../src/artifacts/npy.js";
import { EnergyScorer } from "../../src/ebm/energy-scorer.js";
import { ROW_TERMINAL, ROW_UNSCORABLE, scoreEnergies, TERMINAL_ENERGY } from "../../src/ebm/score-energies.js";
import { repoRoot } from "../../src/util/repo-root.js";
import { tmpDir } from "../helpers/tmp-run.js";

const PYTHON = process.env["PYTHON"];
const skip = !PYTHON && "PYTHON not set (needs torch + onnx export)";

/** A head with trained-looking weights (u, v moved, temperature 0.7), exported; inputs and torch's energies. */
const FIXTURE = `
import math, sys, numpy as np, torch
from burnqed.ebm_head import EnergyHeadConfig, GoalConditionedEnergyHead
from burnqed.export import export_onnx, fold_head
out = sys.argv[1]
torch.manual_seed(3)
d = 8
head = GoalConditionedEnergyHead(EnergyHeadConfig(d_model=d, hidden_dims=(32, 16, 8)))
opt = torch.optim.AdamW(head.parameters(), lr=1e-2)
for _ in range(3):
    opt.zero_grad(); head.score(torch.randn(16, d), torch.randn(16, d)).sum().backward(); opt.step()
with torch.no_grad(): head.log_temperature.fill_(math.log(0.7))
head.eval()
rng = np.random.default_rng(0)
states = (rng.normal(size=(37, d)) * 3).astype(np.float16)
goals = rng.normal(size=(5, d)).astype(np.float32)
gi = rng.integers(0, 5, size=37).astype(np.int64)
s, g = torch.from_numpy(states.astype(np.float32)), torch.from_numpy(goals[gi])
with torch.no_grad():
    np.save(out + "/torch.npy", head.score(s, g).double().numpy())
    np.save(out + "/folded.npy", fold_head(head)(s, g).double().numpy())
np.save(out + "/states.npy", states); np.save(out + "/goals.npy", goals); np.save(out + "/gi.npy", gi)
export_onnx(head, out + "/head.onnx")
`;

function fixture(dir: string): void {
  execFileSync(PYTHON!, ["-c", FIXTURE, dir], { cwd: join(repoRoot(), "python"), stdio: ["ignore", "ignore", "pipe"] });
}

test("onnxruntime-node scores match torch and the folded head within 1e-4", { skip }, async () => {
  const { dir, cleanup } = tmpDir();
  try {
    fixture(dir);
    const p = (f: string) => join(dir, f);
    const summary = await scoreEnergies({ model: p("head.onnx"), states: p("states.npy"), goals: p("goals.npy"), goal_index: p("gi.npy"), out: p("e.npy"), batch_rows: 10 });
    const got = readNpy(p("e.npy")).data as Float32Array;
    const torchE = readNpy(p("torch.npy")).data as Float64Array;
    const folded = readNpy(p("folded.npy")).data as Float64Array;
    assert.equal(got.length, 37);
    let worst = 0;
    for (let i = 0; i < 37; i++) worst = Math.max(worst, Math.abs(got[i]! - torchE[i]!), Math.abs(got[i]! - folded[i]!));
    assert.ok(worst < 1e-4, `max |ORT − torch| = ${worst}`);
    assert.ok(Math.abs(torchE[0]!) > 1e-3, "energies are not trivially zero");
    assert.equal(summary.n_scored, 37);
    assert.equal(summary.d_model, 8);
  } finally {
    cleanup();
  }
});

test("terminal rows get −∞ and unusable rows NaN, never 0.0; the others are unchanged", { skip }, async () => {
  const { dir, cleanup } = tmpDir();
  try {
    fixture(dir);
    const p = (f: string) => join(dir, f);
    const status = new Uint8Array(37);
    status[3] = ROW_TERMINAL;
    status[4] = ROW_UNSCORABLE;
    const s = await scoreEnergies({ model: p("head.onnx"), states: p("states.npy"), goals: p("goals.npy"), goal_index: p("gi.npy"), out: p("e.npy"), row_status: status });
    const e = readNpy(p("e.npy")).data as Float32Array;
    const torchE = readNpy(p("torch.npy")).data as Float64Array;
    assert.equal(e[3], TERMINAL_ENERGY);
    assert.ok(Number.isNaN(e[4]!));
    assert.ok(Math.abs(e[5]! - torchE[5]!) < 1e-4);
    assert.deepEqual([s.n_scored, s.n_terminal, s.n_unscorable], [35, 1, 1]);
  } finally {
    cleanup();
  }
});

test("bad input: row counts, goal rows, widths and the model file are named", { skip }, async () => {
  const { dir, cleanup } = tmpDir();
  try {
    fixture(dir);
    const p = (f: string) => join(dir, f);
    const base = { model: p("head.onnx"), states: p("states.npy"), goals: p("goals.npy"), goal_index: p("gi.npy"), out: p("e.npy") };
    writeNpy(p("gi_short.npy"), "int32", [36], new Int32Array(36));
    await assert.rejects(scoreEnergies({ ...base, goal_index: p("gi_short.npy") }), /row count mismatch: .*gi_short\.npy has 36 entries but .*states\.npy has 37 rows/);
    const gi = new Int32Array(37);
    gi[9] = 5;
    writeNpy(p("gi_bad.npy"), "int32", [37], gi);
    await assert.rejects(scoreEnergies({ ...base, goal_index: p("gi_bad.npy") }), /state row 9 points at goal row 5, but .*goals\.npy has 5 rows \(missing goal/);
    writeNpy(p("wide.npy"), "float32", [2, 9], new Float32Array(18));
    await assert.rejects(scoreEnergies({ ...base, states: p("wide.npy") }), /width mismatch: .*head\.onnx scores d=8, .*wide\.npy has d=9/);
    writeNpy(p("not-onnx.npy"), "float32", [1], new Float32Array(1));
    await assert.rejects(EnergyScorer.load(p("not-onnx.npy")), /not-onnx\.npy: cannot load as ONNX/);
  } finally {
    cleanup();
  }
});
