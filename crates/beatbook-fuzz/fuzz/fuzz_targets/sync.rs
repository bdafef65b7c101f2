//! libFuzzer target `sync`: a sync body, compressed and validly signed by an enrolled device, through the real router and SQLite storage (change ingestion).
#![no_main]

use std::sync::OnceLock;

use beatbook_fuzz::Harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    let harness = HARNESS.get_or_init(Harness::new);
    if let Err(e) = harness.run("sync", input) {
        panic!("sync: {e}");
    }
});
