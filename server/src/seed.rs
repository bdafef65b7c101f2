//! Demo data shaped like the report: 清丰县公安局 with six stations, their villages and
//! posts, one account per role and place, and a few hundred households written as ordinary
//! signed changes by a dedicated seed device (so they sync and audit like any other work).

use crate::admin::NewUser;
use crate::credentials::{new_token, random_bytes, token_hash};
use crate::error::ServerError;
use crate::state::AppState;
use crate::storage::DeviceRow;
use crate::sync::{push, Pusher, SyncError};
use automerge::transaction::CommitOptions;
use automerge::ActorId;
use beatbook_model::sample::Sampler;
use beatbook_model::{
    Assignment, Body, County, KeyPerson, KeyPersonCategory, Post, PostKind, Record, RecordId,
    RiskLevel, Role, Scope, Station, UserId, Village,
};
use beatbook_protocol::{change_payload, DeviceKey, PushedChange};

/// What [`AppState::seed_demo`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSeed {
    /// Every demo account: (username, password, role, where they work).
    pub credentials: Vec<(String, String, Role, String)>,
    /// How many household records were written.
    pub households: usize,
}

/// The sample generator's seed: same seed, same people and addresses.
const SAMPLE_SEED: u64 = 20_19_07_01;

/// A demo village: (id, name, served by an auxiliary's workstation rather than an office).
type DemoVillage = (&'static str, &'static str, bool);

/// The demo stations: (id, name, villages).
const STATIONS: &[(&str, &str, &[DemoVillage])] = &[
    (
        "majuangqiao",
        "马庄桥派出所",
        &[
            ("nanjie", "南街村", false),
            ("dongguan", "东关村", true),
            ("qianliu", "前刘村", false),
            ("houliu", "后刘村", true),
            ("wangzhuang", "王庄村", false),
        ],
    ),
    (
        "zhifang",
        "纸房派出所",
        &[
            ("zhifangcun", "纸房村", false),
            ("beijie", "北街村", true),
            ("xiguan", "西关村", false),
            ("zhangzhuang", "张庄村", true),
        ],
    ),
    (
        "xianzhuang",
        "仙庄派出所",
        &[
            ("xianzhuangcun", "仙庄村", false),
            ("lijia", "李家村", true),
            ("zhaozhuang", "赵庄村", false),
            ("gaozhuang", "高庄村", true),
            ("wucun", "吴村", false),
            ("sunzhuang", "孙庄村", true),
        ],
    ),
    (
        "chengzhen",
        "城镇派出所",
        &[
            ("chengbei", "城北社区", false),
            ("chengnan", "城南社区", false),
            ("dongjie", "东街社区", true),
            ("xijie", "西街社区", true),
            ("wenhua", "文化社区", false),
        ],
    ),
    (
        "gucheng",
        "固城派出所",
        &[
            ("guchengcun", "固城村", false),
            ("majia", "马家村", true),
            ("chenzhuang", "陈庄村", false),
            ("yangcun", "杨村", true),
        ],
    ),
    (
        "liuta",
        "六塔派出所",
        &[
            ("liutacun", "六塔村", false),
            ("hucun", "胡村", true),
            ("guozhuang", "郭庄村", false),
            ("hanzhuang", "韩庄村", true),
            ("hecun", "何村", false),
        ],
    ),
];

