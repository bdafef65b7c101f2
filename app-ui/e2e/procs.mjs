// Process bookkeeping for the end-to-end tests: every program a test starts runs in its own
// process group and carries environment markers, so it can be found through /proc (even after
// its parent died and it was re-parented to init), stopped (SIGTERM to the whole group, wait
// with a deadline, then SIGKILL) and checked to be gone.
//
// Markers, in every started program's environment (inherited by its descendants: tauri-driver
// → WebKitWebDriver → the app → WebKit's helper processes):
// - BEATBOOK_E2E_RUN: one whole `npm run e2e` (set by e2e/run.mjs), checked after all files;
// - BEATBOOK_E2E_OWNER: this test file's process, checked by its last test;
// - BEATBOOK_E2E_PROC: one started program and its descendants, for its own stop().
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** This process's token: every program started through {@link Proc} carries it. */
export const OWNER = randomUUID();

let logDir = null;
/** Where started programs write their output (never to the test runner's pipes). */
export function logs() {
  if (!logDir) {
    logDir = process.env.BEATBOOK_E2E_LOGS ?? mkdtempSync(join(tmpdir(), "beatbook-e2e-logs-"));
    mkdirSync(logDir, { recursive: true });
  }
  return logDir;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every live (not zombie) process: pid, ppid, process group, state, name. */
export function processes() {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const [state, ppid, pgid] = stat.slice(close + 2).split(" ");
    if (state === "Z" || state === "X") continue;
    out.push({ pid: Number(entry), ppid: Number(ppid), pgid: Number(pgid), state, comm: stat.slice(open + 1, close) });
  }
  return out;
}

function environ(pid) {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
  } catch {
    return [];
  }
}

/** Live processes whose environment holds `key=value`. */
export function withMarker(key, value) {
  const want = `${key}=${value}`;
  return processes().filter((p) => p.pid !== process.pid && environ(p.pid).includes(want));
}

/** A process for messages: pid, name and command line. */
export function describe(p) {
  let cmd = "";
  try {
    cmd = readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    // exited meanwhile
  }
  if (cmd.length > 160) cmd = `${cmd.slice(0, 157)}...`;
  return `pid ${p.pid} ${p.comm}${p.state === "T" ? " (stopped)" : ""}: ${cmd}`;
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already (ESRCH), or not ours
  }
}

/** SIGTERM to `find()`'s processes (and SIGCONT, so stopped ones can act on it); waits up to
 *  `graceMs` for them to exit; then SIGKILL and waits again. Returns what is still alive. */
export async function terminate(find, { graceMs = 5_000, groups = [] } = {}) {
  const send = (sig) => {
    for (const g of groups) signal(-g, sig);
    for (const p of find()) signal(p.pid, sig);
  };
  const gone = async (ms) => {
    const until = Date.now() + ms;
    for (;;) {
      if (find().length === 0) return true;
      if (Date.now() > until) return false;
      await sleep(50);
    }
  };
  if (find().length === 0) return [];
  send("SIGTERM");
  send("SIGCONT");
  if (await gone(graceMs)) return [];
  send("SIGKILL");
  await gone(5_000);
  return find();
}

/** The same, synchronously and without waiting: for process exit and signal handlers. */
function killNow(find, groups) {
  for (const g of groups) signal(-g, "SIGKILL");
  for (const p of find()) signal(p.pid, "SIGKILL");
}

/** Programs started and not yet stopped (for {@link stopAll} and the exit handlers). */
const live = new Set();

/** The last `lines` lines of a log file (for failure messages). */
export function tail(path, lines = 30) {
  try {
    const all = readFileSync(path, "utf8").trimEnd().split("\n");
    return all.slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** One started program with its own process group; its output goes to `logs()/<name>.log`. */
export class Proc {
  constructor(name, program, args, env = {}) {
    this.name = name;
    this.program = program;
    this.args = args;
    this.env = env;
    this.log = join(logs(), `${name.replace(/[^\w.-]+/g, "-")}.log`);
  }

  start() {
    exitHandlers();
    this.id = randomUUID();
    const fd = openSync(this.log, "a");
    try {
      this.child = spawn(this.program, this.args, {
        // Its own process group (setsid), so one signal reaches it and all it starts.
        detached: true,
        stdio: ["ignore", fd, fd],
        env: {
          ...process.env,
          ...this.env,
          BEATBOOK_E2E_OWNER: OWNER,
          BEATBOOK_E2E_PROC: this.id,
        },
      });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, sig) => resolve({ code, sig }));
      this.child.once("error", (err) => {
        this.failed = err;
        resolve({ err });
      });
    });
    this.pgid = this.child.pid;
    live.add(this);
    return this;
  }

  /** Everything this program started that still runs: its group and its marker. */
  members() {
    const byMarker = withMarker("BEATBOOK_E2E_PROC", this.id);
    const seen = new Set(byMarker.map((p) => p.pid));
    const inGroup = this.pgid ? processes().filter((p) => p.pgid === this.pgid && !seen.has(p.pid)) : [];
    return [...byMarker, ...inGroup];
  }

  /** Stops the program and everything it started; throws naming whatever survived SIGKILL. */
  async stop({ graceMs = 5_000 } = {}) {
    if (!this.child) return;
    const left = await terminate(() => this.members(), { graceMs, groups: [this.pgid] });
    // The direct child is reaped by node once it has exited.
    await Promise.race([this.exited, sleep(2_000)]);
    live.delete(this);
    this.child = null;
    if (left.length > 0) {
      throw new Error(`${this.name}: still alive after SIGKILL:\n  ${left.map(describe).join("\n  ")}`);
    }
  }

  killNow() {
    if (this.child) killNow(() => this.members(), [this.pgid]);
  }
}

/** Stops every program still running; returns the errors (empty when all stopped). */
export async function stopAll() {
  const errors = [];
  for (const p of [...live]) {
    await p.stop().catch((e) => errors.push(e));
  }
  return errors;
}

/** Whatever this process started (through {@link Proc}) that is still alive. */
export function leftovers() {
  return withMarker("BEATBOOK_E2E_OWNER", OWNER);
}

function killAllNow() {
  for (const p of live) p.killNow();
  killNow(leftovers, []);
}

let handlers = false;
/** Whatever ends this process (normal exit, an uncaught error, SIGINT, SIGTERM, SIGHUP),
 *  what it started ends with it. Installed when the first program starts. */
function exitHandlers() {
  if (handlers) return;
  handlers = true;
  process.on("exit", killAllNow);
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
    process.on(sig, () => {
      killAllNow();
      process.exit(code);
    });
  }
}

/** Rejects with a message naming `what` unless `promise` settles within `ms`. */
export function within(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
