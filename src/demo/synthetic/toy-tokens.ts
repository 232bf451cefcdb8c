/**
 * A stand-in tokenizer for the synthetic policy's logprobs: BPE-like pieces (up to 4 letters, one
 * digit, or one other character, each carrying the whitespace before it), so `tokens.join("")`
 * is the text exactly and longer tactics have more tokens, as with a real tokenizer. Pure.
 */
const PIECE = /\s*(?:[A-Za-z_']{1,4}|\d|[^\sA-Za-z_'\d])|\s+$/gsu;

export function toyTokens(text: string): string[] {
  const tokens = text.match(PIECE) ?? [];
  if (tokens.join("") !== text) throw new Error(`toyTokens: pieces do not cover ${JSON.stringify(text.slice(0, 200))}`);
  return tokens;
}
