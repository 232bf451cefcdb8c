/**
 * A counting semaphore: at most `max` holders at once, waiters served first come first served. A
 * waiter whose AbortSignal fires leaves the queue and is rejected with the signal's reason.
 */
export class Semaphore {
  readonly max: number;
  #held = 0;
  readonly #queue: { grant: () => void; onAbort: () => void }[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`Semaphore: max must be a positive integer, got ${JSON.stringify(max)}`);
    this.max = max;
  }

  /** Holders right now. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a slot right now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves with a release function (idempotent) once a slot is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#held < this.max) {
      this.#held++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener("abort", entry.onAbort);
          resolve(this.#releaser());
        },
        onAbort: () => {
          const i = this.#queue.indexOf(entry);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener("abort", entry.onAbort, { once: true });
      this.#queue.push(entry);
    });
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so `held` never dips and lets a newcomer jump the queue.
      if (next) next.grant();
      else this.#held--;
    };
  }
}
