// Station work's logic against a mocked IPC: the command names and arguments the Rust side
// expects, periods in Asia/Shanghai days, how a hazard's urgency is told, chart scaling, and
// that every station string exists in both languages.
import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { BoardView } from "../src/lib/bindings";
import { setLang } from "../src/lib/i18n.svelte";
import {
  STATION_STRINGS, addDays, assignees, bars, boardMove, boardStep, bulkOrder, emptyRuleForm, ruleInput, boardTotals, exportPath, linePoints, mondayOf, niceMax, periodRange,
  shanghaiDay, st, stationApi, urgency, weeksEnding,
} from "../src/lib/station";

afterEach(() => clearMocks());

describe("station api", () => {
  it("calls the commands with the arguments Rust expects", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return cmd === "export_assessment" ? (args as { path: string }).path : null;
    });
    await stationApi.board();
    await stationApi.assess("2026-11-01", "2026-11-30", "village");
    const out = await stationApi.exportAssessment("2026-11-01", "2026-11-30", "officer", "/tmp/a.xlsx");
    await stationApi.exportDossier("r1", "pdf", "/tmp/d.pdf");
    expect(out).toBe("/tmp/a.xlsx");
    expect(calls).toEqual([
      ["board", {}],
      ["assess", { from: "2026-11-01", to: "2026-11-30", by: "village" }],
      ["export_assessment", { from: "2026-11-01", to: "2026-11-30", by: "officer", path: "/tmp/a.xlsx" }],
      ["export_dossier", { id: "r1", format: "pdf", path: "/tmp/d.pdf" }],
    ]);
  });
});

describe("dispatch", () => {
  const staff = [
    { user: "li", name: "李强", role_label: "社区民警", villages: ["a", "b"] },
    { user: "wang", name: "王芳", role_label: "辅警", villages: ["b"] },
  ];

  it("offers only people who work in every chosen village", () => {
    expect(assignees(staff, []).map((m) => m.user)).toEqual(["li", "wang"]);
    expect(assignees(staff, ["b"]).map((m) => m.user)).toEqual(["li", "wang"]);
    expect(assignees(staff, ["a", "b"]).map((m) => m.user)).toEqual(["li"]);
    expect(assignees(staff, ["c"])).toEqual([]);
  });

  it("sends no assignee for each key person's own officer, and trims text", async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      sent.push([cmd, args]);
      return { created: ["t1"], already_open: 0 };
    });
    const order = bulkOrder({ action: "check_key_person", villages: ["a"], assignee: " ", due: "2026-11-29", instructions: " 核查近况 " });
    expect(order).toEqual({ action: "check_key_person", villages: ["a"], assignee: null, due: "2026-11-29", instructions: "核查近况" });
    expect((await stationApi.bulkDispatch(order)).created).toEqual(["t1"]);
    expect(sent).toEqual([["bulk_dispatch", { order }]]);
    expect(bulkOrder({ action: "visit_household", villages: [], assignee: "li", due: "2026-11-29", instructions: "" }).assignee).toBe("li");
  });
});

describe("periods", () => {
  it("counts days in Shanghai: 17:00 UTC is already the next day", () => {
    expect(shanghaiDay(new Date("2026-11-29T15:59:00Z"))).toBe("2026-11-29");
    expect(shanghaiDay(new Date("2026-11-29T16:00:00Z"))).toBe("2026-11-30");
  });

  it("gives weeks Monday to Sunday and whole months, across year ends", () => {
    // Sunday 2026-11-29 22:00 in Shanghai.
    const sun = new Date("2026-11-29T14:00:00Z");
    expect(mondayOf("2026-11-29")).toBe("2026-11-23");
    expect(periodRange("week", sun)).toEqual({ from: "2026-11-23", to: "2026-11-29" });
    expect(periodRange("lastWeek", sun)).toEqual({ from: "2026-11-16", to: "2026-11-22" });
    expect(periodRange("month", sun)).toEqual({ from: "2026-11-01", to: "2026-11-30" });
    expect(periodRange("lastMonth", sun)).toEqual({ from: "2026-10-01", to: "2026-10-31" });
    const dec = new Date("2026-12-31T17:00:00Z"); // 2027-01-01 01:00 in Shanghai
    expect(periodRange("month", dec)).toEqual({ from: "2027-01-01", to: "2027-01-31" });
    expect(periodRange("lastMonth", dec)).toEqual({ from: "2026-12-01", to: "2026-12-31" });
    expect(periodRange("month", new Date("2028-02-10T00:00:00Z")).to).toBe("2028-02-29");
    expect(periodRange("custom", sun, { from: "2026-11-03", to: "2026-11-05" })).toEqual({ from: "2026-11-03", to: "2026-11-05" });
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
  });

  it("lists the weeks of a trend oldest first, ending with the given day's week", () => {
    const w = weeksEnding("2026-11-26", 3);
    expect(w).toEqual([
      { from: "2026-11-09", to: "2026-11-15" },
      { from: "2026-11-16", to: "2026-11-22" },
      { from: "2026-11-23", to: "2026-11-29" },
    ]);
  });
});

