//! What a pushed Automerge change may cost the server, checked before Automerge reads it.
//!
//! A change chunk is small on the wire but can say a lot: a compressed chunk (type 2) is one
//! DEFLATE stream that may inflate a thousandfold, and the op columns are run-length encoded,
//! so a few bytes can claim a billion operations (or one string of a gigabyte). Automerge
//! trusts both. So a pushed change is first read here, without trusting it:
//!
//! 1. [`read_change`] reads the chunk header: a plain change (type 1) is hashed as it is; a
//!    compressed one is inflated under a hard bound (the change's own allowance and what is
//!    left of the push's [`PushBudget`]) and then hashed. Nothing else is decoded. The caller
//!    now knows the change's hash and actor, finds the device and verifies its signature.
//! 2. [`ChangeChunk::check_columns`] walks the op columns' run headers (never expanding a
//!    run) and counts the rows each column would decode to, refusing a column that claims
//!    more than the allowance, a string longer than its column, or anything malformed.
//! 3. Only then does Automerge parse [`ChangeChunk::into_chunk`]: the uncompressed chunk,
//!    whose hash and content are the change's.
//!
//! Every bound is proportional to the request: a change may inflate to, and decode into,
//! a floor plus a multiple of its size on the wire, and a push as a whole the same for
//! its total size, with hard caps on both.

use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::Read;

use crate::PushedChange;

/// The most changes one push may carry (the client sends at most this many).
pub const MAX_PUSHED_CHANGES: usize = 2000;
/// The largest a single change may be, as sent and once inflated.
pub const MAX_CHANGE_BYTES: usize = 4 << 20;
/// The most operations a single change may hold.
pub const MAX_CHANGE_OPS: u64 = 1 << 20;

/// What one change may inflate to, beyond [`INFLATE_PER_BYTE`] per byte sent.
const CHANGE_INFLATE_FLOOR: u64 = 256 << 10;
/// What all changes of one push may inflate to, beyond [`INFLATE_PER_BYTE`] per byte sent.
const PUSH_INFLATE_FLOOR: u64 = 1 << 20;
/// Inflated bytes allowed per byte of change sent.
const INFLATE_PER_BYTE: u64 = 16;
/// The most all changes of one push may inflate to.
const MAX_PUSH_INFLATED: u64 = 32 << 20;
/// Operations one change may hold, beyond [`OPS_PER_BYTE`] per byte sent. Applying an
/// operation costs the server about 500 bytes while the push is checked (measured:
/// 99 000 operations in a 232-byte request took it from 12 to 62 MB), so the floor is what
/// a tiny request may cost: about 10 MB. An honest change beyond it inserts text (a byte or
/// more per operation) or deletes more than 20 000 characters at once.
const CHANGE_OPS_FLOOR: u64 = 20_000;
/// Operations all changes of one push may hold, beyond [`OPS_PER_BYTE`] per byte sent.
const PUSH_OPS_FLOOR: u64 = 40_000;
/// Operations allowed per byte of change sent (an honest insertion costs a byte or more per
/// operation; a deletion of a long text a fraction, hence the floors).
const OPS_PER_BYTE: u64 = 16;
/// The most operations all changes of one push may hold.
const MAX_PUSH_OPS: u64 = 2_000_000;

/// Automerge's chunk magic.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// A column spec's DEFLATE bit.
const COLUMN_DEFLATE: u32 = 0b1000;

/// Why a pushed change was refused before Automerge read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// Not a well-formed change chunk. Refused for good.
    #[error("{0}")]
    Malformed(String),
    /// The change alone is larger than any push may be: it can never be accepted.
    #[error("{0}")]
    TooLarge(String),
    /// The change fits its own allowance, but the push as a whole is over budget: a smaller
    /// push may carry it.
    #[error("{0}")]
    OverBudget(String),
}

impl ChangeError {
    /// Chinese, then English, for the `{code, message}` answer.
    pub fn message(&self) -> String {
        match self {
            ChangeError::Malformed(e) => {
                format!("无法解析的修改 / not a valid Automerge change: {e}")
            }
            ChangeError::TooLarge(e) => format!("修改过大 / the change is too large: {e}"),
            ChangeError::OverBudget(e) => {
                format!("一次上传的修改过多，请分批同步 / the push is too large as a whole: {e}")
            }
        }
    }
}

fn malformed(what: &str) -> ChangeError {
    ChangeError::Malformed(what.to_owned())
}

