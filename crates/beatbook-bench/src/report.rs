//! The goals checked against [`Results`], and the two files a run writes:
//! `docs/benchmarks.md` (tables for people) and `docs/benchmarks.json` (the same figures for
//! programs). A hand-written notes section of the Markdown file survives regeneration, and
//! the goals of an earlier run can be shown beside the new ones ("before").

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::measure::Timings;
use crate::sync::LinkSync;
use crate::Results;

/// Where the kept notes begin and end in `docs/benchmarks.md`.
pub const NOTES_START: &str = "<!-- notes:start -->";
/// See [`NOTES_START`].
pub const NOTES_END: &str = "<!-- notes:end -->";

/// One goal of the issue and whether this run met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Goal {
    /// Stable id (for comparing runs).
    pub id: String,
    /// Scenario number.
    pub scenario: u8,
    /// What is measured.
    pub what: String,
    /// The goal.
    pub target: String,
    /// What this run measured.
    pub measured: String,
    /// Met or not.
    pub met: bool,
}

/// Decimal kilobytes etc.: what a phone plan counts.
pub fn bytes(n: f64) -> String {
    match n {
        n if n < 1e3 => format!("{n:.0} B"),
        n if n < 1e6 => format!("{:.1} KB", n / 1e3),
        n if n < 1e9 => format!("{:.2} MB", n / 1e6),
        n => format!("{:.2} GB", n / 1e9),
    }
}

fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{:.0} µs", v * 1e3)
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn secs(v: f64) -> String {
    if v < 1.0 {
        ms(v * 1e3)
    } else if v < 100.0 {
        format!("{v:.1} s")
    } else {
        format!("{v:.0} s ({:.1} min)", v / 60.0)
    }
}

fn goal(id: &str, scenario: u8, what: &str, target: &str, measured: String, met: bool) -> Goal {
    Goal {
        id: id.into(),
        scenario,
        what: what.into(),
        target: target.into(),
        measured,
        met,
    }
}

fn on_loopback(rows: &[LinkSync]) -> Option<&LinkSync> {
    rows.iter().find(|r| r.link == "loopback").or(rows.first())
}

