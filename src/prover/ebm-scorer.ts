/**
 * The search's Scorer: children's states embedded in one request to the encoder's
 * `/v1/embeddings` (the one embedding recipe, applied by the server), the theorem's root goal
 * embedded once and cached, energies from the exported head with onnxruntime-node (the same ONNX
 * file the energies stage scores with). Lower energy = closer to a proof.
 */
import type { EmbeddingsClient } from "../policy/embeddings-client.js";
import type { Scorer } from "../search/scorer.js";

/** What scores (state, goal) pairs from embeddings: EnergyScorer (src/ebm/energy-scorer.ts) fits. */
export interface EnergyModel {
  readonly d_model: number;
  score(z_state: Float32Array, z_goal: Float32Array, n: number): Promise<Float32Array>;
}

export interface EbmScorerStats {
  readonly calls: number;
  readonly states: number;
  readonly goal_cache_hits: number;
  readonly goal_embeds: number;
}

export class EbmScorer implements Scorer {
  readonly #goals = new Map<string, Float32Array>();
  readonly #s = { calls: 0, states: 0, goal_cache_hits: 0, goal_embeds: 0 };
  /** Goal texts kept (one per theorem in flight is what is needed; the rest is a cache). */
  readonly #max_goals: number;

  constructor(
    private readonly encoder: Pick<EmbeddingsClient, "embed">,
    private readonly head: EnergyModel,
    options: { readonly max_cached_goals?: number } = {},
  ) {
    this.#max_goals = options.max_cached_goals ?? 4096;
  }

  async score(states_pp: readonly string[], goal_pp: string): Promise<Float64Array> {
    this.#s.calls++;
    this.#s.states += states_pp.length;
    const n = states_pp.length;
    if (n === 0) return new Float64Array(0);
    const d = this.head.d_model;
    const goal = await this.goal(goal_pp);
    const rows = await this.encoder.embed(states_pp);
    const z_state = new Float32Array(n * d);
    rows.forEach((row, i) => {
      if (row.length !== d) throw new Error(`encoder returned ${row.length}-wide embeddings but the energy head takes ${d} (is the encoder serving the model the head was trained on?)`);
      z_state.set(row, i * d);
    });
    const z_goal = new Float32Array(n * d);
    for (let i = 0; i < n; i++) z_goal.set(goal, i * d);
    return Float64Array.from(await this.head.score(z_state, z_goal, n));
  }

  private async goal(goal_pp: string): Promise<Float32Array> {
    const hit = this.#goals.get(goal_pp);
    if (hit) {
      this.#s.goal_cache_hits++;
      return hit;
    }
    const [row] = await this.encoder.embed([goal_pp]);
    if (!row || row.length !== this.head.d_model) throw new Error(`encoder returned a ${row?.length ?? 0}-wide goal embedding but the energy head takes ${this.head.d_model}`);
    this.#s.goal_embeds++;
    if (this.#goals.size >= this.#max_goals) this.#goals.delete(this.#goals.keys().next().value as string);
    this.#goals.set(goal_pp, row);
    return row;
  }

  stats(): EbmScorerStats {
    return { ...this.#s };
  }
}
