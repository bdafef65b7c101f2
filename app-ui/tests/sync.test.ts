// Sync scheduling: backoff after failures, one sync at a time, idle lock — with fake timers.
import { describe, expect, it, vi } from "vitest";
import { IdleTimer, SyncScheduler, backoffDelay, type Timers } from "../src/lib/sync";
import type { SyncReport } from "../src/lib/bindings";

function fakeTimers() {
  let now = 0;
  const pending: { at: number; f: () => void; id: number }[] = [];
  let next = 1;
  const timers: Timers = {
    setTimeout: (f, ms) => {
      const id = next++;
      pending.push({ at: now + ms, f, id });
      return id;
    },
    clearTimeout: (h) => {
      const i = pending.findIndex((p) => p.id === h);
      if (i >= 0) pending.splice(i, 1);
    },
    now: () => now,
  };
  const advance = async (ms: number) => {
    now += ms;
    for (;;) {
      pending.sort((a, b) => a.at - b.at);
      const due = pending[0];
      if (!due || due.at > now) break;
      pending.shift();
      due.f();
      await Promise.resolve();
      await Promise.resolve();
    }
  };
  return { timers, advance, pending };
}

const report: SyncReport = { pushed: 1, generated: 0, pulled: 0, records_updated: 0, conflicts: 0, set_aside: 0, newly_unreadable: 0, state: { pending: 0, set_aside: 0, last_sync_at: null, last_sync_local: null, unreadable: 0 } };
const offline = { code: "offline", message: "无法连接服务器", fields: [], transient: true, needs_login: false };

describe("backoff", () => {
  it("doubles from 5 s and stops at 5 minutes", () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n))).toEqual([5000, 10000, 20000, 40000]);
    expect(backoffDelay(20)).toBe(300000);
  });
});

describe("SyncScheduler", () => {
  it("retries a transient failure after a growing delay and reports success", async () => {
    const { timers, advance } = fakeTimers();
    const run = vi.fn<() => Promise<SyncReport>>().mockRejectedValueOnce(offline).mockRejectedValueOnce(offline).mockResolvedValue(report);
    const views: { running: boolean; failures: number }[] = [];
    const s = new SyncScheduler(run, (v) => views.push(v), 120_000, timers);
    await s.trigger();
    expect(s.view.lastError?.code).toBe("offline");
    expect(s.view.retryAt).toBe(5000);
    await advance(5000);
    expect(run).toHaveBeenCalledTimes(2);
    expect(s.view.failures).toBe(2);
    await advance(9999);
    expect(run).toHaveBeenCalledTimes(2);
    await advance(1);
    expect(run).toHaveBeenCalledTimes(3);
    expect(s.view.lastError).toBeNull();
    expect(s.view.lastReport).toEqual(report);
    expect(views[views.length - 1]?.failures).toBe(0);
  });

  it("does not retry by itself what needs the user (wrong password)", async () => {
    const { timers, pending } = fakeTimers();
    const run = vi.fn().mockRejectedValue({ ...offline, code: "token_expired", transient: false, needs_login: true });
    const s = new SyncScheduler(run, () => {}, 120_000, timers);
    await s.trigger();
    expect(s.view.retryAt).toBeNull();
    expect(pending).toHaveLength(0);
  });

  it("runs one sync at a time", async () => {
    let finish: (r: SyncReport) => void = () => {};
    const run = vi.fn(() => new Promise<SyncReport>((r) => (finish = r)));
    const s = new SyncScheduler(run, () => {});
    const first = s.trigger();
    await s.trigger();
    expect(run).toHaveBeenCalledTimes(1);
    finish(report);
    await first;
    expect(s.view.running).toBe(false);
  });

  it("syncs periodically once started", async () => {
    const { timers, advance } = fakeTimers();
    const run = vi.fn().mockResolvedValue(report);
    const s = new SyncScheduler(run, () => {}, 60_000, timers);
    s.start();
    await advance(60_000);
    await advance(60_000);
    expect(run).toHaveBeenCalledTimes(2);
    s.stop();
    await advance(600_000);
    expect(run).toHaveBeenCalledTimes(2);
  });
});

describe("IdleTimer", () => {
  it("locks after the idle time, and input restarts the clock", async () => {
    const { timers, advance } = fakeTimers();
    const onIdle = vi.fn();
    const idle = new IdleTimer(300_000, onIdle, timers);
    idle.poke();
    await advance(200_000);
    idle.poke();
    await advance(200_000);
    expect(onIdle).not.toHaveBeenCalled();
    await advance(100_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});
