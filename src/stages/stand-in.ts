/**
 * Stages that need a GPU or Lean. In the demo profile their outputs are taken from the seeded
 * synthetic world (copied from demo/world/<same path>) and every result says so; in the real
 * profile the stage runs its real implementation, or says plainly that it is not built yet.
 */
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import type { OutputDecl, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";

export interface StandInResult {
  /** True: outputs are synthetic stand-ins from the demo world. */
  readonly demo: true;
  /** What the real stage needs ("GPU", "Lean 4 + Mathlib"). */
  readonly needs: string;
  readonly message: string;
  readonly outputs: readonly string[];
}

export class NotAvailableError extends Error {
  override name = "NotAvailableError";
}

export interface StandInDecl {
  readonly name: string;
  readonly description: string;
  readonly needs: string;
  readonly outputs: readonly OutputDecl[];
  /** Where the real implementation stands (shown in the real profile until it exists). */
  readonly real_status: string;
}

export function standInStage(run: Run, d: StandInDecl): StageSpec<StandInResult> {
  const demo = run.config.profile === "demo";
  return {
    name: d.name,
    description: d.description,
    params: { profile: run.config.profile, needs: d.needs },
    inputs: demo ? d.outputs.map((o) => run.paths.demo.world(o.path)) : [],
    code: ["src/stages/stand-in.ts"],
    outputs: d.outputs,
    run(ctx) {
      if (!demo) {
        throw new NotAvailableError(`${d.name}: ${d.description} needs ${d.needs}; ${d.real_status}. Use PROFILE=demo to exercise the rest of the pipeline.`);
      }
      for (const o of d.outputs) {
        copyFileAtomic(ctx.abs(run.paths.demo.world(o.path)), ctx.abs(o.path));
      }
      const message = `DEMO: outputs taken from the synthetic demo world — a real run does this with ${d.needs}`;
      ctx.log(message);
      return { demo: true, needs: d.needs, message, outputs: d.outputs.map((o) => o.path) };
    },
  };
}
