//! The sync protocol shared by client and server: wire types, their compact encoding
//! (postcard, then zstd), how requests and changes are signed, and the error shape.
//! Changing a wire type is a protocol change: bump [`PROTOCOL_VERSION`] and its test.

mod change;
mod codec;
mod error;
mod report;
mod signing;
mod wire;

pub use change::{
    read_change, ChangeChunk, ChangeError, PushBudget, MAX_CHANGE_BYTES, MAX_CHANGE_OPS,
    MAX_PUSHED_CHANGES,
};
pub use codec::{
    decode, decode_request, encode, request_decoded_limit, CodecError, MAX_BODY_BYTES,
    MAX_DECODED_BYTES,
};
pub use error::{ApiErrorBody, ErrorCode};
pub use report::{UnreadableRecord, UnreadableReport, MAX_UNREADABLE_REPORTED, UNREADABLE_PATH};
pub use signing::{
    change_payload, request_payload, verify, DeviceKey, SignatureError, SIGNATURE_HEADER,
    TIME_HEADER,
};
pub use wire::*;

/// The protocol version this build speaks. Sent with every request; a server answers an
/// older one with `426 upgrade_required`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Header carrying the protocol version.
pub const PROTOCOL_HEADER: &str = "x-beatbook-protocol";
/// Path of the sync endpoint.
pub const SYNC_PATH: &str = "/v1/sync";
/// Path of the duty-rules endpoint.
pub const DUTY_RULES_PATH: &str = "/v1/duty-rules";
/// Content type of binary bodies.
pub const BINARY_CONTENT_TYPE: &str = "application/x-beatbook";

/// Hex encoding for ids, hashes and signatures in headers and JSON.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses hex; `None` if it is not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        assert_eq!(hex(&[0, 171, 255]), "00abff");
        assert_eq!(unhex("00abff"), Some(vec![0, 171, 255]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("中文"), None);
    }
}
