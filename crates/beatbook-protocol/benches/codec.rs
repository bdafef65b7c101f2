//! Decoding sync bodies: the streaming decoder `decode` uses, side by side with zstd's one-shot
//! decompression into a buffer reserved at the 64 MiB limit (what `decode` did before), for an
//! idle sync and for a push of 200 changes of 2 KiB.
//!
//! Run: `cargo bench -p beatbook-protocol --bench codec`. Nothing here asserts on timings.

use std::hint::black_box;

use beatbook_protocol::{
    decode, encode, Cursor, PushedChange, SyncRequest, MAX_DECODED_BYTES, PROTOCOL_VERSION,
};
use criterion::{criterion_group, criterion_main, Criterion};

fn request(changes: usize) -> SyncRequest {
    SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Cursor::default(),
        push: (0..changes)
            .map(|i| PushedChange {
                record: [i as u8; 16],
                change: (0..2048).map(|b| (b * 31 + i) as u8).collect(),
                signature: vec![7; 64],
            })
            .collect(),
        max_pull_bytes: 1 << 20,
    }
}

/// The decoder as it was: one-shot decompression with the whole limit reserved.
fn decode_reserving_the_limit(body: &[u8]) -> SyncRequest {
    let raw = zstd::bulk::decompress(body, MAX_DECODED_BYTES).unwrap();
    postcard::from_bytes(&raw).unwrap()
}

fn codec(c: &mut Criterion) {
    for (name, changes) in [("idle", 0), ("push_200", 200)] {
        let body = encode(&request(changes)).unwrap();
        let mut group = c.benchmark_group(format!("decode_{name}"));
        group.bench_function("streaming", |b| {
            b.iter(|| decode::<SyncRequest>(black_box(&body)).unwrap())
        });
        group.bench_function("reserve_64mib", |b| {
            b.iter(|| decode_reserving_the_limit(black_box(&body)))
        });
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
