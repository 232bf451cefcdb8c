/**
 * Stand-ins, for the stages that cannot run for real where the run is:
 * - `standInStage`: the demo profile's copy of a GPU / Lean / download stage. Its outputs are taken
 *   from the seeded synthetic world (demo/world/<same path>) and every result says so and says what
 *   the real stage needs.
 * - `notBuiltStage`: a stage of the real profile whose implementation does not exist yet; it fails
 *   with a message naming what is missing, so a real run stops there and says why.
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

export interface NotBuiltDecl {
  readonly name: string;
  readonly description: string;
  /** Exactly what is missing ("the best-first search engine (src/search) is not built yet"). */
  readonly missing: string;
  readonly outputs: (p: RunPaths) => readonly OutputDecl[];
}

export function notBuiltStage(d: NotBuiltDecl): (run: Run) => StageSpec<never> {
  return (run) => ({
    name: d.name,
    description: `${d.description} — not built`,
    params: { not_built: d.missing },
    inputs: [],
    code: { module: MODULE },
    outputs: d.outputs(run.paths),
    run() {
      throw new NotAvailableError(`${d.name}: ${d.description}: ${d.missing}. Use PROFILE=demo to exercise the rest of the pipeline.`);
    },
  });
}
