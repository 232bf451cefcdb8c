/** Keeps the last lines of a text stream (e.g. a job's stderr) for error messages. */
export class TailBuffer {
  private lines: string[] = [];
  private partial = "";
  private chars = 0;

  constructor(
    readonly max_lines = 40,
    readonly max_chars = 4096,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) {
      this.lines.push(line);
      this.chars += line.length + 1;
    }
    // a single huge line without newline must not grow without bound either
    if (this.partial.length > this.max_chars) this.partial = this.partial.slice(-this.max_chars);
    while (this.lines.length > 0 && (this.lines.length > this.max_lines || this.chars + this.partial.length > this.max_chars)) {
      this.chars -= (this.lines.shift() ?? "").length + 1;
    }
  }

  /** The kept text (complete lines, then any unterminated last line). */
  text(): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.join("\n");
  }
}
