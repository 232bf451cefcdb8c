/**
 * The plan's Task 2.3 plots as PlotSpecs (pure): UMAP and t-SNE of positives vs negatives, t-SNE
 * coloured by depth (and by energy when energies are given), the sibling-L2 histogram with the
 * collision threshold, the eigenvalue spectrum on a log scale, depth vs centroid_l2.
 * `projectSample` computes the projections they draw (seeded, deterministic).
 */
import type { PlotSpec } from "../viz/plot-spec.js";
import { histogramPlot } from "../viz/histogram-plot.js";
import { linePlot } from "../viz/line-plot.js";
import { scatter2dPlot } from "../viz/scatter2d-plot.js";
import { spectrumPlot } from "../viz/spectrum-plot.js";
import type { DepthCentroid } from "./embedding-metrics.js";
import type { MetricsTable } from "./metrics-table.js";
import { pcaProject, sampleRows, umap2d, type ProjectionSample } from "./projections.js";
import type { VectorSource } from "../numeric/vector-source.js";

export const EMBEDDING_PLOTS = ["umap_label", "tsne_label", "tsne_depth", "tsne_energy", "sibling_l2_hist", "depth_centroid_l2", "spectrum"] as const;
export type EmbeddingPlotName = (typeof EMBEDDING_PLOTS)[number];

export interface Projections {
  readonly sample: ProjectionSample;
  /** PCA dimensions fed to UMAP and t-SNE. */
  readonly pca_dims: number;
  /** Row-major (n × 2). */
  readonly umap: Float32Array;
  readonly tsne: Float32Array;
  readonly timings_s: Readonly<Record<string, number>>;
}

export interface ProjectionOptions {
  readonly max_points: number;
  readonly pca_dims: number;
  readonly seed: number;
  /** Barnes–Hut t-SNE of (n × k) row-major points to (n × 2); the caller runs it (a Python job: src/stages/tsne-job.ts). */
  readonly tsne: (points: Float32Array, n: number, k: number, seed: number) => Promise<Float32Array>;
  readonly index_excluded?: ArrayLike<boolean>;
  readonly log?: (message: string) => void;
}

export async function projectSample(table: MetricsTable, source: VectorSource, o: ProjectionOptions): Promise<Projections> {
  const timings: Record<string, number> = {};
  const lap = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const out = await f();
    timings[name] = (performance.now() - t0) / 1000;
    o.log?.(`${name}: ${timings[name]!.toFixed(2)} s`);
    return out;
  };
  const sample = await lap("sample", () => sampleRows(table, source, o.max_points, o.seed, o.index_excluded));
  const n = sample.rows.length;
  if (n < 5) throw new Error(`projections: ${n} usable labelled rows, need at least 5 for UMAP / t-SNE`);
  const k = Math.min(o.pca_dims, sample.dim, n - 1);
  const pca = await lap("pca", () => pcaProject(sample.vectors, n, sample.dim, k, o.seed));
  const umap = await lap("umap", () => umap2d(pca, n, k, o.seed));
  const tsne = await lap("tsne", () => o.tsne(pca, n, k, o.seed));
  return { sample, pca_dims: k, umap, tsne, timings_s: timings };
}

export interface EmbeddingPlotInputs {
  /** Prefix of titles, e.g. "iter_0". */
  readonly title_prefix: string;
  readonly table: MetricsTable;
  readonly projections: Projections;
  readonly sibling_l2: ArrayLike<number>;
  readonly collision_threshold: number;
  readonly centroid_by_depth: readonly DepthCentroid[];
  readonly eigenvalues: ArrayLike<number>;
  /** Lines under the spectrum plot (e.g. "top 64 of 4096 eigenvalues"). */
  readonly spectrum_notes?: readonly string[];
  /** One energy per table row: adds t-SNE coloured by energy. */
  readonly energies?: ArrayLike<number>;
}

export function embeddingPlotSpecs(i: EmbeddingPlotInputs): Partial<Record<EmbeddingPlotName, PlotSpec>> {
  const { projections: pr, table } = i;
  const rows = Array.from(pr.sample.rows);
  const labels = rows.map((r) => table.label[r]!);
  const nPos = labels.filter((l) => l === "positive").length;
  const dropped = pr.sample.n_dropped > 0 ? ` (${pr.sample.n_dropped} drawn rows with NaN/Inf or all-zero vectors skipped)` : "";
  const sampleNote = `seeded sample of usable rows, positives capped at half so the rare label shows: ${nPos} positive + ${rows.length - nPos} negative${dropped}; PCA to ${pr.pca_dims} dimensions first`;
  const withNotes = (spec: PlotSpec, notes: readonly string[]): PlotSpec => ({ ...spec, notes: [...(spec.notes ?? []), ...notes] });
  const specs: Partial<Record<EmbeddingPlotName, PlotSpec>> = {
    umap_label: withNotes(scatter2dPlot(pr.umap, { title: `${i.title_prefix} UMAP of state embeddings, positive vs negative`, labels, x_title: "UMAP 1", y_title: "UMAP 2", marker_size_px: 2 }), [sampleNote]),
    tsne_label: withNotes(scatter2dPlot(pr.tsne, { title: `${i.title_prefix} t-SNE of state embeddings, positive vs negative`, labels, x_title: "t-SNE 1", y_title: "t-SNE 2", marker_size_px: 2 }), [sampleNote]),
    tsne_depth: withNotes(
      scatter2dPlot(pr.tsne, { title: `${i.title_prefix} t-SNE coloured by depth`, color: rows.map((r) => table.depth_from_root[r]!), color_title: "depth_from_root", x_title: "t-SNE 1", y_title: "t-SNE 2", marker_size_px: 2 }),
      [sampleNote],
    ),
  };
  if (i.energies) {
    const e = i.energies;
    specs.tsne_energy = withNotes(
      scatter2dPlot(pr.tsne, { title: `${i.title_prefix} t-SNE coloured by energy`, color: rows.map((r) => e[r]!), color_title: "energy", x_title: "t-SNE 1", y_title: "t-SNE 2", marker_size_px: 2 }),
      [sampleNote],
    );
  }
  specs.sibling_l2_hist = withNotes(
    histogramPlot(i.sibling_l2, {
      bins: 60,
      title: `${i.title_prefix} sibling L2 distances`,
      x_title: "L2 distance between siblings",
      y_title: "pairs",
      threshold: { x: i.collision_threshold, label: `collision threshold ${i.collision_threshold}` },
    }),
    [`${i.sibling_l2.length} sibling pairs`],
  );
  const shown = i.centroid_by_depth.filter((c) => c.centroid_l2 !== null);
  const skipped = i.centroid_by_depth.filter((c) => c.centroid_l2 === null).map((c) => c.depth);
  specs.depth_centroid_l2 = withNotes(
    linePlot([{ name: "centroid_l2", x: shown.map((c) => c.depth), y: shown.map((c) => c.centroid_l2!) }], {
      title: `${i.title_prefix} centroid_l2 by depth`,
      x_title: "depth_from_root",
      y_title: "‖mean(pos) − mean(neg)‖",
    }),
    skipped.length ? [`not drawn (too few rows of a label, see details.centroid_l2_by_depth): depth ${skipped.join(", ")}`] : [],
  );
  specs.spectrum = withNotes(spectrumPlot(i.eigenvalues, { title: `${i.title_prefix} embedding variance spectrum` }), i.spectrum_notes ?? []);
  return specs;
}
