//! What the field app does on a device, without any window: unlock the encrypted store with
//! the user's PIN, enrol, read the home screen, lists, dossiers and records, save forms, settle
//! conflicts and sync. The Tauri shell (`beatbook-app`) calls one method per command; the types
//! the UI sees live in [`types`] and are exported to TypeScript.

mod dossier;
mod error;
mod forms;
pub mod station;
pub mod types;
mod views;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use beatbook_model::{Kind, Lang, Record, RecordId, Role, Scope, UserId, VillageId};
use beatbook_store::{Store, StoreKey};
use beatbook_sync::{Backoff, Device};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::Value as Json;

pub use error::{pick, Result};
pub use forms::catalog;
use types::*;

/// The store file inside the app's data folder.
pub const STORE_FILE: &str = "device.db";
/// Shortest PIN accepted at enrolment.
pub const PIN_MIN: usize = 6;
/// How many times one sync retries a transient failure before reporting it.
const SYNC_ATTEMPTS: u32 = 3;

/// One device's app state: where its data lives, whether the store is open, the language.
pub struct Client {
    dir: PathBuf,
    store: Mutex<Option<Arc<Mutex<Store>>>>,
    lang: Mutex<Lang>,
    syncing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("dir", &self.dir).finish()
    }
}

/// The open store plus who is logged in: what most calls need.
pub(crate) struct Session<'a> {
    pub store: MutexGuard<'a, Store>,
    pub device: Device,
    pub county: beatbook_model::County,
    pub lang: Lang,
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn parse_id(raw: &str, lang: Lang) -> Result<RecordId> {
    raw.parse()
        .map_err(|_| AppError::new("bad_id", lang, "记录编号无效", "not a record id"))
}

impl Client {
    /// A client keeping its store in `dir` (the app's data folder); nothing is opened yet.
    pub fn new(dir: impl Into<PathBuf>) -> Client {
        Client {
            dir: dir.into(),
            store: Mutex::new(None),
            lang: Mutex::new(Lang::Zh),
            syncing: tokio::sync::Mutex::new(()),
        }
    }

    fn store_path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    /// Creates the data folder readable by this user only (`0700`), or tightens one that other
    /// users could open; then returns the mode it had, for the app to warn that the store
    /// may have been read. The store's own files are made `0600` when it opens.
    pub fn prepare_data_dir(&self) -> std::io::Result<Option<u32>> {
        beatbook_store::private::ensure_dir(&self.dir)
    }

    fn data_dir_failed(&self, e: &std::io::Error) -> AppError {
        AppError::new(
            "storage",
            self.lang(),
            &format!("无法创建数据目录：{e}"),
            &format!("cannot create the data folder: {e}"),
        )
    }

