//! Shared fixtures for the store's integration tests.
#![allow(dead_code)]

use beatbook_model::{
    Body, Clock, Dispute, DisputeStatus, DisputeType, FixedClock, Household, Member, Party,
    Relation, Scope,
};
use beatbook_store::{IncomingChange, Store};
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock(t0()))
}

pub fn scope(village: &str) -> Scope {
    Scope {
        station: "gucheng".into(),
        village: village.into(),
    }
}

pub fn household(head: &str, id_number: &str) -> Body {
    Body::Household(Household {
        address: "南街村三组12号".into(),
        members: vec![Member {
            name: head.into(),
            id_number: Some(id_number.into()),
            phone: Some("13812345678".into()),
            relation: Relation::Head,
        }],
        tags: vec![],
        notes: String::new(),
    })
}

pub fn dispute(description: &str) -> Dispute {
    Dispute {
        reported_at: t0(),
        parties: vec![Party {
            name: "赵六".into(),
            id_number: None,
            phone: None,
        }],
        dispute_type: DisputeType::Land,
        description: description.into(),
        status: DisputeStatus::Reported,
        referral: None,
        sessions: vec![],
        outcome: String::new(),
        agreement: String::new(),
        resolved_at: None,
        return_visit: None,
        household: None,
        source: None,
    }
}

/// Sends every unacknowledged change of `from` to `to` (without acknowledging).
pub fn send(from: &Store, to: &mut Store) {
    let changes: Vec<IncomingChange> = from
        .pending_changes(usize::MAX >> 1)
        .unwrap()
        .into_iter()
        .map(|c| IncomingChange {
            record_id: c.record_id,
            bytes: c.bytes,
        })
        .collect();
    to.apply_changes(&changes).unwrap();
}

/// Every readable record of a store as JSON, sorted by id, with conflicts.
pub fn snapshot(store: &mut Store) -> Vec<serde_json::Value> {
    let ids = store.document_ids().unwrap();
    ids.into_iter()
        .map(|id| serde_json::to_value(store.open_record(id).unwrap()).unwrap())
        .collect()
}
