//! Property tests: random edit sequences keep projections equal to document content, and
//! stores that exchange changes in any order, with duplicates, end identical.

mod common;

use beatbook_model::sample::Sampler;
use beatbook_model::{Body, DisputeStatus, DisputeType, Party, RecordId, Referral, Session};
use beatbook_store::{IncomingChange, ListQuery, Store};
use common::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Store `s` creates a new dispute.
    Create { s: usize },
    /// Store `s` appends text to a record's description.
    Append { s: usize, r: usize, text: String },
    /// Store `s` sets the dispute type.
    SetType { s: usize, r: usize, t: usize },
    /// Store `s` adds a party.
    AddParty { s: usize, r: usize, name: String },
    /// Store `s` removes a party.
    RemoveParty { s: usize, r: usize, i: usize },
    /// Store `s` moves the status one step (or tries an illegal jump).
    Advance { s: usize, r: usize, jump: bool },
    /// Store `s` logs a mediation session.
    Session { s: usize, r: usize, notes: String },
    /// Store `s` deletes a record.
    Delete { s: usize, r: usize },
    /// Store `from` sends what it has to `to`.
    Sync { from: usize, to: usize },
}

fn op(stores: usize) -> impl Strategy<Value = Op> {
    let s = 0..stores;
    let text = "[张王李赵三丰南街 ab12。]{1,6}";
    prop_oneof![
        1 => s.clone().prop_map(|s| Op::Create { s }),
        4 => (s.clone(), 0..8usize, text).prop_map(|(s, r, text)| Op::Append { s, r, text }),
        2 => (s.clone(), 0..8usize, 0..6usize).prop_map(|(s, r, t)| Op::SetType { s, r, t }),
        2 => (s.clone(), 0..8usize, "[张王李赵]{2,3}").prop_map(|(s, r, name)| Op::AddParty { s, r, name }),
        1 => (s.clone(), 0..8usize, 0..4usize).prop_map(|(s, r, i)| Op::RemoveParty { s, r, i }),
        2 => (s.clone(), 0..8usize, any::<bool>()).prop_map(|(s, r, jump)| Op::Advance { s, r, jump }),
        2 => (s.clone(), 0..8usize, "[调解记录双方到场]{1,8}").prop_map(|(s, r, notes)| Op::Session { s, r, notes }),
        1 => (s.clone(), 0..8usize).prop_map(|(s, r)| Op::Delete { s, r }),
        2 => (s.clone(), s).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

const TYPES: [DisputeType; 6] = [
    DisputeType::Neighbour,
    DisputeType::Family,
    DisputeType::Land,
    DisputeType::Debt,
    DisputeType::Labour,
    DisputeType::Other,
];

/// Applies one op. Edits the model refuses must leave the store exactly as it was.
fn run(stores: &mut [Store], ids: &mut Vec<RecordId>, op: &Op) {
    let pick =
        |stores: &mut [Store], s: usize, r: usize| -> Option<(RecordId, beatbook_model::Dispute)> {
            let ids_here: Vec<_> = stores[s]
                .list(&ListQuery {
                    include_deleted: false,
                    ..Default::default()
                })
                .unwrap()
                .into_iter()
                .map(|x| x.id)
                .collect();
            let id = *ids_here.get(r % ids_here.len().max(1))?;
            match stores[s].get(id).unwrap()?.body {
                Body::Dispute(d) => Some((id, d)),
                _ => None,
            }
        };
    let edit =
        |stores: &mut [Store], s: usize, r: usize, f: &dyn Fn(&mut beatbook_model::Dispute)| {
            if let Some((id, mut d)) = pick(stores, s, r) {
                f(&mut d);
                let before = stores[s].open_record(id).unwrap();
                if let Err(e) = stores[s].update(id, Body::Dispute(d)) {
                    assert!(matches!(e.code(), "invalid" | "illegal_transition"), "{e}");
                    assert_eq!(
                        stores[s].open_record(id).unwrap(),
                        before,
                        "a refused edit changed the record"
                    );
                }
            }
        };
    match op {
        Op::Create { s } => {
            let r = stores[*s]
                .create(
                    &"li.officer".into(),
                    scope("nanjie"),
                    Body::Dispute(dispute("起因")),
                )
                .unwrap();
            ids.push(r.id);
        }
        Op::Append { s, r, text } => edit(stores, *s, *r, &|d| d.description.push_str(text)),
        Op::SetType { s, r, t } => edit(stores, *s, *r, &|d| d.dispute_type = TYPES[*t]),
        Op::AddParty { s, r, name } => edit(stores, *s, *r, &|d| {
            d.parties.push(Party {
                name: name.clone(),
                id_number: None,
                phone: None,
            })
        }),
        Op::RemoveParty { s, r, i } => edit(stores, *s, *r, &|d| {
            if *i < d.parties.len() {
                d.parties.remove(*i);
            }
        }),
        Op::Advance { s, r, jump } => edit(stores, *s, *r, &|d| {
            use DisputeStatus::*;
            d.status = match (d.status, jump) {
                (_, true) => Closed,
                (Reported, _) => Mediating,
                (Mediating, _) => {
                    d.referral = Some(Referral::Court);
                    Referred
                }
                (Referred | Resolved, _) => Closed,
                (Closed, _) => Closed,
            };
        }),
        Op::Session { s, r, notes } => edit(stores, *s, *r, &|d| {
            d.sessions.push(Session {
                held_at: t0(),
                participants: vec![],
                notes: notes.clone(),
                outcome: String::new(),
            })
        }),
        Op::Delete { s, r } => {
            if let Some((id, _)) = pick(stores, *s, *r) {
                stores[*s].delete(id).unwrap();
            }
        }
        Op::Sync { from, to } if from != to => {
            let (a, b) = if from < to {
                let (l, r) = stores.split_at_mut(*to);
                (&l[*from], &mut r[0])
            } else {
                let (l, r) = stores.split_at_mut(*from);
                (&r[0], &mut l[*to])
            };
            let mut changes = Vec::new();
            for c in a.pending_changes(10_000).unwrap() {
                changes.push(IncomingChange {
                    record_id: c.record_id,
                    bytes: c.bytes,
                });
            }
            b.apply_changes(&changes).unwrap();
        }
        Op::Sync { .. } => {}
    }
}

/// Every record's projection equals what its document says.
fn assert_projection_matches_documents(store: &mut Store) {
    for id in store.document_ids().unwrap() {
        let Ok(view) = store.open_record(id) else {
            assert!(
                store.get(id).unwrap().is_none(),
                "an unreadable document has a projection"
            );
            continue;
        };
        assert_eq!(store.get(id).unwrap().as_ref(), Some(&view.record));
        let listed = store
            .list(&ListQuery {
                include_deleted: true,
                limit: Some(10_000),
                ..Default::default()
            })
            .unwrap();
        let row = listed.iter().find(|s| s.id == id).expect("listed");
        assert_eq!(row.title, view.record.body.title());
        assert_eq!(row.status.as_deref(), view.record.body.status());
        assert_eq!(row.conflicts, view.conflicts.len());
        assert_eq!(row.deleted, view.record.deleted);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn projections_always_equal_document_content(ops in prop::collection::vec(op(1), 1..40)) {
        let mut stores = vec![Store::open_in_memory(clock()).unwrap()];
        let mut ids = Vec::new();
        run(&mut stores, &mut ids, &Op::Create { s: 0 });
        for op in &ops {
            run(&mut stores, &mut ids, op);
            assert_projection_matches_documents(&mut stores[0]);
        }
    }

    #[test]
    fn stores_exchanging_changes_in_any_order_end_identical(
        ops in prop::collection::vec(op(3), 1..60),
        seed in any::<u64>(),
    ) {
        let mut stores: Vec<Store> = (0..3).map(|_| Store::open_in_memory(clock()).unwrap()).collect();
        let mut ids = Vec::new();
        run(&mut stores, &mut ids, &Op::Create { s: 0 });
        run(&mut stores, &mut ids, &Op::Sync { from: 0, to: 1 });
        run(&mut stores, &mut ids, &Op::Sync { from: 0, to: 2 });
        for op in &ops {
            run(&mut stores, &mut ids, op);
        }
        // Every change any store holds, shuffled and with duplicates, delivered in batches.
        let mut all = Vec::new();
        for store in stores.iter_mut() {
            for id in store.document_ids().unwrap() {
                for bytes in store.record_changes(id).unwrap() {
                    all.push(IncomingChange { record_id: id, bytes });
                }
            }
        }
        let mut rng = Sampler::new(seed);
        let dupes: Vec<_> = all.iter().filter(|_| rng.below(3) == 0).cloned().collect();
        all.extend(dupes);
        for store in stores.iter_mut() {
            let mut mine = all.clone();
            for i in (1..mine.len()).rev() {
                mine.swap(i, rng.below(i as u64 + 1) as usize);
            }
            for batch in mine.chunks(1 + rng.below(7) as usize) {
                store.apply_changes(batch).unwrap();
            }
        }
        let first = snapshot(&mut stores[0]);
        for store in stores.iter_mut() {
            prop_assert_eq!(&snapshot(store), &first);
            assert_projection_matches_documents(store);
        }
    }
}
