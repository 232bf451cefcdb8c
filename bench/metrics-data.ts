/**
 * Bench inputs for the metrics suite: a trajectory table (JSON Lines) with realistic search trees
 * and an (n × dim) float32 embedding file shaped like LLM hidden states, plus energies.
 *
 * Trees: ~125 nodes per theorem grown best-first (children 2–12 per expansion, deeper nodes
 * preferred), 60% of theorems proved along a root-to-leaf path of depth ≥ 3 (positives; the leaf is
 * a terminal node with empty text and an all-zero vector). Vectors: a large shared mean with two
 * "massive activation" dimensions, a per-theorem offset in a 32-d topic subspace, a label shift
 * σ·s(d)/2·u fading with depth, power-law noise of rank 256 plus isotropic noise; 10% of sibling
 * groups collide (near-identical children); 1% of negatives copy a positive's text and vector
 * (dual-label states). Written in row blocks, so 400K × 4096 never sits in memory.
 *
 *   node --import tsx bench/metrics-data.ts --rows 50000 --dim 4096 --out .bench-tmp/metrics-50k
 */
import { existsSync, mkdirSync, writeFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import { NpyWriter, writeNpy } from "../src/artifacts/npy.js";
import { Prng } from "../src/numeric/prng.js";
import { matmul } from "../src/numeric/matmul-engine.js";

export interface BenchDataOptions {
  readonly n_rows: number;
  readonly dim: number;
  readonly seed: number;
  readonly out_dir: string;
}

interface Node {
  readonly theorem: number;
  readonly state_id: number;
  readonly parent: number; // global row, −1 at the root
  readonly depth: number;
  positive: boolean;
  terminal: boolean;
  /** Row whose text and vector this row copies (dual label), or −1. */
  copy_of: number;
  /** Sibling group of colliding children: its parent row, or −1. */
  collide_parent: number;
}

function growTrees(n_rows: number, rng: Prng): Node[] {
  const nodes: Node[] = [];
  let theorem = 0;
  while (nodes.length < n_rows) {
    const budget = Math.min(n_rows - nodes.length, 60 + rng.int(0, 130));
    const base = nodes.length;
    nodes.push({ theorem, state_id: 0, parent: -1, depth: 0, positive: false, terminal: false, copy_of: -1, collide_parent: -1 });
    const frontier = [base];
    while (nodes.length - base < budget && frontier.length > 0) {
      // best-first stand-in: prefer deep frontier nodes
      const pick = frontier.length - 1 - Math.min(frontier.length - 1, Math.floor(-Math.log(1 - rng.next()) * 3));
      const parent = frontier.splice(pick, 1)[0]!;
      const k = Math.min(rng.int(2, 12), budget - (nodes.length - base));
      const collide = rng.bool(0.1) ? parent : -1;
      for (let c = 0; c < k; c++) {
        const row = nodes.length;
        nodes.push({ theorem, state_id: row - base, parent, depth: nodes[parent]!.depth + 1, positive: false, terminal: false, copy_of: -1, collide_parent: collide });
        frontier.push(row);
      }
    }
    // proved: a path to a leaf at depth ≥ 3
    const hasChild = new Set<number>();
    for (let r = base + 1; r < nodes.length; r++) hasChild.add(nodes[r]!.parent);
    const leaves: number[] = [];
    for (let r = base; r < nodes.length; r++) if (nodes[r]!.depth >= 3 && !hasChild.has(r)) leaves.push(r);
    if (leaves.length > 0 && rng.bool(0.6)) {
      let r = leaves[rng.int(0, leaves.length - 1)]!;
      nodes[r]!.terminal = true;
      nodes[r]!.collide_parent = -1;
      while (r >= 0) {
        nodes[r]!.positive = true;
        nodes[r]!.collide_parent = -1;
        r = nodes[r]!.parent;
      }
    }
    theorem++;
  }
  // dual-label copies: 1% of negatives repeat a positive of their theorem
  const positivesOf = new Map<number, number[]>();
  nodes.forEach((n, r) => {
    if (n.positive && !n.terminal) positivesOf.set(n.theorem, [...(positivesOf.get(n.theorem) ?? []), r]);
  });
  nodes.forEach((n) => {
    const ps = positivesOf.get(n.theorem);
    if (!n.positive && ps && n.collide_parent < 0 && rng.bool(0.01)) n.copy_of = ps[rng.int(0, ps.length - 1)]!;
  });
  return nodes;
}

function unit(rng: Prng, d: number): Float64Array {
  const v = Float64Array.from({ length: d }, () => rng.normal());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export async function generateBenchData(o: BenchDataOptions): Promise<{ table: string; vectors: string; energies: string; n_rows: number }> {
  const paths = { table: join(o.out_dir, "table.jsonl"), vectors: join(o.out_dir, "vectors.npy"), energies: join(o.out_dir, "energies.npy") };
  if (existsSync(paths.table) && existsSync(paths.vectors) && existsSync(paths.energies)) return { ...paths, n_rows: o.n_rows };
  mkdirSync(o.out_dir, { recursive: true });
  const rng = Prng.stream(o.seed, "bench-trees");
  const nodes = growTrees(o.n_rows, rng);
  const d = o.dim;
  const g = Prng.stream(o.seed, "bench-vectors");
  const mean = Float64Array.from({ length: d }, () => 0.5 * g.normal());
  mean[0] = 60;
  mean[1] = -35;
  const u = unit(g, d);
  const topics = Array.from({ length: 32 }, () => unit(g, d));
  const nTheorems = nodes[nodes.length - 1]!.theorem + 1;
  const theoremOffset = Array.from({ length: nTheorems }, () => {
    const v = new Float64Array(d);
    for (const t of topics) {
      const a = 1.2 * g.normal();
      for (let k = 0; k < d; k++) v[k] += a * t[k]!;
    }
    return v;
  });
  // noise: rank-256 power law through a random basis (256 × d), computed by onnxruntime per block
  const rank = 256;
  const basis = new Float32Array(rank * d);
  for (let i = 0; i < basis.length; i++) basis[i] = g.normal() / Math.sqrt(d);
  const sqrtLambda = Float64Array.from({ length: rank }, (_, j) => Math.sqrt(12 * (j + 1) ** -0.8));
  const massive = 9; // sd of the massive dimension 0 (top-1 variance)
  const writer = new NpyWriter(paths.vectors, "float32", [d]);
  const energies = new Float64Array(nodes.length);
  const block = 4096;
  const rowsCache = new Map<number, Float32Array>(); // vectors of rows copied later (dual labels, collision bases)
  const needed = new Set<number>();
  nodes.forEach((n) => {
    if (n.copy_of >= 0) needed.add(n.copy_of);
  });
  const collisionBase = new Map<number, Float32Array>();
  for (let start = 0; start < nodes.length; start += block) {
    const count = Math.min(block, nodes.length - start);
    const z = new Float32Array(count * rank);
    for (let i = 0; i < z.length; i++) z[i] = g.normal() * sqrtLambda[i % rank]!;
    const noise = await matmul(z, count, rank, basis, d);
    const out = new Float32Array(count * d);
    for (let i = 0; i < count; i++) {
      const r = start + i;
      const n = nodes[r]!;
      const row = out.subarray(i * d, (i + 1) * d);
      if (n.terminal) {
        energies[r] = -10; // dedicated energy of proof-complete nodes (never 0)
        continue;
      }
      if (n.copy_of >= 0 && n.copy_of < r && rowsCache.has(n.copy_of)) {
        row.set(rowsCache.get(n.copy_of)!);
      } else if (n.collide_parent >= 0 && collisionBase.has(n.collide_parent)) {
        const b = collisionBase.get(n.collide_parent)!;
        for (let k = 0; k < d; k++) row[k] = b[k]! + 0.004 * g.normal();
      } else {
        const s = (n.positive ? 1 : -1) * 3 * 0.85 ** n.depth * 0.5;
        const off = theoremOffset[n.theorem]!;
        const m0 = massive * g.normal();
        for (let k = 0; k < d; k++) row[k] = mean[k]! + off[k]! + s * u[k]! + noise[i * d + k]! + 0.05 * g.normal();
        row[0] = row[0]! + m0;
        if (n.collide_parent >= 0) collisionBase.set(n.collide_parent, Float32Array.from(row));
      }
      if (needed.has(r)) rowsCache.set(r, Float32Array.from(row));
      let proj = 0;
      for (let k = 0; k < d; k++) proj += row[k]! * u[k]!;
      energies[r] = -proj + 0.7 * g.normal();
    }
    writer.append(out);
  }
  writer.close();
  writeNpy(paths.energies, "float64", [nodes.length], energies);
  const texts = nodes.map((n, r) => (n.terminal ? "" : `⊢ goal ${n.theorem}.${n.state_id} : x${r % 97} + y = ${r}`));
  nodes.forEach((n, r) => {
    if (n.copy_of >= 0) texts[r] = texts[n.copy_of]!;
  });
  const stream = createWriteStream(paths.table);
  for (let r = 0; r < nodes.length; r++) {
    const n = nodes[r]!;
    stream.write(
      JSON.stringify({
        theorem_name: `bench_thm_${n.theorem}`,
        state_id: n.state_id,
        parent_state_id: n.parent < 0 ? null : nodes[n.parent]!.state_id,
        depth_from_root: n.depth,
        label: n.positive ? "positive" : "negative",
        state_pp: texts[r],
      }) + "\n",
    );
  }
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  writeFileSync(join(o.out_dir, "params.json"), JSON.stringify(o));
  return { ...paths, n_rows: nodes.length };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

if (process.argv[1]?.endsWith("metrics-data.ts")) {
  const n = Number(arg("rows", "50000"));
  const d = Number(arg("dim", "4096"));
  const out = arg("out", `.bench-tmp/metrics-${n}x${d}`);
  const t0 = performance.now();
  const r = await generateBenchData({ n_rows: n, dim: d, seed: Number(arg("seed", "1")), out_dir: out });
  console.log(`wrote ${r.n_rows} rows × ${d} to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
