//! `beatbook-fuzz`: regenerate the corpus, or run the mutation loop for a while.
//!
//! ```text
//! beatbook-fuzz corpus                       # rewrite corpus/<target>/ from real requests
//! beatbook-fuzz crafted                      # (re)write the crafted inputs into both corpora
//! beatbook-fuzz run [target] [iterations] [seed]
//! ```
//! A failing input is written to `fuzz-crash-<target>-<seed>.bin` and the command exits 1.

use beatbook_fuzz::{
    corpus_dir, crafted_corpus, fuzz, generate_corpus, libfuzzer_corpus_dir, Harness, TARGETS,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("corpus") => {
            for t in TARGETS {
                let _ = std::fs::remove_dir_all(corpus_dir(t));
                std::fs::create_dir_all(corpus_dir(t)).unwrap();
            }
            for (i, (target, bytes)) in generate_corpus().into_iter().enumerate() {
                let path = corpus_dir(target).join(format!("{i:03}.bin"));
                std::fs::write(&path, bytes).unwrap();
                println!("{}", path.display());
            }
            let h = Harness::new();
            for (i, (target, bytes)) in crafted_corpus(&h).into_iter().enumerate() {
                let path = corpus_dir(target).join(format!("crafted-{i:02}.bin"));
                std::fs::write(&path, bytes).unwrap();
                println!("{}", path.display());
            }
        }
        Some("crafted") => {
            let h = Harness::new();
            for (i, (target, bytes)) in crafted_corpus(&h).into_iter().enumerate() {
                for dir in [corpus_dir(target), libfuzzer_corpus_dir(target)] {
                    let path = dir.join(format!("crafted-{i:02}.bin"));
                    std::fs::write(&path, &bytes).unwrap();
                    println!("{}", path.display());
                }
            }
        }
        Some("run") => {
            let targets: Vec<&str> = match args.get(1).map(String::as_str) {
                Some(t) if t != "all" => {
                    vec![TARGETS.into_iter().find(|x| *x == t).expect("a target")]
                }
                _ => TARGETS.to_vec(),
            };
            let iterations = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
            let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
            let h = Harness::new();
            for t in targets {
                let started = std::time::Instant::now();
                match fuzz(&h, t, iterations, seed) {
                    Ok(n) => println!(
                        "{t}: {n} inputs, seed {seed}, no failure, {:.1} s",
                        started.elapsed().as_secs_f64()
                    ),
                    Err((input, e)) => {
                        let path = format!("fuzz-crash-{t}-{seed}.bin");
                        std::fs::write(&path, &input).unwrap();
                        eprintln!("{t}: FAILED with seed {seed}: {e}\ninput written to {path}");
                        std::process::exit(1);
                    }
                }
            }
        }
        _ => {
            eprintln!(
                "usage: beatbook-fuzz corpus | crafted | run [codec|sync|enrol|all] [iterations] [seed]"
            );
            std::process::exit(2);
        }
    }
}
