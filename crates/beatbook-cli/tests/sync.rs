//! Login, sync, status, offline work, scope and conflicts: the real binary against a real
//! server that the tests stop and start.

mod common;

use common::{dead_url, normalize, run, Device, Server, PASSWORD};
use expect_test::expect;

fn login_cmd(d: &Device, url: &str, user: &str, password: &str) -> common::Run {
    let mut cmd = d.cmd(&[
        "login",
        "--server",
        url,
        "--username",
        user,
        "--password-stdin",
    ]);
    cmd.write_stdin(format!("{password}\n"));
    run(cmd)
}

#[test]
fn login_good_wrong_password_and_server_down() {
    let server = Server::start();
    let d = Device::new();
    let out = d.login(&server, "li.officer");
    let out = out.replace(&server.url, "<server>");
    expect![[r#"
        已登录：李强（li.officer，社区民警）
        辖区：固城派出所 · 南街村
        服务器：<server>
        下一步：运行 beatbook sync 取得辖区数据
    "#]]
    .assert_eq(&out);

    let other = Device::new();
    let r = login_cmd(&other, &server.url, "li.officer", "not-the-password");
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("账号或密码错误"), "{}", r.stderr);
    let r = login_cmd(&other, &server.url, "nobody", PASSWORD);
    assert_eq!(r.code, 3, "{r:?}");

    let r = login_cmd(&other, &dead_url(), "li.officer", PASSWORD);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("无法连接服务器"), "{}", r.stderr);

    let r = login_cmd(&other, "127.0.0.1:9", "li.officer", PASSWORD);
    assert_eq!(r.code, 2, "{r:?}");
    let r = login_cmd(&other, &server.url, "li.officer", "");
    assert_eq!(r.code, 2, "{r:?}");

    // BEATBOOK_SERVER stands in for --server.
    let mut cmd = other.cmd(&["login", "--username", "li.officer", "--password-stdin"]);
    cmd.env("BEATBOOK_SERVER", &server.url)
        .write_stdin(format!("{PASSWORD}\n"));
    assert_eq!(run(cmd).code, 0);
}

