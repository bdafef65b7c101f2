// App-wide state: who is logged in, the form catalog, sync status, and navigation (a stack
// of screens on a handset; a list with a detail pane on a wide screen).
import type { Catalog, FormSpec, Item, Me, SyncState } from "./bindings";
import type { Data } from "./api";
import type { SyncView } from "./sync";

export type Route =
  | { name: "home" }
  | { name: "households" }
  | { name: "records"; kind?: string }
  | { name: "review" }
  | { name: "station"; view?: "board" | "assess" }
  | { name: "dossierDoc"; id: string }
  | { name: "dossier"; id: string }
  | { name: "record"; id: string; task?: string }
  | { name: "form"; kind: string; id?: string; prefill?: Data; after?: After };

/** What happens after a form is saved. */
export type After =
  | { type: "raise"; kinds: string[] }
  | { type: "completeTask"; taskId: string };

export const app = $state({
  me: null as Me | null,
  catalog: null as Catalog | null,
  sync: { running: false, lastError: null, lastReport: null, failures: 0, retryAt: null } as SyncView,
  syncState: null as SyncState | null,
  progress: null as { done: number; total: number } | null,
  online: typeof navigator === "undefined" ? true : navigator.onLine,
  /** Bumped after every save or sync so screens reload what they show. */
  version: 0,
  stack: [{ name: "home" }] as Route[],
  /** On a wide screen: the record shown beside the list. */
  detail: null as { id: string; kind: string } | null,
  wide: false,
  toast: "" as string,
});

export function route(): Route {
  return app.stack[app.stack.length - 1];
}

export function go(r: Route) {
  app.stack.push(r);
}

export function back() {
  if (app.stack.length > 1) app.stack.pop();
}

/** Switches to a main section (bottom or side navigation). */
export function section(r: Route) {
  app.stack = [r];
  app.detail = null;
}

/** Opens a record: beside the list on a wide screen, as its own screen on a handset. */
export function openItem(item: Pick<Item, "id" | "kind">) {
  if (app.wide && app.stack.length === 1 && route().name !== "home") {
    app.detail = { id: item.id, kind: item.kind };
  } else {
    go(item.kind === "household" ? { name: "dossier", id: item.id } : { name: "record", id: item.id });
  }
}

export function form(kind: string): FormSpec | undefined {
  return app.catalog?.forms.find((f) => f.kind === kind);
}

export function kindLabel(kind: string): string {
  return form(kind)?.label ?? kind;
}

export function statusesOf(kind: string) {
  return app.catalog?.statuses.find((s) => s.kind === kind)?.statuses ?? [];
}

export function choiceLabel(kind: string, field: string, code: string): string {
  return form(kind)?.fields.find((f) => f.name === field)?.choices.find((c) => c.code === code)?.label ?? code;
}

export function refresh() {
  app.version += 1;
}

export function toast(text: string) {
  app.toast = text;
  setTimeout(() => {
    if (app.toast === text) app.toast = "";
  }, 3000);
}

/** Now, as the model stores times. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** A time in Beijing time, as `2026-11-28 15:04`. */
export function beijing(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return d.toISOString().slice(0, 16).replace("T", " ");
}

/** `datetime-local` input value (Beijing time) ⇄ RFC 3339. */
export function toLocalInput(iso: string | null | undefined): string {
  return beijing(iso).replace(" ", "T");
}
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(`${v}:00+08:00`);
  return isNaN(d.getTime()) ? null : d.toISOString();
}
