// Station work for chiefs and the county admin (隐患清零 · 考核 · 档案): the IPC calls, the
// pure logic the screens use (periods in Asia/Shanghai days, how urgent a hazard is, chart
// scaling) and the screens' strings in 简体中文 and English.
import { invoke } from "@tauri-apps/api/core";
import type {
  ActionChoice, AssessView, BoardItem, BoardView, BulkInput, BulkResult, DutyRuleInput, DutyRulesView, DutyRunView,
  FiguresView, StaffView,
} from "./bindings";
import { ui } from "./i18n.svelte";
import type { Data } from "./api";
import { clearHazard, rectifyHazard } from "./forms";

export type By = "officer" | "village" | "station";

/** Kinds with a dossier document besides the household (whose dossier screen links to it). */
export const DOSSIER_KINDS: string[] = ["household", "key_person", "dispute", "inspection"];

export const stationApi = {
  board: () => invoke<BoardView>("board"),
  assess: (from: string, to: string, by: By) => invoke<AssessView>("assess", { from, to, by }),
  exportAssessment: (from: string, to: string, by: By, path: string) =>
    invoke<string>("export_assessment", { from, to, by, path }),
  exportDir: () => invoke<string>("export_dir"),
  staff: () => invoke<StaffView[]>("staff"),
  dispatchActions: () => invoke<ActionChoice[]>("dispatch_actions"),
  bulkDispatch: (order: BulkInput) => invoke<BulkResult>("bulk_dispatch", { order }),
  dossierHtml: (id: string) => invoke<string>("dossier_html", { id }),
  exportDossier: (id: string, format: "pdf" | "html", path: string) =>
    invoke<string>("export_dossier", { id, format, path }),
  dutyRules: () => invoke<DutyRulesView>("duty_rules"),
  addDutyRule: (rule: DutyRuleInput) => invoke<DutyRulesView>("add_duty_rule", { rule }),
  removeDutyRule: (id: string) => invoke<DutyRulesView>("remove_duty_rule", { id }),
  runDutyRules: () => invoke<DutyRunView>("run_duty_rules"),
};

// ---- periods ----------------------------------------------------------------------------

const DAY = 86_400_000;
const SHANGHAI_OFFSET = 8 * 3600_000;

/** The Asia/Shanghai calendar day of an instant, `YYYY-MM-DD`. */
export function shanghaiDay(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET).toISOString().slice(0, 10);
}

/** `day` plus `n` days (`YYYY-MM-DD` in, out). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

/** The Monday of the week holding `day`. */
export function mondayOf(day: string): string {
  const wd = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((wd + 6) % 7));
}

export type PeriodChoice = "week" | "lastWeek" | "month" | "lastMonth" | "custom";
export type Range = { from: string; to: string };

/** The days a period choice covers on the Shanghai day of `now` (custom: `custom` itself). */
export function periodRange(choice: PeriodChoice, now: Date, custom?: Range): Range {
  const today = shanghaiDay(now);
  switch (choice) {
    case "week": {
      const from = mondayOf(today);
      return { from, to: addDays(from, 6) };
    }
    case "lastWeek": {
      const from = addDays(mondayOf(today), -7);
      return { from, to: addDays(from, 6) };
    }
    case "month": {
      const from = `${today.slice(0, 8)}01`;
      return { from, to: addDays(`${nextMonth(from)}`, -1) };
    }
    case "lastMonth": {
      const thisFirst = `${today.slice(0, 8)}01`;
      const from = `${addDays(thisFirst, -1).slice(0, 8)}01`;
      return { from, to: addDays(thisFirst, -1) };
    }
    case "custom":
      return custom ?? { from: today, to: today };
  }
}