/// Inflated bytes and operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Allowance {
    bytes: u64,
    ops: u64,
}

impl Allowance {
    fn of_change(sent: usize) -> Allowance {
        let sent = sent as u64;
        Allowance {
            bytes: CHANGE_INFLATE_FLOOR
                .saturating_add(INFLATE_PER_BYTE.saturating_mul(sent))
                .min(MAX_CHANGE_BYTES as u64),
            ops: CHANGE_OPS_FLOOR
                .saturating_add(OPS_PER_BYTE.saturating_mul(sent))
                .min(MAX_CHANGE_OPS),
        }
    }

    fn of_push(sent: u64) -> Allowance {
        Allowance {
            bytes: PUSH_INFLATE_FLOOR
                .saturating_add(INFLATE_PER_BYTE.saturating_mul(sent))
                .min(MAX_PUSH_INFLATED),
            ops: PUSH_OPS_FLOOR
                .saturating_add(OPS_PER_BYTE.saturating_mul(sent))
                .min(MAX_PUSH_OPS),
        }
    }
}

/// What is left for the changes of one push: inflated bytes and operations, proportional to
/// the bytes the push carries.
#[derive(Debug, Clone)]
pub struct PushBudget {
    left: Allowance,
}

impl PushBudget {
    /// The budget of a push of `changes` that arrived in a request of `request_bytes` bytes
    /// (the bytes on the wire, compressed: a change that zstd shrinks is no larger a request
    /// for it); refused if there are too many changes.
    pub fn new(changes: &[PushedChange], request_bytes: usize) -> Result<PushBudget, ChangeError> {
        if changes.len() > MAX_PUSHED_CHANGES {
            return Err(ChangeError::OverBudget(format!(
                "{} changes in one push, at most {MAX_PUSHED_CHANGES}",
                changes.len()
            )));
        }
        Ok(PushBudget {
            left: Allowance::of_push(request_bytes as u64),
        })
    }

    /// Takes `bytes` inflated bytes, or says the push is over budget.
    fn take_bytes(&mut self, bytes: u64) -> Result<(), ChangeError> {
        self.left.bytes = self.left.bytes.checked_sub(bytes).ok_or_else(|| {
            ChangeError::OverBudget("its changes inflate to more than it may".into())
        })?;
        Ok(())
    }

    /// Takes `ops` operations, or says the push is over budget.
    fn take_ops(&mut self, ops: u64) -> Result<(), ChangeError> {
        self.left.ops = self.left.ops.checked_sub(ops).ok_or_else(|| {
            ChangeError::OverBudget("its changes hold more operations than it may".into())
        })?;
        Ok(())
    }
}

/// A pushed change read as far as its hash and author, and no further.
#[derive(Debug, Clone)]
pub struct ChangeChunk<'a> {
    /// The change's hash (what its signature covers).
    pub hash: [u8; 32],
    /// The uncompressed change chunk: borrowed if it was sent so, inflated otherwise.
    chunk: Cow<'a, [u8]>,
    /// Where the chunk's data (after its header) starts.
    data_start: usize,
    /// Where the actor id lies in the chunk.
    actor: std::ops::Range<usize>,
    /// The bytes sent.
    sent: usize,
}

impl<'a> ChangeChunk<'a> {
    /// The actor id's bytes (as `ActorId::to_bytes` gives them).
    pub fn actor(&self) -> &[u8] {
        &self.chunk[self.actor.clone()]
    }

