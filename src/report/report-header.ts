/** ReportHeader: who/what/which-code of a report, the DEMO banner, and the provenance section. */
import { markdownTable, mdText } from "./markdown-table.js";

export type ReportProfile =
  | "demo" // seeded synthetic world: every page carries the DEMO banner
  | "real"; // the real plan run

export interface ArtifactRead {
  readonly path: string;
  readonly sha256: string;
}

export interface ReportHeader {
  readonly title: string;
  readonly run_id: string;
  readonly profile: ReportProfile;
  readonly code_version: { readonly git_commit: string; readonly dirty: boolean };
  /** ISO time; leave out for snapshot tests. */
  readonly generated_at?: string;
  readonly artifacts_read: readonly ArtifactRead[];
}

export const DEMO_BANNER_TITLE = "DEMO RUN — synthetic data, not a result.";
export const DEMO_BANNER_TEXT =
  "Every number on this page comes from the seeded synthetic demo world. It shows that the pipeline " +
  "runs end to end; it says nothing about the prover.";
export const DEMO_BANNER = `> **${DEMO_BANNER_TITLE}** ${DEMO_BANNER_TEXT}`;

/** Banner (demo only, first line), title and the run / profile / code-version lines. */
export function renderHeaderMarkdown(header: ReportHeader): string {
  const lines: string[] = [];
  if (header.profile === "demo") lines.push(DEMO_BANNER, "");
  lines.push(`# ${mdText(header.title)}`, "");
  lines.push(`- Run: \`${header.run_id}\``);
  lines.push(`- Profile: ${header.profile}${header.profile === "demo" ? " (synthetic data)" : ""}`);
  lines.push(`- Code version: \`${header.code_version.git_commit}\`${header.code_version.dirty ? " (dirty)" : ""}`);
  if (header.generated_at !== undefined) lines.push(`- Generated: ${header.generated_at}`);
  return lines.join("\n");
}

/** "## Provenance": each artifact read, with the first 12 hex characters of its sha256. */
export function renderProvenanceMarkdown(header: ReportHeader): string {
  const lines = ["## Provenance", ""];
  lines.push(
    `Code version \`${header.code_version.git_commit}\`${header.code_version.dirty ? " (dirty: uncommitted changes)" : ""}. ` +
      "Every number above was read from these artifacts (sha256: first 12 hex characters):",
    "",
  );
  if (header.artifacts_read.length === 0) {
    lines.push("not run — no artifacts were read");
  } else {
    const rows = [...header.artifacts_read]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((a) => [`\`${a.path}\``, `\`${a.sha256.slice(0, 12) || "—"}\``]);
    lines.push(markdownTable(["Artifact", "sha256"], rows));
  }
  return lines.join("\n");
}
