//! `beatbook review` through the real binary against a real server: the chief's review with a
//! comment reaches the officer who wrote the record; an officer may not review; bad input
//! changes nothing.

mod common;

use common::{Device, Server};

#[test]
fn the_chief_reviews_with_a_comment_and_the_officer_receives_it() {
    let server = Server::start();
    let officer = Device::new();
    officer.login(&server, "li.officer");
    officer.ok(&["sync"]);
    let talk = officer.new_record(&[
        "publicity",
        "--set",
        "topic=防范电信诈骗",
        "--set",
        "place=村委会",
        "--set",
        "held_at=2025-06-01 10:30",
        "--set",
        "audience=40",
    ]);

    // An officer does not review, not even their own record.
    let err = officer.fails(&["review", &talk, "--comment", "自查"], 2);
    assert!(
        err.contains("只有本所所长或县局管理员可以审阅记录"),
        "{err}"
    );
    let err = officer.fails(&["--lang", "en", "review", &talk], 2);
    assert!(err.contains("only a chief"), "{err}");
    assert!(officer.json(&["show", &talk, "--json"])["record"]
        .get("review")
        .is_none());
    officer.ok(&["sync"]);

    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    chief.fails(&["review", "not-an-id", "--comment", "x"], 2);
    let long = "长".repeat(501);
    let err = chief.fails(&["review", &talk, "--comment", &long], 2);
    assert!(err.contains("审阅意见"), "{err}");
    let out = chief.ok(&["review", &talk, "--comment", "已阅，请一周内回访"]);
    assert!(
        out.starts_with(&format!("已审阅：{talk}（审阅人 gucheng.chief，")),
        "{out}"
    );
    chief.ok(&["sync"]);

    officer.ok(&["sync"]);
    let shown = officer.json(&["show", &talk, "--json"]);
    let review = &shown["record"]["review"];
    assert_eq!(review["by"], "gucheng.chief");
    assert_eq!(review["comment"], "已阅，请一周内回访");
}
