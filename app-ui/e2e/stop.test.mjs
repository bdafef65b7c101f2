// Stopping an app leaves nothing behind, however the WebDriver side has failed (issue 22: an
// app outlived its tauri-driver when deleteSession did not close it, held the test runner's
// output pipe, and `npm run e2e` never exited).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { App, describe, leftovers, stopAll } from "./harness.mjs";
import { processes, withMarker } from "./procs.mjs";

after(async () => {
  await stopAll();
});

/** Starts an app and waits for its first screen; returns it and its processes by name. */
async function started(name) {
  const app = await new App(name).start();
  await app.$("enrol-server").waitForDisplayed({ timeout: 30_000 });
  const members = app.driver.members();
  const byName = (comm) => members.filter((p) => p.comm === comm);
  for (const comm of ["tauri-driver", "WebKitWebDriver", "beatbook-app"]) {
    assert.equal(byName(comm).length, 1, `${name}: one ${comm} among ${members.map(describe).join("; ")}`);
  }
  return { app, byName };
}

function assertNothingLeft() {
  const left = leftovers().map(describe);
  assert.deepEqual(left, [], `still running:\n${left.join("\n")}`);
}

test("the app is stopped when its tauri-driver and WebKitWebDriver were killed first", async () => {
  const { app, byName } = await started("orphan");
  const [appProc] = byName("beatbook-app");
  // The state of the issue: the app's parents are gone, so deleteSession fails and the app
  // is re-parented to init (or the nearest subreaper).
  for (const comm of ["tauri-driver", "WebKitWebDriver"]) process.kill(byName(comm)[0].pid, "SIGKILL");
  const until = Date.now() + 5_000;
  while (processes().find((p) => p.pid === appProc.pid)?.ppid === appProc.ppid && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(processes().some((p) => p.pid === appProc.pid), "the orphaned app is still running before stop()");
  await app.stop();
  assertNothingLeft();
});

test("the app is stopped when deleteSession never answers", async () => {
  const { app, byName } = await started("frozen");
  // A frozen WebKitWebDriver: deleteSession waits forever unless stop() gives up on it.
  process.kill(byName("WebKitWebDriver")[0].pid, "SIGSTOP");
  const t0 = Date.now();
  await app.stop({ sessionMs: 2_000 });
  assert.ok(Date.now() - t0 < 20_000, `stop() took ${Date.now() - t0} ms`);
  assertNothingLeft();
});

test("what a test file started ends with it when the file is killed", async () => {
  // A separate node process starts an app, reports its marker, and is sent SIGTERM.
  const script = `
    const { App } = await import("./e2e/harness.mjs");
    const { OWNER } = await import("./e2e/procs.mjs");
    await new App("killed").start();
    console.log(OWNER);
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const owner = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    child.once("exit", (code) => reject(new Error(`the child exited (${code}) before starting the app`)));
  });
  const mine = () => withMarker("BEATBOOK_E2E_OWNER", owner);
  assert.ok(mine().some((p) => p.comm === "beatbook-app"), "the child's app runs");
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  const until = Date.now() + 10_000;
  while (mine().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const left = mine().map(describe);
  assert.deepEqual(left, [], `still running after the child was killed:\n${left.join("\n")}`);
});

test("afterwards nothing started here is alive", async () => {
  const errors = await stopAll();
  assert.deepEqual(errors.map((e) => e.message), []);
  assertNothingLeft();
});
