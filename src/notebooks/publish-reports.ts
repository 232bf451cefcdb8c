/**
 * Publish a run's rendered reports (markdown, HTML, the plots they embed) to reports/<run>/.
 * Copies are atomic and skipped when the published file is already identical.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { copyFileAtomic } from "../artifacts/atomic-write.js";
import type { Run } from "../artifacts/run.js";

export interface Published {
  readonly copied: string[];
  readonly unchanged: string[];
  readonly missing: string[];
}

export function publishReports(run: Run): Published {
  const res: Published = { copied: [], unchanged: [], missing: [] };
  const reports = [run.paths.baseline_report.md, run.paths.analysis.comparison_md];
  for (const md of reports) {
    const abs = run.paths.abs(md);
    if (!existsSync(abs)) {
      res.missing.push(md);
      continue;
    }
    const files = [abs, abs.replace(/\.md$/, ".html")];
    const plotsDir = join(dirname(abs), "plots");
    const referenced = new Set([...readFileSync(abs, "utf8").matchAll(/\]\(plots\/([^)\s]+)\)/g)].map((m) => m[1]!));
    if (existsSync(plotsDir)) for (const f of readdirSync(plotsDir)) if (referenced.has(f)) files.push(join(plotsDir, f));
    for (const f of files) {
      if (!existsSync(f)) {
        res.missing.push(f);
        continue;
      }
      const target = f.startsWith(plotsDir) ? join(run.paths.reports.plots_dir, basename(f)) : join(run.paths.reports.dir, basename(f));
      if (existsSync(target) && readFileSync(target).equals(readFileSync(f))) res.unchanged.push(target);
      else {
        copyFileAtomic(f, target);
        res.copied.push(target);
      }
    }
  }
  return res;
}
