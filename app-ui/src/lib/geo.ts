// Where the device is, when the platform can say. WebKitGTK on Linux reports no position and
// some webviews never answer a permission prompt, so every attempt ends: with a fix, or with
// null after the timeout. Never a made-up coordinate.

/** A position as the model stores it. */
export type Fix = { lat: number; lon: number };

/** Asks `geo` for the current position; null when unavailable, refused or too slow. */
export function locate(geo: Geolocation | undefined | null, timeoutMs = 10_000): Promise<Fix | null> {
  if (!geo || typeof geo.getCurrentPosition !== "function") return Promise.resolve(null);
  return new Promise((resolve) => {
    let done = false;
    const finish = (fix: Fix | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(fix);
    };
    // The API's own timeout starts only once permission is granted; this one always ends it.
    const timer = setTimeout(() => finish(null), timeoutMs + 500);
    try {
      geo.getCurrentPosition(
        (p) => {
          const { latitude: lat, longitude: lon } = p.coords;
          finish(Number.isFinite(lat) && Number.isFinite(lon) ? { lat, lon } : null);
        },
        () => finish(null),
        { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60_000 },
      );
    } catch {
      finish(null);
    }
  });
}

/** The platform's geolocation, if it has one. */
export function platformGeo(): Geolocation | undefined {
  return typeof navigator !== "undefined" && "geolocation" in navigator ? navigator.geolocation : undefined;
}
