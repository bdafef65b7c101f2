// Form logic kept apart from the components so Vitest can check it: which problems to show,
// empty data for a form, and the domain steps that are more than one field (a mediation
// session, a status move, a patrol observation, completing a task).
import type { FieldProblem, FormSpec, JsonValue } from "./bindings";
import type { Data } from "./api";

/** The top-level field a problem path belongs to: `members[0].id_number` → `members`. */
export function topField(path: string): string {
  return path.split(/[.[]/)[0];
}

/**
 * The problems to show: all of them once the user tried to save, else only those of fields
 * the user has touched (so an untouched form is not covered in red). Keyed by full path.
 */
export function visibleProblems(
  problems: FieldProblem[],
  touched: Set<string>,
  submitted: boolean,
): Map<string, string> {
  const shown = new Map<string, string>();
  for (const p of problems) {
    if (submitted || touched.has(p.field) || touched.has(topField(p.field))) {
      if (!shown.has(p.field)) shown.set(p.field, p.message);
    }
  }
  return shown;
}

/** An ID number is checked as it is typed once it has all 18 characters. */
export function idNumberComplete(value: string): boolean {
  return value.trim().length >= 18;
}

/** Starting data of a new record: lists empty, the rest filled by Rust (now, me) or the user. */
export function emptyData(form: FormSpec, prefill: Data = {}): Data {
  const data: Data = {};
  for (const f of form.fields) {
    if (f.ty === "choices" || f.ty === "users" || f.ty === "records") data[f.name] = [];
    else if (f.ty === "json" && f.shape?.startsWith("[")) data[f.name] = [];
    else if (f.ty === "bool") data[f.name] = false;
  }
  return { ...data, ...prefill };
}

/** The kind of record a task asks for, filed to complete it. */
export function taskRecordKind(action: string): string {
  switch (action) {
    case "visit_household":
    case "return_visit":
      return "visit";
    case "check_key_person":
      return "key_person_check";
    case "inspect_unit":
      return "inspection";
    case "patrol":
      return "patrol";
    case "publicity":
      return "publicity";
    default:
      return "hazard";
  }
}

/** What to prefill in the record a task asks for, from the task's target. */
export function taskPrefill(action: string, target: string | null | undefined): Data {
  if (!target) return {};
  if (action === "visit_household") return { household: target };
  if (action === "check_key_person") return { key_person: target };
  return {};
}

/** The kind of record a task of `action` is about (its target), if any. */
export function taskTargetKind(action: string | null | undefined): string | null {
  switch (action) {
    case "visit_household":
      return "household";
    case "return_visit":
      return "dispute";
    case "check_key_person":
      return "key_person";
    case "follow_hazard":
      return "hazard";
    case "inspect_unit":
      return "inspection";
    default:
      return null;
  }
}

/** A new task's due time until the chief picks one: 18:00 Beijing time the next day. */
export function defaultDue(now: Date): string {
  const beijing = new Date(now.getTime() + 8 * 3600_000);
  const day = new Date(Date.UTC(beijing.getUTCFullYear(), beijing.getUTCMonth(), beijing.getUTCDate() + 1, 18 - 8));
  return day.toISOString();
}

/** Cancels a task, with the reason the model requires. */
export function cancelTask(task: Data, reason: string): Data {
  return { ...task, status: "cancelled", cancel_reason: reason };
}

/** Marks a task done by the record that did it. */
export function completeTask(task: Data, recordId: string): Data {
  return { ...task, status: "done", completed_by: recordId };
}

function list(v: JsonValue | undefined): JsonValue[] {
  return Array.isArray(v) ? v : [];
}

/** Logs a mediation session; the first one moves the case from 已登记 to 调解中. */
export function addSession(
  dispute: Data,
  session: { held_at: string; participants: string[]; notes: string; outcome: string },
): Data {
  const status = dispute.status === "reported" || !dispute.status ? "mediating" : dispute.status;
  return { ...dispute, sessions: [...list(dispute.sessions), session], status };
}

/** The statuses a dispute may move to next (the model's machine). */
export function disputeMoves(status: string): string[] {
  switch (status) {
    case "reported":
      return ["mediating"];
    case "mediating":
      return ["resolved", "referred"];
    case "resolved":
    case "referred":
      return ["closed"];
    default:
      return [];
  }
}

/** Moves a dispute, with the referral or outcome the move needs; resolving records when. */
export function moveDispute(
  dispute: Data,
  status: string,
  extra: { referral?: string; outcome?: string; agreement?: string } = {},
  at?: string,
): Data {
  const next: Data = { ...dispute, status };
  if (status === "resolved" && dispute.status !== "resolved" && at) next.resolved_at = at;
  if (extra.referral) next.referral = extra.referral;
  if (extra.outcome) next.outcome = extra.outcome;
  if (extra.agreement) next.agreement = extra.agreement;
  return next;
}

/** Whether a dispute is far enough along for its return visit (回访): mediation has ended. */
export function returnVisitDue(status: string): boolean {
  return status === "resolved" || status === "referred" || status === "closed";
}

/** Records the dispute's return visit (回访): when, and what it found. */
export function recordReturnVisit(dispute: Data, at: string, notes: string): Data {
  return { ...dispute, return_visit: { at, notes } };
}

/** Hazard: open → rectifying, appending what is being done. */
export function rectifyHazard(h: Data, note: string): Data {
  const old = typeof h.rectification === "string" ? h.rectification : "";
  const rectification = note ? (old.trim() ? `${old}\n${note}` : note) : old;
  return { ...h, status: "rectifying", rectification };
}

/** Hazard: rectifying → cleared, with the note clearing requires and who cleared it. */
export function clearHazard(h: Data, note: string, at: string, by: string): Data {
  return { ...h, status: "cleared", clearance_note: note, cleared_at: at, cleared_by: by };
}

/** Patrol: one more observation, with time and place. */
export function addObservation(
  p: Data,
  o: { at: string; place: string; text: string; incident: boolean; location?: { lat: number; lon: number } | null },
): Data {
  const obs: Data = { at: o.at, place: o.place, text: o.text, incident: o.incident };
  if (o.location) obs.location = o.location;
  return { ...p, observations: [...list(p.observations), obs as JsonValue] };
}

/** Patrol: ended now. */
export function endPatrol(p: Data, at: string): Data {
  return { ...p, ended_at: at };
}

/** Splits "a, b，c、d" into names. */
export function splitNames(text: string): string[] {
  return text
    .split(/[,，、]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Fields set by their own flows (status moves, sessions, observations …), not by the form. */
const FLOW_FIELDS = new Set([
  "status",
  "referral",
  "sessions",
  "outcome",
  "agreement",
  "return_visit",
  "cleared_at",
  "cleared_by",
  "clearance_note",
  "resolved_at",
  "rectification",
  "completed_by",
  "cancel_reason",
  "ended_at",
  "route",
  "observations",
  "source",
  "hazards",
]);

/** The fields a record form shows. */
export function formFields(form: FormSpec) {
  return form.fields.filter((f) => !FLOW_FIELDS.has(f.name));
}
