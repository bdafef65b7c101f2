//! Crash safety: a child process writing records is killed with SIGKILL at random moments,
//! many times; every reopen must succeed and every record the child saw committed must be
//! intact, with projections equal to documents (nothing half-written is visible).
//! Rounds: `BEATBOOK_CRASH_ROUNDS` (default 60).

mod common;

use beatbook_model::sample::Sampler;
use beatbook_model::Body;
use beatbook_store::{ListQuery, Store};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "BEATBOOK_CRASH_CHILD";

/// The writer. A no-op unless started by the test below with `BEATBOOK_CRASH_CHILD` set.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(&path, None).unwrap();
    let mut rng = Sampler::new(std::process::id().into());
    let out = std::io::stdout();
    loop {
        let n = store
            .list(&ListQuery {
                limit: Some(100_000),
                ..Default::default()
            })
            .unwrap()
            .len();
        if n > 0 && rng.below(2) == 0 {
            // Append a line to an existing household's notes.
            let pick = store.list(&ListQuery::default()).unwrap()
                [rng.below(n.min(200) as u64) as usize]
                .id;
            let Some(Body::Household(mut h)) = store.get(pick).unwrap().map(|r| r.body) else {
                continue;
            };
            h.notes.push_str("走访一次。");
            let lines = h.notes.matches("走访一次。").count();
            store.update(pick, Body::Household(h)).unwrap();
            writeln!(out.lock(), "appended {pick} {lines}").unwrap();
        } else {
            let mut h = rng.household("南街村");
            h.address = format!("南街村{n}号");
            let r = store
                .create(
                    &"li.officer".into(),
                    common::scope("nanjie"),
                    Body::Household(h),
                )
                .unwrap();
            writeln!(out.lock(), "created {} {n}", r.id).unwrap();
        }
        out.lock().flush().unwrap();
    }
}

#[test]
fn committed_records_survive_sigkill_at_random_moments() {
    let rounds: u64 = std::env::var("BEATBOOK_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let mut rng = Sampler::new(0xC0FFEE);
    let mut created = std::collections::HashMap::new();
    let mut appended = std::collections::HashMap::new();
    let mut total_lines = 0;
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the child is writing, then let it run for a random moment and kill it.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("child never wrote");
        let mut lines = vec![first];
        std::thread::sleep(Duration::from_millis(rng.below(40)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        for line in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["created", id, n] => {
                    created.insert(id.to_string(), n.to_string());
                }
                ["appended", id, count] => {
                    let c: usize = count.parse().unwrap();
                    let e = appended.entry(id.to_string()).or_insert(0);
                    *e = (*e).max(c);
                }
                _ => continue,
            }
            total_lines += 1;
        }

        let mut store = Store::open(&path, None)
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        for (id, n) in &created {
            let rec = store
                .get(id.parse().unwrap())
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: {id} lost"));
            let Body::Household(h) = &rec.body else {
                panic!("kind changed")
            };
            assert_eq!(h.address, format!("南街村{n}号"), "round {round}");
        }
        for (id, count) in &appended {
            let rec = store.get(id.parse().unwrap()).unwrap().unwrap();
            let Body::Household(h) = &rec.body else {
                panic!()
            };
            assert!(
                h.notes.matches("走访一次。").count() >= *count,
                "round {round}: append to {id} lost"
            );
        }
        for id in store.document_ids().unwrap() {
            assert_eq!(
                store.get(id).unwrap(),
                Some(store.open_record(id).unwrap().record),
                "round {round}: projection differs"
            );
        }
    }
    assert!(!created.is_empty(), "the child never created a record");
    eprintln!(
        "{rounds} kills, {total_lines} acknowledged writes, {} records: all intact",
        created.len()
    );
}
