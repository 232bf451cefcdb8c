/** markdownTable: a GitHub-flavoured markdown table that refuses empty cells. */

/**
 * Makes text safe inside markdown: `<` that would open an HTML tag becomes `&lt;` (so artifact
 * text cannot inject markup into the HTML page) while "< 25%" stays readable.
 */
export function mdText(text: string): string {
  return text.replace(/<(?=[A-Za-z/!?])/g, "&lt;");
}

function cellText(text: string): string {
  return mdText(text).replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

/**
 * Rows are padded to aligned columns. An empty (or whitespace) cell is a bug in the caller: a
 * report must say "not run — why" or "—" explicitly, so it throws naming the row and column.
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((row, r) => {
    if (row.length !== header.length) throw new Error(`markdownTable: row ${r} has ${row.length} cells, header has ${header.length}`);
    return row.map((c, i) => {
      if (c.trim() === "") throw new Error(`markdownTable: empty cell at row ${r} column "${header[i] ?? i}" (row: ${JSON.stringify(row)})`);
      return cellText(c);
    });
  });
  const widths = header.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 3)).join(" | ")} |`;
  const [head, ...body] = cells;
  return [line(head ?? []), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
