// The typed API module against a mocked IPC: command names and argument shapes as the Rust
// commands expect them, and errors arriving as {code, message}.
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { api, asAppError, isAppError } from "../src/lib/api";
import { STRINGS, setLang, t, ui } from "../src/lib/i18n.svelte";
import { reviewFilter } from "../src/lib/review";

afterEach(() => clearMocks());

describe("api", () => {
  it("sends each command with the argument names Rust expects", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "search") return [{ id: "1", kind: "household", title: "张三丰 · 固城村三组12号" }];
      return null;
    });
    const hits = await api.search("张三", "household");
    expect(hits[0].title).toContain("张三丰");
    await api.create("visit", null, { household: "1", method: "visit" });
    await api.resolve("r1", "data.purpose", "慰问");
    await api.review({ kind: "visit", from: "2026-11-01" });
    expect(calls).toEqual([
      ["search", { text: "张三", kind: "household" }],
      ["create", { kind: "visit", village: null, data: { household: "1", method: "visit" } }],
      ["resolve", { id: "r1", path: "data.purpose", value: "慰问" }],
      ["review", { filter: { kind: "visit", from: "2026-11-01" } }],
    ]);
  });

  it("passes Rust's {code, message} errors through", async () => {
    mockIPC(() => {
      throw { code: "bad_credentials", message: "用户名或密码错误", fields: [], transient: false, needs_login: true };
    });
    const err = await api.enrol("http://x", "u", "p", "123456").catch((e) => e);
    expect(isAppError(err)).toBe(true);
    expect(asAppError(err).message).toBe("用户名或密码错误");
    expect(asAppError(new Error("boom")).code).toBe("ui");
  });
});

describe("review", () => {
  it("marks a record reviewed with its comment and filters reviewed from unreviewed", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "mark_reviewed") {
        const { id, comment } = args as { id: string; comment: string };
        return { item: { id, reviewed: true }, review: { by: "gucheng.chief", at: "2026-11-28T07:00:00.000Z", at_local: "2026-11-28 15:00", comment }, reviewable: true };
      }
      return { items: [], officers: [] };
    });
    const r = await api.markReviewed("r1", "已阅，请回访");
    expect(r.review?.comment).toBe("已阅，请回访");
    expect(r.item.reviewed).toBe(true);
    await api.review(reviewFilter({ village: "guchengcun", reviewed: true }, "no"));
    await api.review(reviewFilter({ village: "guchengcun" }, "yes"));
    await api.review(reviewFilter({ village: "guchengcun", reviewed: false }, ""));
    expect(calls).toEqual([
      ["mark_reviewed", { id: "r1", comment: "已阅，请回访" }],
      ["review", { filter: { village: "guchengcun", reviewed: false } }],
      ["review", { filter: { village: "guchengcun", reviewed: true } }],
      ["review", { filter: { village: "guchengcun" } }],
    ]);
  });

  it("shows the refusal of a non-chief as Rust words it", async () => {
    mockIPC(() => {
      throw { code: "review_not_allowed", message: "只有本所所长或县局管理员可以审阅记录", fields: [], transient: false, needs_login: false };
    });
    const err = asAppError(await api.markReviewed("r1", "").catch((e) => e));
    expect(err.code).toBe("review_not_allowed");
    expect(err.message).toContain("所长");
  });
});

describe("i18n", () => {
  it("has every string in both languages and switches", () => {
    expect(Object.keys(STRINGS.en).sort()).toEqual(Object.keys(STRINGS.zh).sort());
    setLang("zh");
    expect(t("home")).toBe("我的村");
    setLang("en");
    expect(ui.lang).toBe("en");
    expect(t("home")).toBe("My villages");
    setLang("zh");
  });
});