    /// The language messages are written in.
    pub fn lang(&self) -> Lang {
        *self.lang.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Switches the language of messages and labels.
    pub fn set_lang(&self, lang: &str) {
        let lang = if lang == "en" { Lang::En } else { Lang::Zh };
        *self.lang.lock().unwrap_or_else(|e| e.into_inner()) = lang;
    }

    fn open_store(&self) -> Option<Arc<Mutex<Store>>> {
        self.store.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn shared(&self) -> Result<Arc<Mutex<Store>>> {
        self.open_store().ok_or_else(|| {
            AppError::new(
                "locked",
                self.lang(),
                "已锁定：请输入 PIN 码解锁",
                "locked: enter your PIN to unlock",
            )
        })
    }

    pub(crate) fn with_session<T>(
        &self,
        f: impl FnOnce(&mut Session<'_>) -> Result<T>,
    ) -> Result<T> {
        let lang = self.lang();
        let shared = self.shared()?;
        let store = shared.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::load(&store)
            .map_err(|e| AppError::sync(&e, lang))?
            .ok_or_else(|| AppError::sync(&beatbook_sync::SyncError::NotEnrolled, lang))?;
        let county = Device::county(&store)
            .map_err(|e| AppError::sync(&e, lang))?
            .unwrap_or(beatbook_model::County {
                name: String::new(),
                stations: Vec::new(),
            });
        let mut s = Session {
            store,
            device,
            county,
            lang,
        };
        f(&mut s)
    }

    // ---- locking ---------------------------------------------------------------------------

    /// Where the app stands: is there a store, is it open, who is logged in.
    pub fn launch_state(&self) -> LaunchState {
        let unlocked = self.open_store().is_some();
        LaunchState {
            has_store: self.store_path().exists(),
            unlocked,
            me: if unlocked {
                self.with_session(|s| Ok(s.me())).ok()
            } else {
                None
            },
        }
    }

    /// Opens the store with the PIN set at enrolment.
    pub fn unlock(&self, pin: &str) -> Result<LaunchState> {
        let lang = self.lang();
        if !self.store_path().exists() {
            return Err(AppError::new(
                "no_store",
                lang,
                "本机还没有数据，请先登录",
                "nothing is stored on this device yet: log in first",
            ));
        }
        self.prepare_data_dir()
            .map_err(|e| self.data_dir_failed(&e))?;
        let store = Store::open(
            self.store_path(),
            Some(&StoreKey::Passphrase(pin.to_owned())),
        )
        .map_err(|e| AppError::store(&e, lang))?;
        *self.store.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Mutex::new(store)));
        Ok(self.launch_state())
    }

    /// Closes the store (after inactivity, or on request); the PIN opens it again.
    pub fn lock(&self) {
        *self.store.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Logs in: on a new device creates the store encrypted with `pin`; on an unlocked one
    /// logs in again (same or another user, as the sync client allows).
    pub async fn enrol(
        &self,
        server: &str,
        username: &str,
        password: &str,
        pin: &str,
    ) -> Result<LaunchState> {
        let lang = self.lang();
        let fresh = self.open_store().is_none();
        if fresh {
            if self.store_path().exists() {
                return Err(AppError::new(
                    "locked",
                    lang,
                    "本机已有数据：请先用 PIN 码解锁",
                    "this device already holds data: unlock it with your PIN first",
                ));
            }
            if pin.chars().count() < PIN_MIN || !pin.chars().all(|c| c.is_ascii_digit()) {
                let mut e = AppError::new(
                    "bad_pin",
                    lang,
                    "PIN 码应为至少 6 位数字",
                    "the PIN must be at least 6 digits",
                );
                e.fields.push(FieldProblem {
                    field: "pin".into(),
                    code: "bad_pin".into(),
                    message: e.message.clone(),
                });
                return Err(e);
            }
            if server.trim().is_empty() || username.trim().is_empty() {
                return Err(AppError::new(
                    "required",
                    lang,
                    "请填写服务器地址和用户名",
                    "enter the server address and the username",
                ));
            }
            self.prepare_data_dir()
                .map_err(|e| self.data_dir_failed(&e))?;
            let store = Store::open(
                self.store_path(),
                Some(&StoreKey::Passphrase(pin.to_owned())),
            )
            .map_err(|e| AppError::store(&e, lang))?;
            *self.store.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Arc::new(Mutex::new(store)));
        }
        let shared = self.shared()?;
        let outcome =
            beatbook_sync::http::enrol(&shared, server, username, password, &device_name()).await;
        if let Err(e) = outcome {
            if fresh {
                // A failed first login leaves nothing behind: the next try sets the PIN anew.
                self.lock();
                drop(shared);
                remove_store(&self.store_path());
            }
            return Err(AppError::sync(&e, lang));
        }
        Ok(self.launch_state())
    }

    // ---- sync ------------------------------------------------------------------------------

    /// Sends this device's changes and receives what is new, retrying transient failures
    /// with backoff; the store is locked only between network round trips, so typing goes on.
    pub async fn sync(&self, mut on_progress: impl FnMut(SyncProgress)) -> Result<SyncReport> {
        let lang = self.lang();
        let _one_at_a_time = self.syncing.lock().await;
        let shared = self.shared()?;
        let device = {
            let store = shared.lock().unwrap_or_else(|e| e.into_inner());
            Device::load(&store)
                .map_err(|e| AppError::sync(&e, lang))?
                .ok_or_else(|| AppError::sync(&beatbook_sync::SyncError::NotEnrolled, lang))?
        };
        let transport = beatbook_sync::http::HttpTransport::new(&device)
            .map_err(|e| AppError::sync(&e, lang))?;
        let mut backoff = Backoff::new(Utc::now().timestamp_millis() as u64);
        let summary = beatbook_sync::run_with_retry(
            &shared,
            &device,
            &transport,
            &mut backoff,
            SYNC_ATTEMPTS,
            |p| {
                on_progress(SyncProgress {
                    done: p.done as u32,
                    total: p.total as u32,
                })
            },
        )
        .await
        .map_err(|e| AppError::sync(&e, lang))?;
        // The station's duty rules follow the records; a failure is reported, not fatal.
        let duty_rules = beatbook_station::duty::sync_rules(&shared, &transport).await;
        // A chief's device then makes the current period's tasks of those rules and sends
        // them at once, so recurring duties need nobody to press a button. Generation never
        // duplicates a task, also across the station's devices.
        let generated = if device.user.assignment.role == Role::StationChief {
            let made = {
                let mut store = shared.lock().unwrap_or_else(|e| e.into_inner());
                let roster =
                    beatbook_station::Roster::from(Device::staff(&store).unwrap_or_default());
                let me = beatbook_station::Staff::from(device.user.clone());
                beatbook_station::duty::run(&mut store, &roster, &me, &beatbook_model::SystemClock)
                    .map_or(0, |r| r.created.len())
            };
            if made > 0 {
                // Sent now if the link holds; otherwise they wait in the outbox like any edit.
                let _ = beatbook_sync::run(&shared, &device, &transport, |_| {}).await;
            }
            made
        } else {
            0
        };
        // Records that arrived unreadable are reported for the admin; a failure waits for the
        // next sync.
        let _ = beatbook_sync::http::report_unreadable(&shared, &transport).await;
        let mut store = shared.lock().unwrap_or_else(|e| e.into_inner());
        let newly_unreadable = store
            .take_unnotified_unreadable()
            .map_err(|e| AppError::store(&e, lang))?
            .len() as u32;
        Ok(SyncReport {
            newly_unreadable,
            duty_rules,
            generated: generated as u32,
            pushed: summary.pushed as u32,
            pulled: (summary.pulled_changes + summary.pulled_documents) as u32,
            records_updated: summary.records_updated as u32,
            conflicts: summary.conflicts as u32,
            set_aside: summary.set_aside as u32,
            state: views::sync_state(&store, lang)?,
        })
    }

    /// The records this device received but cannot read (无法读取), oldest first.
    pub fn unreadable(&self) -> Result<Vec<UnreadableView>> {
        self.with_session(|s| {
            let list = s
                .store
                .unreadable()
                .map_err(|e| AppError::store(&e, s.lang))?;
            Ok(list
                .into_iter()
                .map(|u| UnreadableView {
                    id: u.id.to_string(),
                    author_name: if u.author.is_empty() {
                        match s.lang {
                            Lang::Zh => "未知".to_owned(),
                            Lang::En => "unknown".to_owned(),
                        }
                    } else {
                        s.person_name(&u.author)
                    },
                    author: u.author,
                    first_seen_local: beatbook_model::format_local(u.first_seen),
                })
                .collect())
        })
    }

    /// Pending changes and the last sync time, for the status bar.
    pub fn sync_state(&self) -> Result<SyncState> {
        let shared = self.shared()?;
        let store = shared.lock().unwrap_or_else(|e| e.into_inner());
        views::sync_state(&store, self.lang())
    }

    // ---- reading ---------------------------------------------------------------------------

    /// The forms of every kind and the status labels.
    pub fn catalog(&self) -> Catalog {
        forms::catalog(self.lang())
    }

    /// The home screen.
    pub fn home(&self) -> Result<Home> {
        self.with_session(views::home)
    }

    /// Records matching `filter`, most recent first.
    pub fn list(&self, filter: Filter) -> Result<Vec<Item>> {
        self.with_session(|s| views::list(s, &filter))
    }

    /// Records whose names, ID numbers, phones, addresses or notes contain `text`.
    pub fn search(&self, text: &str, kind: Option<String>) -> Result<Vec<Item>> {
        self.with_session(|s| views::search(s, text, kind.as_deref()))
    }

    /// One record with its conflicts.
    pub fn record(&self, id: &str) -> Result<types::RecordView> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            views::open(s, id)
        })
    }

    /// Records that refer to this one (a dispute's tasks, a visit's hazards …), oldest first.
    pub fn related(&self, id: &str) -> Result<Vec<Item>> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            views::related(s, id)
        })
    }

    /// A household's dossier.
    pub fn dossier(&self, id: &str) -> Result<Dossier> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            views::dossier(s, id)
        })
    }

    /// The dossier (档案) of a household, key person, unit (via one of its inspections) or
    /// dispute as one self-contained HTML page, to show in the app.
    pub fn dossier_html(&self, id: &str) -> Result<String> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            dossier::html(s, id)
        })
    }

    /// Writes the dossier of `id` to `path` as `format` (`pdf`: A4 with the Chinese font
    /// embedded; `html`: a self-contained page). Returns the path written.
    pub fn export_dossier(&self, id: &str, format: &str, path: &str) -> Result<String> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            dossier::export(s, id, format, path)
        })
    }

    /// People to assign a task to: everyone this device has seen record or be assigned work.
    pub fn colleagues(&self) -> Result<Vec<String>> {
        self.with_session(views::colleagues)
    }

    /// The chief's review of the station's records.
    pub fn review(&self, filter: Filter) -> Result<Review> {
        self.with_session(|s| views::review(s, &filter))
    }

    // ---- writing ---------------------------------------------------------------------------

    /// Checks a form as it is being filled in: every field's problem, nothing saved.
    pub fn check(&self, kind: &str, data: Json) -> Result<Vec<FieldProblem>> {
        let lang = self.lang();
        let kind = forms::kind(kind, lang)?;
        let me = self
            .with_session(|s| Ok(s.device.user.username.clone()))
            .unwrap_or_default();
        Ok(forms::check(kind, data, &me, now(), lang))
    }

    /// Saves a new record in `village` (the user's only village when `None`).
    pub fn create(
        &self,
        kind: &str,
        village: Option<String>,
        data: Json,
    ) -> Result<types::RecordView> {
        self.with_session(|s| {
            let kind = forms::kind(kind, s.lang)?;
            let scope = s.scope_for_new(kind, village.as_deref())?;
            let body = forms::body(kind, data, s.me_name(), now(), s.lang)?;
            let author = UserId::from(s.me_name());
            let draft = Record::new(scope.clone(), author.clone(), now(), body.clone());
            s.check_change(None, &draft)?;
            let record = s
                .store
                .create(&author, scope, body)
                .map_err(|e| AppError::store(&e, s.lang))?;
            views::open(s, record.id)
        })
    }

    /// Replaces a record's data, unless that would overwrite a field holding conflicting
    /// values (the user settles those first, so nobody's value is dropped unseen).
    pub fn update(&self, id: &str, data: Json) -> Result<types::RecordView> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            let view = s.open_record(id)?;
            s.check_write(&view.record)?;
            let kind = view.record.kind();
            let body = forms::body(kind, data, s.me_name(), now(), s.lang)?;
            s.check_change(
                Some(&view.record),
                &Record {
                    body: body.clone(),
                    ..view.record.clone()
                },
            )?;
            forms::refuse_conflicted(&view, &body, s.lang)?;
            s.store
                .update(id, body)
                .map_err(|e| AppError::store(&e, s.lang))?;
            views::open(s, id)
        })
    }

    /// Deletes a record (it stays on the device, hidden, and the deletion syncs).
    pub fn delete(&self, id: &str) -> Result<()> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            let record = s.open_record(id)?;
            s.check_write(&record.record)?;
            s.check_change(
                Some(&record.record),
                &Record {
                    deleted: true,
                    ..record.record.clone()
                },
            )?;
            s.store
                .delete(id)
                .map_err(|e| AppError::store(&e, s.lang))?;
            Ok(())
        })
    }

    /// Marks a record reviewed with `comment` (a chief of its station or a county admin only);
    /// the review syncs to the author like any change.
    pub fn mark_reviewed(&self, id: &str, comment: &str) -> Result<types::RecordView> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            let view = s.open_record(id)?;
            if view.record.deleted {
                return Err(AppError::store(
                    &beatbook_store::StoreError::Deleted(id),
                    s.lang,
                ));
            }
            let by = UserId::from(s.me_name());
            let review = beatbook_model::Review::new(
                &view.record,
                &by,
                &s.device.user.assignment,
                comment,
                now(),
            )
            .map_err(|e| AppError::model(&e, s.lang))?;
            s.store
                .review(id, review)
                .map_err(|e| AppError::store(&e, s.lang))?;
            views::open(s, id)
        })
    }

    /// Settles a conflicted field with the chosen value; the choice syncs like any change.
    pub fn resolve(&self, id: &str, path: &str, value: Json) -> Result<types::RecordView> {
        self.with_session(|s| {
            let id = parse_id(id, s.lang)?;
            let view = s.open_record(id)?;
            s.check_write(&view.record)?;
            s.store
                .resolve(id, path, value)
                .map_err(|e| AppError::store(&e, s.lang))?;
            views::open(s, id)
        })
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Session<'_> {
    /// A record read from its document, with its conflicts.
    pub(crate) fn open_record(&mut self, id: RecordId) -> Result<beatbook_store::RecordView> {
        let lang = self.lang;
        self.store
            .open_record(id)
            .map_err(|e| AppError::store(&e, lang))
    }

    pub(crate) fn me_name(&self) -> &str {
        &self.device.user.username
    }

    pub(crate) fn village_name(&self, id: &str) -> String {
        self.county
            .stations
            .iter()
            .flat_map(|s| &s.villages)
            .find(|v| v.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |v| v.name.clone())
    }

    /// Villages the user records in: their own, or all of their station's (county's).
    pub(crate) fn villages(&self) -> Vec<VillageId> {
        let a = &self.device.user.assignment;
        match a.role {
            Role::CommunityOfficer | Role::Auxiliary | Role::GridWorker => a.villages.clone(),
            Role::StationChief => self
                .county
                .stations
                .iter()
                .filter(|s| Some(&s.id) == a.station.as_ref())
                .flat_map(|s| s.villages.iter().map(|v| v.id.clone()))
                .collect(),
            Role::CountyAdmin => self
                .county
                .stations
                .iter()
                .flat_map(|s| s.villages.iter().map(|v| v.id.clone()))
                .collect(),
        }
    }

    pub(crate) fn me(&self) -> Me {
        let a = &self.device.user.assignment;
        let station = a.station.as_ref().map(|id| Place {
            id: id.as_str().to_owned(),
            name: self
                .county
                .stations
                .iter()
                .find(|s| &s.id == id)
                .map_or_else(|| id.as_str().to_owned(), |s| s.name.clone()),
        });
        let villages: Vec<Place> = self
            .villages()
            .iter()
            .map(|v| Place {
                id: v.as_str().to_owned(),
                name: self.village_name(v.as_str()),
            })
            .collect();
        let writable = Kind::ALL
            .into_iter()
            .filter(|k| {
                self.villages().iter().any(|v| {
                    self.scope_of(v)
                        .is_some_and(|scope| a.can_write(*k, &scope))
                })
            })
            .map(|k| k.as_str().to_owned())
            .collect();
        Me {
            username: self.device.user.username.clone(),
            display_name: self.device.user.display_name.clone(),
            role: a.role.as_str().to_owned(),
            role_label: a.role.label(self.lang).to_owned(),
            station,
            villages,
            server: self.device.server.clone(),
            reviews: a.is_station_lead(),
            writable,
        }
    }

    fn scope_of(&self, village: &VillageId) -> Option<Scope> {
        let station = self.county.station_of(village)?;
        Some(Scope {
            station: station.id.clone(),
            village: village.clone(),
        })
    }

    /// The scope of a new record: the village given, else the user's only village.
    pub(crate) fn scope_for_new(&self, kind: Kind, village: Option<&str>) -> Result<Scope> {
        let mine = self.villages();
        let village = match (village, mine.as_slice()) {
            (Some(v), _) if !v.is_empty() => VillageId(v.to_owned()),
            (_, [only]) => only.clone(),
            (_, []) => {
                return Err(AppError::new(
                    "no_village",
                    self.lang,
                    "你的账号没有分配村，无法建记录",
                    "your account has no villages to record in",
                ))
            }
            _ => {
                let mut e = AppError::new(
                    "village_required",
                    self.lang,
                    "请选择村",
                    "choose the village",
                );
                e.fields.push(FieldProblem {
                    field: "village".into(),
                    code: "required".into(),
                    message: e.message.clone(),
                });
                return Err(e);
            }
        };
        let scope = self.scope_of(&village).filter(|_| mine.contains(&village));
        match scope {
            Some(scope) if self.device.user.assignment.can_write(kind, &scope) => Ok(scope),
            _ => Err(AppError::new(
                "out_of_scope",
                self.lang,
                "超出你的辖区或权限，不能在这个村建这类记录",
                "outside your scope: you may not record this kind in that village",
            )),
        }
    }

    /// Refuses a change the user's role and scope do not allow, or of a deleted record.
    /// Whether the model's access rules let this user turn `before` (absent for a new
    /// record) into `after`: the same rule the server enforces on what this device sends.
    pub(crate) fn check_change(&self, before: Option<&Record>, after: &Record) -> Result<()> {
        self.device
            .user
            .assignment
            .check_change(&UserId::from(self.me_name()), before, after)
            .map_err(|d| {
                AppError::new(
                    d.code(),
                    self.lang,
                    d.message(Lang::Zh),
                    d.message(Lang::En),
                )
            })
    }

    pub(crate) fn check_write(&self, record: &Record) -> Result<()> {
        if record.deleted {
            return Err(AppError::store(
                &beatbook_store::StoreError::Deleted(record.id),
                self.lang,
            ));
        }
        if self
            .device
            .user
            .assignment
            .can_write(record.kind(), &record.scope)
        {
            Ok(())
        } else {
            Err(AppError::new(
                "out_of_scope",
                self.lang,
                "超出你的辖区或权限，不能修改这条记录",
                "outside your scope: you may not change this record",
            ))
        }
    }
}

fn device_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    if host.is_empty() {
        "一村一警 app".to_owned()
    } else {
        format!("一村一警 app ({host})")
    }
}

fn remove_store(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}
