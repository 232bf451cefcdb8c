/**
 * A binary max-heap of node ids by priority; equal priorities pop in insertion order, so a search
 * is deterministic given its inputs.
 */
export class PriorityQueue {
  /** (priority, seq, id) triples in heap order. */
  private readonly heap: { priority: number; seq: number; id: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(id: number, priority: number): void {
    if (Number.isNaN(priority)) throw new Error(`PriorityQueue: node ${id} has priority NaN`);
    this.heap.push({ priority, seq: this.seq++, id });
    this.up(this.heap.length - 1);
  }

  /** The id with the highest priority, or null when empty. */
  pop(): number | null {
    const top = this.heap[0];
    if (top === undefined) return null;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top.id;
  }

  /** a before b. */
  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.priority > y.priority || (x.priority === y.priority && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
