//! Sync through the real server and the real client: an initial sync over each link
//! (scenario 3), a reconnect with nothing new (scenario 4) and k edited records (scenario 5),
//! with bytes counted in the bodies (the client's own count) and on the wire (the proxy's).

use std::time::Duration;

use anyhow::{Context, Result};
use beatbook_model::sample::Sampler;
use beatbook_model::{Body, HouseholdTag, Kind, RecordId};
use beatbook_store::ListQuery;
use beatbook_sync::SyncSummary;
use serde::Serialize;

use crate::proxy::{Link, Proxy, WireBytes};
use crate::world::{Handset, Server};

/// One sync through one link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSync {
    /// The link.
    pub link: String,
    /// Records on the device afterwards.
    pub records: usize,
    /// Wall time, first request to last answer applied.
    pub wall_s: f64,
    /// Requests made.
    pub round_trips: usize,
    /// Request bodies (postcard + zstd).
    pub body_up: u64,
    /// Answer bodies.
    pub body_down: u64,
    /// Everything on the wire (HTTP headers included).
    pub wire: WireBytes,
    /// Whole documents received.
    pub documents: usize,
    /// Changes received.
    pub changes: usize,
    /// Changes pushed and acknowledged.
    pub pushed: usize,
}

impl LinkSync {
    fn of(
        link: &Link,
        summary: &SyncSummary,
        took: Duration,
        wire: WireBytes,
        records: usize,
    ) -> Self {
        LinkSync {
            link: link.name.clone(),
            records,
            wall_s: took.as_secs_f64(),
            round_trips: summary.round_trips,
            body_up: summary.bytes_sent as u64,
            body_down: summary.bytes_received as u64,
            wire,
            documents: summary.pulled_documents,
            changes: summary.pulled_changes,
            pushed: summary.pushed,
        }
    }

    /// Body bytes both ways.
    pub fn body_total(&self) -> u64 {
        self.body_up + self.body_down
    }
}

/// Syncs `handset` once through a fresh proxy over `link`.
pub async fn sync_over(server: &Server, handset: &Handset, link: &Link) -> Result<LinkSync> {
    let proxy = Proxy::start(server.addr, link.clone()).await?;
    let (summary, took) = handset.sync(&proxy.url()).await?;
    let records = count_records(handset);
    Ok(LinkSync::of(link, &summary, took, proxy.bytes(), records))
}

/// Readable records on a handset.
pub fn count_records(handset: &Handset) -> usize {
    handset.with(|s| {
        s.list(&ListQuery {
            include_deleted: true,
            limit: Some(usize::MAX / 2),
            ..Default::default()
        })
        .map_or(0, |l| l.len())
    })
}

/// The baseline the issue names: the same records as JSON lines (`serde_json` of `Record`),
/// zstd-compressed.
#[derive(Debug, Clone, Serialize)]
pub struct JsonBaseline {
    /// Records.
    pub records: usize,
    /// JSON lines, uncompressed.
    pub json_bytes: u64,
    /// Compressed with zstd at level 3 (the level the sync codec uses).
    pub zstd3_bytes: u64,
    /// Compressed with zstd at level 19, for reference.
    pub zstd19_bytes: u64,
}

/// Every record on `handset` as JSON lines, and how they compress.
pub fn json_baseline(handset: &Handset) -> Result<JsonBaseline> {
    let lines = handset.with(|s| -> Result<String> {
        let mut out = String::new();
        let all = s.list(&ListQuery {
            include_deleted: true,
            limit: Some(usize::MAX / 2),
            ..Default::default()
        })?;
        for summary in all {
            let record = s.get(summary.id)?.context("a listed record is missing")?;
            out.push_str(&serde_json::to_string(&record)?);
            out.push('\n');
        }
        Ok(out)
    })?;
    Ok(JsonBaseline {
        records: lines.lines().count(),
        json_bytes: lines.len() as u64,
        zstd3_bytes: zstd::bulk::compress(lines.as_bytes(), 3)?.len() as u64,
        zstd19_bytes: zstd::bulk::compress(lines.as_bytes(), 19)?.len() as u64,
    })
}

/// Scenario 5: k records edited on a handset, then one sync.
#[derive(Debug, Clone, Serialize)]
pub struct EditSync {
    /// Records edited.
    pub k: usize,
    /// The Automerge changes' own bytes (what the edits are, before any framing).
    pub change_bytes: u64,
    /// The sync that sent them.
    pub sync: LinkSync,
}

/// Edits `k` households on `handset` the way officers do (a phone number, a note, a tag).
pub fn edit_households(handset: &Handset, ids: &[RecordId], sampler: &mut Sampler) -> Result<u64> {
    handset.with(|s| -> Result<u64> {
        for (i, id) in ids.iter().enumerate() {
            let record = s.get(*id)?.context("the household to edit is missing")?;
            let Body::Household(mut h) = record.body else {
                continue;
            };
            match i % 3 {
                0 => {
                    if let Some(m) = h.members.first_mut() {
                        m.phone = Some(sampler.phone());
                    }
                }
                1 => {
                    if !h.notes.is_empty() {
                        h.notes.push('\n');
                    }
                    h.notes.push_str("走访：家中情况正常，已宣传防范电信诈骗。");
                }
                _ => {
                    if h.tags.contains(&HouseholdTag::LeftBehindElderly) {
                        h.tags.retain(|t| *t != HouseholdTag::LeftBehindElderly);
                    } else {
                        h.tags.push(HouseholdTag::LeftBehindElderly);
                    }
                }
            }
            s.update(*id, Body::Household(h))?;
        }
        Ok(s.pending_changes(usize::MAX / 2)?
            .iter()
            .map(|c| c.bytes.len() as u64)
            .sum())
    })
}

/// Up to `n` household ids on `handset`, starting `skip` rows in.
pub fn household_ids(handset: &Handset, skip: usize, n: usize) -> Result<Vec<RecordId>> {
    handset.with(|s| {
        Ok(s.list(&ListQuery {
            kind: Some(Kind::Household),
            limit: Some(n),
            offset: skip,
            ..Default::default()
        })?
        .into_iter()
        .map(|r| r.id)
        .collect())
    })
}

/// Scenario 5 for one k over one link: edits k households, syncs once.
pub async fn edits_over(
    server: &Server,
    handset: &Handset,
    link: &Link,
    ids: &[RecordId],
    sampler: &mut Sampler,
) -> Result<EditSync> {
    let change_bytes = edit_households(handset, ids, sampler)?;
    Ok(EditSync {
        k: ids.len(),
        change_bytes,
        sync: sync_over(server, handset, link).await?,
    })
}