#[test]
fn sync_pushes_and_others_in_scope_receive() {
    let server = Server::start();
    let li = Device::new();
    li.login(&server, "li.officer");
    let household = li.new_record(&["household", "--set", "address=南街村三组12号"]);
    let visit = li.new_record(&[
        "visit",
        "--set",
        &format!("household={household}"),
        "--set",
        "method=talk",
        "--set",
        "visited_at=2025-06-01 10:30",
    ]);
    let status = normalize(&li.ok(&["status"]), &[]).replace(&server.url, "<server>");
    let status = status.replace(li.home().to_str().unwrap(), "<home>");
    expect![[r#"
        用户          李强（li.officer，社区民警）
        辖区          固城派出所 · 南街村
        服务器        <server>
        登录有效期至  <now>
        上次同步      从未同步
        待发送        2 条更改
        数据目录      <home>
    "#]]
    .assert_eq(&status);

    let out = li.ok(&["sync"]);
    assert!(out.starts_with("同步完成：发送 2 条更改，"), "{out}");
    assert!(out.ends_with("冲突 0 条\n"), "{out}");
    let summary = li.json(&["sync", "--json"]);
    assert_eq!(summary["pushed"], 0);
    assert_eq!(summary["pending"], 0);
    assert_eq!(summary["conflicts"], 0);
    let status = li.json(&["status", "--json"]);
    assert_eq!(status["pending"], 0);
    assert!(status["last_sync_at"].is_string());
    assert_eq!(status["user"]["username"], "li.officer");
    assert_eq!(status["server"], server.url.as_str());

    // A second officer of the same village, the station chief, and an officer of another
    // village each sync on their own device.
    let wang = Device::new();
    wang.login(&server, "wang.officer");
    let summary = wang.json(&["sync", "--json"]);
    assert_eq!(summary["pulled_documents"], 2, "{summary}");
    assert!(wang.ok(&["list", "visit"]).contains(&visit));
    assert_eq!(
        wang.json(&["show", &visit, "--json"])["record"]["author"],
        "li.officer"
    );

    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    let list = chief.ok(&["list", "visit"]);
    assert!(list.contains(&visit) && list.contains("南街村"), "{list}");
    let list = chief.ok(&["list", "visit", "--village", "beijie"]);
    assert_eq!(list, "没有记录\n");

    let zhao = Device::new();
    zhao.login(&server, "zhao.officer");
    zhao.ok(&["sync"]);
    assert_eq!(zhao.ok(&["list", "visit"]), "没有记录\n");
    zhao.fails(&["show", &visit], 2);

    // Edits flow the same way.
    chief.ok(&["edit", &visit, "--set", "follow_up=所长：下周复查"]);
    chief.ok(&["sync"]);
    li.ok(&["sync"]);
    assert_eq!(
        li.json(&["show", &visit, "--json"])["record"]["data"]["follow_up"],
        "所长：下周复查"
    );
}

#[test]
fn offline_work_is_kept_and_sent_when_the_server_is_back() {
    let mut server = Server::start();
    let li = Device::new();
    li.login(&server, "li.officer");
    li.ok(&["sync"]);
    server.stop();

    let household = li.new_record(&["household", "--set", "address=南街村五组3号"]);
    let visit = li.new_record(&[
        "visit",
        "--set",
        &format!("household={household}"),
        "--set",
        "method=condolence",
        "--set",
        "purpose=留守老人慰问",
    ]);
    li.ok(&["edit", &household, "--set", "notes=独居"]);
    assert!(li.ok(&["list", "visit"]).contains(&visit));

    let err = li.fails(&["sync"], 4);
    assert!(
        err.contains("无法连接服务器") && err.contains("3 条更改待发送"),
        "{err}"
    );
    let err = li.fails(&["sync", "--json"], 4);
    let err: serde_json::Value = serde_json::from_str(&err).unwrap();
    assert_eq!(err["code"], "offline");
    let err = li.fails(&["--lang", "en", "sync"], 4);
    assert!(err.contains("nothing was lost"), "{err}");
    assert_eq!(li.json(&["status", "--json"])["pending"], 3);
    assert!(li.ok(&["status"]).contains("3 条更改"));

    server.restart();
    let summary = li.json(&["sync", "--json"]);
    assert_eq!(summary["pushed"], 3, "{summary}");
    assert_eq!(summary["pending"], 0);

    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    let json = chief.json(&["show", &household, "--json"]);
    assert_eq!(json["record"]["data"]["notes"], "独居");
    assert!(chief.ok(&["list", "visit"]).contains(&visit));
}

#[test]
fn same_field_edits_on_two_devices_become_a_conflict_that_resolve_settles() {
    let server = Server::start();
    let li = Device::new();
    li.login(&server, "li.officer");
    let wang = Device::new();
    wang.login(&server, "wang.officer");
    let dispute = li.new_record(&[
        "dispute",
        "--set",
        r#"parties=[{"name":"赵六"},{"name":"钱七"}]"#,
        "--set",
        "dispute_type=land",
        "--set",
        "description=宅基地边界争议",
        "--set",
        "reported_at=2025-06-01 09:00",
    ]);
    li.ok(&["sync"]);
    wang.ok(&["sync"]);

    // Both change the type while offline; a different field merges without conflict.
    li.ok(&["edit", &dispute, "--set", "dispute_type=debt"]);
    wang.ok(&[
        "edit",
        &dispute,
        "--set",
        "dispute_type=family",
        "--set",
        "agreement=待定",
    ]);
    li.ok(&["sync"]);
    let out = wang.ok(&["sync"]);
    assert!(out.contains("冲突 1 条") && out.contains(&dispute), "{out}");
    let summary = li.json(&["sync", "--json"]);
    assert_eq!(summary["conflicts"], 1, "{summary}");
    assert_eq!(
        summary["conflicted_records"],
        serde_json::json!([dispute.as_str()])
    );

    let json = li.json(&["show", &dispute, "--json"]);
    assert_eq!(json["record"]["data"]["agreement"], "待定");
    let conflict = &json["conflicts"][0];
    assert_eq!(conflict["path"], "data.dispute_type");
    let mut values: Vec<&str> = conflict["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    values.sort();
    assert_eq!(values, ["debt", "family"]);
    let show = li.ok(&["show", &dispute]);
    let tail = show.split_once("⚠ ").unwrap().1;
    let tail = normalize(tail, &[(dispute.as_str(), "dispute")])
        .replace("债务纠纷 | 家庭纠纷", "家庭纠纷 | 债务纠纷");
    expect![[r#"
        冲突：以下字段有两台设备同时写入的不同值（第一个是当前显示的值）
          dispute_type（纠纷类型）: 家庭纠纷 | 债务纠纷
          选定一个值：beatbook resolve <dispute> 字段 值
    "#]]
    .assert_eq(&tail);
    assert!(li.ok(&["list", "dispute"]).contains("冲突"));

    // Changing the conflicted field without choosing would drop a value silently: exit 5.
    let err = li.fails(&["edit", &dispute, "--set", "dispute_type=other"], 5);
    assert!(err.contains("beatbook resolve"), "{err}");
    // Other fields can still be edited.
    li.ok(&["edit", &dispute, "--set", "outcome=调解中"]);
    li.fails(&["resolve", &dispute, "agreement", "x"], 2);
    li.fails(&["resolve", &dispute, "dispute_type", "boat"], 2);

    let out = li.ok(&["resolve", &dispute, "dispute_type", "邻里纠纷"]);
    assert_eq!(out, format!("已选定 {dispute} 的 dispute_type\n"));
    let json = li.json(&["show", &dispute, "--json"]);
    assert_eq!(json["conflicts"], serde_json::json!([]));
    assert_eq!(json["record"]["data"]["dispute_type"], "neighbour");
    li.ok(&["sync"]);
    let summary = wang.json(&["sync", "--json"]);
    assert_eq!(summary["conflicts"], 0, "{summary}");
    let json = wang.json(&["show", &dispute, "--json"]);
    assert_eq!(json["conflicts"], serde_json::json!([]));
    assert_eq!(json["record"]["data"]["dispute_type"], "neighbour");
}

#[test]
fn records_outside_ones_scope() {
    let server = Server::start();
    let zhao = Device::new();
    zhao.login(&server, "zhao.officer");
    let theirs = zhao.new_record(&["household", "--set", "address=北街村一组1号"]);
    zhao.ok(&["sync"]);

    // A shared handset: the chief edits a 北街村 record and hands the device to an officer
    // of 南街村 before syncing. The officer cannot log in over the chief's unsent work.
    let shared = Device::new();
    shared.login(&server, "gucheng.chief");
    shared.ok(&["sync"]);
    shared.ok(&["edit", &theirs, "--set", "notes=所长备注"]);
    let mut cmd = shared.cmd(&[
        "login",
        "--server",
        &server.url,
        "--username",
        "li.officer",
        "--password-stdin",
    ]);
    cmd.write_stdin(format!("{PASSWORD}\n"));
    let refused = common::run(cmd);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("尚未上传"), "{}", refused.stderr);
    assert_eq!(shared.json(&["status", "--json"])["pending"], 1);

    // Once the chief has synced, the officer takes over the handset.
    shared.ok(&["sync"]);
    shared.login(&server, "li.officer");

    // Locally, the officer may not touch a record outside his villages.
    let err = shared.fails(&["edit", &theirs, "--set", "notes=李强备注"], 2);
    assert!(err.contains("超出你的辖区"), "{err}");
    shared.fails(&["delete", &theirs], 2);
    let own = shared.new_record(&["household", "--set", "address=南街村二组2号"]);
    shared.ok(&["sync"]);
    assert_eq!(shared.json(&["status", "--json"])["pending"], 0);

    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    assert!(chief.ok(&["list", "household"]).contains(&own));
    let json = chief.json(&["show", &theirs, "--json"]);
    assert_eq!(json["record"]["data"]["notes"], "所长备注");
}

#[test]
fn a_disabled_account_must_log_in_again() {
    let server = Server::start();
    let li = Device::new();
    li.login(&server, "li.officer");
    li.new_record(&["household", "--set", "address=南街村三组12号"]);
    server.state().disable_user("li.officer").unwrap();
    let err = li.fails(&["sync"], 3);
    assert!(err.contains("beatbook login"), "{err}");
    assert_eq!(li.json(&["status", "--json"])["pending"], 1);
}
