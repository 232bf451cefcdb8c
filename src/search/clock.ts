/**
 * The search's only view of time. Injected so tests can drive a fake clock that advances per call
 * and check the wall budget exactly; the real runner passes `SYSTEM_CLOCK`.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are used. */
  now_ms(): number;
}

/** Monotonic wall time (performance.now is not affected by system clock changes). */
export const SYSTEM_CLOCK: Clock = Object.freeze({ now_ms: () => performance.now() });
