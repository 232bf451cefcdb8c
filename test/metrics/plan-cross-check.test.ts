/**
 * Cross-check: the plan's own numpy / scikit-learn code (python/tests/plan_reference.py, a
 * transcription of Task 2.2 and of Task 2.5's rank-1 and energy gap) and the TypeScript metrics on
 * the same demo-world input agree: exact metrics to 1e-4 relative, the probe to 0.02, and the
 * silhouettes exactly (same sklearn-drawn sample), with NaN / Inf / all-zero rows planted in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { findPython } from "../../src/jobs/find-python.js";
import { ebmMetrics, embeddingMetrics } from "../../src/metrics/index.js";
import { arrayVectorSource } from "../../src/numeric/index.js";
import { repoRoot } from "../../src/util/repo-root.js";
import { tmpDir } from "../helpers/tmp-run.js";
import { demoTable, demoWorld, plantedEnergies, writeInputs } from "./metrics-fixtures.js";

const run = promisify(execFile);

interface Reference {
  readonly excluded: { non_finite: number; all_zero: number };
  readonly embedding: Record<string, number>;
  readonly ebm: Record<string, number>;
}

test("TypeScript metrics agree with the plan's numpy/scikit-learn code on the same input", { timeout: 120_000 }, async () => {
  const world = demoWorld();
  const it = world.iter_0;
  const d = it.dim;
  const table = demoTable(it);
  const vectors = it.state_embeddings.slice();
  // bad rows the metrics must count and leave out: NaN, +Inf, and an all-zero non-terminal row
  const nonTerminal = Array.from({ length: table.n_rows }, (_, r) => r).filter((r) => !it.embeddings_index.excluded[r]);
  const [nanRow, infRow, zeroRow] = [nonTerminal[5]!, nonTerminal[500]!, nonTerminal[5000]!];
  vectors[nanRow * d + 3] = NaN;
  vectors[infRow * d] = Infinity;
  vectors.fill(0, zeroRow * d, (zeroRow + 1) * d);
  const u = world.planted.iter_0.shift_direction;
  const energies = plantedEnergies(it, u).map((e, r) => e + 0.8 * it.state_embeddings[r * d + 1]!);
  const tmp = tmpDir();
  try {
    const files = writeInputs(tmp.dir, table, vectors, d, energies);
    const python = await findPython({ modules: ["numpy", "scipy", "sklearn"] });
    const out = join(tmp.dir, "ref.json");
    const seed = 7;
    const ts = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, table.n_rows, d), params: { seed } });
    await run(python, [join(repoRoot(), "python/tests/plan_reference.py"), "--table", files.table, "--vectors", files.vectors, "--energies", files.energies!, "--seed", String(seed), "--out", out], { timeout: 110_000 });
    const ref = JSON.parse(readFileSync(out, "utf8")) as Reference;

    const det = ts.file.details as { excluded: { non_finite: number; all_zero: number } };
    assert.equal(det.excluded.non_finite, 2);
    assert.equal(ref.excluded.non_finite, 2);
    // all-zero: the planted one plus every terminal row (no index given here, so the screen finds them)
    assert.equal(det.excluded.all_zero, world.planted.iter_0.n_terminal + 1);
    assert.equal(ref.excluded.all_zero, det.excluded.all_zero);

    const exact = ["centroid_l2", "norm_gap", "sibling_l2_mean", "sibling_l2_median", "sibling_collision_rate", "top1_variance_ratio", "top10_variance_ratio", "effective_dimension", "dual_label_states", "dual_label_rate"];
    // silhouettes use the same sample (numpy RandomState reproduced), so they agree exactly too
    const sameSample = ["silhouette_shallow", "silhouette_mid", "silhouette_deep"];
    for (const k of [...exact, ...sameSample]) {
      const a = ts.file.values[k];
      const b = ref.embedding[k];
      assert.ok(a !== undefined && b !== undefined, `${k}: ts ${a}, reference ${b}`);
      assert.ok(Math.abs(a - b) <= 1e-4 * Math.abs(b) + 1e-12, `${k}: ts ${a} vs reference ${b}`);
    }
    const probe = ts.file.values["linear_probe_acc"]!;
    assert.ok(Math.abs(probe - ref.embedding["linear_probe_acc"]!) <= 0.02, `linear_probe_acc: ts ${probe} vs reference ${ref.embedding["linear_probe_acc"]}`);

    const ebm = ebmMetrics({ table, energies });
    for (const k of ["rank1_accuracy", "rank1_d0_1", "rank1_d2_3", "rank1_d4+", "energy_gap", "energy_std_pos", "energy_std_neg"]) {
      const a = ebm.values[k];
      const b = ref.ebm[k];
      assert.ok(a !== undefined && b !== undefined, `${k}: ts ${a}, reference ${b}`);
      assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${k}: ts ${a} vs reference ${b}`);
    }
    // a planted-projection energy ranks well but not perfectly
    assert.ok(ebm.values["rank1_accuracy"]! > 0.3 && ebm.values["rank1_accuracy"]! < 1, `rank1 ${ebm.values["rank1_accuracy"]}`);
  } finally {
    tmp.cleanup();
  }
});
