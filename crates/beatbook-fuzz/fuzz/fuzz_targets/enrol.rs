//! libFuzzer target `enrol`: the enrolment endpoint's JSON.
#![no_main]

use std::sync::OnceLock;

use beatbook_fuzz::Harness;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    let harness = HARNESS.get_or_init(Harness::new);
    if let Err(e) = harness.run("enrol", input) {
        panic!("enrol: {e}");
    }
});
