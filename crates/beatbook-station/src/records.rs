//! Reading whole records of a kind from the store's projection (no document loads).

use crate::error::Result;
use beatbook_model::{Kind, Record, StationId};
use beatbook_store::{ListQuery, Store};

/// Every live record of `kind` on the device, optionally only of one station.
pub(crate) fn all(store: &Store, kind: Kind, station: Option<&StationId>) -> Result<Vec<Record>> {
    let q = ListQuery {
        kind: Some(kind),
        station: station.cloned(),
        limit: Some(usize::MAX >> 1),
        ..ListQuery::default()
    };
    let mut out = Vec::new();
    for s in store.list(&q)? {
        if let Some(r) = store.get(s.id)? {
            out.push(r);
        }
    }
    Ok(out)
}
