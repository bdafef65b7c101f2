//! Body encoding: postcard (compact, schema-less binary) compressed with zstd, with hard
//! limits on both the compressed and the decompressed size so a small body cannot expand
//! into a huge allocation.

use serde::{de::DeserializeOwned, Serialize};

/// The largest compressed body a server accepts or a client sends.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The largest a body may grow to when decompressed.
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;
/// What a request body may decompress to beyond [`REQUEST_DECODED_PER_BYTE`] per byte
/// received.
const REQUEST_DECODED_FLOOR: usize = 1024 * 1024;
/// Decompressed bytes a request may grow to per byte received: honest requests carry
/// signatures, hashes and DEFLATE'd changes, which zstd shrinks by a few times at most.
const REQUEST_DECODED_PER_BYTE: usize = 32;

/// A body that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Not zstd.
    #[error("body is not valid zstd: {0}")]
    Compression(String),
    /// It decompresses to more than it may (the limit, in bytes).
    #[error("body expands beyond {0} bytes")]
    TooLarge(usize),
    /// Decompressed, but not the expected message.
    #[error("body is not a valid message: {0}")]
    Message(#[from] postcard::Error),
    /// The message is followed by bytes that belong to none.
    #[error("{0} bytes after the message")]
    Trailing(usize),
}

/// What a request body of `body_len` bytes may decompress to: a floor plus a multiple of
/// its size, at most [`MAX_DECODED_BYTES`]. A small request cannot make the server hold a
/// large one.
pub fn request_decoded_limit(body_len: usize) -> usize {
    REQUEST_DECODED_FLOOR
        .saturating_add(REQUEST_DECODED_PER_BYTE.saturating_mul(body_len))
        .min(MAX_DECODED_BYTES)
}

/// Encodes a message for the wire.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, CodecError> {
    let raw = postcard::to_stdvec(message)?;
    zstd::bulk::compress(&raw, 3).map_err(|e| CodecError::Compression(e.to_string()))
}

/// Decodes a message from the wire. The body is decompressed as a stream into a buffer that
/// grows with what it holds, and refused once it passes [`MAX_DECODED_BYTES`]: an idle sync
/// costs kilobytes, not the limit (zstd's one-shot decompression reserves the whole limit
/// for every body). Bytes after the message are refused.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, CodecError> {
    decode_within(body, MAX_DECODED_BYTES)
}

/// Decodes a request a server received: like [`decode`], but the body may decompress only
/// to [`request_decoded_limit`] of its size.
pub fn decode_request<T: DeserializeOwned>(body: &[u8]) -> Result<T, CodecError> {
    decode_within(body, request_decoded_limit(body.len()))
}

fn decode_within<T: DeserializeOwned>(body: &[u8], limit: usize) -> Result<T, CodecError> {
    use std::io::Read;
    let compression = |e: std::io::Error| CodecError::Compression(e.to_string());
    let mut raw = Vec::new();
    zstd::stream::read::Decoder::with_buffer(body)
        .map_err(compression)?
        .take(limit as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(compression)?;
    if raw.len() > limit {
        return Err(CodecError::TooLarge(limit));
    }
    let (message, rest) = postcard::take_from_bytes(&raw)?;
    if !rest.is_empty() {
        return Err(CodecError::Trailing(rest.len()));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cursor, SyncRequest, PROTOCOL_VERSION};

    #[test]
    fn round_trips_and_refuses_garbage() {
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: Cursor::default(),
            push: vec![],
            max_pull_bytes: 1 << 20,
        };
        let bytes = encode(&req).unwrap();
        assert_eq!(decode::<SyncRequest>(&bytes).unwrap(), req);
        assert!(decode::<SyncRequest>(b"not zstd").is_err());
        let junk = zstd::bulk::compress(&[0xff; 7], 3).unwrap();
        assert!(matches!(
            decode::<SyncRequest>(&junk),
            Err(CodecError::Message(_))
        ));
    }

    #[test]
    fn bytes_after_the_message_are_refused() {
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: Cursor::default(),
            push: vec![],
            max_pull_bytes: 1 << 20,
        };
        let mut raw = postcard::to_stdvec(&req).unwrap();
        raw.push(0);
        let body = zstd::bulk::compress(&raw, 3).unwrap();
        assert!(matches!(
            decode::<SyncRequest>(&body),
            Err(CodecError::Trailing(1))
        ));
        assert!(matches!(
            decode_request::<SyncRequest>(&body),
            Err(CodecError::Trailing(1))
        ));
        // A second zstd frame is more bytes after the message too.
        let mut two = encode(&req).unwrap();
        two.extend(encode(&req).unwrap());
        assert!(matches!(
            decode::<SyncRequest>(&two),
            Err(CodecError::Trailing(_))
        ));
    }

    #[test]
    fn a_request_decompresses_in_proportion_to_its_size() {
        // 8 MiB of zeros: a few hundred bytes of zstd, far beyond what so small a request
        // may grow to, though within the absolute limit.
        let big = vec![0u8; 8 << 20];
        let small = zstd::bulk::compress(&big, 3).unwrap();
        assert!(small.len() < 4096, "{}", small.len());
        assert!(request_decoded_limit(small.len()) < big.len());
        assert!(matches!(
            decode_request::<SyncRequest>(&small),
            Err(CodecError::TooLarge(_))
        ));
        // The same bytes as a response (decoded by a client) reach the message check.
        assert!(matches!(
            decode::<SyncRequest>(&small),
            Err(CodecError::Message(_) | CodecError::Trailing(_))
        ));
        assert_eq!(request_decoded_limit(0), 1 << 20);
        assert_eq!(request_decoded_limit(usize::MAX), MAX_DECODED_BYTES);
    }

    #[test]
    fn a_bomb_is_refused_not_expanded() {
        let huge = vec![0u8; MAX_DECODED_BYTES + 1];
        let small = zstd::bulk::compress(&huge, 3).unwrap();
        assert!(small.len() < 100_000);
        assert!(matches!(
            decode::<SyncRequest>(&small),
            Err(CodecError::TooLarge(_))
        ));
    }
}