/// The demo county.
pub fn demo_county() -> County {
    County {
        name: "清丰县公安局".into(),
        stations: STATIONS
            .iter()
            .map(|(id, name, villages)| Station {
                id: (*id).into(),
                name: (*name).into(),
                villages: villages
                    .iter()
                    .map(|(vid, vname, workstation)| {
                        let short = vname.trim_end_matches("村").trim_end_matches("社区");
                        Village {
                            id: (*vid).into(),
                            name: (*vname).into(),
                            post: if *workstation {
                                Post {
                                    kind: PostKind::Workstation,
                                    name: format!("{short}警务工作站"),
                                }
                            } else {
                                Post {
                                    kind: PostKind::Office,
                                    name: format!("{short}警务室"),
                                }
                            },
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A readable random password (no 0/o, 1/l/i).
fn demo_password() -> Result<String, ServerError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    Ok(random_bytes::<12>()?
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// Splits `n` villages into officers' shares of two or three.
fn shares(n: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let left = n - start;
        let take = if left == 4 || left == 2 {
            2
        } else {
            3.min(left)
        };
        out.push(start..start + take);
        start += take;
    }
    out
}

/// The demo accounts with where each works.
fn demo_users(county: &County, sampler: &mut Sampler) -> Vec<(NewUser, String)> {
    let mut users = Vec::new();
    let mut user = |username: String, role, station: Option<&Station>, villages: Vec<&Village>| {
        let place = match station {
            None => "全县 / whole county".to_owned(),
            Some(s) if villages.is_empty() => s.name.clone(),
            Some(s) => format!(
                "{} · {}",
                s.name,
                villages
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        };
        users.push((
            NewUser {
                username,
                display_name: sampler.name(),
                password: String::new(),
                assignment: Assignment {
                    role,
                    station: station.map(|s| s.id.clone()),
                    villages: villages.iter().map(|v| v.id.clone()).collect(),
                },
            },
            place,
        ));
    };
    user("admin".into(), Role::CountyAdmin, None, vec![]);
    for s in &county.stations {
        let sid = s.id.as_str();
        user(format!("{sid}.chief"), Role::StationChief, Some(s), vec![]);
        for (i, share) in shares(s.villages.len()).into_iter().enumerate() {
            let villages = s.villages[share].iter().collect();
            user(
                format!("{sid}.officer{}", i + 1),
                Role::CommunityOfficer,
                Some(s),
                villages,
            );
        }
        let stations: Vec<&Village> = s
            .villages
            .iter()
            .filter(|v| v.post.kind == PostKind::Workstation)
            .collect();
        user(format!("{sid}.aux"), Role::Auxiliary, Some(s), stations);
        user(
            format!("{sid}.grid"),
            Role::GridWorker,
            Some(s),
            vec![&s.villages[0]],
        );
    }
    users
}

fn seed_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Seed(e.to_string())
}

impl AppState {
    /// Fills an empty server with the demo county, accounts and households. Refuses (with
    /// [`ServerError::AlreadySeeded`]) if there are accounts or a county already. Blocking.
    pub fn seed_demo(&self) -> Result<DemoSeed, ServerError> {
        let storage = self.storage();
        if !storage.users()?.is_empty() || storage.county()?.is_some() {
            return Err(ServerError::AlreadySeeded);
        }
        let now = self.now();
        let county = demo_county();
        let mut sampler = Sampler::new(SAMPLE_SEED);
        let users = demo_users(&county, &mut sampler);
        self.set_county(county.clone())?;
        let mut credentials = Vec::new();
        for (mut new, place) in users {
            new.password = demo_password()?;
            let role = new.assignment.role;
            let password = new.password.clone();
            let added = self.add_user(new)?;
            credentials.push((added.username, password, role, place));
        }

        // The seed device: its key signs the demo records and is then thrown away, and the
        // device is revoked, so nobody can ever write in its name.
        let key = DeviceKey::generate().map_err(seed_err)?;
        let actor = ActorId::random();
        let device = DeviceRow {
            id: uuid::Uuid::now_v7().to_string(),
            username: "admin".into(),
            name: "演示数据导入 / demo seed".into(),
            public_key: key.public().to_vec(),
            token_hash: token_hash(&new_token()?),
            expires_at: now,
            revoked: false,
            enrolled_at: now,
            last_seen_at: None,
        };
        let mut tx = storage.begin()?;
        tx.insert_device(&device)?;
        tx.bind_actor(actor.to_bytes(), &device.id)?;
        tx.commit()?;

        let author = UserId::from("admin");
        let mut changes = Vec::new();
        let mut households = 0;
        let mut record = |scope: Scope, body: Body| -> Result<(), ServerError> {
            body.validate(now).map_err(seed_err)?;
            let record = Record {
                id: RecordId::new(),
                scope,
                author: author.clone(),
                created_at: now,
                updated_at: now,
                deleted: false,
                review: None,
                body,
            };
            let mut doc = beatbook_doc::new_record_doc(actor.clone(), &record).map_err(seed_err)?;
            doc.commit_with(CommitOptions::default().with_time(now.timestamp_millis()));
            let mut change = doc
                .get_last_local_change()
                .ok_or_else(|| seed_err("no change was made"))?;
            let hash = change.hash().0;
            changes.push(PushedChange {
                record: record.id.0.into_bytes(),
                change: change.bytes().into_owned(),
                signature: key.sign(&change_payload(&hash)).to_vec(),
            });
            Ok(())
        };
        for station in &county.stations {
            for (i, village) in station.villages.iter().enumerate() {
                let scope = Scope {
                    station: station.id.clone(),
                    village: village.id.clone(),
                };
                for _ in 0..8 + sampler.below(7) {
                    record(
                        scope.clone(),
                        Body::Household(sampler.household(&village.name)),
                    )?;
                    households += 1;
                }
                if i == 0 {
                    let person = KeyPerson {
                        name: sampler.name(),
                        id_number: sampler.id_number(),
                        phone: Some(sampler.phone()),
                        address: format!("{}{}号", village.name, 1 + sampler.below(80)),
                        household: None,
                        category: *sampler.pick(&[
                            KeyPersonCategory::ReleasedPrisoner,
                            KeyPersonCategory::Petitioner,
                            KeyPersonCategory::CommunityCorrection,
                        ]),
                        risk_level: RiskLevel::Low,
                        responsible_officer: format!("{}.officer1", station.id).as_str().into(),
                        notes: String::new(),
                    };
                    record(scope, Body::KeyPerson(person))?;
                }
            }
        }
        let admin = storage
            .user("admin")?
            .ok_or_else(|| seed_err("the admin account is missing"))?;
        let pusher = Pusher {
            username: &admin.username,
            assignment: &admin.assignment,
        };
        push(storage, &pusher, changes, now).map_err(|e| match e {
            SyncError::Storage(e) => ServerError::Storage(e),
            other => seed_err(other),
        })?;
        storage.revoke_device(&device.id)?;
        tracing::info!(households, users = credentials.len(), "demo data seeded");
        Ok(DemoSeed {
            credentials,
            households,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_county_is_shaped_like_the_report() {
        let county = demo_county();
        assert!(county.stations.len() >= 5);
        for s in &county.stations {
            assert!((4..=6).contains(&s.villages.len()), "{}", s.name);
        }
        for n in 4..=6 {
            let s = shares(n);
            assert!(s.iter().all(|r| (2..=3).contains(&r.len())), "{n}: {s:?}");
            assert_eq!(s.last().unwrap().end, n);
        }
    }
}
