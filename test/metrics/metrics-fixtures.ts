/** Shared by the metrics tests: demo-world inputs as a MetricsTable + vectors, written as JSONL + .npy. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeNpy } from "../../src/artifacts/npy.js";
import { generateDemoWorld, type DemoIteration, type DemoWorld } from "../../src/demo/index.js";
import { metricsTableFromColumns, type MetricsTable } from "../../src/metrics/index.js";

const worlds = new Map<string, DemoWorld>();

/** One demo world per parameter set per test process (generation takes ~2 s at the default size). */
export function demoWorld(params: Parameters<typeof generateDemoWorld>[0] = {}): DemoWorld {
  const key = JSON.stringify(params);
  let w = worlds.get(key);
  if (!w) {
    w = generateDemoWorld(params);
    worlds.set(key, w);
  }
  return w;
}

export function demoTable(it: DemoIteration): MetricsTable {
  return metricsTableFromColumns("demo", it.trajectories as unknown as Record<string, ArrayLike<unknown>>);
}

/** Energy = −(x · u) for the planted shift direction u: lower for positives, as a good head would score. */
export function plantedEnergies(it: DemoIteration, u: readonly number[]): Float64Array {
  const d = it.dim;
  const e = new Float64Array(it.trajectories.state_id.length);
  for (let r = 0; r < e.length; r++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += it.state_embeddings[r * d + k]! * u[k]!;
    e[r] = -s;
  }
  return e;
}

/** Writes table.jsonl, vectors.npy (and energies.npy) into dir; returns their paths. */
export function writeInputs(dir: string, table: MetricsTable, vectors: Float32Array, dim: number, energies?: ArrayLike<number>): { table: string; vectors: string; energies?: string } {
  const lines: string[] = [];
  for (let r = 0; r < table.n_rows; r++) {
    lines.push(
      JSON.stringify({
        ...(table.run_id ? { run_id: table.run_id[r] } : {}),
        theorem_name: table.theorem_name[r],
        state_id: table.state_id[r],
        parent_state_id: table.parent_state_id[r],
        depth_from_root: table.depth_from_root[r],
        label: table.label[r],
        state_pp: table.state_pp[r],
      }),
    );
  }
  const paths = { table: join(dir, "table.jsonl"), vectors: join(dir, "vectors.npy") };
  writeFileSync(paths.table, lines.join("\n") + "\n");
  writeNpy(paths.vectors, "float32", [table.n_rows, dim], vectors);
  if (!energies) return paths;
  const e = join(dir, "energies.npy");
  writeNpy(e, "float64", [table.n_rows], energies);
  return { ...paths, energies: e };
}
