/** renderHtml: a complete standalone HTML page for a rendered markdown report. */
import { Marked } from "marked";
import { escapeXml } from "../viz/index.js";
import { DEMO_BANNER_TEXT, DEMO_BANNER_TITLE } from "./report-header.js";

export interface HtmlOptions {
  readonly title: string;
  /** Demo run: the DEMO banner is the page's first element. */
  readonly demo: boolean;
  /**
   * The SVG text of every image the markdown links (by the path as written): the page embeds them
   * inline, so the HTML is one self-contained file. An image without an entry is an error.
   */
  readonly inline_svgs?: Readonly<Record<string, string>>;
}

/** `<img src="p" alt="a">` → the SVG of p inline, in a figure labelled a. */
function inlineImages(html: string, svgs: Readonly<Record<string, string>>): string {
  return html.replace(/<img src="([^"]+)" alt="([^"]*)"\s*\/?>/g, (_, src: string, alt: string) => {
    const path = decodeURI(src);
    const svg = svgs[path];
    if (svg === undefined) throw new Error(`renderHtml: no SVG given for the image '${path}' (known: ${Object.keys(svgs).join(", ") || "none"})`);
    return `<figure class="plot" role="img" aria-label="${alt}">${svg.replace(/^<\?xml[^>]*>\s*/, "").trim()}</figure>`;
  });
}

const CSS = `
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 0 auto; padding: 0 1.5rem 3rem; color: #1b1b1b; line-height: 1.45; }
.demo-banner { position: sticky; top: 0; z-index: 10; margin: 0 -1.5rem 1rem; padding: 0.9rem 1.5rem; background: #b00020; color: #fff; font-size: 1.1rem; border-bottom: 4px solid #7a0016; }
.demo-banner strong { font-size: 1.25rem; letter-spacing: 0.02em; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #999; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
blockquote { margin: 1rem 0; padding: 0.6rem 1rem; border-left: 6px solid #b00020; background: #fdecee; }
img, figure.plot svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
figure.plot { margin: 0.5rem 0; }
code { background: #f4f4f4; padding: 0 0.2rem; }
`.trim();

/** Markdown → HTML page; with `inline_svgs`, every plot is embedded (one self-contained file). */
export function renderHtml(markdown: string, options: HtmlOptions): string {
  const parsed = new Marked({ gfm: true, async: false }).parse(markdown, { async: false });
  const body = options.inline_svgs ? inlineImages(parsed, options.inline_svgs) : parsed;
  const banner = options.demo
    ? `<div class="demo-banner" role="alert"><strong>${escapeXml(DEMO_BANNER_TITLE)}</strong> ${escapeXml(DEMO_BANNER_TEXT)}</div>\n`
    : "";
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${options.demo ? "[DEMO] " : ""}${escapeXml(options.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    "</head>",
    "<body>",
    `${banner}<main>`,
    body.trimEnd(),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
