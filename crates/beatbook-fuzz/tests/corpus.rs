//! Every CI run replays the whole committed corpus through each target (the seed requests and
//! what libFuzzer found), checks the seeds are still real requests the server accepts, and
//! runs a short seeded mutation loop.

use std::path::PathBuf;

use beatbook_fuzz::{
    corpus_dir, fuzz, libfuzzer_corpus_dir, load_corpus, load_dir, Harness, TARGETS,
};

/// Runs every file of every target's corpus in `dir_of(target)` through the target.
fn replay(dir_of: fn(&str) -> PathBuf) {
    let h = Harness::new();
    for target in TARGETS {
        let dir = dir_of(target);
        let corpus = load_dir(&dir);
        assert!(!corpus.is_empty(), "no corpus in {}", dir.display());
        for (name, bytes) in corpus {
            h.run(target, &bytes)
                .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()));
        }
    }
}

#[test]
fn the_committed_corpus_replays_cleanly() {
    replay(corpus_dir);
}

#[test]
fn the_libfuzzer_corpus_replays_cleanly() {
    // What coverage-guided fuzzing found (merged, minimised): each input still gets an
    // answer the server may give, and nothing refused changes the change log.
    replay(libfuzzer_corpus_dir);
}

#[test]
fn short_mutation_runs_find_nothing() {
    let h = Harness::new();
    let iterations: u64 = std::env::var("BEATBOOK_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for target in TARGETS {
        // Enrolment hashes passwords (argon2): fewer of those.
        let n = if target == "enrol" {
            iterations / 8
        } else {
            iterations
        };
        if let Err((input, e)) = fuzz(&h, target, n, 1) {
            panic!("{target} failed on {input:02x?}: {e}");
        }
    }
}

#[test]
fn the_corpus_reaches_change_ingestion() {
    // The corpus's signed changes are the fuzz device's own: replayed, they are applied (so
    // mutants start from requests that get all the way to ingestion), exactly once.
    let h = Harness::new();
    for _ in 0..2 {
        for (name, bytes) in load_corpus("sync") {
            h.run("sync", &bytes)
                .unwrap_or_else(|e| panic!("corpus/sync/{name}: {e}"));
        }
    }
    assert_eq!(h.stored_changes(), 4);
}

#[test]
fn crafted_bombs_are_refused_quickly_and_change_nothing() {
    // Issue 13: small requests that Automerge would inflate or expand without bound. Each is
    // answered 4xx with its JSON body well within a second (the unbounded server spent
    // seconds and gigabytes on the first two, and on the third would never finish).
    let h = Harness::new();
    for (i, (target, raw)) in beatbook_fuzz::crafted_corpus(&h).into_iter().enumerate() {
        assert_eq!(target, "sync");
        let started = std::time::Instant::now();
        let (status, answer) = h.sync_plain(&raw);
        let took = started.elapsed();
        assert!(status.is_client_error(), "crafted {i}: {status}");
        let e: beatbook_protocol::ApiErrorBody = serde_json::from_slice(&answer).unwrap();
        assert!(!e.message.is_empty());
        assert!(took.as_millis() < 1000, "crafted {i} took {took:?}");
    }
    assert_eq!(h.stored_changes(), 0);
}
