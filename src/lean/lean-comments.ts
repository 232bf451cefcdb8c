/**
 * Lean 4 comments, located without parsing Lean: `-- line` comments and `/- block -/` comments
 * (nestable, including `/-- doc -/` and `/-! -/`), skipping string and character literals.
 * `maskLeanComments` replaces every comment character except newlines by a space, so offsets,
 * lines and columns of the code are unchanged.
 */
export function maskLeanComments(text: string): string {
  const out = text.split("");
  let i = 0;
  const n = text.length;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      // string literal: skip to the closing quote, honouring backslash escapes
      i++;
      while (i < n && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && text[i + 1] === "-") {
      let depth = 1;
      let k = i + 2;
      while (k < n && depth > 0) {
        if (text[k] === "/" && text[k + 1] === "-") {
          depth++;
          k += 2;
        } else if (text[k] === "-" && text[k + 1] === "/") {
          depth--;
          k += 2;
        } else k++;
      }
      blank(i, k);
      i = k;
    } else if (c === "'" && text[i + 2] === "'" && text[i + 1] !== "\\") {
      i += 3; // character literal like 'a' (identifiers such as h' are left alone)
    } else i++;
  }
  return out.join("");
}
