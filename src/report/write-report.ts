/** writeReport: the one effectful function of report — writes `<path>.md` and `<path>.html`. */
import { writeFileAtomic } from "../artifacts/atomic-write.js";
import { renderHtml, type HtmlOptions } from "./render-html.js";

/**
 * Writes the markdown and its HTML page side by side (each atomically: temp file in the same
 * folder, then rename), so plot paths relative to the report resolve the same way from both.
 */
export function writeReport(markdown: string, path_without_ext: string, options: HtmlOptions): { readonly md_path: string; readonly html_path: string } {
  const md_path = `${path_without_ext}.md`;
  const html_path = `${path_without_ext}.html`;
  writeFileAtomic(md_path, markdown);
  writeFileAtomic(html_path, renderHtml(markdown, options));
  return { md_path, html_path };
}
