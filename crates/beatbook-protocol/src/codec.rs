//! Body encoding: postcard (compact, schema-less binary) compressed with zstd, with hard
//! limits on both the compressed and the decompressed size so a small body cannot expand
//! into a huge allocation.

use serde::{de::DeserializeOwned, Serialize};

/// The largest compressed body a server accepts or a client sends.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The largest a body may grow to when decompressed.
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;

/// A body that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Not zstd, or it expands beyond the limit.
    #[error("body is not valid zstd or expands beyond {MAX_DECODED_BYTES} bytes: {0}")]
    Compression(String),
    /// Decompressed, but not the expected message.
    #[error("body is not a valid message: {0}")]
    Message(#[from] postcard::Error),
}

/// Encodes a message for the wire.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, CodecError> {
    let raw = postcard::to_stdvec(message)?;
    zstd::bulk::compress(&raw, 3).map_err(|e| CodecError::Compression(e.to_string()))
}

/// Decodes a message from the wire. The body is decompressed as a stream into a buffer that
/// grows with what it holds, and refused once it passes [`MAX_DECODED_BYTES`]: an idle sync
/// costs kilobytes, not the limit (zstd's one-shot decompression reserves the whole limit
/// for every body).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, CodecError> {
    use std::io::Read;
    let compression = |e: std::io::Error| CodecError::Compression(e.to_string());
    let mut raw = Vec::new();
    zstd::stream::read::Decoder::with_buffer(body)
        .map_err(compression)?
        .take(MAX_DECODED_BYTES as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(compression)?;
    if raw.len() > MAX_DECODED_BYTES {
        return Err(CodecError::Compression(format!(
            "expands beyond {MAX_DECODED_BYTES} bytes"
        )));
    }
    Ok(postcard::from_bytes(&raw)?)
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
    fn a_bomb_is_refused_not_expanded() {
        let huge = vec![0u8; MAX_DECODED_BYTES + 1];
        let small = zstd::bulk::compress(&huge, 3).unwrap();
        assert!(small.len() < 100_000);
        assert!(matches!(
            decode::<SyncRequest>(&small),
            Err(CodecError::Compression(_))
        ));
    }
}
