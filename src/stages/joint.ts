/**
 * Phase 3–4.1 stages: the plan's abort conditions checked on the joint-training metric stream (the
 * same declarative rules the job runner enforces live). Joint training itself is a stand-in until
 * the joint trainer exists (registry.ts).
 */
import { readFileSync } from "node:fs";
import type { StageSpec } from "../artifacts/stage.js";
import type { Run } from "../artifacts/run.js";
import { TASK_4_1_ABORT_RULES, describeAbortCondition, replayAbortRules } from "../jobs/abort-rules.js";
import { parseEventLine, type JobEvent } from "../jobs/events.js";

const MODULE = "src/stages/joint.ts";

export interface AbortCheck {
  readonly kind: "abort_check";
  readonly source: string;
  readonly values: { readonly n_metric_events: number; readonly n_fired: number };
  readonly not_computed: Record<string, string>;
  readonly rules: ReadonlyArray<{ id: string; description: string; remedy: string; fired: boolean; step?: number; value?: number; metric?: string }>;
}

export function abortCheckStage(run: Run): StageSpec<AbortCheck["values"]> {
  const src = run.paths.iter_1.training_events;
  const out = run.paths.analysis.abort_check;
  return {
    name: "iter_1/abort-check",
    description: "replay the plan's Task 4.1 abort rules over the joint-training metric stream",
    params: { rules: TASK_4_1_ABORT_RULES },
    inputs: [src],
    code: { module: MODULE },
    outputs: [{ path: out, kind: "json" }],
    run(ctx) {
      const lines = readFileSync(ctx.abs(src), "utf8").split("\n");
      const events: JobEvent[] = [];
      lines.forEach((line, i) => {
        if (line.trim()) events.push(parseEventLine(line, { job: `iter_1 joint training log ${src}`, line_no: i + 1 }));
      });
      const firings = replayAbortRules(events, TASK_4_1_ABORT_RULES);
      const rules = TASK_4_1_ABORT_RULES.map((r) => {
        const f = firings.find((x) => x.rule.id === r.id);
        return { id: r.id, description: describeAbortCondition(r), remedy: r.remedy, fired: f !== undefined, ...(f ? { step: f.step, value: f.value, metric: f.metric } : {}) };
      });
      const check: AbortCheck = {
        kind: "abort_check",
        source: src,
        values: { n_metric_events: events.filter((e) => e.event === "metric").length, n_fired: firings.length },
        not_computed: {},
        rules,
      };
      ctx.writeJson(out, check);
      for (const f of firings) ctx.log(`abort rule fired: ${f.message}`);
      return check.values;
    },
  };
}
