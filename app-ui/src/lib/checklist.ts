// An inspection's checklist (检查项目): each item checked passes or fails, with a remark. Kept
// apart from the component so Vitest checks it.
import type { JsonValue } from "./bindings";

/** One checked item, as the model stores it. */
export type CheckItem = { item: string; passed: boolean; note: string };

/** Items most unit inspections check; the officer adds, removes or renames freely. */
export const COMMON_ITEMS = ["消防器材", "安全出口与疏散通道", "从业人员登记", "视频监控", "危险物品存放", "治安防范制度"];

/** The checklist in a record's data (anything unexpected reads as empty). */
export function checklist(v: JsonValue | undefined): CheckItem[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => {
    const o = (x && typeof x === "object" && !Array.isArray(x) ? x : {}) as Record<string, JsonValue>;
    return {
      item: typeof o.item === "string" ? o.item : "",
      passed: o.passed !== false,
      note: typeof o.note === "string" ? o.note : "",
    };
  });
}

/** One more item (passing until marked otherwise). */
export function addItem(items: CheckItem[], item = ""): CheckItem[] {
  return [...items, { item, passed: true, note: "" }];
}

/** The common items not yet on the list, appended. */
export function addCommon(items: CheckItem[]): CheckItem[] {
  const have = new Set(items.map((i) => i.item.trim()));
  return COMMON_ITEMS.filter((c) => !have.has(c)).reduce(addItem, items);
}

/** Item `i` changed. */
export function setItem(items: CheckItem[], i: number, patch: Partial<CheckItem>): CheckItem[] {
  return items.map((x, j) => (j === i ? { ...x, ...patch } : x));
}

/** Item `i` removed. */
export function removeItem(items: CheckItem[], i: number): CheckItem[] {
  return items.filter((_, j) => j !== i);
}

/** How many items failed. */
export function failures(items: CheckItem[]): number {
  return items.filter((i) => !i.passed).length;
}
