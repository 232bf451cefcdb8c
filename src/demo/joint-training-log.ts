/**
 * The iter_1 joint-training metric stream the Python trainer would print (plan Task 4.1), as
 * `metric` events: sft_loss / ebm_loss / temperature every 50 steps, centroid_l2 and ebm_rank1 at
 * every 500-step eval. The healthy stream follows the plan's "Expected monitoring trajectory" so no
 * abort rule fires; the unhealthy variants trip exactly one rule each, for tests of src/jobs.
 */
import { Prng } from "../numeric/prng.js";

export interface DemoMetricEvent {
  readonly event: "metric";
  readonly name: string;
  readonly value: number;
  readonly step: number;
  /** Seconds since the job started. */
  readonly t: number;
}

export interface JointTrainingLogOptions {
  readonly seed?: number;
  /** centroid_l2 at step 0 (the iter_0 baseline). */
  readonly centroid_l2_start?: number;
  /** centroid_l2 the run settles at (≥ start + 1 for a healthy run). */
  readonly centroid_l2_end?: number;
}

export const JOINT_TOTAL_STEPS = 6000;
export const JOINT_LOG_EVERY = 50;
export const JOINT_EVAL_EVERY = 500;

export const UNHEALTHY_KINDS = ["centroid_collapse", "temperature_pinned"] as const;
/** centroid_collapse: centroid_l2 drops to 2.5 at the step-3000 eval and stays below 3.0.
 *  temperature_pinned: temperature reads 10.0 (the ceiling) from step 1000 to 1600 inclusive. */
export type UnhealthyKind = (typeof UNHEALTHY_KINDS)[number];

/** Plan Task 4.1 table: (step, value) knots, linear in between. */
const SFT_LOSS_KNOTS: readonly [number, number][] = [[0, 0.45], [500, 0.35], [1000, 0.32], [3000, 0.29], [6000, 0.28]];
const EBM_LOSS_KNOTS: readonly [number, number][] = [[0, 2.08], [500, 1.5], [1000, 1.2], [3000, 0.9], [6000, 0.8]];
const TEMPERATURE_KNOTS: readonly [number, number][] = [[0, 1.0], [1000, 1.3], [3000, 1.6], [6000, 1.7]];

export function jointTrainingLog(options: JointTrainingLogOptions = {}): DemoMetricEvent[] {
  return buildLog(options, null);
}

export function unhealthyJointTrainingLog(kind: UnhealthyKind, options: JointTrainingLogOptions = {}): DemoMetricEvent[] {
  if (!(UNHEALTHY_KINDS as readonly string[]).includes(kind)) throw new Error(`unhealthyJointTrainingLog: unknown kind '${String(kind)}' (kinds: ${UNHEALTHY_KINDS.join(", ")})`);
  return buildLog(options, kind);
}

function buildLog(options: JointTrainingLogOptions, fault: UnhealthyKind | null): DemoMetricEvent[] {
  const rng = Prng.stream(options.seed ?? 0, "joint-training-log");
  const start = options.centroid_l2_start ?? 6.0;
  const end = options.centroid_l2_end ?? 7.5;
  const events: DemoMetricEvent[] = [];
  let t = 0;
  for (let step = 0; step <= JOINT_TOTAL_STEPS; step += JOINT_LOG_EVERY) {
    t += step === 0 ? 20 : JOINT_LOG_EVERY * (2.8 + 0.4 * rng.next()); // ~3 s/step: 6000 steps ≈ 5 h
    const at = round(t, 1);
    const push = (name: string, value: number): void => void events.push({ event: "metric", name, value: round(value, 5), step, t: at });
    push("sft_loss", Math.max(0.05, interpolate(SFT_LOSS_KNOTS, step) + 0.01 * rng.normal()));
    push("ebm_loss", Math.max(0.05, interpolate(EBM_LOSS_KNOTS, step) + 0.04 * rng.normal()));
    const pinned = fault === "temperature_pinned" && step >= 1000 && step <= 1600;
    push("temperature", pinned ? 10.0 : clamp(interpolate(TEMPERATURE_KNOTS, step) + 0.03 * rng.normal(), 0.55, 2.9));
    if (step % JOINT_EVAL_EVERY === 0) {
      const rise = (1 - Math.exp(-step / 1500)) / (1 - Math.exp(-JOINT_TOTAL_STEPS / 1500));
      let centroid = step === 0 ? start : start + (end - start) * rise + 0.06 * rng.normal();
      if (fault === "centroid_collapse" && step >= 3000) centroid = 2.5 - 0.05 * ((step - 3000) / JOINT_EVAL_EVERY);
      push("centroid_l2", centroid);
      push("ebm_rank1", clamp(0.3 + 0.25 * (1 - Math.exp(-step / 2000)) + 0.012 * rng.normal(), 0, 1));
      t += 60; // the eval itself
    }
  }
  return events;
}

function interpolate(knots: readonly [number, number][], x: number): number {
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i]!;
    const [x0, y0] = knots[i - 1]!;
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return knots[knots.length - 1]![1];
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
