//! The app's dossier export against a real server and an encrypted device store: the HTML page
//! shown in the app and the PDF file written for printing, read back with pdftotext.

mod common;

use common::server;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_dispute_dossier_is_shown_as_html_and_exported_as_pdf() {
    let (url, accounts, _server_dir) = server().await;

    let device = tempfile::tempdir().unwrap();
    let officer = common::enrolled(&url, &accounts, "gucheng.officer1", device.path()).await;
    let dispute = officer
        .create(
            "dispute",
            Some("guchengcun".into()),
            json!({"parties": [{"name": "王<b>大</b>"}, {"name": "李二"}],
                   "dispute_type": "neighbour", "description": "排水沟堵塞引发争执",
                   "reported_at": "2026-11-02T01:00:00Z"}),
        )
        .unwrap();
    let mut data = dispute.data.clone();
    data["status"] = json!("mediating");
    data["sessions"] =
        json!([{"held_at": "2026-11-03T06:00:00Z", "notes": "双方同意共同清理水沟"}]);
    officer.update(&dispute.item.id, data).unwrap();

    let html = officer.dossier_html(&dispute.item.id).unwrap();
    assert!(
        html.contains("矛盾纠纷档案：王&lt;b&gt;大&lt;/b&gt; / 李二"),
        "{html}"
    );
    assert!(html.contains("双方同意共同清理水沟"));

    let out = device.path().join("dispute.pdf");
    let written = officer
        .export_dossier(&dispute.item.id, "pdf", out.to_str().unwrap())
        .unwrap();
    assert_eq!(written, out.to_str().unwrap());
    let text = std::process::Command::new("pdftotext")
        .arg(&out)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let text: String = String::from_utf8(text.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let reported = text.find("矛盾纠纷·登记").expect(&text);
    let session = text.find("双方同意共同清理水沟").expect(&text);
    assert!(reported < session, "{text}");

    let err = officer
        .export_dossier(&dispute.item.id, "docx", out.to_str().unwrap())
        .unwrap_err();
    assert_eq!(err.code, "bad_format");
    let err = officer.dossier_html("not-an-id").unwrap_err();
    assert_eq!(err.code, "bad_id");
}
