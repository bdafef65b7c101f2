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

/** Scrolls `testid` to the middle of the screen (clear of sticky bars) and taps it until
 *  `done()` holds (WebKitGTK under Xvfb can swallow a tap). */
async function tap(app, testid, done) {
  await app.browser.waitUntil(async () => {
    const el = app.$(testid);
    if (await el.isExisting()) {
      await el.scrollIntoView({ block: "center" });
      await el.click().catch(() => {});
    }
    return done();
  }, { timeout: 20_000, interval: 1000, timeoutMsg: `[${testid}] never took effect` });
}

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
  // A unit inspection: the checklist with the common items, one failed; the location line.
  await app.click("tab-records");
  await app.select("records-kind", "inspection");
  await app.browser.waitUntil(async () => {
    if (await app.$("check-common").isExisting()) return true;
    if (await app.$("records-new").isClickable()) await app.$("records-new").click();
    return app.$("check-common").isExisting();
  }, { timeout: 20_000, interval: 1000 });
  await app.type("f-unit_name", "城关加油站");
  await tap(app, "check-common", () => app.$("check-0-fail").isExisting());
  await tap(app, "check-0-fail", async () => (await app.$("check-0-fail").getAttribute("class")).includes("on"));
  await app.type("check-0-note", "灭火器过期");
  await app.$("f-location-none").waitForExist({ timeout: 20_000 }).catch(() => {});
  // The checklist's top just below the sticky header.
  await app.browser.execute(() => {
    document.querySelector('[data-field="items"]').scrollIntoView({ block: "start" });
    window.scrollBy(0, -64);
  });
  await app.screenshot(join(out, "handset-inspection.png"));
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
  // A record opened beside the list, marked reviewed with a comment.
  await app.$("review-list").$('button:not([data-kind="household"])').click();
  await app.type("review-input", "已阅。请一周内回访，核实整改情况");
  await app.browser.waitUntil(async () => {
    if (await app.$("review-comment").isExisting()) return true;
    if (await app.$("review-submit").isClickable()) await app.$("review-submit").click();
    return app.$("review-comment").isExisting();
  }, { timeout: 20_000, interval: 1000 });
  await app.browser.execute(() => window.scrollTo(0, 0));
  await app.screenshot(join(out, "desktop-review-record.png"));
});
await server.stop();
console.log(`screenshots written to ${out}`);
