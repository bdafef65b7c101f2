// End-to-end harness: a real beatbook-server (seeded demo county) and real app instances,
// each driven through its own tauri-driver → WebKitWebDriver, with its own data folder.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { remote } from "webdriverio";

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
export async function waitForPort(port, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
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
  const out = execFileSync(SERVER_BIN, ["seed-demo", "--data", dataDir], { encoding: "utf8" });
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
    this.proc = spawn(SERVER_BIN, ["serve", "--listen", `127.0.0.1:${this.port}`, "--data", this.dataDir], { stdio: ["ignore", "ignore", "inherit"] });
    await waitForPort(this.port);
  }
  async stop() {
    if (!this.proc) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
    this.proc = null;
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
    this.driver = spawn(TAURI_DRIVER, ["--port", String(this.port), "--native-port", String(nativePort)], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ...env, BEATBOOK_APP_DATA: this.dataDir },
    });
    await waitForPort(this.port);
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
    return this;
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
    await this.browser.saveScreenshot(path);
  }
  async stop() {
    await this.browser?.deleteSession().catch(() => {});
    this.driver?.kill("SIGTERM");
  }
}

export function readAccounts(dataDir) {
  return readFileSync(join(dataDir, "accounts.txt"), "utf8");
}
