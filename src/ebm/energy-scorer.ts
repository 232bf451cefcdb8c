/**
 * Energies from the exported head (python/burnqed/export.py) with onnxruntime-node: the graph takes
 * z_state (N, d) and z_goal (N, d) as float32 and returns energy (N,). Lower = closer to a proof.
 */
import { InferenceSession, Tensor } from "onnxruntime-node";

export interface EnergyScorerOptions {
  /** Intra-op threads (default: onnxruntime's choice). */
  readonly threads?: number;
}

export class EnergyScorer {
  private constructor(
    private readonly session: InferenceSession,
    /** Embedding width the model was exported for. */
    readonly d_model: number,
    readonly model_path: string,
  ) {}

  static async load(model_path: string, opts: EnergyScorerOptions = {}): Promise<EnergyScorer> {
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(model_path, opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {});
    } catch (e) {
      throw new Error(`energy head ${model_path}: cannot load as ONNX: ${(e as Error).message.slice(0, 300)}`);
    }
    const names = [...session.inputNames].sort().join(",");
    if (names !== "z_goal,z_state" || !session.outputNames.includes("energy")) {
      throw new Error(`energy head ${model_path}: expected inputs z_state, z_goal and output energy (python/burnqed/export.py), got inputs [${session.inputNames.join(", ")}], outputs [${session.outputNames.join(", ")}]`);
    }
    const meta = session.inputMetadata.find((m) => m.name === "z_state");
    const d = meta && meta.isTensor ? meta.shape[1] : undefined;
    if (typeof d !== "number") throw new Error(`energy head ${model_path}: z_state has no fixed width (shape ${JSON.stringify(meta && meta.isTensor ? meta.shape : null)})`);
    return new EnergyScorer(session, d, model_path);
  }

  /** Energies of n (state, goal) pairs given row-major (n, d) float32 blocks. */
  async score(z_state: Float32Array, z_goal: Float32Array, n: number): Promise<Float32Array> {
    const d = this.d_model;
    if (z_state.length !== n * d || z_goal.length !== n * d) {
      throw new Error(`energy head ${this.model_path} (d=${d}): got ${z_state.length} state and ${z_goal.length} goal values for ${n} rows (need ${n * d} each)`);
    }
    if (n === 0) return new Float32Array(0);
    const out = await this.session.run({ z_state: new Tensor("float32", z_state, [n, d]), z_goal: new Tensor("float32", z_goal, [n, d]) });
    const energy = out["energy"];
    if (!energy || !(energy.data instanceof Float32Array) || energy.data.length !== n) {
      throw new Error(`energy head ${this.model_path}: output 'energy' is not ${n} float32 values`);
    }
    return energy.data;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
