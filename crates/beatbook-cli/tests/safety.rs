//! What a person handles is safe: the data folder and store are private whatever the umask
//! (and a folder open to others is tightened, with a warning), record text cannot drive the
//! terminal, and exported spreadsheets never run record text as a formula.

mod common;

use common::{Device, Server};
use std::path::Path;

/// Text that would colour the terminal, set its title, ring, overwrite and reorder, if printed
/// raw.
const HOSTILE: &str =
    "红色\x1b[31m警告\x1b[0m\x1b]0;pwned\x07 \u{9b}2J abc\u{202e}fed\u{2066}x\u{2069}";

/// What no terminal output may contain.
fn assert_inert(out: &str) {
    for c in ['\x1b', '\x07', '\u{9b}', '\u{202e}', '\u{2066}', '\u{2069}'] {
        assert!(!out.contains(c), "raw {c:?} printed: {out:?}");
    }
}

#[test]
fn record_text_cannot_drive_the_terminal() {
    let server = Server::start();
    let d = Device::new();
    d.login(&server, "li.officer");
    let notes = format!("第一行 {HOSTILE}\r\n第二行\t结束");
    let id = d.new_record(&[
        "household",
        "--set",
        &format!("address=南街村{HOSTILE}"),
        "--set",
        &format!("notes={notes}"),
    ]);

    let show = d.ok(&["show", &id]);
    assert_inert(&show);
    assert!(
        show.contains(r"红色\u{1b}[31m警告\u{1b}[0m\u{1b}]0;pwned\u{7} \u{9b}2J abc\u{202e}fed"),
        "{show}"
    );
    assert!(!show.contains('\r'), "{show:?}");
    assert!(
        show.contains("第二行\t结束"),
        "a tab in text stays: {show:?}"
    );

    for args in [
        &["list", "household"][..],
        &["search", "南街村"],
        &["dossier", &id],
        &["--lang", "en", "list", "household"],
    ] {
        let out = d.ok(args);
        assert_inert(&out);
        assert!(out.contains(r"\u{1b}[31m"), "{args:?}: {out}");
    }

    // JSON keeps the value, escaped the JSON way.
    let json = d.ok(&["show", &id, "--json"]);
    assert_inert(&json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["record"]["data"]["notes"], notes.as_str());

    // An error message quoting what the user typed is escaped as well.
    let err = d.fails(&["show", "\x1b[2Jnot-an-id"], 2);
    assert_inert(&err);
}

#[test]
fn help_says_a_field_handset_needs_the_encrypted_store() {
    let help = Device::new().ok(&["--help"]);
    assert!(
        help.contains("执勤用的手机和电脑务必用加密的数据库"),
        "{help}"
    );
    assert!(
        help.contains("a field handset must use the encrypted store"),
        "{help}"
    );
}

/// The exported household's CSV and XLSX.
#[test]
fn exports_never_run_record_text_as_a_formula() {
    let server = Server::start();
    let d = Device::new();
    d.login(&server, "li.officer");
    let formula = r#"=HYPERLINK("http://x","y")"#;
    d.new_record(&[
        "household",
        "--set",
        &format!("address={formula}"),
        "--set",
        "notes=-3",
        "--set",
        r#"members=[{"name":"@SUM(A1)","relation":"head"}]"#,
    ]);
    let dir = tempfile::tempdir().unwrap();

    let csv_path = dir.path().join("h.csv");
    let out = d.ok(&[
        "export",
        "household",
        "--format",
        "csv",
        "--out",
        csv_path.to_str().unwrap(),
    ]);
    assert!(out.contains("已导出 1 条"), "{out}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(r#","'=HYPERLINK(""http://x"",""y"")","#),
        "the formula is text: {row}"
    );
    assert!(row.contains(",'@SUM(A1) 户主,"), "{row}");
    assert!(row.ends_with(",-3"), "a number stays a number: {row}");

    let xlsx_path = dir.path().join("h.xlsx");
    d.ok(&[
        "export",
        "household",
        "--format",
        "xlsx",
        "--out",
        xlsx_path.to_str().unwrap(),
    ]);
    let book = std::fs::read(&xlsx_path).unwrap();
    let sheet = part(&book, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no formula cell: {sheet}");
    let strings = unescape(&part(&book, "xl/sharedStrings.xml"));
    assert!(strings.contains(&format!(">'{formula}<")), "{strings}");
    assert!(!strings.contains(&format!(">{formula}<")), "{strings}");
    assert!(strings.contains(">-3<"), "{strings}");
}

/// A part of an .xlsx archive as text.
fn part(book: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn unescape(xml: &str) -> String {
    xml.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(unix)]
mod private {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// Runs `beatbook --home HOME ARGS` from a shell after `umask 000`.
    fn run_under_umask_000(home: &Path, args: &[&str], key: Option<&str>) -> std::process::Output {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.args(["-c", "umask 000 && exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_beatbook"))
            .arg("--home")
            .arg(home)
            .args(args)
            .env_remove("BEATBOOK_HOME")
            .env_remove("BEATBOOK_LANG")
            .env_remove("BEATBOOK_KEY");
        if let Some(key) = key {
            cmd.env("BEATBOOK_KEY", key);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    #[test]
    fn the_data_folder_and_store_are_private_under_umask_000() {
        let root = tempfile::tempdir().unwrap();
        for key in [None, Some("长口令 246810")] {
            let home = root
                .path()
                .join(if key.is_some() { "pin" } else { "plain" })
                .join("beatbook");
            let out = run_under_umask_000(&home, &["list", "household"], key);
            assert!(out.stderr.is_empty(), "no warning for a new folder");
            assert_eq!(mode(&home), 0o700);
            assert_eq!(mode(home.parent().unwrap()), 0o700, "the parent it made");
            let db = home.join("device.db");
            assert_eq!(mode(&db), 0o600);
            for companion in ["device.db-wal", "device.db-shm", "device.db-journal"] {
                let file = home.join(companion);
                if file.exists() {
                    assert_eq!(mode(&file), 0o600, "{companion}");
                }
            }
        }
    }

    #[test]
    fn a_data_folder_open_to_others_is_tightened_with_a_warning() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("beatbook");
        run_under_umask_000(&home, &["list", "household"], None);
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = home.join("device.db");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();

        let out = run_under_umask_000(&home, &["list", "household"], None);
        let warning = String::from_utf8(out.stderr).unwrap();
        assert!(
            warning.contains("0755") && warning.contains("0700"),
            "{warning}"
        );
        assert!(warning.starts_with("警告"), "{warning}");
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&db), 0o600);

        let again = run_under_umask_000(&home, &["list", "household"], None);
        assert!(again.stderr.is_empty(), "said once");
    }

    /// `Device`'s usual runs (no umask change) make a private folder too.
    #[test]
    fn a_device_folder_is_private() {
        let d = Device::new();
        let home = d.home().join("sub");
        let mut cmd = d.cmd(&["--home", home.to_str().unwrap(), "list", "household"]);
        cmd.assert().success();
        assert_eq!(mode(&home), 0o700);
        assert_eq!(mode(&home.join("device.db")), 0o600);
    }
}
