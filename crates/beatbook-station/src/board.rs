//! The hazards-to-zero board (隐患动态清零): every open or rectifying hazard, by village, the
//! overdue ones first (most overdue on top), then by deadline, then the oldest without one.

use crate::error::Result;
use crate::records;
use beatbook_model::{Body, Clock, HazardStatus, Kind, RecordId, StationId, VillageId};
use beatbook_store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::cmp::Reverse;

/// One hazard on the board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardRow {
    /// The hazard.
    pub id: RecordId,
    /// Its village.
    pub village: VillageId,
    /// Place and first line of the description.
    pub title: String,
    /// `open` or `rectifying`.
    pub status: HazardStatus,
    /// When it was found.
    pub found_at: DateTime<Utc>,
    /// When it must be put right.
    pub deadline: Option<DateTime<Utc>>,
    /// Whole days since it was found.
    pub age_days: i64,
    /// Whole days past the deadline (0 on the deadline's own day once passed); `None` if not overdue.
    pub overdue_days: Option<i64>,
}

/// The hazards of one village.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VillageBoard {
    /// The village.
    pub village: VillageId,
    /// How many are overdue.
    pub overdue: usize,
    /// Its hazards, in board order.
    pub rows: Vec<BoardRow>,
}

/// The board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    /// The instant ages and overdue days are counted at.
    pub at: DateTime<Utc>,
    /// Villages with open hazards: most overdue first, then most hazards, then by id.
    pub villages: Vec<VillageBoard>,
}

impl Board {
    /// Every row, village by village.
    pub fn rows(&self) -> impl Iterator<Item = &BoardRow> {
        self.villages.iter().flat_map(|v| &v.rows)
    }
}

/// The board of `station` (every station on the device when `None`) as of `clock`'s now.
pub fn board(store: &Store, station: Option<&StationId>, clock: &dyn Clock) -> Result<Board> {
    let at = clock.now();
    let mut rows: Vec<BoardRow> = records::all(store, Kind::Hazard, station)?
        .into_iter()
        .filter_map(|r| {
            let Body::Hazard(h) = &r.body else {
                return None;
            };
            if h.status == HazardStatus::Cleared {
                return None;
            }
            let overdue_days = h.deadline.filter(|d| *d < at).map(|d| (at - d).num_days());
            Some(BoardRow {
                id: r.id,
                village: r.scope.village.clone(),
                title: r.body.title(),
                status: h.status,
                found_at: h.found_at,
                deadline: h.deadline,
                age_days: (at - h.found_at).num_days().max(0),
                overdue_days,
            })
        })
        .collect();
    // Overdue (most days first) < with a deadline (soonest first) < no deadline (oldest first).
    rows.sort_by_key(|r| {
        let rank = match (r.overdue_days, r.deadline) {
            (Some(_), _) => 0,
            (None, Some(_)) => 1,
            (None, None) => 2,
        };
        (
            rank,
            Reverse(r.deadline.map(|d| at - d)),
            r.deadline,
            r.found_at,
            r.id,
        )
    });
    let mut villages: Vec<VillageBoard> = Vec::new();
    for row in rows {
        match villages.iter_mut().find(|v| v.village == row.village) {
            Some(v) => v.rows.push(row),
            None => villages.push(VillageBoard {
                village: row.village.clone(),
                overdue: 0,
                rows: vec![row],
            }),
        }
    }
    for v in &mut villages {
        v.overdue = v.rows.iter().filter(|r| r.overdue_days.is_some()).count();
    }
    villages.sort_by(|a, b| {
        (Reverse(a.overdue), Reverse(a.rows.len()), &a.village).cmp(&(
            Reverse(b.overdue),
            Reverse(b.rows.len()),
            &b.village,
        ))
    });
    Ok(Board { at, villages })
}