function nextMonth(first: string): string {
  const [y, m] = first.split("-").map(Number);
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`;
}

/** The `n` whole weeks (Monday–Sunday) ending with the week holding `day`, oldest first. */
export function weeksEnding(day: string, n: number): Range[] {
  const last = mondayOf(day);
  return Array.from({ length: n }, (_, i) => {
    const from = addDays(last, -7 * (n - 1 - i));
    return { from, to: addDays(from, 6) };
  });
}

// ---- dispatch ----------------------------------------------------------------------------

/** People who can take work in every one of `villages` (everyone when none are chosen). */
export function assignees(staff: StaffView[], villages: string[]): StaffView[] {
  return staff.filter((m) => villages.every((v) => m.villages.includes(v)));
}

/** The order to send: trimmed, the assignee left out for "each key person's officer". */
export function bulkOrder(f: { action: string; villages: string[]; assignee: string; due: string; instructions: string }): BulkInput {
  return {
    action: f.action,
    villages: [...f.villages],
    assignee: f.assignee.trim() ? f.assignee.trim() : null,
    due: f.due,
    instructions: f.instructions.trim(),
  };
}

// ---- duty rules -------------------------------------------------------------------------

export type RuleForm = {
  name: string;
  action: string;
  everyDays: string;
  villages: string[];
  categories: string[];
  minRisk: string;
  assignee: string;
  startsOn: string;
};

/** A rule form as the chief first sees it: a weekly key-person check starting today. */
export function emptyRuleForm(now: Date): RuleForm {
  return {
    name: "",
    action: "check_key_person",
    everyDays: "7",
    villages: [],
    categories: [],
    minRisk: "",
    assignee: "",
    startsOn: shanghaiDay(now),
  };
}

/** The rule the form describes (the Rust side checks it and says what is wrong in words);
 * key-person filters are dropped from a household rule. */
export function ruleInput(f: RuleForm): DutyRuleInput {
  const people = f.action === "check_key_person";
  const days = Number.parseInt(f.everyDays.trim(), 10);
  return {
    name: f.name.trim(),
    action: f.action,
    every_days: Number.isFinite(days) && days > 0 ? days : 0,
    villages: [...f.villages],
    categories: people ? [...f.categories] : [],
    min_risk: people && f.minRisk ? f.minRisk : null,
    assignee: f.assignee.trim() ? f.assignee.trim() : null,
    starts_on: f.startsOn,
  };
}

// ---- the board --------------------------------------------------------------------------

export type Urgency = "overdue" | "deadline" | "none";

/** How a hazard stands: past its deadline, with one ahead, or without one. */
export function urgency(r: Pick<BoardItem, "overdue_days" | "deadline_local">): Urgency {
  if (r.overdue_days !== null) return "overdue";
  return r.deadline_local ? "deadline" : "none";
}

/** Totals for the board's head: how many hazards, how many overdue, in how many villages. */
export function boardTotals(b: BoardView): { hazards: number; overdue: number; villages: number } {
  return {
    hazards: b.villages.reduce((n, v) => n + v.rows.length, 0),
    overdue: b.villages.reduce((n, v) => n + v.overdue, 0),
    villages: b.villages.length,
  };
}

// ---- charts -----------------------------------------------------------------------------

/** A round axis maximum at or above `max` (1, 2, 5 × 10ⁿ); at least 1. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Bar lengths (0..`width`) for `values` on a shared nice axis, and the axis maximum. */
export function bars(values: number[], width: number): { lengths: number[]; max: number } {
  const max = niceMax(Math.max(0, ...values));
  return { lengths: values.map((v) => Math.max(0, (v / max) * width)), max };
}

/** SVG polyline points of a series across `width` × `height` (y grows downwards). */
export function linePoints(values: number[], width: number, height: number): { points: string; max: number } {
  const max = niceMax(Math.max(0, ...values));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values
    .map((v, i) => `${round(i * step)},${round(height - (v / max) * height)}`)
    .join(" ");
  return { points, max };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Figures the charts can show. */
export const METRICS = ["visits", "hazards_found", "hazards_cleared", "tasks_on_time", "tasks_overdue", "patrols"] as const;
export type Metric = (typeof METRICS)[number];

export function metric(f: FiguresView, m: Metric): number {
  return f[m];
}

/** A default file name for an export, e.g. `考核-village-2026-11-01-2026-11-30.xlsx`. */
export function exportPath(dir: string, r: Range, by: By): string {
  const sep = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  const base = dir.replace(/[\\/]+$/, "");
  return `${base}${sep}${ui.lang === "en" ? "assessment" : "考核"}-${by}-${r.from}-${r.to}.xlsx`;
}

// ---- the board's quick step --------------------------------------------------------------

export type BoardStep = "rectify" | "clear";

/** The one step the board offers for a hazard: start rectifying an open one (the note says
 * what is being done), clear a rectifying one (the note is required). */
export function boardStep(status: string): BoardStep | null {
  if (status === "open") return "rectify";
  if (status === "rectifying") return "clear";
  return null;
}

/** The hazard after the board's step, or `null` when the step cannot be taken (not its
 * status any more, or clearing without a note). */
export function boardMove(h: Data, step: BoardStep, note: string, at: string, by: string): Data | null {
  const text = note.trim();
  if (boardStep(String(h.status)) !== step) return null;
  if (step === "rectify") return rectifyHazard(h, text);
  return text ? clearHazard(h, text, at, by) : null;
}

// ---- strings ----------------------------------------------------------------------------

const zh = {
  station: "所务",
  board: "隐患清零",
  assess: "考核",
  boardEmpty: "没有待整改的隐患",
  hazards: "隐患",
  overdue: "逾期",
  overdueDays: "逾期{n}天",
  ageDays: "已{n}天",
  deadline: "期限",
  noDeadline: "未定期限",
  found: "发现",
  asOf: "统计时间",
  villages: "个村",
  week: "本周",
  lastWeek: "上周",
  month: "本月",
  lastMonth: "上月",
  custom: "自定义",
  byOfficer: "按民警",
  byVillage: "按村",
  byStation: "按派出所",
  lastSync: "上次同步",
  never: "从未同步",
  newestRecord: "最新记录",
  computed: "计算于",
  staleHint: "数据来自本机已同步的记录；同步后再看可得到最新数字。",
  perRow: "对比",
  trend: "近8周趋势（合计）",
  exportXlsx: "导出 Excel",
  savedTo: "已保存到",
  saveTo: "保存到",
  noRows: "这段时间没有可统计的记录",
  visits: "走访",
  hazards_found: "发现隐患",
  hazards_cleared: "清零隐患",
  tasks_on_time: "按时完成任务",
  tasks_overdue: "逾期任务",
  patrols: "巡逻",
  dossierDoc: "档案",
  exportPdf: "导出 PDF",
  exportHtml: "导出 HTML",
  loading: "正在生成…",
  dispatch: "派单",
  action: "任务类型",
  villagesPick: "村（不选为全部）",
  assignee: "承办人",
  responsible: "各重点人员的责任民警",
  chooseAssignee: "请选择承办人",
  dueBy: "截止日期（当天结束）",
  instructions: "任务要求（可不填）",
  send: "派发",
  dispatched: "已派发 {n} 条任务，下次同步送达承办人",
  alreadyOpen: "{n} 条已有未完成的同类任务，未重复派发",
  rectify: "开始整改",
  clear: "清零",
  rectifyNote: "整改措施（可不填）",
  clearNote: "清零说明（必填）",
  confirm: "确定",
  cancel: "取消",
  moved: "已更新，下次同步上报",
  statusChanged: "这条隐患的状态已变化，请刷新后再试",
  rules: "值勤规则",
  rulesEmpty: "还没有值勤规则",
  ruleName: "规则名称",
  everyDays: "每隔（天）",
  categoriesPick: "人员类别（不选为全部）",
  minRisk: "最低风险等级",
  anyRisk: "不限",
  startsOn: "起始日期",
  addRule: "新增规则",
  removeRule: "删除",
  runRules: "按规则生成本期任务",
  ranRules: "新生成 {n} 条任务",
  ranExisting: "{n} 个对象本期已有任务",
  ranSkipped: "{n} 个对象未生成（承办人不在名单中）",
  waitingSync: "待同步",
  synced: "已同步",
  rulesWaiting: "{n} 项更改待同步",
  allVillages: "全部村",
  every: "每{n}天",
  from: "起",
  madeBy: "设置人",
  rulesHint: "规则由派出所统一保存：同步后本所其他设备也会收到；所长的设备每次同步后自动生成本期任务，每个周期每个对象只生成一条。",
  generatedByRules: "已按值勤规则生成 {n} 条任务并派发",
};

const en: Record<keyof typeof zh, string> = {
  station: "Station",
  board: "Hazards to zero",
  assess: "Assessment",
  boardEmpty: "No hazards waiting to be put right",
  hazards: "hazards",
  overdue: "overdue",
  overdueDays: "{n} d overdue",
  ageDays: "{n} d old",
  deadline: "deadline",
  noDeadline: "no deadline",
  found: "found",
  asOf: "as of",
  villages: "villages",
  week: "This week",
  lastWeek: "Last week",
  month: "This month",
  lastMonth: "Last month",
  custom: "Custom",
  byOfficer: "By officer",
  byVillage: "By village",
  byStation: "By station",
  lastSync: "last sync",
  never: "never",
  newestRecord: "newest record",
  computed: "computed",
  staleHint: "Figures come from the records synced to this device; sync for the latest.",
  perRow: "Compare",
  trend: "Last 8 weeks (total)",
  exportXlsx: "Export Excel",
  savedTo: "Saved to",
  saveTo: "Save to",
  noRows: "Nothing to count in this period",
  visits: "Visits",
  hazards_found: "Hazards found",
  hazards_cleared: "Hazards cleared",
  tasks_on_time: "Tasks on time",
  tasks_overdue: "Tasks overdue",
  patrols: "Patrols",
  dossierDoc: "Dossier",
  exportPdf: "Export PDF",
  exportHtml: "Export HTML",
  loading: "Generating…",
  dispatch: "Dispatch",
  action: "Task",
  villagesPick: "Villages (none = all)",
  assignee: "Assignee",
  responsible: "Each key person's responsible officer",
  chooseAssignee: "Choose the assignee",
  dueBy: "Due by (end of day)",
  instructions: "Instructions (optional)",
  send: "Dispatch",
  dispatched: "{n} tasks dispatched; they reach the assignees at the next sync",
  alreadyOpen: "{n} already had an open task of this kind and were skipped",
  rectify: "Start rectifying",
  clear: "Clear",
  rectifyNote: "What is being done (optional)",
  clearNote: "How it was cleared (required)",
  confirm: "OK",
  cancel: "Cancel",
  moved: "Updated; it goes to the station at the next sync",
  statusChanged: "This hazard's status has changed; refresh and try again",
  rules: "Duty rules",
  rulesEmpty: "No duty rules yet",
  ruleName: "Rule name",
  everyDays: "Every (days)",
  categoriesPick: "Categories (none = all)",
  minRisk: "Lowest risk level",
  anyRisk: "any",
  startsOn: "Starts on",
  addRule: "Add rule",
  removeRule: "Remove",
  runRules: "Generate this period's tasks",
  ranRules: "{n} tasks generated",
  ranExisting: "{n} already had their task this period",
  ranSkipped: "{n} got no task (assignee not on the staff list)",
  waitingSync: "waiting to sync",
  synced: "synced",
  rulesWaiting: "{n} changes waiting to sync",
  allVillages: "all villages",
  every: "every {n} d",
  from: "from",
  madeBy: "set by",
  rulesHint: "The station keeps its rules: after a sync its other devices have them too; a chief's device makes the period's tasks after each sync, one per target per period.",
  generatedByRules: "{n} tasks made from the duty rules and dispatched",
};

export type StationKey = keyof typeof zh;
export const STATION_STRINGS = { zh, en };

/** The station string `key` in the current language, with `{n}` replaced. */
export function st(key: StationKey, n?: number): string {
  const s = (ui.lang === "en" ? en : zh)[key];
  return n === undefined ? s : s.replace("{n}", String(n));
}
