//! The client side of sync. [`Session`] is the decision logic, free of I/O: it builds the
//! next request from the store (signed pending changes, the cursor) and applies the answer
//! (acknowledgements, pulled documents and changes, set-aside refusals). [`http`] is the only
//! part that touches the network; [`run`] drives a session over any [`Transport`].

mod backoff;
mod device;
mod error;
pub mod http;
mod session;

pub use backoff::Backoff;
pub use device::{Device, COUNTY_META_KEY, DEVICE_META_KEY, STAFF_META_KEY};
pub use error::SyncError;
pub use session::{
    run, run_with_retry, Progress, Session, Step, SyncSummary, Transport, CURSOR_META_KEY,
    LAST_SYNC_META_KEY,
};
