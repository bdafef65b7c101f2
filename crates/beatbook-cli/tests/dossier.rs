//! `beatbook dossier` through the real binary: a household's dossier on the terminal, as HTML
//! and as a PDF whose text pdftotext reads back; unknown ids and kinds without a dossier.

mod common;

use common::{Device, Server};

fn pdftotext(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Whether `needles` occur in `hay` in this order.
fn in_order(hay: &str, needles: &[&str]) -> bool {
    let mut from = 0;
    needles.iter().all(|n| match hay[from..].find(n) {
        Some(i) => {
            from += i + n.len();
            true
        }
        None => false,
    })
}

#[test]
fn a_household_dossier_on_the_terminal_and_as_html_and_pdf() {
    let server = Server::start();
    let d = Device::new();
    d.login(&server, "li.officer");
    d.ok(&["sync"]);
    let household = d.new_record(&[
        "household",
        "--set",
        "address=南街村三组12号<b>",
        "--set",
        r#"members=[{"name":"张三丰","relation":"head"}]"#,
    ]);
    for (when, findings) in [
        ("2026-11-20 09:00", "第二次：老人已就医"),
        ("2026-11-03 10:30", "第一次：老人独居"),
    ] {
        d.new_record(&[
            "visit",
            "--set",
            &format!("household={household}"),
            "--set",
            &format!("visited_at={when}"),
            "--set",
            "method=走访",
            "--set",
            &format!("findings={findings}"),
        ]);
    }

    let text = d.ok(&["dossier", &household]);
    assert!(
        text.starts_with("户籍家庭档案：张三丰 · 南街村三组12号<b>\n"),
        "{text}"
    );
    assert!(
        in_order(
            &text,
            &[
                "相关人员",
                "张三丰（户主）",
                "2026-11-03 10:30  入户走访  李强",
                "第一次：老人独居",
                "2026-11-20 09:00  入户走访  李强",
                "第二次：老人已就医",
            ]
        ),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (html, pdf) = (dir.path().join("档案.html"), dir.path().join("档案.pdf"));
    let out = d.ok(&[
        "dossier",
        &household,
        "--html",
        html.to_str().unwrap(),
        "--pdf",
        pdf.to_str().unwrap(),
    ]);
    assert!(out.contains("已写入") && out.contains("档案.pdf"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("南街村三组12号&lt;b&gt;") && !page.contains("12号<b>"));
    let text = pdftotext(&pdf);
    assert!(
        in_order(
            &text,
            &[
                "户籍家庭档案",
                "张三丰",
                "第一次：老人独居",
                "第二次：老人已就医",
                "第1页/共1页"
            ]
        ),
        "{text}"
    );
}

#[test]
fn unknown_ids_and_kinds_without_a_dossier_are_bad_input() {
    let server = Server::start();
    let d = Device::new();
    d.login(&server, "li.officer");
    d.ok(&["sync"]);

    let missing = "0196d1c2-7f3e-7a10-9c4b-2f6e8d1a5b90";
    let err = d.fails(&["dossier", missing], 2);
    assert!(
        err.contains(&format!("本机没有编号为 {missing} 的记录")),
        "{err}"
    );
    let err = d.fails(&["--lang", "en", "dossier", missing], 2);
    assert!(
        err.contains(&format!("no record {missing} on this device")),
        "{err}"
    );
    let err = d.fails(&["dossier", "12345"], 2);
    assert!(err.contains("不是记录编号"), "{err}");

    let publicity = d.new_record(&[
        "publicity",
        "--set",
        "topic=防范电信诈骗",
        "--set",
        "place=村委会",
        "--set",
        "audience=30",
    ]);
    let err = d.fails(&["dossier", &publicity], 2);
    assert!(err.contains("法律宣传，没有档案"), "{err}");

    let household = d.new_record(&["household", "--set", "address=南街村一组1号"]);
    let err = d.fails(
        &[
            "dossier",
            &household,
            "--pdf",
            "/tmp/x.pdf",
            "--font",
            "/nonexistent.ttc",
        ],
        2,
    );
    assert!(
        err.contains("没有找到中文字体") && err.contains("/nonexistent.ttc"),
        "{err}"
    );
}