    /// The same chunk, owning its bytes.
    pub fn into_owned(self) -> ChangeChunk<'static> {
        ChangeChunk {
            hash: self.hash,
            chunk: Cow::Owned(self.chunk.into_owned()),
            data_start: self.data_start,
            actor: self.actor,
            sent: self.sent,
        }
    }

    /// The uncompressed chunk, for Automerge.
    pub fn into_chunk(self) -> Vec<u8> {
        self.chunk.into_owned()
    }

    /// Counts the operations the change's columns decode to, without decoding them, and
    /// takes them from `budget`. Refuses a column that says more than the change's
    /// allowance, a DEFLATE'd column, or a column that is not well-formed.
    pub fn check_columns(&self, budget: &mut PushBudget) -> Result<u64, ChangeError> {
        let allowance = Allowance::of_change(self.sent);
        let mut r = Reader::new(&self.chunk[self.data_start..]);
        let deps = r.uleb()?;
        r.skip(deps.checked_mul(32).ok_or_else(|| malformed("deps"))?)?;
        let actor_len = r.uleb()?;
        r.skip(actor_len)?;
        let _seq = r.uleb()?;
        let _start_op = r.uleb()?;
        let _time = r.sleb()?;
        let message_len = r.uleb()?;
        r.skip(message_len)?;
        let others = r.uleb()?;
        for _ in 0..others {
            let len = r.uleb()?;
            r.skip(len)?;
        }
        let columns = r.uleb()?;
        // Each column's metadata is at least two bytes: a count beyond that is malformed.
        if columns > r.left() as u64 / 2 {
            return Err(malformed("column count"));
        }
        let mut specs = Vec::with_capacity(columns as usize);
        for _ in 0..columns {
            let spec = r.uleb()?;
            let spec = u32::try_from(spec).map_err(|_| malformed("column spec"))?;
            let len = r.uleb()?;
            specs.push((spec, len));
        }
        let mut ops = 0u64;
        for (spec, len) in specs {
            if spec & COLUMN_DEFLATE != 0 {
                return Err(malformed("a change's columns may not be DEFLATE'd"));
            }
            let data = r.take(len)?;
            let rows = column_rows(spec & 0b111, data, allowance.ops)?;
            ops = ops.max(rows);
        }
        budget.take_ops(ops)?;
        Ok(ops)
    }
}

/// Reads a pushed change's chunk header: its hash and actor, inflating a compressed chunk
/// under the change's allowance and what is left of `budget`. Refuses anything but one
/// change chunk (type 1 or 2) with nothing after it.
pub fn read_change<'a>(
    bytes: &'a [u8],
    budget: &mut PushBudget,
) -> Result<ChangeChunk<'a>, ChangeError> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(ChangeError::TooLarge(format!(
            "{} bytes, at most {MAX_CHANGE_BYTES}",
            bytes.len()
        )));
    }
    let allowance = Allowance::of_change(bytes.len());
    let mut r = Reader::new(bytes);
    if r.take(4)? != MAGIC {
        return Err(malformed("not an Automerge chunk"));
    }
    let checksum: [u8; 4] = r.take(4)?.try_into().expect("four bytes");
    let chunk_type = r.take(1)?[0];
    let len = r.uleb()?;
    let header_len = r.at;
    let data = r.take(len)?;
    if r.left() != 0 {
        return Err(malformed("bytes after the change"));
    }
    let (chunk, data_start) = match chunk_type {
        CHUNK_CHANGE => {
            budget.take_bytes(bytes.len() as u64)?;
            (Cow::Borrowed(bytes), header_len)
        }
        CHUNK_COMPRESSED => {
            let limit = allowance.bytes.min(budget.left.bytes);
            let mut inflated = Vec::new();
            flate2::bufread::DeflateDecoder::new(data)
                .take(limit + 1)
                .read_to_end(&mut inflated)
                .map_err(|_| malformed("the compressed change does not inflate"))?;
            let size = inflated.len() as u64;
            if size > allowance.bytes {
                return Err(ChangeError::TooLarge(format!(
                    "{} bytes inflate to more than {} bytes",
                    bytes.len(),
                    allowance.bytes
                )));
            }
            budget.take_bytes(size)?;
            let mut chunk = Vec::with_capacity(inflated.len() + 20);
            chunk.extend_from_slice(&MAGIC);
            chunk.extend_from_slice(&checksum);
            chunk.push(CHUNK_CHANGE);
            write_uleb(&mut chunk, size);
            let data_start = chunk.len();
            chunk.extend_from_slice(&inflated);
            (Cow::Owned(chunk), data_start)
        }
        _ => return Err(malformed("not a change chunk")),
    };
    let data = &chunk[data_start..];
    let mut hasher = Sha256::new();
    let mut prefix = vec![CHUNK_CHANGE];
    write_uleb(&mut prefix, data.len() as u64);
    hasher.update(&prefix);
    hasher.update(data);
    let hash: [u8; 32] = hasher.finalize().into();

    let mut r = Reader::new(data);
    let deps = r.uleb()?;
    r.skip(deps.checked_mul(32).ok_or_else(|| malformed("deps"))?)?;
    let actor_len = r.uleb()?;
    let start = data_start + r.at;
    r.skip(actor_len)?;
    let actor = start..data_start + r.at;
    Ok(ChangeChunk {
        hash,
        chunk,
        data_start,
        actor,
        sent: bytes.len(),
    })
}

