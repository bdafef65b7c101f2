// The inspection checklist editor's logic: reading stored items, adding (also the common
// items, without duplicates), editing, removing, counting failures.
import { describe, expect, it } from "vitest";
import { COMMON_ITEMS, addCommon, addItem, checklist, failures, removeItem, setItem } from "../src/lib/checklist";

describe("checklist", () => {
  it("reads stored items and tolerates missing notes and junk", () => {
    expect(checklist([{ item: "消防器材", passed: false }, { item: "安全出口", passed: true, note: "畅通" }])).toEqual([
      { item: "消防器材", passed: false, note: "" },
      { item: "安全出口", passed: true, note: "畅通" },
    ]);
    expect(checklist(null)).toEqual([]);
    expect(checklist("x")).toEqual([]);
  });

  it("adds, edits, fails and removes items without touching the others", () => {
    let items = addItem([], "消防器材");
    items = addItem(items);
    items = setItem(items, 1, { item: "危险物品存放" });
    items = setItem(items, 0, { passed: false, note: "灭火器过期" });
    expect(items).toEqual([
      { item: "消防器材", passed: false, note: "灭火器过期" },
      { item: "危险物品存放", passed: true, note: "" },
    ]);
    expect(failures(items)).toBe(1);
    expect(removeItem(items, 0)).toEqual([{ item: "危险物品存放", passed: true, note: "" }]);
  });

  it("adds the common items once", () => {
    const once = addCommon([{ item: "消防器材", passed: false, note: "x" }]);
    expect(once.length).toBe(COMMON_ITEMS.length);
    expect(once[0]).toEqual({ item: "消防器材", passed: false, note: "x" });
    expect(addCommon(once)).toEqual(once);
  });
});
