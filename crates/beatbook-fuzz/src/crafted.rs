//! Crafted Automerge chunks that are small on the wire and enormous once read: the inputs of
//! issue 13 ("no small request may cost the server a large amount of memory or time"), for
//! the seed corpus and for the tests that push them to a real server.
//!
//! - [`compressed_change_bomb`]: a compressed change chunk (type 2) whose DEFLATE stream
//!   inflates to a real change followed by `zeros` zero bytes (which Automerge would keep as
//!   the change's extra bytes), so its hash, actor and signature are those of a real device.
//! - [`document_bomb`]: a document chunk (type 0) with one DEFLATE'd column of `zeros` bytes,
//!   which Automerge inflates while parsing, before it finds it is not a change.
//! - [`run_bomb`]: a plain change whose action column is one run of `2^40` operations.

use std::io::Write;

use sha2::{Digest, Sha256};

/// Automerge's chunk magic.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

fn uleb(out: &mut Vec<u8>, mut v: u64) {
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

fn read_uleb(bytes: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return v;
        }
    }
}

fn chunk(chunk_type: u8, checksum: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(checksum);
    out.push(chunk_type);
    uleb(&mut out, data.len() as u64);
    out.extend_from_slice(data);
    out
}

/// The data (after the header) of a plain change chunk.
fn change_data(plain_chunk: &[u8]) -> &[u8] {
    assert_eq!(plain_chunk[..4], MAGIC);
    assert_eq!(plain_chunk[8], 1, "a plain change chunk");
    let mut at = 9;
    let len = read_uleb(plain_chunk, &mut at) as usize;
    assert_eq!(plain_chunk.len(), at + len);
    &plain_chunk[at..]
}

/// A change's hash: SHA-256 of its chunk type (1), data length and data.
fn hash_of(parts: &[&[u8]], zeros: usize) -> [u8; 32] {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + zeros;
    let mut prefix = vec![1];
    uleb(&mut prefix, len as u64);
    let mut h = Sha256::new();
    h.update(&prefix);
    for p in parts {
        h.update(p);
    }
    let block = vec![0u8; 1 << 20];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(block.len());
        h.update(&block[..n]);
        left -= n;
    }
    h.finalize().into()
}

/// A DEFLATE stream of `prefix` followed by `zeros` zero bytes.
fn deflate(prefix: &[u8], zeros: usize) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(prefix).unwrap();
    let block = vec![0u8; 1 << 20];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(block.len());
        enc.write_all(&block[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

/// A compressed change chunk that inflates to `plain_chunk`'s change followed by `zeros`
/// zero bytes, and its hash (what its device signs).
pub fn compressed_change_bomb(plain_chunk: &[u8], zeros: usize) -> (Vec<u8>, [u8; 32]) {
    let data = change_data(plain_chunk);
    let hash = hash_of(&[data], zeros);
    let checksum = [hash[0], hash[1], hash[2], hash[3]];
    (chunk(2, checksum, &deflate(data, zeros)), hash)
}

/// A document chunk with one DEFLATE'd change column of `zeros` zero bytes.
pub fn document_bomb(zeros: usize) -> Vec<u8> {
    let column = deflate(&[], zeros);
    // No actors, no heads, one change column (id 1, actor type, DEFLATE bit), no op columns.
    let mut data = vec![0, 0, 1];
    uleb(&mut data, (1 << 4) | 0b1000 | 1);
    uleb(&mut data, column.len() as u64);
    data.push(0);
    data.extend(column);
    chunk(0, [0; 4], &data)
}

/// `plain_chunk`'s change with its action column replaced by one run of 2^40 null actions,
/// and its hash.
pub fn run_bomb(plain_chunk: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let data = change_data(plain_chunk);
    let mut at = 0;
    let deps = read_uleb(data, &mut at);
    at += 32 * deps as usize;
    let actor = read_uleb(data, &mut at);
    at += actor as usize;
    read_uleb(data, &mut at); // seq
    read_uleb(data, &mut at); // start op
    read_uleb(data, &mut at); // time (signed, same length)
    let message = read_uleb(data, &mut at);
    at += message as usize;
    let others = read_uleb(data, &mut at);
    for _ in 0..others {
        let n = read_uleb(data, &mut at);
        at += n as usize;
    }
    let head = &data[..at];
    let columns = read_uleb(data, &mut at);
    let specs: Vec<(u64, u64)> = (0..columns)
        .map(|_| (read_uleb(data, &mut at), read_uleb(data, &mut at)))
        .collect();
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for (_, len) in &specs {
        bodies.push(data[at..at + *len as usize].to_vec());
        at += *len as usize;
    }
    let action = specs
        .iter()
        .position(|(spec, _)| *spec == (4 << 4) | 2)
        .expect("an action column");
    let mut run = vec![0];
    uleb(&mut run, 1 << 40);
    bodies[action] = run;
    let mut out = head.to_vec();
    uleb(&mut out, columns);
    for ((spec, _), body) in specs.iter().zip(&bodies) {
        uleb(&mut out, *spec);
        uleb(&mut out, body.len() as u64);
    }
    for body in &bodies {
        out.extend(body);
    }
    out.extend_from_slice(&data[at..]);
    let hash = hash_of(&[&out], 0);
    let checksum = [hash[0], hash[1], hash[2], hash[3]];
    (chunk(1, checksum, &out), hash)
}