/// How many rows a column of `col_type` holding `data` decodes to, refused beyond `limit`.
fn column_rows(col_type: u32, data: &[u8], limit: u64) -> Result<u64, ChangeError> {
    const GROUP: u32 = 0;
    const ACTOR: u32 = 1;
    const INTEGER: u32 = 2;
    const DELTA: u32 = 3;
    const BOOLEAN: u32 = 4;
    const STRING: u32 = 5;
    const VALUE_META: u32 = 6;
    let mut r = Reader::new(data);
    let mut rows = 0u64;
    let mut add = |n: u64| -> Result<(), ChangeError> {
        rows = rows.saturating_add(n);
        if rows > limit {
            return Err(ChangeError::TooLarge(format!(
                "a column decodes to more than {limit} operations"
            )));
        }
        Ok(())
    };
    match col_type {
        // Raw values: as many bytes as sent, read by length from the metadata column.
        7 => return Ok(0),
        // Run lengths of alternating false and true.
        BOOLEAN => {
            while r.left() > 0 {
                add(r.uleb()?)?;
            }
        }
        GROUP | ACTOR | INTEGER | DELTA | STRING | VALUE_META => {
            let value = |r: &mut Reader<'_>| -> Result<(), ChangeError> {
                if col_type == STRING {
                    let len = r.uleb()?;
                    r.skip(len)
                } else {
                    // Signed and unsigned LEB128 end at the same byte.
                    r.uleb_bytes()
                }
            };
            while r.left() > 0 {
                let count = r.sleb()?;
                if count > 0 {
                    add(count as u64)?;
                    value(&mut r)?;
                } else if count < 0 {
                    let n = count.unsigned_abs();
                    add(n)?;
                    for _ in 0..n {
                        value(&mut r)?;
                    }
                } else {
                    add(r.uleb()?)?;
                }
            }
        }
        _ => unreachable!("three bits"),
    }
    Ok(rows)
}

fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A cursor over untrusted bytes; every read is bounded by what is there.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], ChangeError> {
        if n > self.left() as u64 {
            return Err(malformed("truncated"));
        }
        let out = &self.bytes[self.at..self.at + n as usize];
        self.at += n as usize;
        Ok(out)
    }

    fn skip(&mut self, n: u64) -> Result<(), ChangeError> {
        self.take(n).map(|_| ())
    }

    /// Unsigned LEB128, at most 64 bits.
    fn uleb(&mut self) -> Result<u64, ChangeError> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.take(1)?[0];
            if i == 9 && byte > 1 {
                return Err(malformed("LEB128 beyond 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed("LEB128 beyond 64 bits"))
    }

    /// Signed LEB128, at most 64 bits.
    fn sleb(&mut self) -> Result<i64, ChangeError> {
        let mut value = 0i64;
        for i in 0..10 {
            let byte = self.take(1)?[0];
            if i == 9 && byte != 0 && byte != 0x7f {
                return Err(malformed("LEB128 beyond 64 bits"));
            }
            value |= i64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                if i < 9 && byte & 0x40 != 0 {
                    value |= -1i64 << (7 * (i + 1));
                }
                return Ok(value);
            }
        }
        Err(malformed("LEB128 beyond 64 bits"))
    }

    /// Skips one LEB128 number.
    fn uleb_bytes(&mut self) -> Result<(), ChangeError> {
        for _ in 0..10 {
            if self.take(1)?[0] & 0x80 == 0 {
                return Ok(());
            }
        }
        Err(malformed("LEB128 beyond 64 bits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};

    fn pushed(change: Vec<u8>) -> PushedChange {
        PushedChange {
            record: [1; 16],
            change,
            signature: vec![],
        }
    }

    /// A change as a device makes it: `bytes()` (compressed above 256 bytes).
    fn honest(text_len: usize) -> (automerge::Change, Vec<u8>) {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "kind", "household").unwrap();
        let notes = doc.put_object(ROOT, "notes", ObjType::Text).unwrap();
        // Text as people write it: not one phrase repeated (see
        // `repetitive_text_beyond_the_floor_is_too_large`).
        let chars: Vec<char> = "村里走访记录民警调解纠纷邻居土地宅基地水电费用家庭矛盾已化解，。"
            .chars()
            .collect();
        let mut seed = 7u64;
        let text: String = (0..text_len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                chars[(seed >> 33) as usize % chars.len()]
            })
            .collect();
        doc.splice_text(&notes, 0, 0, &text).unwrap();
        doc.commit();
        let mut change = doc.get_last_local_change().unwrap();
        let bytes = change.bytes().into_owned();
        assert_eq!(doc.text(&notes).unwrap().chars().count(), text_len);
        (change, bytes)
    }

    /// Parses the chunk's header and columns like the server does.
    fn read(bytes: &[u8]) -> Result<(ChangeChunk<'_>, u64), ChangeError> {
        let mut budget = PushBudget::new(&[pushed(bytes.to_vec())], bytes.len())?;
        let chunk = read_change(bytes, &mut budget)?;
        let ops = chunk.check_columns(&mut budget)?;
        Ok((chunk, ops))
    }

    #[test]
    fn honest_changes_read_as_automerge_reads_them() {
        for len in [0, 3, 100, 5_000, 60_000] {
            let (change, bytes) = honest(len);
            let compressed = bytes[8] == CHUNK_COMPRESSED;
            assert_eq!(compressed, change.raw_bytes().len() > 256, "{len}");
            let (chunk, ops) = read(&bytes).unwrap();
            assert_eq!(chunk.hash, change.hash().0, "{len}");
            assert_eq!(chunk.actor(), change.actor_id().to_bytes(), "{len}");
            assert_eq!(ops, change.len() as u64, "{len}");
            let plain = chunk.into_chunk();
            assert_eq!(plain, change.raw_bytes(), "{len}");
            let again = automerge::Change::from_bytes(plain).unwrap();
            assert_eq!(again.hash(), change.hash());
            // The uncompressed form reads the same.
            let (chunk, _) = read(change.raw_bytes()).unwrap();
            assert_eq!(chunk.hash, change.hash().0);
        }
    }

    #[test]
    fn repetitive_text_beyond_the_floor_is_too_large() {
        // 60 000 characters of one phrase: DEFLATE shrinks them to about a kilobyte, and so
        // little may not hold 60 000 operations (about 30 MB for the server to apply).
        let mut doc = AutoCommit::new();
        let notes = doc.put_object(ROOT, "notes", ObjType::Text).unwrap();
        let text: String = "村里走访记录。".chars().cycle().take(60_000).collect();
        doc.splice_text(&notes, 0, 0, &text).unwrap();
        doc.commit();
        let bytes = doc.get_last_local_change().unwrap().bytes().into_owned();
        assert!(bytes.len() < 4096, "{}", bytes.len());
        assert!(matches!(read(&bytes), Err(ChangeError::TooLarge(_))));
    }

    /// A DEFLATE stream of `n` zeros.
    fn deflate_zeros(n: usize) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![0u8; 1 << 20];
        let mut left = n;
        while left > 0 {
            let k = left.min(block.len());
            enc.write_all(&block[..k]).unwrap();
            left -= k;
        }
        enc.finish().unwrap()
    }

    fn chunk(chunk_type: u8, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([0, 0, 0, 0, chunk_type]);
        write_uleb(&mut out, data.len() as u64);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn a_compressed_bomb_is_refused_after_inflating_no_more_than_its_allowance() {
        let bomb = chunk(CHUNK_COMPRESSED, &deflate_zeros(256 << 20));
        assert!(bomb.len() < 300_000, "{}", bomb.len());
        let started = std::time::Instant::now();
        let err = read(&bomb).unwrap_err();
        assert!(matches!(err, ChangeError::TooLarge(_)), "{err:?}");
        // Inflating 256 MiB takes a good part of a second; the allowance, milliseconds.
        assert!(
            started.elapsed().as_millis() < 500,
            "{:?}",
            started.elapsed()
        );
        // A small bomb too: a few hundred bytes may not inflate to megabytes.
        let small = chunk(CHUNK_COMPRESSED, &deflate_zeros(4 << 20));
        assert!(small.len() < 10_000, "{}", small.len());
        assert!(matches!(read(&small), Err(ChangeError::TooLarge(_))));
    }

    #[test]
    fn runs_that_claim_a_billion_operations_are_refused() {
        // An honest change, its action column's run replaced by a run of 2^40.
        let (change, _) = honest(3);
        let raw = change.raw_bytes().to_vec();
        let (chunk0, ops) = read(&raw).unwrap();
        assert_eq!(ops, change.len() as u64);
        // Rebuild the chunk with one column made of a single huge run of nulls.
        let data = &raw[chunk0.data_start..];
        let mut r = Reader::new(data);
        let deps = r.uleb().unwrap();
        r.skip(deps * 32).unwrap();
        let n = r.uleb().unwrap();
        r.skip(n).unwrap();
        r.uleb().unwrap();
        r.uleb().unwrap();
        r.sleb().unwrap();
        let n = r.uleb().unwrap();
        r.skip(n).unwrap();
        let others = r.uleb().unwrap();
        assert_eq!(others, 0);
        let head = &data[..r.at];
        let columns = r.uleb().unwrap();
        let mut specs = vec![];
        for _ in 0..columns {
            specs.push((r.uleb().unwrap(), r.uleb().unwrap()));
        }
        let mut bodies = vec![];
        for (_, len) in &specs {
            bodies.push(r.take(*len).unwrap().to_vec());
        }
        let action = specs.iter().position(|(s, _)| *s == (4 << 4) | 2).unwrap();
        // Null run: 0, then a count of 2^40.
        let mut huge = vec![0];
        write_uleb(&mut huge, 1 << 40);
        bodies[action] = huge;
        let mut out = head.to_vec();
        write_uleb(&mut out, columns);
        for ((spec, _), body) in specs.iter().zip(&bodies) {
            write_uleb(&mut out, *spec);
            write_uleb(&mut out, body.len() as u64);
        }
        for body in &bodies {
            out.extend(body);
        }
        out.extend_from_slice(&data[r.at..]);
        let crafted = chunk(CHUNK_CHANGE, &out);
        let err = read(&crafted).unwrap_err();
        assert!(matches!(err, ChangeError::TooLarge(_)), "{err:?}");
        // A literal run that says it is longer than the column is malformed.
        let mut lying = vec![0x40]; // -64: a literal run of 64 values
        lying.extend([1, 2, 3]);
        assert!(matches!(
            column_rows(2, &lying, 1000),
            Err(ChangeError::Malformed(_))
        ));
        // A string longer than its column, likewise (Automerge would reserve the length).
        let mut long = vec![1];
        write_uleb(&mut long, 999_999_999);
        assert!(matches!(
            column_rows(5, &long, 1000),
            Err(ChangeError::Malformed(_))
        ));
        // The most negative run count.
        let mut min = vec![];
        min.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
        assert!(Reader::new(&min).sleb().unwrap() == i64::MIN);
        assert!(column_rows(2, &min, 1000).is_err());
    }

    #[test]
    fn anything_but_one_change_chunk_is_refused() {
        let (change, bytes) = honest(3);
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(read(&trailing), Err(ChangeError::Malformed(_))));
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", 1).unwrap();
        let document = doc.save();
        assert!(matches!(read(&document), Err(ChangeError::Malformed(_))));
        assert!(matches!(read(&bytes[..10]), Err(ChangeError::Malformed(_))));
        assert!(matches!(read(b""), Err(ChangeError::Malformed(_))));
        // A plain change with a DEFLATE'd column (Automerge refuses these too).
        let raw = change.raw_bytes();
        assert!(read(raw).is_ok());
        let huge = vec![0u8; MAX_CHANGE_BYTES + 1];
        assert!(matches!(read(&huge), Err(ChangeError::TooLarge(_))));
    }

    #[test]
    fn a_push_is_bounded_as_a_whole() {
        let many = vec![pushed(vec![]); MAX_PUSHED_CHANGES + 1];
        assert!(matches!(
            PushBudget::new(&many, 1 << 20),
            Err(ChangeError::OverBudget(_))
        ));
        // Each change fits its own allowance, but together they inflate beyond the push's.
        let one = chunk(CHUNK_COMPRESSED, &deflate_zeros(200 << 10));
        let push: Vec<_> = (0..8).map(|_| pushed(one.clone())).collect();
        let mut budget = PushBudget::new(&push, 8 * one.len()).unwrap();
        let mut outcome = Ok(());
        for p in &push {
            if let Err(e) = read_change(&p.change, &mut budget) {
                outcome = Err(e);
                break;
            }
        }
        assert!(
            matches!(outcome, Err(ChangeError::OverBudget(_))),
            "{outcome:?}"
        );
        // Alone, a change that fits its own allowance always fits a push.
        let mut alone = PushBudget::new(&push[..1], one.len()).unwrap();
        assert!(read_change(&push[0].change, &mut alone).is_ok());
    }
}
