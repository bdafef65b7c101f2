//! The device's data folder and what lives in it: the store (`device.db`, encrypted when
//! `BEATBOOK_KEY` is set), the enrolled device and the county map saved at login.

use crate::error::{Exit, Failure, Result};
use crate::render::Places;
use beatbook_model::{Assignment, Kind, Lang, Role, Scope, VillageId};
use beatbook_store::{Store, StoreKey};
use beatbook_sync::Device;
use std::path::{Path, PathBuf};

/// The store file inside the data folder.
pub const STORE_FILE: &str = "device.db";
/// The store meta key where the command keeps the time of the last successful sync.
pub use beatbook_sync::LAST_SYNC_META_KEY;

/// Where the device's data lives and how to talk to the user.
#[derive(Debug, Clone)]
pub struct Home {
    /// The data folder.
    pub dir: PathBuf,
    /// The language of messages and headers.
    pub lang: Lang,
    key: Option<String>,
}

/// The default data folder: `$XDG_DATA_HOME/beatbook`, else `~/.local/share/beatbook`.
pub fn default_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("beatbook");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local").join("share").join("beatbook")
}

/// The logged-in user on an open store, with the county map.
#[derive(Debug)]
pub struct Session {
    /// The store.
    pub store: Store,
    /// The enrolled device and its user.
    pub device: Device,
    /// Station and village names.
    pub places: Places,
}

impl Home {
    /// A home at `dir` (or the default), read with `BEATBOOK_KEY` if set.
    pub fn new(dir: Option<PathBuf>, lang: Lang) -> Self {
        Home {
            dir: dir.unwrap_or_else(default_dir),
            lang,
            key: std::env::var("BEATBOOK_KEY").ok().filter(|k| !k.is_empty()),
        }
    }

    /// The store file.
    pub fn store_path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    /// Opens (creating if needed) the device store.
    pub fn open(&self) -> Result<Store> {
        create_dir(&self.dir)?;
        let key = self.key.clone().map(StoreKey::Passphrase);
        Ok(Store::open(self.store_path(), key.as_ref())?)
    }

    /// Opens the store and requires a logged-in user.
    pub fn session(&self) -> Result<Session> {
        let store = self.open()?;
        let device = Device::load(&store)?.ok_or_else(Failure::not_logged_in)?;
        let places = Places::new(Device::county(&store)?);
        Ok(Session {
            store,
            device,
            places,
        })
    }

    /// Opens the store with whoever is logged in, if anyone.
    pub fn maybe_session(&self) -> Result<(Store, Option<Device>, Places)> {
        let store = self.open()?;
        let device = Device::load(&store)?;
        let places = Places::new(Device::county(&store)?);
        Ok((store, device, places))
    }
}

/// Creates the data folder readable by its owner only (`0700`), or tightens one others could
/// read, saying so on standard error: its store may have been read already.
fn create_dir(dir: &Path) -> Result<()> {
    let loose = beatbook_store::private::ensure_dir(dir).map_err(|e| {
        Failure::new(
            Exit::Failure,
            "home",
            format!("无法创建数据目录 {}：{e}", dir.display()),
            format!("cannot create the data folder {}: {e}", dir.display()),
        )
    })?;
    if let Some(mode) = loose {
        eprintln!(
            "警告：数据目录 {dir} 的权限是 {mode:04o}，其他用户可以访问，已改为 0700 / warning: \
             the data folder {dir} was open to other users (mode {mode:04o}); it is now 0700",
            dir = dir.display()
        );
    }
    Ok(())
}

impl Session {
    /// The account name of the logged-in user.
    pub fn me(&self) -> &str {
        &self.device.user.username
    }

    /// The user's assignment.
    pub fn assignment(&self) -> &Assignment {
        &self.device.user.assignment
    }

