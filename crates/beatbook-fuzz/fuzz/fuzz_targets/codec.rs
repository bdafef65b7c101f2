//! libFuzzer target `codec`: the sync body decoder (raw and zstd-compressed bytes; whatever decodes must re-encode to itself).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| beatbook_fuzz::libfuzzer_input("codec", input));