/// Checks every goal of the issue.
pub fn goals(r: &Results) -> Vec<Goal> {
    let mut out = Vec::new();
    let p99 = r.save.encrypted.p99_ms;
    out.push(goal(
        "save.p99",
        1,
        "local save of a visit, p99 (encrypted store)",
        "≤ 1 ms",
        ms(p99),
        p99 <= 1.0,
    ));
    let rss = r
        .open
        .rss
        .after_opening_records
        .max(r.open.rss.after_queries) as f64;
    out.push(goal(
        "open.rss",
        2,
        &format!(
            "resident memory, {} records opened, listed, searched, {} records read",
            r.open.records, r.open.rss.records_opened
        ),
        "≤ 50 MB",
        bytes(rss),
        rss <= 50e6,
    ));
    for (id, term, t) in [
        ("search.2", &r.open.term2, &r.open.search2),
        ("search.3", &r.open.term3, &r.open.search3),
    ] {
        out.push(goal(
            id,
            2,
            &format!(
                "search “{term}” over {} households, median (p99)",
                r.open.records
            ),
            "≤ 20 ms",
            format!("{} ({})", ms(t.p50_ms), ms(t.p99_ms)),
            t.p50_ms <= 20.0,
        ));
    }
    if let Some(first) = on_loopback(&r.initial) {
        let ratio = first.body_total() as f64 / r.json_baseline.zstd3_bytes.max(1) as f64;
        out.push(goal(
            "initial.bytes",
            3,
            &format!(
                "initial sync of {} records: bytes vs the records as zstd JSON lines",
                first.records
            ),
            "≤ 1.3×",
            format!(
                "{:.2}× ({} vs {})",
                ratio,
                bytes(first.body_total() as f64),
                bytes(r.json_baseline.zstd3_bytes as f64)
            ),
            ratio <= 1.3,
        ));
        let worst = r.initial.iter().map(|s| s.round_trips).max().unwrap_or(0);
        out.push(goal(
            "initial.round_trips",
            3,
            &format!("initial sync of {} records: round trips", first.records),
            "≤ 10",
            worst.to_string(),
            worst <= 10,
        ));
    }
    let mut sizes: Vec<usize> = r.reconnect.iter().map(|c| c.records).collect();
    sizes.dedup();
    for n in sizes {
        let rows: Vec<&LinkSync> = r
            .reconnect
            .iter()
            .filter(|c| c.records == n)
            .map(|c| &c.sync)
            .collect();
        let rt = rows.iter().map(|s| s.round_trips).max().unwrap_or(0);
        let wire = rows.iter().map(|s| s.wire.total()).max().unwrap_or(0);
        out.push(goal(
            &format!("reconnect.{n}"),
            4,
            &format!("reconnect with nothing new at {n} records (wire bytes, headers included)"),
            "1 round trip, ≤ 1 KB",
            format!("{rt} round trip(s), {}", bytes(wire as f64)),
            rt == 1 && wire <= 1000,
        ));
    }
    let loop_edits = r
        .edits
        .iter()
        .filter(|e| e.sync.link == "loopback")
        .collect::<Vec<_>>();
    for e in loop_edits {
        let limit = e.change_bytes + 200;
        out.push(goal(
            &format!("edits.{}", e.k),
            5,
            &format!(
                "{} edited record(s): sync bodies both ways vs the changes' {}",
                e.k,
                bytes(e.change_bytes as f64)
            ),
            "≤ changes + 200 B, 1 round trip",
            format!(
                "{} ({:+} B), {} round trip(s)",
                bytes(e.sync.body_total() as f64),
                e.sync.body_total() as i64 - e.change_bytes as i64,
                e.sync.round_trips
            ),
            e.sync.body_total() <= limit && e.sync.round_trips == 1,
        ));
    }
    let m = &r.load.merge;
    out.push(goal(
        "load.merges",
        7,
        &format!(
            "record merges per second per core ({} edits to existing records)",
            m.changes
        ),
        "≥ 10 000",
        format!("{:.0}", m.merges_per_cpu_s),
        m.merges_per_cpu_s >= 10_000.0,
    ));
    let s = &r.storage;
    for (id, side, b) in [
        ("storage.device", "device", &s.device),
        ("storage.server", "server", &s.server),
    ] {
        let ratio = b.documents / s.json.max(1.0);
        out.push(goal(
            id,
            8,
            &format!(
                "{side}: Automerge bytes per record after {} edits vs its JSON",
                s.edits
            ),
            "≤ 1.5×",
            format!("{ratio:.2}× ({} vs {})", bytes(b.documents), bytes(s.json)),
            ratio <= 1.5,
        ));
    }
    out
}

fn timings_row(label: &str, t: &Timings) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} |\n",
        ms(t.p50_ms),
        ms(t.p90_ms),
        ms(t.p99_ms),
        ms(t.max_ms),
        t.n
    )
}

const TIMINGS_HEAD: &str = "| | median | p90 | p99 | max | n |\n|---|---|---|---|---|---|\n";

/// Sync rows, each with the byte count its ratio is taken against (if any).
fn sync_table(rows: &[(&str, &LinkSync, Option<u64>)]) -> String {
    let mut s = String::from(
        "| | link | records | wall time | round trips | body ↑ | body ↓ | wire ↑ | wire ↓ | vs zstd JSON |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (label, r, baseline) in rows {
        let ratio = baseline
            .map(|b| format!("{:.2}×", r.body_total() as f64 / b.max(1) as f64))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {ratio} |",
            r.link,
            r.records,
            secs(r.wall_s),
            r.round_trips,
            bytes(r.body_up as f64),
            bytes(r.body_down as f64),
            bytes(r.wire.up as f64),
            bytes(r.wire.down as f64),
        );
    }
    s
}

/// The notes kept from an earlier `docs/benchmarks.md`, markers included.
pub fn kept_notes(previous: &str) -> Option<String> {
    let start = previous.find(NOTES_START)?;
    let end = previous[start..].find(NOTES_END)? + start + NOTES_END.len();
    Some(previous[start..end].to_owned())
}

/// The goals of an earlier run's JSON, by id: (measured, met).
fn before_goals(before: Option<&Value>) -> Vec<(String, String, bool)> {
    before
        .and_then(|b| b.get("goals"))
        .and_then(|g| serde_json::from_value::<Vec<Goal>>(g.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|g| (g.id, g.measured, g.met))
        .collect()
}

fn mark(met: bool) -> &'static str {
    if met {
        "✅ met"
    } else {
        "❌ missed"
    }
}