    /// Villages the user may work in: their own, or every village of their station or county.
    pub fn villages(&self) -> Vec<VillageId> {
        let a = self.assignment();
        match a.role {
            Role::CommunityOfficer | Role::Auxiliary | Role::GridWorker => a.villages.clone(),
            Role::StationChief => self
                .places
                .county()
                .and_then(|c| {
                    c.stations
                        .iter()
                        .find(|s| Some(&s.id) == a.station.as_ref())
                })
                .map(|s| s.villages.iter().map(|v| v.id.clone()).collect())
                .unwrap_or_default(),
            Role::CountyAdmin => self
                .places
                .county()
                .map(|c| {
                    c.stations
                        .iter()
                        .flat_map(|s| s.villages.iter().map(|v| v.id.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Finds a village by id or name among all the county's villages (for filters).
    pub fn village_id(&self, given: &str) -> VillageId {
        self.places
            .county()
            .and_then(|c| {
                c.stations
                    .iter()
                    .flat_map(|s| &s.villages)
                    .find(|v| v.id.as_str() == given || v.name == given)
            })
            .map_or_else(|| VillageId(given.to_owned()), |v| v.id.clone())
    }

    /// The scope of a new record: `--village` if given, else the user's only village.
    pub fn scope_for_new(&self, kind: Kind, village: Option<&str>) -> Result<Scope> {
        let mine = self.villages();
        let names = |lang: Lang| -> String {
            mine.iter()
                .map(|v| match lang {
                    Lang::Zh => format!("{}（{}）", v, self.places.village(v.as_str())),
                    Lang::En => v.to_string(),
                })
                .collect::<Vec<_>>()
                .join(if lang == Lang::Zh { "、" } else { ", " })
        };
        let village = match village {
            Some(given) => {
                let id = self.village_id(given);
                if !mine.contains(&id) {
                    return Err(Failure::bad_input(
                        "out_of_scope",
                        format!("村“{given}”不在你的辖区，不能在那里建记录。你的辖区：{}", names(Lang::Zh)),
                        format!("village \"{given}\" is outside your scope; you work in: {}", names(Lang::En)),
                    ));
                }
                id
            }
            None => match mine.as_slice() {
                [only] => only.clone(),
                [] => {
                    return Err(Failure::bad_input(
                        "no_village",
                        "你的账号没有分配村，无法建记录；请联系县局管理员，或重新登录以更新辖区",
                        "your account has no villages to record in; ask the county admin, or log in again to refresh your scope",
                    ))
                }
                _ => {
                    return Err(Failure::bad_input(
                        "village_required",
                        format!("你负责多个村，请用 --village 指明：{}", names(Lang::Zh)),
                        format!("you work in several villages; pick one with --village: {}", names(Lang::En)),
                    ))
                }
            },
        };
        let a = self.assignment();
        let station = match (&a.station, a.role) {
            (Some(s), r) if r != Role::CountyAdmin => s.clone(),
            _ => self
                .places
                .county()
                .and_then(|c| c.station_of(&village))
                .map(|s| s.id.clone())
                .ok_or_else(|| {
                    Failure::bad_input(
                        "unknown_village",
                        format!("辖区图中找不到村“{village}”，请重新登录以更新"),
                        format!("village \"{village}\" is not on the county map; log in again to refresh it"),
                    )
                })?,
        };
        let scope = Scope { station, village };
        self.check_write(kind, &scope)?;
        Ok(scope)
    }

    /// Refuses (bad input) a write the user's role and scope do not allow.
    pub fn check_write(&self, kind: Kind, scope: &Scope) -> Result<()> {
        if self.assignment().can_write(kind, scope) {
            return Ok(());
        }
        let role = self.assignment().role;
        Err(Failure::bad_input(
            "out_of_scope",
            format!(
                "{}（{}）不能在{}·{}写{}记录：超出你的辖区或权限",
                self.device.user.display_name,
                role.label(Lang::Zh),
                self.places.station(scope.station.as_str()),
                self.places.village(scope.village.as_str()),
                kind.label(Lang::Zh)
            ),
            format!(
                "as a {} you may not write a {} in {} / {}: outside your scope",
                role.label(Lang::En),
                kind.label(Lang::En).to_lowercase(),
                scope.station,
                scope.village
            ),
        ))
    }
}
