// The one typed module through which the UI talks to Rust: one function per Tauri command of
// crates/beatbook-app. Types come from bindings.ts, generated from the Rust types.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AppError,
  Catalog,
  Dossier,
  FieldProblem,
  Filter,
  Home,
  Item,
  JsonValue,
  Kind,
  LaunchState,
  RecordView,
  Review,
  SyncProgress,
  SyncReport,
  SyncState,
  UnreadableView,
} from "./bindings";

export type * from "./bindings";

/** Record data as the forms edit it: the model's JSON for one kind. */
export type Data = { [field: string]: JsonValue | undefined };

/** Whether a thrown value is an error from the Rust side. */
export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Any thrown value as an AppError (JS failures become code `ui`). */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return { code: "ui", message: String(e), fields: [], transient: false, needs_login: false };
}

export const api = {
  defaultServer: () => invoke<string>("default_server"),
  setLang: (lang: "zh" | "en") => invoke<void>("set_lang", { lang }),
  launchState: () => invoke<LaunchState>("launch_state"),
  unlock: (pin: string) => invoke<LaunchState>("unlock", { pin }),
  lock: () => invoke<void>("lock"),
  enrol: (server: string, username: string, password: string, pin: string) =>
    invoke<LaunchState>("enrol", { server, username, password, pin }),
  syncNow: () => invoke<SyncReport>("sync_now"),
  syncState: () => invoke<SyncState>("sync_state"),
  unreadable: () => invoke<UnreadableView[]>("unreadable"),
  onSyncProgress: (f: (p: SyncProgress) => void): Promise<UnlistenFn> =>
    listen<SyncProgress>("sync-progress", (e) => f(e.payload)),
  catalog: () => invoke<Catalog>("catalog"),
  home: () => invoke<Home>("home"),
  list: (filter: Filter) => invoke<Item[]>("list", { filter }),
  search: (text: string, kind?: Kind) => invoke<Item[]>("search", { text, kind: kind ?? null }),
  record: (id: string) => invoke<RecordView>("record", { id }),
  related: (id: string) => invoke<Item[]>("related", { id }),
  dossier: (id: string) => invoke<Dossier>("dossier", { id }),
  review: (filter: Filter) => invoke<Review>("review", { filter }),
  check: (kind: Kind, data: Data) => invoke<FieldProblem[]>("check", { kind, data }),
  create: (kind: Kind, village: string | null, data: Data) =>
    invoke<RecordView>("create", { kind, village, data }),
  update: (id: string, data: Data) => invoke<RecordView>("update", { id, data }),
  remove: (id: string) => invoke<void>("delete", { id }),
  resolve: (id: string, path: string, value: JsonValue) =>
    invoke<RecordView>("resolve", { id, path, value }),
  colleagues: () => invoke<string[]>("colleagues"),
  markReviewed: (id: string, comment: string) =>
    invoke<RecordView>("mark_reviewed", { id, comment }),
};
