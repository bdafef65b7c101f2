// Form logic: which problems show, what a form starts with, and the multi-field domain steps.
import { describe, expect, it } from "vitest";
import {
  addObservation, addSession, cancelTask, defaultDue, clearHazard, completeTask, disputeMoves, emptyData,
  endPatrol, formFields, idNumberComplete, moveDispute, recordReturnVisit, rectifyHazard,
  returnVisitDue, splitNames, taskPrefill, taskRecordKind, taskTargetKind, topField,
  visibleProblems,
} from "../src/lib/forms";
import type { FieldProblem, FormSpec } from "../src/lib/bindings";

const problem = (field: string, message = "bad"): FieldProblem => ({ field, code: "x", message });

describe("visibleProblems", () => {
  const problems = [problem("address", "地址：必填"), problem("members[0].id_number", "校验位错误")];
  it("hides problems of untouched fields until the user saves", () => {
    expect(visibleProblems(problems, new Set(), false).size).toBe(0);
    expect([...visibleProblems(problems, new Set(), true).keys()]).toEqual(["address", "members[0].id_number"]);
  });
  it("shows a nested field's problem once that field is touched", () => {
    const shown = visibleProblems(problems, new Set(["members[0].id_number"]), false);
    expect(shown.get("members[0].id_number")).toBe("校验位错误");
    expect(shown.has("address")).toBe(false);
  });
  it("names the top field of a path", () => {
    expect(topField("members[2].phone")).toBe("members");
    expect(topField("data")).toBe("data");
  });
  it("checks an ID number as typed once it is complete", () => {
    expect(idNumberComplete("11010519491231002")).toBe(false);
    expect(idNumberComplete("110105194912310021")).toBe(true);
  });
});

describe("forms", () => {
  const spec: FormSpec = {
    kind: "dispute",
    label: "矛盾纠纷",
    fields: [
      { name: "parties", ty: "json", required: true, optional: false, fill: null, label: "当事人", choices: [], shape: "[{name}]" },
      { name: "description", ty: "long_text", required: true, optional: false, fill: null, label: "纠纷情况", choices: [], shape: null },
      { name: "status", ty: "choice", required: false, optional: false, fill: null, label: "状态", choices: [], shape: null },
      { name: "sessions", ty: "json", required: false, optional: false, fill: null, label: "调解记录", choices: [], shape: "[{held_at}]" },
    ],
  };
  it("starts lists empty and keeps the prefill", () => {
    expect(emptyData(spec, { household: "h1" })).toEqual({ parties: [], sessions: [], household: "h1" });
  });
  it("leaves fields that have their own flow out of the form", () => {
    expect(formFields(spec).map((f) => f.name)).toEqual(["parties", "description"]);
  });
});

describe("dispute flow", () => {
  const session = { held_at: "2026-11-28T02:00:00.000Z", participants: ["赵六", "钱七"], notes: "双方陈述", outcome: "" };
  it("the first session moves a reported case to mediating and keeps the log", () => {
    const d = addSession({ status: "reported", sessions: [] }, session);
    expect(d.status).toBe("mediating");
    expect(d.sessions).toHaveLength(1);
    const again = addSession(d, { ...session, notes: "第二次" });
    expect(again.sessions).toHaveLength(2);
    expect(again.status).toBe("mediating");
  });
  it("offers exactly the model's moves", () => {
    expect(disputeMoves("reported")).toEqual(["mediating"]);
    expect(disputeMoves("mediating")).toEqual(["resolved", "referred"]);
    expect(disputeMoves("referred")).toEqual(["closed"]);
    expect(disputeMoves("closed")).toEqual([]);
  });
  it("a referral says where", () => {
    expect(moveDispute({ status: "mediating" }, "referred", { referral: "court" })).toEqual({ status: "referred", referral: "court" });
    expect(moveDispute({ status: "mediating" }, "resolved", { outcome: "和解" }, "t")).toEqual({ status: "resolved", outcome: "和解", resolved_at: "t" });
    // A case already resolved keeps the time it was resolved.
    expect(moveDispute({ status: "resolved", resolved_at: "t0" }, "closed", {}, "t")).toEqual({ status: "closed", resolved_at: "t0" });
  });
  it("splits participant names written with Chinese or Latin commas", () => {
    expect(splitNames("赵六，钱七、 村主任, ")).toEqual(["赵六", "钱七", "村主任"]);
  });
});

describe("hazards, patrols and tasks", () => {
  it("rectifying appends a note and clearing needs one", () => {
    const h = rectifyHazard({ status: "open", rectification: "已通知" }, "更换电线");
    expect(h).toMatchObject({ status: "rectifying", rectification: "已通知\n更换电线" });
    expect(clearHazard(h, "已整改", "t", "wang.aux")).toMatchObject({ status: "cleared", clearance_note: "已整改", cleared_at: "t", cleared_by: "wang.aux" });
  });
  it("a patrol logs observations with time and place, then ends", () => {
    const p = addObservation({ observations: [] }, { at: "t1", place: "村东", text: "路灯不亮", incident: false });
    expect(p.observations).toEqual([{ at: "t1", place: "村东", text: "路灯不亮", incident: false }]);
    expect(endPatrol(p, "t2").ended_at).toBe("t2");
  });
  it("a task is done by filing the record it asks for", () => {
    expect(taskRecordKind("visit_household")).toBe("visit");
    expect(taskRecordKind("check_key_person")).toBe("key_person_check");
    expect(taskPrefill("visit_household", "h1")).toEqual({ household: "h1" });
    expect(completeTask({ status: "open" }, "r1")).toEqual({ status: "done", completed_by: "r1" });
  });
  it("a chief's task points at the record its action is about, and can be cancelled with a reason", () => {
    expect(taskTargetKind("visit_household")).toBe("household");
    expect(taskTargetKind("return_visit")).toBe("dispute");
    expect(taskTargetKind("follow_hazard")).toBe("hazard");
    expect(taskTargetKind("patrol")).toBeNull();
    expect(taskPrefill("return_visit", "d1")).toEqual({});
    expect(cancelTask({ status: "open", assignee: "a" }, "重复派单")).toEqual({ status: "cancelled", assignee: "a", cancel_reason: "重复派单" });
  });
  it("a new task is due at 18:00 Beijing time the next day", () => {
    // 2026-11-28 23:30 in Beijing is still the 28th there: due the 29th, 18:00 (10:00 UTC).
    expect(defaultDue(new Date("2026-11-28T15:30:00Z"))).toBe("2026-11-29T10:00:00.000Z");
    // 2026-11-29 00:30 in Beijing (16:30 UTC on the 28th): due the 30th.
    expect(defaultDue(new Date("2026-11-28T16:30:00Z"))).toBe("2026-11-30T10:00:00.000Z");
  });
  it("a dispute's return visit comes once mediation has ended", () => {
    expect(["reported", "mediating"].map(returnVisitDue)).toEqual([false, false]);
    expect(["resolved", "referred", "closed"].map(returnVisitDue)).toEqual([true, true, true]);
    expect(recordReturnVisit({ status: "resolved" }, "t", "双方关系缓和")).toEqual({ status: "resolved", return_visit: { at: "t", notes: "双方关系缓和" } });
  });
  it("the inspection form shows its checklist and the task form its target", () => {
    const spec = (name: string) => ({ name, ty: "json", required: false, optional: false, fill: null, label: name, choices: [], shape: null });
    const names = formFields({ kind: "x", label: "x", fields: ["items", "target", "sessions", "status"].map(spec) }).map((f) => f.name);
    expect(names).toEqual(["items", "target"]);
  });
});
