//! libFuzzer target `enrol`: the enrolment endpoint's JSON.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| beatbook_fuzz::libfuzzer_input("enrol", input));
