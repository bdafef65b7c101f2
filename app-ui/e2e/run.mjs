// `npm run e2e`: runs the end-to-end test files (`node --test`, one file at a time) under an
// overall deadline, then checks that nothing they started is still alive. Never waits forever:
// past the deadline it names what still runs, stops it and fails.
//
// Usage: node e2e/run.mjs [test files…]   (default: every *.test.mjs in e2e/)
// BEATBOOK_E2E_DEADLINE_SECS: the whole run's deadline (default 900).
// BEATBOOK_E2E_TEST_TIMEOUT_SECS: one test's (default 300).
// BEATBOOK_E2E_LOGS: where the started programs' output goes (default: a new temporary folder).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, processes, tail, terminate, withMarker } from "./procs.mjs";

const deadlineSecs = Number(process.env.BEATBOOK_E2E_DEADLINE_SECS ?? 900);
const testTimeoutSecs = Number(process.env.BEATBOOK_E2E_TEST_TIMEOUT_SECS ?? 300);
const run = randomUUID();
const logs = process.env.BEATBOOK_E2E_LOGS ?? mkdtempSync(join(tmpdir(), "beatbook-e2e-logs-"));
const started = Date.now();

const here = new URL(".", import.meta.url).pathname;
const files = process.argv.slice(2);
if (files.length === 0) {
  for (const f of readdirSync(here).sort()) if (f.endsWith(".test.mjs")) files.push(join(here, f));
}

/** This process and its ancestors carry no marker, but to be sure they are never counted. */
function ancestors() {
  const all = new Map(processes().map((p) => [p.pid, p]));
  const mine = new Set();
  for (let pid = process.pid; pid > 1 && !mine.has(pid); pid = all.get(pid)?.ppid ?? 0) mine.add(pid);
  return mine;
}
const left = () => {
  const mine = ancestors();
  return withMarker("BEATBOOK_E2E_RUN", run).filter((p) => !mine.has(p.pid));
};

const secs = () => ((Date.now() - started) / 1000).toFixed(1);

function printLogs() {
  let names = [];
  try {
    names = readdirSync(logs).filter((f) => f.endsWith(".log")).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const text = tail(join(logs, name), 20);
    if (text) console.error(`e2e: last lines of ${join(logs, name)}:\n${text.replace(/^/gm, "    ")}`);
  }
}

/** Stops what is still alive; returns its description (empty if there was nothing). */
async function cleanUp(groups) {
  const found = left().map(describe);
  const survivors = await terminate(left, { graceMs: 5_000, groups });
  if (survivors.length > 0) {
    console.error(`e2e: still alive after SIGKILL:\n  ${survivors.map(describe).join("\n  ")}`);
  }
  return found;
}

const child = spawn(
  process.execPath,
  ["--test", "--test-concurrency=1", `--test-timeout=${testTimeoutSecs * 1000}`, ...files],
  {
    // Its own process group, so the deadline can stop it and everything under it at once.
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, BEATBOOK_E2E_RUN: run, BEATBOOK_E2E_LOGS: logs },
  },
);
const exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve({ code, sig })));

let interrupted = null;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    interrupted = sig;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // gone already
    }
  });
}

let timer;
const deadline = new Promise((resolve) => {
  timer = setTimeout(() => resolve("deadline"), deadlineSecs * 1000);
});
const outcome = await Promise.race([exited, deadline]);
clearTimeout(timer);

if (outcome === "deadline") {
  const still = left().map(describe);
  console.error(
    `e2e: FAILED: not finished after the deadline of ${deadlineSecs} s ` +
      `(BEATBOOK_E2E_DEADLINE_SECS); still running:\n  ${still.join("\n  ")}`,
  );
  printLogs();
  await cleanUp([child.pid]);
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  process.exit(1);
}

const { code, sig } = outcome;
const leftover = await cleanUp([]);
const files_ = files.map((f) => basename(f)).join(", ");
if (leftover.length > 0) {
  console.error(
    `e2e: FAILED: ${files_} finished but left these running (now killed):\n  ${leftover.join("\n  ")}`,
  );
}
const ok = code === 0 && leftover.length === 0 && !interrupted;
if (!ok) {
  printLogs();
  if (code !== 0) console.error(`e2e: FAILED: node --test exited with ${sig ?? code} after ${secs()} s`);
  if (interrupted) console.error(`e2e: interrupted by ${interrupted}`);
} else {
  console.error(`e2e: ${files_} passed in ${secs()} s; nothing they started is still running`);
}
process.exit(ok ? 0 : 1);
