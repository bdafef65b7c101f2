// Writes the key screens of the app, in Chinese, at handset (360×740) and desktop
// (1280×800) size into SCREENSHOT_DIR (docs/screenshots/). Run by `cargo xtask screenshots`.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { App, Server, freePort, seed, tempDir } from "./harness.mjs";

const CLI_BIN = process.env.BEATBOOK_CLI_BIN ?? "../target/debug/beatbook";

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

/** Runs the `beatbook` command line with its own data folder `home`; returns its output. */
function cli(home, args, input) {
  return execFileSync(CLI_BIN, ["--home", home, ...args], { encoding: "utf8", input }).trim();
}

/** A Beijing time `days` days before now, at `hour`:00, as the command line takes it. */
function beijing(days, hour) {
  const d = new Date(Date.now() + 8 * 3600_000 - days * 86_400_000);
  return `${d.toISOString().slice(0, 10)} ${String(hour).padStart(2, "0")}:00`;
}

/** A few weeks of field work by two officers of 固城所 and its auxiliary, filed from their
 *  devices through the command line and synced, so the chief's station screens have figures:
 *  visits, hazards (one overdue, one rectifying past its deadline, one cleared), patrols and
 *  a resolved dispute. */
function fieldWork() {
  for (const [user, days] of [["gucheng.officer1", 1], ["gucheng.officer2", 2], ["gucheng.aux", 3]]) {
    const home = tempDir(`cli-${user}`);
    cli(home, ["login", "--server", server.url, "--username", user, "--password-stdin"], `${accounts[user]}\n`);
    cli(home, ["sync"]);
    const households = JSON.parse(cli(home, ["list", "household", "--json"]));
    const village = households[0].scope.village;
    const inVillage = ["--village", village];
    households.slice(0, 3 + days).forEach((h, i) => {
      cli(home, ["new", "visit", "--village", h.scope.village, "--set", `household=${h.id}`, "--set", "method=走访",
        "--set", "purpose=了解家庭近况", "--set", `visited_at=${beijing(i * 5 + days, 10)}`]);
    });
    const hazard = (place, description, found, deadline) => {
      const args = ["new", "hazard", ...inVillage, "--set", `place=${place}`, "--set", `description=${description}`,
        "--set", `found_at=${beijing(found, 9)}`];
      if (deadline !== null) args.push("--set", `deadline=${beijing(deadline, 18)}`);
      return cli(home, args);
    };
    if (user === "gucheng.officer1") {
      hazard("村委会东侧", "变压器围栏破损，儿童可进入", 9, 2);
      hazard("三组路口", "电线杆倾斜，有倒伏危险", 5, -5);
      hazard("村小学门口", "缺少减速带和警示标志", 1, null);
      const late = hazard("五组仓库", "堆放易燃杂物，无灭火器", 12, 1);
      cli(home, ["hazard", "rectify", late, "--note", "已通知户主清理"]);
      const done = hazard("加油站", "消防器材过期", 16, 10);
      cli(home, ["hazard", "rectify", done, "--note", "责令更换"]);
      cli(home, ["hazard", "clear", done, "--note", "已更换灭火器，复查合格"]);
      const dispute = cli(home, ["new", "dispute", ...inVillage, "--set", "dispute_type=land", "--set", `reported_at=${beijing(8, 9)}`,
        "--set", 'parties=[{"name":"王建国"},{"name":"李红梅"}]', "--set", "description=宅基地边界争议"]);
      cli(home, ["dispute", "session", dispute, "--notes", "现场丈量，双方同意以老界石为界"]);
      cli(home, ["dispute", "move", dispute, "resolved", "--outcome", "达成调解协议"]);
    } else {
      hazard("河堤", "护栏缺失一段", 6, 3);
    }
    cli(home, ["new", "patrol", ...inVillage, "--set", `started_at=${beijing(days, 19)}`, "--set", `ended_at=${beijing(days, 21)}`,
      "--set", "area=村内主干道"]);
    cli(home, ["sync"]);
  }
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
fieldWork();
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
  // Station work (所务): the hazards-to-zero board with a row's quick step open, the
  // assessment with its charts, and bulk dispatch.
  await app.click("tab-station");
  await app.waitText("board-summary", (t) => t.length > 0);
  await tap(app, "board-step", () => app.$("board-step-form").isExisting());
  await app.type("board-step-note", "已联系供电所，本周内加固");
  await app.browser.execute(() => window.scrollTo(0, 0));
  await app.screenshot(join(out, "desktop-board.png"));
  await app.click("station-assess");
  await app.click("period-month");
  await app.$("bars").waitForExist({ timeout: 20_000 });
  await app.screenshot(join(out, "desktop-assessment.png"));
  await app.click("station-dispatch");
  await app.screenshot(join(out, "desktop-dispatch.png"));
  // A weekly check of every key person, set as a duty rule and run for this period.
  await app.click("station-rules");
  await app.type("rule-name", "重点人员每周见面核查");
  await tap(app, "rule-add", () => app.$("rule-row").isExisting());
  await tap(app, "rules-run", () => app.$("rules-ran").isExisting());
  await app.browser.execute(() => window.scrollTo(0, 0));
  await app.screenshot(join(out, "desktop-duty-rules.png"));
});
await server.stop();
console.log(`screenshots written to ${out}`);