/// `docs/benchmarks.md`.
pub fn markdown(r: &Results, before: Option<&Value>, notes: Option<&str>) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = write!(
        s,
        "# Benchmarks\n\n\
         Generated by `cargo xtask bench` (crate `crates/beatbook-bench`); the figures are \
         rewritten on every run, only the notes section at the end is kept. The same figures \
         are in [benchmarks.json](benchmarks.json). Nothing here is asserted by a test: the \
         suite's own test runs it at tiny sizes and checks only that every figure is produced.\n\n\
         | | |\n|---|---|\n\
         | command | `{}` |\n| date | {} |\n| size preset | {} |\n\
         | machine | {} × {}, {:.1} GiB RAM, Linux {} |\n| toolchain | {} ({} build) |\n\n",
        r.command, r.date, r.preset, m.cores, m.cpu, m.memory_gib, m.kernel, m.rustc, m.profile
    );

    let before_list = before_goals(before);
    s.push_str("## Goals\n\n");
    if let Some(b) = before {
        let _ = writeln!(
            s,
            "“Before” is the run of {} (`{}`), before the changes described in the notes.\n",
            b.get("date").and_then(Value::as_str).unwrap_or("?"),
            b.get("command").and_then(Value::as_str).unwrap_or("?")
        );
        s.push_str("| # | what | goal | before | now | |\n|---|---|---|---|---|---|\n");
    } else {
        s.push_str("| # | what | goal | measured | |\n|---|---|---|---|---|\n");
    }
    for g in &r.goals {
        if before.is_some() {
            let prior = before_list
                .iter()
                .find(|(id, _, _)| *id == g.id)
                .map(|(_, m, met)| format!("{m} {}", if *met { "✅" } else { "❌" }))
                .unwrap_or_else(|| "–".into());
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                g.scenario,
                g.what,
                g.target,
                prior,
                g.measured,
                mark(g.met)
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                g.scenario,
                g.what,
                g.target,
                g.measured,
                mark(g.met)
            );
        }
    }

    let _ = write!(
        s,
        "\n## 1. Local save\n\nOne visit filed on a store holding 300 households: Automerge \
         change, chunk, outbox and projection rows in one SQLite transaction \
         (`synchronous=FULL`, so each save waits for the disk). The in-memory store shows \
         the CPU part alone; the last row is this disk's floor, one 4 KiB write and \
         `fdatasync` (the WAL flush every commit waits for).\n\n{TIMINGS_HEAD}{}{}{}{}",
        timings_row("encrypted (SQLCipher, raw key)", &r.save.encrypted),
        timings_row("plain SQLite", &r.save.plain),
        timings_row("in memory (no disk)", &r.save.in_memory),
        timings_row("disk floor: write 4 KiB + fdatasync", &r.save.fsync),
    );

    let o = &r.open;
    let _ = write!(
        s,
        "\n## 2. Open and query\n\nA county admin's handset after its initial sync: {} \
         households, {} on disk (encrypted). Lists and searches read projection rows only.\n\n\
         {TIMINGS_HEAD}{}{}{}{}\n\
         Matches: “{}” {} records, “{}” {} (the first {} are fetched).\n\n\
         Resident memory of a fresh process (VmRSS): {} before opening, {} after \
         `Store::open`, {} after one list and both searches, {} after reading the {} listed \
         records through their documents (peak {}).\n",
        o.records,
        bytes(o.file_bytes as f64),
        timings_row("`Store::open`", &o.open),
        timings_row(
            &format!("list a village's households ({} rows)", o.list_rows),
            &o.list_village
        ),
        timings_row(&format!("search “{}”", o.term2), &o.search2),
        timings_row(&format!("search “{}”", o.term3), &o.search3),
        o.term2,
        o.term2_matches,
        o.term3,
        o.term3_matches,
        crate::local::SEARCH_LIMIT,
        bytes(o.rss.before_open as f64),
        bytes(o.rss.after_open as f64),
        bytes(o.rss.after_queries as f64),
        bytes(o.rss.after_opening_records as f64),
        o.rss.records_opened,
        bytes(o.rss.peak as f64),
    );

    let b = &r.json_baseline;
    let mut rows: Vec<(&str, &LinkSync, Option<u64>)> = r
        .initial
        .iter()
        .map(|x| ("chief", x, Some(b.zstd3_bytes)))
        .collect();
    rows.push(("county admin", &r.initial_big, None));
    let _ = write!(
        s,
        "\n## 3. Initial sync\n\nA new handset of the station chief (everything in the \
         station) through the real server, and a county admin's (everything), each through the \
         throttling proxy: loopback passes straight through; 3G is 700 kbit/s each way with \
         300 ms round trip; 2G 100 kbit/s with 1 s. Body bytes are the client's count of \
         request and answer bodies; wire bytes are everything through the proxy (HTTP headers \
         included, TCP/IP headers not). Wall time includes applying what arrives to the \
         encrypted store. The server was seeded with {} households in {}.\n\n{}\n\
         Yardstick: the chief's {} records as JSON lines (`serde_json` of `Record`) are {}; \
         zstd level 3 makes that {} (level 19: {}). “vs zstd JSON” is body bytes both ways \
         over that level-3 size.\n",
        r.seeding.records,
        secs(r.seeding.wall_s),
        sync_table(&rows),
        b.records,
        bytes(b.json_bytes as f64),
        bytes(b.zstd3_bytes as f64),
        bytes(b.zstd19_bytes as f64),
    );

    let labels: Vec<String> = r
        .reconnect
        .iter()
        .map(|c| format!("{} records", c.records))
        .collect();
    let rec_rows: Vec<(&str, &LinkSync, Option<u64>)> = r
        .reconnect
        .iter()
        .zip(&labels)
        .map(|(c, l)| (l.as_str(), &c.sync, None))
        .collect();
    let _ = write!(
        s,
        "\n## 4. Reconnect with nothing new\n\n{}",
        sync_table(&rec_rows)
    );

    s.push_str(
        "\n## 5. k edited records\n\nThe chief's handset edits k households (a phone \
         number, a note, a tag, in turn) and syncs once. “changes” is the Automerge changes' \
         own bytes; the goal compares the sync bodies both ways with it.\n\n\
         | k | link | changes | body ↑ | body ↓ | body total − changes | wire ↑ | wire ↓ | round trips | wall time |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for e in &r.edits {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:+} B | {} | {} | {} | {} |",
            e.k,
            e.sync.link,
            bytes(e.change_bytes as f64),
            bytes(e.sync.body_up as f64),
            bytes(e.sync.body_down as f64),
            e.sync.body_total() as i64 - e.change_bytes as i64,
            bytes(e.sync.wire.up as f64),
            bytes(e.sync.wire.down as f64),
            e.sync.round_trips,
            secs(e.sync.wall_s)
        );
    }

    let ours: Vec<&LinkSync> = r.initial.iter().collect();
    let _ = write!(
        s,
        "\n## 6. The alternative: Automerge's per-document sync protocol\n\n\
         The same documents (copied from the server) served by a bench-only HTTP endpoint that \
         speaks `automerge::sync` one message per request; the client lists the ids once, then \
         syncs each document until neither side has a message, one at a time or several at \
         once, and writes them to an encrypted store in batches of {}. It gets no \
         authentication headers or signatures, so its per-request cost is understated. Over \
         throttled links only a sample is synced and the time for all documents is \
         extrapolated from it (marked *); bytes and round trips are then the loopback run's, \
         which synced everything.\n\n\
         | link | at once | documents | time for all | round trips | body ↑ | body ↓ | wire total | ours: time | ours: round trips | ours: body | bytes ratio | time ratio |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
        crate::amsync::PERSIST_BATCH
    );
    for a in &r.automerge {
        let full = r
            .automerge
            .iter()
            .find(|x| x.concurrency == a.concurrency && !x.extrapolated)
            .unwrap_or(a);
        let our = ours.iter().find(|o| o.link == a.link);
        let (our_time, our_rt, our_body, bratio, tratio) = match our {
            Some(o) => (
                secs(o.wall_s),
                o.round_trips.to_string(),
                bytes(o.body_total() as f64),
                format!(
                    "{:.1}×",
                    (full.body_up + full.body_down) as f64 / o.body_total().max(1) as f64
                ),
                format!("{:.0}×", a.all_documents_s / o.wall_s.max(1e-9)),
            ),
            None => Default::default(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} of {} | {}{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            a.link,
            a.concurrency,
            a.documents,
            a.documents_in_scope,
            secs(a.all_documents_s),
            if a.extrapolated { " *" } else { "" },
            full.round_trips,
            bytes(full.body_up as f64),
            bytes(full.body_down as f64),
            bytes(full.wire.total() as f64),
            our_time,
            our_rt,
            our_body,
            bratio,
            tratio,
        );
    }

    let l = &r.load;
    let _ = write!(
        s,
        "\n## 7. Server load\n\nThe server in its own process over the same data ({} \
         records), {} simulated handsets (officers of {} villages) syncing over loopback. Each \
         turn: 85 % nothing new, 12 % file or edit 1–5 visits, 3 % a new handset's initial \
         sync of its village. “paced” pauses 0–2 s between a handset's syncs; “saturated” \
         syncs again at once (latency there is mostly queueing). Handsets and server share \
         this machine's {} cores; a handset with edits runs the real client on an in-memory \
         store, the others are bare clients that page through the feed without applying it \
         (the same work for the server, less for the machine).\n\n\
         Merge rate: {} edits to different existing records pushed in {} request(s): {} wall, \
         {} of server CPU → **{:.0} merges per CPU-second**.\n\n\
         | phase | syncs (idle / edits / initial) | errors | requests/s | p50 | p99 | idle p50 / p99 | edits p50 / p99 | initial page p50 / p99 | cores busy: server / handsets | merges per CPU-s (mixed) | server RSS max |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
        l.server_records,
        l.devices,
        l.villages,
        r.machine.cores,
        l.merge.changes,
        l.merge.round_trips,
        secs(l.merge.wall_s),
        secs(l.merge.server_cpu_s),
        l.merge.merges_per_cpu_s,
    );
    for ph in &l.phases {
        let _ = writeln!(
            s,
            "| {} | {} / {} / {} | {} | {:.0} | {} | {} | {} / {} | {} / {} | {} / {} | {:.2} / {:.2} | {:.0} | {} |",
            ph.name,
            ph.syncs[0],
            ph.syncs[1],
            ph.syncs[2],
            ph.errors,
            ph.requests_per_s,
            ms(ph.latency.p50_ms),
            ms(ph.latency.p99_ms),
            ms(ph.latency_idle.p50_ms),
            ms(ph.latency_idle.p99_ms),
            ms(ph.latency_edits.p50_ms),
            ms(ph.latency_edits.p99_ms),
            ms(ph.latency_initial.p50_ms),
            ms(ph.latency_initial.p99_ms),
            ph.server_cores_busy,
            ph.handsets_cores_busy,
            ph.merges_per_cpu_s,
            bytes(ph.server_rss_max as f64),
        );
    }
    if let Some(e) = l.phases.iter().find_map(|p| p.first_error.as_ref()) {
        let _ = writeln!(s, "\nFirst error: `{e}`");
    }
    let _ = writeln!(
        s,
        "\nServer resident memory: {} after start, peak {}.",
        bytes(l.server_rss_start as f64),
        bytes(l.server_rss_peak as f64)
    );

    let st = &r.storage;
    let _ = write!(
        s,
        "\n## 8. Storage\n\n{} households, each edited {} times (synced after every round). \
         The record's JSON is {} on average.\n\n\
         | side | file per record | Automerge per record | ratio to JSON | other | pieces per record |\n\
         |---|---|---|---|---|---|\n",
        st.records,
        st.edits,
        bytes(st.json)
    );
    for (side, b) in [("device", &st.device), ("server", &st.server)] {
        let _ = writeln!(
            s,
            "| {side} | {} ({:.2}×) | {} | {:.2}× | {}: {} | {:.1} |",
            bytes(b.file),
            b.file / st.json.max(1.0),
            bytes(b.documents),
            b.documents / st.json.max(1.0),
            b.other_label,
            bytes(b.other),
            b.pieces
        );
    }
    s.push_str(
        "\n“file per record” is the database's growth (after a checkpoint) divided by the \
         records: on the device it includes the projection (a JSON copy of the record, \
         search pairs, people), on the server the signed change log kept for audit.\n",
    );

    s.push_str("\n## Notes\n\n");
    s.push_str(notes.unwrap_or(&format!("{NOTES_START}\n{NOTES_END}")));
    s.push('\n');
    s
}

/// `docs/benchmarks.json`: the results, with the earlier run's goals if compared.
pub fn json(r: &Results, before: Option<&Value>) -> serde_json::Result<String> {
    let mut v = serde_json::to_value(r)?;
    if let (Some(b), Some(obj)) = (before, v.as_object_mut()) {
        let keep = |k: &str| b.get(k).cloned().unwrap_or(Value::Null);
        obj.insert(
            "before".into(),
            serde_json::json!({
                "date": keep("date"),
                "command": keep("command"),
                "goals": keep("goals"),
            }),
        );
    }
    serde_json::to_string_pretty(&v)
}
