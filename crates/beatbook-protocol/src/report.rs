//! What a device tells the server about records it received but cannot read, so an admin
//! learns of a bad record (a bug, a newer version, a hostile peer) from a metric and a log
//! line rather than from an officer's complaint. Sent after a sync, only when there is news.

use serde::{Deserialize, Serialize};

/// Path of the unreadable-records report.
pub const UNREADABLE_PATH: &str = "/v1/unreadable";

/// `POST /v1/unreadable`: records this device keeps aside as unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableReport {
    /// Protocol version of the client.
    pub protocol: u32,
    /// The records, at most [`MAX_UNREADABLE_REPORTED`] per report.
    pub records: Vec<UnreadableRecord>,
}

/// One record a device cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableRecord {
    /// The record's id.
    pub record: [u8; 16],
    /// Its author, when the device could tell ("" otherwise).
    pub author: String,
    /// Why the device cannot read it (at most 500 characters).
    pub reason: String,
}

/// Most records one report names; a device with more sends them over several syncs.
pub const MAX_UNREADABLE_REPORTED: usize = 100;