describe("board", () => {
  const row = (id: string, overdue: number | null, deadline: string | null) => ({
    id, title: id, status: "open", status_label: "待整改", found_local: "2026-11-20 09:00",
    deadline_local: deadline, age_days: 3, overdue_days: overdue,
  });
  const board: BoardView = {
    at_local: "2026-11-28 20:00",
    villages: [
      { village: "a", village_name: "甲村", overdue: 2, rows: [row("1", 4, "2026-11-24 18:00"), row("2", 0, "2026-11-28 18:00"), row("3", null, null)] },
      { village: "b", village_name: "乙村", overdue: 0, rows: [row("4", null, "2026-12-02 18:00")] },
    ],
  };

  it("tells overdue (even on the deadline's day) from due and from no deadline", () => {
    expect(board.villages[0].rows.map(urgency)).toEqual(["overdue", "overdue", "none"]);
    expect(urgency(board.villages[1].rows[0])).toBe("deadline");
  });

  it("totals hazards, overdue ones and villages", () => {
    expect(boardTotals(board)).toEqual({ hazards: 4, overdue: 2, villages: 2 });
    expect(boardTotals({ at_local: "", villages: [] })).toEqual({ hazards: 0, overdue: 0, villages: 0 });
  });
});

describe("charts", () => {
  it("scales to a round maximum so bars compare", () => {
    expect([0, 0.3, 1, 3, 7, 10, 11, 45, 101].map(niceMax)).toEqual([1, 0.5, 1, 5, 10, 10, 20, 50, 200]);
    const b = bars([5, 10, 0], 200);
    expect(b.max).toBe(10);
    expect(b.lengths).toEqual([100, 200, 0]);
    expect(bars([], 200).lengths).toEqual([]);
  });

  it("draws a trend with the top of the axis at the round maximum", () => {
    const l = linePoints([0, 5, 10], 300, 100);
    expect(l.max).toBe(10);
    expect(l.points).toBe("0,100 150,50 300,0");
    expect(linePoints([3], 300, 100).points).toBe("0,40");
  });
});

describe("strings", () => {
  it("has every station string in Chinese and English and names exports by language", () => {
    for (const k of Object.keys(STATION_STRINGS.zh) as (keyof typeof STATION_STRINGS.zh)[]) {
      expect(STATION_STRINGS.en[k], k).toBeTruthy();
    }
    setLang("zh");
    expect(st("overdueDays", 3)).toBe("逾期3天");
    const r = { from: "2026-11-01", to: "2026-11-30" };
    expect(exportPath("/home/li/Downloads/", r, "village")).toBe("/home/li/Downloads/考核-village-2026-11-01-2026-11-30.xlsx");
    setLang("en");
    expect(st("overdueDays", 3)).toBe("3 d overdue");
    expect(exportPath("C:\\Users\\li", r, "station")).toBe("C:\\Users\\li\\assessment-station-2026-11-01-2026-11-30.xlsx");
    setLang("zh");
  });
});

describe("the board's quick step", () => {
  const open = { status: "open", description: "电线裸露", rectification: "" };
  const rectifying = { status: "rectifying", description: "电线裸露", rectification: "已断电" };

  it("offers rectifying for an open hazard and clearing for a rectifying one", () => {
    expect(boardStep("open")).toBe("rectify");
    expect(boardStep("rectifying")).toBe("clear");
    expect(boardStep("cleared")).toBeNull();
  });

  it("moves the hazard one step, saying who cleared it and when", () => {
    expect(boardMove(open, "rectify", " 已联系电工 ", "t", "zhou.chief")).toMatchObject({
      status: "rectifying",
      rectification: "已联系电工",
    });
    expect(boardMove(rectifying, "clear", "线路已更换", "t", "zhou.chief")).toMatchObject({
      status: "cleared",
      clearance_note: "线路已更换",
      cleared_at: "t",
      cleared_by: "zhou.chief",
    });
  });

  it("refuses a clearing without a note, and a step the hazard has moved past", () => {
    expect(boardMove(rectifying, "clear", "  ", "t", "zhou.chief")).toBeNull();
    expect(boardMove(open, "clear", "线路已更换", "t", "zhou.chief")).toBeNull();
    expect(boardMove(rectifying, "rectify", "", "t", "zhou.chief")).toBeNull();
  });
});

describe("duty rules", () => {
  it("calls the rule commands with the arguments Rust expects", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    const rule = ruleInput({ ...emptyRuleForm(new Date("2026-11-28T20:00:00Z")), name: " 每周核查 " });
    await stationApi.dutyRules();
    await stationApi.addDutyRule(rule);
    await stationApi.removeDutyRule("r1");
    await stationApi.runDutyRules();
    expect(calls).toEqual([
      ["duty_rules", {}],
      ["add_duty_rule", { rule }],
      ["remove_duty_rule", { id: "r1" }],
      ["run_duty_rules", {}],
    ]);
  });

  it("starts a weekly key-person check today, in Shanghai days", () => {
    const f = emptyRuleForm(new Date("2026-11-28T20:00:00Z"));
    expect(f.startsOn).toBe("2026-11-29");
    expect(ruleInput({ ...f, name: " 高风险每周核查 ", minRisk: "high", categories: ["petitioner"] })).toEqual({
      name: "高风险每周核查",
      action: "check_key_person",
      every_days: 7,
      villages: [],
      categories: ["petitioner"],
      min_risk: "high",
      assignee: null,
      starts_on: "2026-11-29",
    });
  });

  it("drops key-person filters from a household rule and sends a bad period for Rust to refuse", () => {
    const f = { ...emptyRuleForm(new Date()), action: "visit_household", categories: ["petitioner"], minRisk: "high" };
    const input = ruleInput({ ...f, assignee: "li", everyDays: "abc" });
    expect(input.categories).toEqual([]);
    expect(input.min_risk).toBeNull();
    expect(input.assignee).toBe("li");
    expect(input.every_days).toBe(0);
  });
});
