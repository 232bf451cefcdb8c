/**
 * Stand-ins of the demo profile for stages that need downloads or Lean (`standInStage`): their
 * outputs are taken from the seeded synthetic world (demo/world/<same path>) and every result says
 * so and says what the real stage needs. (GPU training stages write a stand-in summary instead:
 * src/stages/sft.ts.)
 */
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import type { OutputDecl, StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import type { RunPaths } from "../config/run-paths.js";

const MODULE = "src/stages/stand-in.ts";

export interface StandInResult {
  /** True: outputs are synthetic stand-ins from the demo world. */
  readonly demo: true;
  /** What the real stage needs ("a GPU and the merged model"). */
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
  /** What the real implementation needs that this machine lacks. */
  readonly needs: string;
  readonly outputs: (p: RunPaths) => readonly OutputDecl[];
}

export function standInStage(d: StandInDecl): (run: Run) => StageSpec<StandInResult> {
  return (run) => {
    const outputs = d.outputs(run.paths);
    return {
      name: d.name,
      description: `${d.description} — DEMO stand-in`,
      params: { stand_in: true, needs: d.needs },
      inputs: outputs.map((o) => run.paths.demo.world(o.path)),
      code: { module: MODULE },
      outputs,
      run(ctx) {
        for (const o of outputs) copyFileAtomic(ctx.abs(run.paths.demo.world(o.path)), ctx.abs(o.path));
        const message = `DEMO: outputs taken from the synthetic demo world — a real run does this with ${d.needs}`;
        ctx.log(message);
        return { demo: true, needs: d.needs, message, outputs: outputs.map((o) => o.path) };
      },
    };
  };
}
