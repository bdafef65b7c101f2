//! libFuzzer target `sync`: a sync body, compressed and validly signed by an enrolled device, through the real router and SQLite storage (change ingestion).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| beatbook_fuzz::libfuzzer_input("sync", input));
