/** Bad input: clear errors, or counted exclusions with a note — never a silent 0. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeTable } from "../../src/artifacts/arrow-table.js";
import { TRAJECTORIES } from "../../src/artifacts/schemas.js";
import { readMetricsTable } from "../../src/artifacts/metrics-table-file.js";
import { ebmMetrics, embeddingMetrics, metricsTableFromColumns, MetricsTableError, type MetricsTable } from "../../src/metrics/index.js";
import { arrayVectorSource } from "../../src/numeric/index.js";
import { tmpDir } from "../helpers/tmp-run.js";
import { demoTable, demoWorld } from "./metrics-fixtures.js";

function subset(t: MetricsTable, keep: (r: number) => boolean): MetricsTable {
  const rows = Array.from({ length: t.n_rows }, (_, r) => r).filter(keep);
  return metricsTableFromColumns(`${t.origin} subset`, {
    theorem_name: rows.map((r) => t.theorem_name[r]),
    state_id: rows.map((r) => t.state_id[r]),
    parent_state_id: rows.map((r) => t.parent_state_id[r]),
    depth_from_root: rows.map((r) => t.depth_from_root[r]),
    label: rows.map((r) => t.label[r]),
    state_pp: rows.map((r) => t.state_pp[r]),
  });
}

test("row-count mismatch between table and vectors / energies is an error naming both", async () => {
  const it = demoWorld().iter_0;
  const table = demoTable(it);
  const short = it.state_embeddings.subarray(0, (table.n_rows - 1) * it.dim);
  await assert.rejects(embeddingMetrics({ table, vectors: arrayVectorSource(short, table.n_rows - 1, it.dim) }), new RegExp(`row-count mismatch: table demo has ${table.n_rows} rows, vectors memory has ${table.n_rows - 1}`));
  assert.throws(() => ebmMetrics({ table, energies: new Float64Array(3), energies_origin: "e.npy" }), new RegExp(`row-count mismatch: table demo has ${table.n_rows} rows, e.npy has 3 energies`));
});

test("NaN, Inf and all-zero vectors are counted, alarmed and left out: the metrics equal those without the rows", async () => {
  const world = demoWorld();
  const it = world.iter_0;
  const d = it.dim;
  const table = demoTable(it);
  const vectors = it.state_embeddings.slice();
  const bad = new Map<number, string>([[10, "nan"], [20, "inf"], [30, "-inf"], [40, "zero"], [50, "zero"]]);
  for (const [r, kind] of bad) {
    if (kind === "zero") vectors.fill(0, r * d, (r + 1) * d);
    else vectors[r * d + 7] = kind === "nan" ? NaN : kind === "inf" ? Infinity : -Infinity;
  }
  const excluded = it.embeddings_index.excluded;
  const params = { seed: 1 };
  const withBad = await embeddingMetrics({ table, vectors: arrayVectorSource(vectors, table.n_rows, d), index_excluded: excluded, params });
  const det = withBad.file.details as { excluded: { by_index: number; non_finite: number; all_zero: number; examples: { non_finite: number[]; all_zero: number[] } }; notes: string[] };
  assert.deepEqual([det.excluded.non_finite, det.excluded.all_zero], [3, 2]);
  assert.deepEqual(det.excluded.examples, { non_finite: [10, 20, 30], all_zero: [40, 50] });
  assert.ok(det.notes.some((n) => n.startsWith("ALARM: 3 row(s) of memory have NaN/Inf values (e.g. rows 10, 20, 30)")), det.notes.join("\n"));
  assert.ok(det.notes.some((n) => n.startsWith("ALARM: 2 row(s) of memory are all zeros")));
  // the same metrics from a table without those rows (and without the index-excluded ones)
  const keep = (r: number) => !bad.has(r) && !excluded[r];
  const rows = Array.from({ length: table.n_rows }, (_, r) => r).filter(keep);
  const clean = new Float32Array(rows.length * d);
  rows.forEach((r, i) => clean.set(it.state_embeddings.subarray(r * d, (r + 1) * d), i * d));
  const without = await embeddingMetrics({ table: subset(table, keep), vectors: arrayVectorSource(clean, rows.length, d), params });
  for (const [k, v] of Object.entries(without.file.values)) {
    const got = withBad.file.values[k]!;
    assert.ok(Math.abs(got - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${k}: ${got} with bad rows vs ${v} without`);
  }
});

test("non-finite energies are counted and left out; a band with no mixed group reads not enough data", () => {
  const t = metricsTableFromColumns("e", {
    theorem_name: ["T", "T", "T", "T"],
    state_id: [0, 1, 2, 3],
    parent_state_id: [null, 0, 0, 0],
    depth_from_root: [0, 1, 1, 1],
    label: ["positive", "positive", "negative", "negative"],
    state_pp: ["a", "b", "c", "d"],
  });
  const m = ebmMetrics({ table: t, energies: [0, 1, NaN, 2], energies_origin: "e.npy" });
  assert.equal(m.values["rank1_accuracy"], 1); // row 2 left out: 1 (+, 1) vs 3 (−, 2)
  assert.equal((m.details as { rows: { non_finite_energy: number } }).rows.non_finite_energy, 1);
  assert.ok((m.details as { notes: string[] }).notes[0]!.startsWith("ALARM: 1 row(s) of e.npy have a NaN/Inf energy"));
  assert.equal(m.not_computed["rank1_d4+"], "not enough data: 0 mixed sibling groups at depth 4+");
  assert.equal(m.values["rank1_d4+"], undefined);
  const none = ebmMetrics({ table: t, energies: [NaN, NaN, NaN, NaN] });
  assert.equal(none.not_computed["energy_gap"], "not enough data: n_positive=0, n_negative=0 rows with a finite energy");
  assert.equal(none.not_computed["active_ratio"], "not enough data: 0 contrastive pairs (no positive non-root row with a negative to pair)");
});

test("labels: an unrecognised label is an error naming file, row and theorem; 'unknown' rows are counted and left out", async () => {
  const cols = {
    theorem_name: ["thm_a", "thm_a"],
    state_id: [0, 1],
    parent_state_id: [null, 0],
    depth_from_root: [0, 1],
    label: ["positive", "proved"],
    state_pp: ["x", "y"],
  };
  assert.throws(() => metricsTableFromColumns("t.jsonl", cols), (e: unknown) => e instanceof MetricsTableError && e.message === `t.jsonl: row 1 (theorem 'thm_a'): label "proved" is not one of positive | negative | unknown`);
  const it = demoWorld().iter_0;
  const table = demoTable(it);
  // relabel 100 negatives as unknown: they drop out of the label metrics but stay in the spectrum
  const labels = table.label.map((l, r) => (l === "negative" && r % 50 === 1 ? "unknown" : l));
  const nUnknown = labels.filter((l) => l === "unknown").length;
  const relabelled = metricsTableFromColumns("relabelled", { ...table, label: labels } as unknown as Record<string, ArrayLike<unknown>>);
  const r = await embeddingMetrics({ table: relabelled, vectors: arrayVectorSource(it.state_embeddings, table.n_rows, it.dim), index_excluded: it.embeddings_index.excluded, parts: ["centroid"] });
  assert.equal((r.file.details as { rows: { unknown_label: number } }).rows.unknown_label, nUnknown);
  const e = ebmMetrics({ table: relabelled, energies: new Float64Array(table.n_rows).fill(1) });
  assert.equal((e.details as { rows: { unknown_label: number } }).rows.unknown_label, nUnknown);
});

test("tables: JSON Lines and Arrow IPC read alike; a missing column or a non-integer id is an error", () => {
  const tmp = tmpDir();
  try {
    const rows = [
      { theorem_name: "t", state_id: 0, parent_state_id: null, depth_from_root: 0, label: "positive", state_pp: "a" },
      { theorem_name: "t", state_id: 1, depth_from_root: 1, parent_state_id: 0, label: "negative", state_pp: "b", extra: 1 },
    ];
    const jsonl = join(tmp.dir, "t.jsonl");
    writeFileSync(jsonl, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const a = readMetricsTable(jsonl);
    const traj = demoTable(demoWorld().iter_0);
    const arrow = join(tmp.dir, "t.arrow");
    const it = demoWorld().iter_0;
    writeFileSync(arrow, encodeTable(TRAJECTORIES, it.trajectories as unknown as Parameters<typeof encodeTable>[1]));
    const b = readMetricsTable(arrow);
    assert.deepEqual([a.n_rows, a.parent_state_id, a.label], [2, [null, 0], ["positive", "negative"]]);
    assert.deepEqual([b.n_rows, b.state_id.slice(0, 50), b.parent_state_id.slice(0, 50), b.run_id?.slice(0, 3)], [traj.n_rows, traj.state_id.slice(0, 50), traj.parent_state_id.slice(0, 50), it.trajectories.run_id.slice(0, 3)]);
    writeFileSync(jsonl, JSON.stringify({ theorem_name: "t", state_id: 0, depth_from_root: 0, label: "positive" }) + "\n");
    assert.throws(() => readMetricsTable(jsonl), /t\.jsonl: line 1 has no 'state_pp'/);
    writeFileSync(jsonl, JSON.stringify({ ...rows[0], state_id: "0" }) + "\n");
    assert.throws(() => readMetricsTable(jsonl), /row 0 \(theorem 't'\): state_id "0" is not an integer/);
    writeFileSync(jsonl, "{not json\n");
    assert.throws(() => readMetricsTable(jsonl), /line 1 is neither Arrow IPC nor a JSON object/);
  } finally {
    tmp.cleanup();
  }
});

test("terminal rows (no state text) with the scorer's dedicated energy −∞ are left out without an alarm", () => {
  const t = metricsTableFromColumns("e", {
    theorem_name: ["T", "T", "T", "T"],
    state_id: [0, 1, 2, 3],
    parent_state_id: [null, 0, 0, 1],
    depth_from_root: [0, 1, 1, 2],
    label: ["positive", "positive", "negative", "positive"],
    state_pp: ["a", "b", "c", ""],
  });
  const m = ebmMetrics({ table: t, energies: [0, 1, 2, -Infinity], energies_origin: "e.npy" });
  const notes = (m.details as { notes: string[] }).notes;
  assert.ok(notes.includes("1 terminal row(s) (no state text, dedicated energy −∞) left out"), notes.join("\n"));
  assert.ok(!notes.some((n) => n.startsWith("ALARM")), notes.join("\n"));
  assert.equal(m.values["rank1_accuracy"], 1);
  // −∞ on a row that has state text is still an alarm.
  const bad = ebmMetrics({ table: t, energies: [0, -Infinity, 2, -Infinity], energies_origin: "e.npy" });
  assert.ok((bad.details as { notes: string[] }).notes.some((n) => n.startsWith("ALARM: 1 row(s) of e.npy have a NaN/Inf energy")));
});
