// When to sync: on demand, every few minutes while the app is open, when the window regains
// focus or the network comes back; after a failure, again after a growing delay (backoff).
// Never blocks typing: a sync runs in the background and only one runs at a time.
import type { AppError, SyncReport } from "./bindings";
import { asAppError } from "./api";

/** Delay before retry number `failures` (1, 2, …): 5 s, 10 s, 20 s … capped at 5 minutes. */
export function backoffDelay(failures: number, baseMs = 5_000, maxMs = 300_000): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** (failures - 1));
}

export interface SyncView {
  running: boolean;
  lastError: AppError | null;
  lastReport: SyncReport | null;
  failures: number;
  /** When the next automatic retry happens (ms since epoch), after a failure. */
  retryAt: number | null;
}

export interface Timers {
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (f, ms) => globalThis.setTimeout(f, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as number),
  now: () => Date.now(),
};

export class SyncScheduler {
  view: SyncView = { running: false, lastError: null, lastReport: null, failures: 0, retryAt: null };
  private retry: unknown = null;
  private periodic: unknown = null;

  constructor(
    private run: () => Promise<SyncReport>,
    private onChange: (v: SyncView) => void,
    private intervalMs = 120_000,
    private timers: Timers = realTimers,
  ) {}

  private emit() {
    this.onChange({ ...this.view });
  }

  /** Syncs now unless a sync is already running; resolves when this attempt is over. */
  async trigger(): Promise<void> {
    if (this.view.running) return;
    if (this.retry !== null) {
      this.timers.clearTimeout(this.retry);
      this.retry = null;
    }
    this.view.running = true;
    this.view.retryAt = null;
    this.emit();
    try {
      this.view.lastReport = await this.run();
      this.view.lastError = null;
      this.view.failures = 0;
    } catch (e) {
      const err = asAppError(e);
      this.view.lastError = err;
      this.view.failures += 1;
      if (err.transient) {
        const delay = backoffDelay(this.view.failures);
        this.view.retryAt = this.timers.now() + delay;
        this.retry = this.timers.setTimeout(() => {
          this.retry = null;
          void this.trigger();
        }, delay);
      }
    } finally {
      this.view.running = false;
      this.emit();
    }
  }

  /** Starts periodic syncing. */
  start() {
    const tick = () => {
      this.periodic = this.timers.setTimeout(() => {
        void this.trigger();
        tick();
      }, this.intervalMs);
    };
    if (this.periodic === null) tick();
  }

  /** Stops every timer (on lock or log-out). */
  stop() {
    for (const h of [this.retry, this.periodic]) if (h !== null) this.timers.clearTimeout(h);
    this.retry = null;
    this.periodic = null;
  }
}

/** Calls `onIdle` after `ms` without user input; `poke()` on input restarts the clock. */
export class IdleTimer {
  private handle: unknown = null;
  constructor(
    private ms: number,
    private onIdle: () => void,
    private timers: Timers = realTimers,
  ) {}
  poke() {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.onIdle();
    }, this.ms);
  }
  stop() {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }
}
