//! Station work through the real binary and a real server: a chief dispatches in bulk, the
//! auxiliary's device receives the tasks at sync, completes one offline by filing a check, and
//! after both sync the chief sees it done and linked; duty rules run twice add nothing; the
//! board and the assessment (JSON and XLSX); bad input exits 2 with a message.

mod common;

use beatbook_model::{Assignment, Role};
use beatbook_server::NewUser;
use common::{Device, Server, PASSWORD};

/// A time `days` from now, as people write it (Asia/Shanghai).
fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .with_timezone(&beatbook_model::SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn key_person(d: &Device, name: &str, risk: &str) -> String {
    d.new_record(&[
        "key-person",
        "--set",
        &format!("name={name}"),
        "--set",
        "id_number=11010519491231002X",
        "--set",
        "category=drug_related",
        "--set",
        &format!("risk_level={risk}"),
        "--set",
        "responsible_officer=li.officer",
    ])
}

#[test]
fn dispatch_sync_complete_offline_and_see_it_done() {
    let server = Server::start();
    server
        .state()
        .add_user(NewUser {
            username: "sun.aux".into(),
            display_name: "孙辅".into(),
            password: PASSWORD.into(),
            assignment: Assignment {
                role: Role::Auxiliary,
                station: Some("gucheng".into()),
                villages: vec!["nanjie".into()],
            },
        })
        .unwrap();
    let officer = Device::new();
    officer.login(&server, "li.officer");
    let wang = key_person(&officer, "王五", "high");
    let qian = key_person(&officer, "钱七", "low");
    officer.ok(&["sync"]);

    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    // A roster file that cannot be read is refused and says so; without one, the people the
    // server listed at login are the roster.
    let roster_file = chief.home().join("roster.json");
    std::fs::write(&roster_file, "[not json").unwrap();
    let err = chief.fails(
        &[
            "task",
            "bulk",
            "--action",
            "check_key_person",
            "--to",
            "sun.aux",
        ],
        2,
    );
    assert!(err.contains("人员名单"), "{err}");
    std::fs::remove_file(&roster_file).unwrap();

    // Giving out work is the chief's: an officer's `task assign` and `task bulk` are refused
    // by the model's access rule (exit 2), and nothing is written.
    let assign = [
        "task",
        "assign",
        "--to",
        "sun.aux",
        "--action",
        "check_key_person",
        "--target",
        &wang,
        "--due",
        &in_days(7),
    ];
    let err = officer.fails(&assign, 2);
    assert!(err.contains("只有所长和县局管理员可以派单"), "{err}");
    let err = officer.fails(
        &[
            "task",
            "bulk",
            "--action",
            "check_key_person",
            "--to",
            "sun.aux",
        ],
        2,
    );
    assert!(err.contains("只有所长和县局管理员可以派单"), "{err}");
    assert!(
        officer.ok(&["list", "task"]).lines().count() <= 1,
        "a refused dispatch writes nothing"
    );

    // Bad input, each refused with exit 2 and a message saying what is wrong:
    // (assignee, action, due, message).
    let due = in_days(30);
    let cases = [
        (
            "nanjie.grid",
            "check_key_person",
            due.as_str(),
            "任务只能派给社区民警或辅警",
        ),
        ("sun.aux", "fly", &due, "check_key_person"),
        ("zhao.officer", "check_key_person", &due, "不负责"),
        ("sun.aux", "visit_household", &due, "对象应是户籍家庭"),
        (
            "sun.aux",
            "check_key_person",
            "2020-01-01 08:00",
            "截止时间已经过去",
        ),
    ];
    for (to, action, when, message) in cases {
        let args = [
            "task", "assign", "--to", to, "--action", action, "--target", &wang, "--due", when,
        ];
        let err = chief.fails(&args, 2);
        assert!(err.contains(message), "{to} {action} {when}: {err}");
    }
    assert!(
        chief.ok(&["list", "task"]).lines().count() <= 1,
        "bad input wrote nothing"
    );

    // Every key person of 南街村 to the auxiliary; a second run gives nothing new.
    let out = chief.ok(&[
        "task",
        "bulk",
        "--action",
        "核查重点人员",
        "--village",
        "nanjie",
        "--to",
        "sun.aux",
        "--due",
        &due,
    ]);
    assert!(out.contains("已派出 2 项任务"), "{out}");
    let out = chief.ok(&[
        "task",
        "bulk",
        "--action",
        "check_key_person",
        "--village",
        "南街村",
        "--to",
        "sun.aux",
        "--due",
        &due,
    ]);
    assert!(out.contains("已派出 0 项任务；2 个对象"), "{out}");
    chief.ok(&["sync"]);

    // The auxiliary's device receives both tasks and completes 王五's offline.
    let aux = Device::new();
    aux.login(&server, "sun.aux");
    aux.ok(&["sync"]);
    let tasks = aux.json(&["list", "task", "--json"]);
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let task_for = |name: &str| {
        tasks
            .iter()
            .find(|t| t["title"].as_str().unwrap().contains(name))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let wang_task = task_for("王五");
    let check = aux.new_record(&[
        "key-person-check",
        "--set",
        &format!("key_person={wang}"),
        "--set",
        "seen_in_person=true",
        "--set",
        "risk_change=unchanged",
    ]);
    aux.ok(&["task", "done", &wang_task, "--record", &check]);
    aux.ok(&["sync"]);

    chief.ok(&["sync"]);
    let shown = chief.json(&["show", &wang_task, "--json"]);
    let data = &shown["record"]["data"];
    let data = if data.is_null() { &shown["data"] } else { data };
    assert_eq!(data["status"], "done", "{shown}");
    assert_eq!(data["completed_by"], check.as_str());
    assert!(task_for("钱七") != wang_task);
    assert!(!qian.is_empty());

    // Assessment over every day so far: one check task done on time, one still open.
    let a = chief.json(&[
        "assess",
        "--from",
        "2000-01-01",
        "--to",
        "2099-12-31",
        "--json",
    ]);
    let aux_row = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "sun.aux")
        .unwrap();
    assert_eq!(aux_row["figures"]["checks_due"], 2);
    assert_eq!(aux_row["figures"]["checks_on_time"], 1);
    assert!(a["as_of"]["last_sync"].is_string());
    let xlsx = chief.home().join("考核.xlsx");
    let out = chief.ok(&[
        "assess",
        "--from",
        "2000-01-01",
        "--to",
        "2099-12-31",
        "--by",
        "village",
        "--xlsx",
        xlsx.to_str().unwrap(),
    ]);
    assert!(out.contains("南街村") && out.contains("上次同步"), "{out}");
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
    let err = chief.fails(&["assess", "--from", "2026-11-10", "--to", "2026-11-01"], 2);
    assert!(err.contains("结束日期早于开始日期"), "{err}");
    let err = chief.fails(&["assess", "--from", "11/01", "--to", "2026-11-01"], 2);
    assert!(err.contains("2026-11-01"), "{err}");
}

#[test]
fn duty_rules_and_the_board() {
    let server = Server::start();
    let officer = Device::new();
    officer.login(&server, "li.officer");
    key_person(&officer, "王五", "high");
    key_person(&officer, "钱七", "low");
    officer.new_record(&[
        "hazard",
        "--set",
        "description=电线裸露",
        "--set",
        "place=村东小卖部",
        "--set",
        &format!("deadline={}", in_days(30)),
    ]);
    officer.new_record(&[
        "hazard",
        "--set",
        "description=消防通道堵塞",
        "--set",
        "place=南街小学",
    ]);
    officer.ok(&["sync"]);

    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    let err = officer.fails(
        &[
            "duty",
            "add",
            "--name",
            "每周核查",
            "--action",
            "check_key_person",
            "--every-days",
            "7",
        ],
        2,
    );
    assert!(
        err.contains("只有本所所长和县局管理员可以设置值勤规则"),
        "{err}"
    );
    let err = chief.fails(
        &[
            "duty",
            "add",
            "--name",
            "每天走访",
            "--action",
            "visit_household",
            "--every-days",
            "1",
        ],
        2,
    );
    assert!(err.contains("--assignee"), "{err}");
    let err = chief.fails(
        &[
            "duty",
            "add",
            "--name",
            "x",
            "--action",
            "check_key_person",
            "--every-days",
            "7",
            "--min-risk",
            "极高",
        ],
        2,
    );
    assert!(err.contains("low, medium, high"), "{err}");
    chief.ok(&[
        "duty",
        "add",
        "--name",
        "高风险每周核查",
        "--action",
        "check_key_person",
        "--every-days",
        "7",
        "--min-risk",
        "high",
    ]);
    let list = chief.ok(&["duty", "list"]);
    assert!(
        list.contains("高风险每周核查") && list.contains("责任民警"),
        "{list}"
    );
    let out = chief.ok(&["duty", "run"]);
    assert!(
        out.contains("王五") && out.contains("新生成 1 项任务"),
        "{out}"
    );
    assert!(!out.contains("钱七"), "low risk is not covered: {out}");
    let again = chief.ok(&["duty", "run"]);
    assert!(again.contains("新生成 0 项任务；1 项本周期已有"), "{again}");
    let err = chief.fails(&["duty", "remove", "nope"], 2);
    assert!(err.contains("duty list"), "{err}");

    let board = chief.ok(&["board"]);
    assert!(board.contains("未清零隐患 2 处，其中逾期 0 处"), "{board}");
    // The one with a deadline comes before the one without.
    let first = board.find("村东小卖部").unwrap();
    let second = board.find("南街小学").unwrap();
    assert!(first < second, "{board}");
    let json = chief.json(&["board", "--json"]);
    assert_eq!(json["villages"][0]["village"], "nanjie");
}

/// Two devices of the chief run the same duty while both offline: after they sync, the next run
/// on either keeps one task (the same one everywhere) and cancels the other.
#[test]
fn concurrent_generation_on_two_devices_converges_to_one_task() {
    let server = Server::start();
    let officer = Device::new();
    officer.login(&server, "li.officer");
    let wang = key_person(&officer, "王五", "high");
    officer.ok(&["sync"]);
    let devices = [Device::new(), Device::new()];
    devices[0].login(&server, "gucheng.chief");
    devices[0].ok(&[
        "duty",
        "add",
        "--name",
        "每周核查",
        "--action",
        "check_key_person",
        "--every-days",
        "7",
    ]);
    devices[0].ok(&["sync"]);
    // The second device receives the rule at its first sync.
    devices[1].login(&server, "gucheng.chief");
    for d in &devices {
        d.ok(&["sync"]);
        // Offline: each device generates the week's task before seeing the other's.
        assert!(d.ok(&["duty", "run"]).contains("新生成 1 项任务"));
    }
    for d in [&devices[0], &devices[1], &devices[0]] {
        d.ok(&["sync"]);
    }
    let out = devices[0].ok(&["duty", "run"]);
    assert!(
        out.contains("新生成 0 项任务；1 项本周期已有；取消重复 1 项"),
        "{out}"
    );
    devices[0].ok(&["sync"]);
    devices[1].ok(&["sync"]);
    let out = devices[1].ok(&["duty", "run"]);
    assert!(
        out.contains("新生成 0 项任务；1 项本周期已有；取消重复 0 项"),
        "{out}"
    );
    let statuses = |d: &Device| {
        let mut v: Vec<(String, String)> = d
            .json(&["list", "task", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].as_str().unwrap().to_owned(),
                    t["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let seen = statuses(&devices[1]);
    assert_eq!(seen, statuses(&devices[0]));
    // The smaller id is kept, the other cancelled.
    assert_eq!(seen[0].1, "open", "{seen:?}");
    assert_eq!(seen[1].1, "cancelled", "{seen:?}");
    officer.ok(&["sync"]);
    assert_eq!(
        statuses(&officer),
        seen,
        "the officer sees the same: {wang}"
    );
}

/// A rule added offline waits on the chief's device, goes with the next `beatbook sync`, and
/// reaches the chief's second device and the officers'; its removal follows the same way.
#[test]
fn duty_rules_follow_the_sync_to_every_device_of_the_station() {
    let mut server = Server::start();
    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    let second = Device::new();
    second.login(&server, "gucheng.chief");
    let officer = Device::new();
    officer.login(&server, "li.officer");

    server.stop();
    let id = chief.ok(&[
        "duty",
        "add",
        "--name",
        "高风险每周核查",
        "--action",
        "check_key_person",
        "--every-days",
        "7",
        "--min-risk",
        "high",
    ]);
    let id = id.trim();
    let list = chief.ok(&["duty", "list"]);
    assert!(
        list.contains("高风险每周核查") && list.contains("待同步"),
        "{list}"
    );
    chief.fails(&["sync"], 4);
    assert!(chief.ok(&["duty", "list"]).contains("待同步"));

    server.restart();
    let out = chief.ok(&["sync"]);
    assert!(
        out.contains("值勤规则：发送 1 项更改，本机现有 1 条规则"),
        "{out}"
    );
    assert!(chief.ok(&["duty", "list"]).contains("已同步"));
    for d in [&second, &officer] {
        d.ok(&["sync"]);
        let rules = d.json(&["duty", "list", "--json"]);
        assert_eq!(rules[0]["id"], id, "{rules}");
        assert_eq!(rules[0]["waiting"], false);
    }

    second.ok(&["duty", "remove", &id[..8]]);
    let list = second.ok(&["duty", "list"]);
    assert!(list.contains(&format!("待同步：删除规则 {id}")), "{list}");
    second.ok(&["sync"]);
    for d in [&chief, &officer] {
        d.ok(&["sync"]);
        assert_eq!(d.json(&["duty", "list", "--json"]), serde_json::json!([]));
    }
}
