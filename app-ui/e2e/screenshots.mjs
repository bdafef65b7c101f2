// Writes the key screens of the app, in Chinese, at handset (360×740) and desktop
// (1280×800) size into SCREENSHOT_DIR (docs/screenshots/). Run by `cargo xtask screenshots`.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { App, Server, freePort, seed, tempDir } from "./harness.mjs";

const out = process.env.SCREENSHOT_DIR ?? "../docs/screenshots";
mkdirSync(out, { recursive: true });

const data = tempDir("server");
const accounts = seed(data);
const server = new Server(data, await freePort());
await server.start();

async function shoot(name, size, user, steps) {
  const app = await new App(name, size).start({ BEATBOOK_SERVER: server.url });
  try {
    await app.$("enrol-server").waitForDisplayed({ timeout: 30_000 });
    await app.screenshot(join(out, `${name}-enrol.png`));
    await app.enrol(server.url, user, accounts[user]);
    await app.waitText("last-sync", (t) => /\d{4}-/.test(t), 60_000);
    await steps(app);
  } finally {
    await app.stop();
  }
}

await shoot("handset", { width: 360, height: 740 }, "gucheng.officer1", async (app) => {
  await app.screenshot(join(out, "handset-home.png"));
  await app.click("tab-households");
  await app.type("household-search", "王");
  await app.waitText("household-list", (t) => t.length > 0);
  await app.screenshot(join(out, "handset-households.png"));
  await app.$("household-list").$("button").click();
  await app.$("dossier").waitForDisplayed({ timeout: 20_000 });
  await app.screenshot(join(out, "handset-dossier.png"));
  await app.click("tab-households");
  await app.click("new-household");
  await app.click("members-add");
  await app.type("members-0-name", "张三丰");
  await app.type("members-0-id", "110105194912310021");
  await app.waitText("members-0-id-error", "校验位");
  await app.screenshot(join(out, "handset-id-check.png"));
});
await shoot("desktop", { width: 1280, height: 800 }, "gucheng.chief", async (app) => {
  await app.screenshot(join(out, "desktop-home.png"));
  await app.click("tab-households");
  await app.waitText("household-list", (t) => t.length > 0);
  await app.$("household-list").$("button").click();
  await app.$("dossier").waitForDisplayed({ timeout: 20_000 });
  await app.screenshot(join(out, "desktop-households.png"));
  await app.click("tab-review");
  await app.waitText("officer-counts", (t) => t.length > 0);
  await app.screenshot(join(out, "desktop-review.png"));
});
await server.stop();
console.log(`screenshots written to ${out}`);
