// Location capture: a fix when the platform gives one, null (shown as 位置不可用) when it has
// no geolocation, refuses, throws, or never answers. Never a made-up coordinate.
import { afterEach, describe, expect, it, vi } from "vitest";
import { locate } from "../src/lib/geo";

type Success = (p: { coords: { latitude: number; longitude: number } }) => void;
type Failure = (e: { code: number }) => void;

function geo(behave: (ok: Success, fail: Failure) => void): Geolocation {
  return { getCurrentPosition: (ok: Success, fail: Failure) => behave(ok, fail) } as unknown as Geolocation;
}

afterEach(() => vi.useRealTimers());

describe("locate", () => {
  it("returns the platform's fix", async () => {
    const fix = await locate(geo((ok) => ok({ coords: { latitude: 35.91, longitude: 115.88 } })));
    expect(fix).toEqual({ lat: 35.91, lon: 115.88 });
  });

  it("returns null without geolocation, on refusal and when it throws", async () => {
    expect(await locate(undefined)).toBeNull();
    expect(await locate(geo((_, fail) => fail({ code: 1 })))).toBeNull();
    expect(await locate(geo(() => { throw new Error("no GeoClue"); }))).toBeNull();
  });

  it("gives up when the platform never answers", async () => {
    vi.useFakeTimers();
    const pending = locate(geo(() => {}), 1_000);
    await vi.advanceTimersByTimeAsync(1_600);
    expect(await pending).toBeNull();
  });
});
