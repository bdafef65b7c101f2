// End-to-end harness: a real beatbook-server (seeded demo county) and real app instances,
// each driven through its own tauri-driver → WebKitWebDriver, with its own data folder.
// Every program started here runs in its own process group with its output in a log file
// (e2e/procs.mjs); stop() ends it and all it started, whatever state it is in.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { remote } from "webdriverio";
import { Proc, describe, leftovers, stopAll, tail, within } from "./procs.mjs";

export { describe, leftovers, stopAll };

/** How long deleteSession may take before the app is stopped by signals instead. */
const DELETE_SESSION_MS = Number(process.env.BEATBOOK_E2E_DELETE_SESSION_MS ?? 10_000);

const SERVER_BIN = process.env.BEATBOOK_SERVER_BIN ?? "../target/debug/beatbook-server";
const APP_BIN = process.env.BEATBOOK_APP_BIN ?? "../target/debug/beatbook-app";
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? "tauri-driver";

export function tempDir(name) {
  return mkdtempSync(join(tmpdir(), `beatbook-e2e-${name}-`));
}

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on `port` (never a fixed sleep). */
export async function waitForPort(port, timeoutMs = 30_000, proc = null) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc && !proc.child) throw new Error(`${proc.name} was stopped before it listened on port ${port}`);
    if (proc?.failed) throw new Error(`${proc.name} did not start: ${proc.failed.message}`);
    if (proc?.child?.exitCode != null || proc?.child?.signalCode != null) {
      throw new Error(`${proc.name} exited before it listened on port ${port}; its log:\n${tail(proc.log)}`);
    }
    const ok = await new Promise((resolve) => {
      const c = connect(port, "127.0.0.1");
      c.on("connect", () => (c.destroy(), resolve(true)));
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The demo county's accounts: username → password. */
export function seed(dataDir) {
  const out = execFileSync(SERVER_BIN, ["seed-demo", "--data", dataDir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
    killSignal: "SIGKILL",
  });
  writeFileSync(join(dataDir, "accounts.txt"), out);
  const accounts = {};
  for (const line of out.split("\n")) {
    const [user, password] = line.trim().split(/\s+/);
    if (user && password) accounts[user] = password;
  }
  return accounts;
}

export class Server {
  constructor(dataDir, port) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }
  async start() {
    const args = ["serve", "--listen", `127.0.0.1:${this.port}`, "--data", this.dataDir];
    this.proc = new Proc(`server-${this.port}`, SERVER_BIN, args).start();
    try {
      await waitForPort(this.port, 30_000, this.proc);
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }
  /** SIGTERM (the server shuts down cleanly), SIGKILL if it has not exited within 5 s. */
  async stop() {
    const proc = this.proc;
    this.proc = null;
    await proc?.stop();
  }
}

/** One app instance: its own tauri-driver, WebKitWebDriver and data folder. */
export class App {
  constructor(name, { width = 1280, height = 860 } = {}) {
    this.name = name;
    this.dataDir = tempDir(name);
    this.size = { width, height };
  }
  async start(env = {}) {
    this.port = await freePort();
    const nativePort = await freePort();
    const args = ["--port", String(this.port), "--native-port", String(nativePort)];
    this.driver = new Proc(`driver-${this.name}-${this.port}`, TAURI_DRIVER, args, {
      ...env,
      BEATBOOK_APP_DATA: this.dataDir,
    }).start();
    try {
      await waitForPort(this.port, 30_000, this.driver);
      await this.#session();
    } catch (err) {
      const log = this.driver.log;
      await this.stop().catch(() => {});
      throw new Error(`${this.name}: the app did not start: ${err.message}\n${tail(log)}`);
    }
    return this;
  }
  async #session() {
    this.browser = await remote({
      hostname: "127.0.0.1",
      port: this.port,
      logLevel: "warn",
      capabilities: {
        browserName: "wry",
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application: APP_BIN },
      },
    });
    await this.browser.setWindowSize(this.size.width, this.size.height).catch(() => {});
  }
  $(testid) {
    return this.browser.$(`[data-testid="${testid}"]`);
  }
  async click(testid) {
    const el = this.$(testid);
    await el.waitForClickable({ timeout: 20_000 });
    await el.click();
  }
  async type(testid, text) {
    const el = this.$(testid);
    await el.waitForDisplayed({ timeout: 20_000 });
    await el.setValue(text);
  }
  async select(testid, value) {
    const el = this.$(testid);
    await el.waitForDisplayed({ timeout: 20_000 });
    await el.selectByAttribute("value", value);
  }
  async text(testid) {
    const el = this.$(testid);
    await el.waitForExist({ timeout: 20_000 });
    return String(await el.getProperty("textContent")).trim();
  }
  /** Waits until the element's text satisfies `pred` (or contains the string). */
  async waitText(testid, pred, timeout = 30_000) {
    const test = typeof pred === "string" ? (t) => t.includes(pred) : pred;
    let last = "";
    await this.browser.waitUntil(
      async () => {
        const el = this.$(testid);
        if (!(await el.isExisting())) return false;
        last = String(await el.getProperty("textContent"));
        return test(last);
      },
      { timeout, timeoutMsg: `${this.name}: [${testid}] never matched; last text: ${last}` },
    );
    return last;
  }
  async enrol(server, username, password, pin = "246810") {
    await this.type("enrol-server", server);
    await this.type("enrol-username", username);
    await this.type("enrol-password", password);
    await this.type("enrol-pin", pin);
    await this.click("enrol-submit");
  }
  async sync() {
    await this.click("tab-home");
    await this.click("sync-now");
    await this.browser.waitUntil(async () => (await this.$("sync-now").isEnabled()), { timeout: 60_000 });
  }
  async screenshot(path) {
    if (!this.browser) return;
    await within(this.browser.saveScreenshot(path), 15_000, `${this.name}: screenshot`);
  }
  /** Ends the WebDriver session (which closes the app) if it answers in time, then stops
   *  tauri-driver's process group: the driver, WebKitWebDriver, the app and WebKit's helpers,
   *  whether or not the session ended. Throws naming anything that survived SIGKILL. */
  async stop({ sessionMs = DELETE_SESSION_MS } = {}) {
    const browser = this.browser;
    this.browser = null;
    if (browser) {
      await within(browser.deleteSession(), sessionMs, `${this.name}: deleteSession`).catch((err) => {
        console.error(`# ${this.name}: ${err.message}; stopping it by signal`);
      });
    }
    const driver = this.driver;
    this.driver = null;
    await driver?.stop();
  }
}

export function readAccounts(dataDir) {
  return readFileSync(join(dataDir, "accounts.txt"), "utf8");
}
