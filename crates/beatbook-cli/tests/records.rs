//! Working on records through the real binary against a real server: creating, showing,
//! listing, searching, editing, deleting, the domain actions, bad input and exports.

mod common;

use common::{normalize, Device, Server};
use expect_test::expect;

/// An officer logged in and synced, with one household and one visit to it.
fn officer_with_a_visit(server: &Server) -> (Device, String, String) {
    let d = Device::new();
    d.login(server, "li.officer");
    d.ok(&["sync"]);
    let household = d.new_record(&[
        "household",
        "--set",
        "address=南街村三组12号",
        "--set",
        r#"members=[{"name":"张三丰","id_number":"11010519491231002X","phone":"13812345678","relation":"head"},{"name":"李梅","relation":"spouse"}]"#,
        "--set",
        "tags=留守老人,low_income",
    ]);
    let visit = d.new_record(&[
        "visit",
        "--set",
        &format!("household={household}"),
        "--set",
        "visited_at=2025-06-01 10:30",
        "--set",
        "method=走访",
        "--set",
        "purpose=了解家庭近况",
        "--set",
        "findings=老人身体健康\n子女在外务工",
    ]);
    (d, household, visit)
}

#[test]
fn new_show_list_and_search() {
    let server = Server::start();
    let (d, household, visit) = officer_with_a_visit(&server);
    let named = [(household.as_str(), "household"), (visit.as_str(), "visit")];

    let show = normalize(&d.ok(&["show", &visit]), &named);
    expect![[r#"
        类型      入户走访
        编号      <visit>
        标题      2025-06-01 10:30 了解家庭近况
        辖区      固城派出所 · 南街村
        创建人    li.officer
        创建时间  <now>
        更新时间  <now>

        走访户          <household>
        走访人          li.officer
        走访时间        2025-06-01 10:30
        方式（五个一）  走访
        目的            了解家庭近况
        了解情况        老人身体健康
                        子女在外务工
    "#]]
    .assert_eq(&show);

    let show = normalize(&d.ok(&["show", &household]), &named);
    expect![[r#"
        类型      户籍家庭
        编号      <household>
        标题      张三丰 · 南街村三组12号
        辖区      固城派出所 · 南街村
        创建人    li.officer
        创建时间  <now>
        更新时间  <now>

        地址  南街村三组12号
        成员  张三丰 11010519491231002X 13812345678 户主；李梅 配偶
        标签  留守老人、低保
    "#]]
    .assert_eq(&show);

    let json = normalize(&d.ok(&["show", &household, "--json"]), &named);
    expect![[r#"
        {
          "record": {
            "id": "<household>",
            "scope": {
              "station": "gucheng",
              "village": "nanjie"
            },
            "author": "li.officer",
            "created_at": "<now>",
            "updated_at": "<now>",
            "deleted": false,
            "kind": "household",
            "data": {
              "address": "南街村三组12号",
              "members": [
                {
                  "name": "张三丰",
                  "id_number": "11010519491231002X",
                  "phone": "13812345678",
                  "relation": "head"
                },
                {
                  "name": "李梅",
                  "relation": "spouse"
                }
              ],
              "tags": [
                "left_behind_elderly",
                "low_income"
              ],
              "notes": ""
            }
          },
          "conflicts": []
        }
    "#]]
    .assert_eq(&json);
    let json = d.json(&["show", &visit, "--json"]);
    assert_eq!(json["record"]["kind"], "visit");
    assert_eq!(json["record"]["data"]["household"], household.as_str());
    assert_eq!(json["record"]["data"]["visited_at"], "2025-06-01T02:30:00Z");
    assert_eq!(json["record"]["data"]["visitors"][0], "li.officer");
    assert_eq!(json["record"]["scope"]["village"], "nanjie");
    assert_eq!(json["conflicts"], serde_json::json!([]));

    let list = normalize(&d.ok(&["list", "visit"]), &named);
    expect![[r#"
        编号                                  村      标题                           时间
        ------------------------------------  ------  -----------------------------  ----------------
        <visit>                               南街村  2025-06-01 10:30 了解家庭近况  2025-06-01 10:30
        共 1 条
    "#]]
    .assert_eq(&list);
    let en = normalize(&d.ok(&["--lang", "en", "list", "visit"]), &named);
    expect![[r#"
        id                                    village  title                          time
        ------------------------------------  -------  -----------------------------  ----------------
        <visit>                               南街村   2025-06-01 10:30 了解家庭近况  2025-06-01 10:30
        total: 1
    "#]]
    .assert_eq(&en);

    let json = d.json(&["list", "household", "--json"]);
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], household.as_str());
    assert_eq!(rows[0]["title"], "张三丰 · 南街村三组12号");

    assert_eq!(
        d.ok(&["list", "visit", "--since", "2025-07-01"]),
        "没有记录\n"
    );
    assert!(d
        .ok(&["list", "visit", "--village", "南街村"])
        .contains(&visit));
    d.fails(&["list", "dispute", "--status", "lost"], 2);

    let search = normalize(&d.ok(&["search", "张三"]), &named);
    expect![[r#"
        编号                                  类型      村      标题                     时间
        ------------------------------------  --------  ------  -----------------------  ----------------
        <household>                           户籍家庭  南街村  张三丰 · 南街村三组12号  <now>
        共 1 条
    "#]]
    .assert_eq(&search);
    let hits = d.json(&["search", "13812345678", "--json"]);
    assert_eq!(hits[0]["id"], household.as_str());
    assert!(d.ok(&["search", "外务"]).contains(&visit));
}

#[test]
fn help_documents_the_exit_codes() {
    let d = Device::new();
    let help = d.ok(&["--help"]);
    for line in [
        "0  成功",
        "2  输入有误",
        "3  需要登录",
        "4  连不上服务器",
        "5  冲突",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
    assert!(help.contains("beatbook sync exits 0 and reports conflicts"));
    let help = d.ok(&["dispute", "move", "--help"]);
    assert!(help.contains("--referral"), "{help}");
    assert!(d.ok(&["--version"]).starts_with("beatbook "));
}

#[test]
fn fields_lists_what_set_accepts() {
    let d = Device::new();
    let out = d.ok(&["fields", "key-person-check"]);
    expect![[r#"
        重点人员核查（key-person-check）
        字段              类型      必填  名称            说明
        ----------------  --------  ----  --------------  -----------------------------------------
        key_person        记录编号  是    重点人员
        checked_by        账号      是    核查人          默认：本人
        checked_at        时间      是    核查时间        如 2026-11-28 15:04；默认：现在
        place             文本            地点
        location          经纬度          定位
        seen_in_person    是/否     是    是否见面
        situation         长文本          现实表现
        risk_change       选项      是    风险变化        unchanged=无变化 raised=升高 lowered=降低
        risk_level_after  选项            变化后风险等级  low=低 medium=中 high=高
    "#]]
    .assert_eq(&out);
    let json = d.json(&["fields", "publicity", "--json"]);
    assert_eq!(json[3]["name"], "audience");
    assert_eq!(json[3]["type"], "int");
    assert_eq!(json[3]["required"], true);
    let err = d.fails(&["fields", "car"], 2);
    assert!(err.contains("未知的记录类型“car”"), "{err}");
}

#[test]
fn bad_input_exits_2_with_a_message_that_says_what_is_wrong() {
    let server = Server::start();
    let (d, household, _) = officer_with_a_visit(&server);

    let err = d.fails(&["new", "car", "--set", "a=b"], 2);
    assert!(
        err.contains("未知的记录类型“car”") && err.contains("household"),
        "{err}"
    );
    let err = d.fails(&["new", "household", "--set", "colour=red"], 2);
    assert!(
        err.contains("没有字段“colour”") && err.contains("address"),
        "{err}"
    );
    let err = d.fails(&["new", "household", "--set", "address"], 2);
    assert!(err.contains("字段=值"), "{err}");
    // A visit dated in year -1 (or 0202 for 2022) is refused, not stored to break the list
    // and every sync in the village; nothing is written.
    let visits = d.ok(&["list", "visit"]);
    for when in ["-0001-01-01", "0202-06-01 10:30", "1899-12-31 23:00"] {
        let visited = format!("visited_at={when}");
        let err = d.fails(
            &[
                "new",
                "visit",
                "--set",
                &format!("household={household}"),
                "--set",
                "purpose=了解家庭近况",
                "--set",
                "method=走访",
                "--set",
                &visited,
            ],
            2,
        );
        assert!(err.contains("1900"), "{when}: {err}");
    }
    assert_eq!(d.ok(&["list", "visit"]), visits, "nothing was written");
    let err = d.fails(
        &[
            "new",
            "household",
            "--set",
            "address=南街村一组1号",
            "--set",
            r#"members=[{"name":"李四","id_number":"110105194912310021","relation":"head"}]"#,
        ],
        2,
    );
    assert!(err.contains("校验位"), "{err}");
    let err = d.fails(
        &[
            "--lang",
            "en",
            "new",
            "household",
            "--set",
            "address=x",
            "--set",
            r#"members=[{"name":"李四","id_number":"110105194912310021","relation":"head"}]"#,
        ],
        2,
    );
    assert!(err.contains("check digit"), "{err}");
    let err = d.fails(&["new", "visit", "--set", "method=visit"], 2);
    assert!(err.contains("household"), "{err}");
    let err = d.fails(
        &[
            "new",
            "visit",
            "--set",
            "household=12345",
            "--set",
            "method=visit",
        ],
        2,
    );
    assert!(err.contains("记录编号"), "{err}");
    let err = d.fails(
        &[
            "new",
            "visit",
            "--set",
            &format!("household={household}"),
            "--set",
            "method=party",
        ],
        2,
    );
    assert!(err.contains("可选") && err.contains("talk"), "{err}");
    let err = d.fails(
        &[
            "new",
            "publicity",
            "--set",
            "topic=禁毒",
            "--set",
            "place=村委会",
            "--set",
            "audience=many",
        ],
        2,
    );
    assert!(err.contains("整数"), "{err}");
    let err = d.fails(
        &[
            "new",
            "publicity",
            "--set",
            "topic=禁毒",
            "--set",
            "place=村委会",
            "--set",
            "audience=30",
            "--set",
            "held_at=tomorrow",
        ],
        2,
    );
    assert!(err.contains("时间"), "{err}");
    let err = d.fails(&["new", "household", "--json", "[1]"], 2);
    assert!(err.contains("对象"), "{err}");
    let err = d.fails(
        &[
            "new",
            "household",
            "--json",
            r#"{"address":"x","colour":1}"#,
        ],
        2,
    );
    assert!(err.contains("colour"), "{err}");
    // Outside one's scope: a village that is not the officer's, or a kind a grid worker may
    // not write.
    let err = d.fails(
        &[
            "new",
            "household",
            "--village",
            "beijie",
            "--set",
            "address=x",
        ],
        2,
    );
    assert!(
        err.contains("不在你的辖区") && err.contains("南街村"),
        "{err}"
    );
    let grid = Device::new();
    grid.login(&server, "nanjie.grid");
    let err = grid.fails(
        &[
            "new",
            "key-person",
            "--set",
            "name=王五",
            "--set",
            "id_number=11010519491231002X",
            "--set",
            "category=petitioner",
            "--set",
            "risk_level=low",
        ],
        2,
    );
    assert!(err.contains("超出你的辖区或权限"), "{err}");
    // Ids.
    let err = d.fails(&["show", "not-an-id"], 2);
    assert!(err.contains("不是记录编号"), "{err}");
    let err = d.fails(
        &[
            "edit",
            "01a222ec-f71f-718b-b965-c0a204246bce",
            "--set",
            "notes=x",
        ],
        2,
    );
    assert!(err.contains("本机没有"), "{err}");
    // Usage errors come from clap, also exit 2.
    d.fails(&["new"], 2);
    d.fails(&["export", "household", "--format", "pdf", "--out", "x"], 2);
    // JSON errors for scripts.
    let err = d.fails(&["show", "nope", "--json"], 2);
    let err: serde_json::Value = serde_json::from_str(&err).unwrap();
    assert_eq!(err["code"], "bad_id");
    assert_eq!(err["exit"], 2);
    // Nothing was written by any of it.
    assert_eq!(
        d.json(&["list", "household", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn writing_needs_a_login_but_reading_does_not() {
    let d = Device::new();
    let err = d.fails(&["new", "household", "--set", "address=南街村一组1号"], 3);
    assert!(err.contains("beatbook login"), "{err}");
    assert_eq!(d.ok(&["list", "household"]), "没有记录\n");
    let status = d.ok(&["status"]);
    assert!(status.contains("未登录"), "{status}");
    d.fails(&["sync"], 3);
}

#[test]
fn edit_and_delete() {
    let server = Server::start();
    let (d, household, visit) = officer_with_a_visit(&server);
    let out = d.ok(&["edit", &household, "--set", "notes=独居老人，每周走访"]);
    assert_eq!(out, format!("已保存 {household}（户籍家庭）\n"));
    let json = d.json(&["show", &household, "--json"]);
    assert_eq!(json["record"]["data"]["notes"], "独居老人，每周走访");
    assert_eq!(json["record"]["data"]["address"], "南街村三组12号");
    d.ok(&["edit", &visit, "--json", r#"{"follow_up": "下周回访"}"#]);
    let json = d.json(&["show", &visit, "--json"]);
    assert_eq!(json["record"]["data"]["follow_up"], "下周回访");
    let err = d.fails(&["edit", &household, "--set", "tags=富"], 2);
    assert!(err.contains("tags"), "{err}");
    d.fails(&["edit", &household], 2);

    assert_eq!(
        d.ok(&["delete", &visit]),
        format!("已删除 {visit}（入户走访）\n")
    );
    assert_eq!(d.ok(&["list", "visit"]), "没有记录\n");
    let err = d.fails(&["edit", &visit, "--set", "purpose=x"], 2);
    assert!(err.contains("已删除"), "{err}");
    assert_eq!(
        d.json(&["show", &visit, "--json"])["record"]["deleted"],
        true
    );
}

#[test]
fn domain_actions_follow_the_status_machines() {
    let server = Server::start();
    let d = Device::new();
    d.login(&server, "li.officer");

    let dispute = d.new_record(&[
        "dispute",
        "--set",
        r#"parties=[{"name":"赵六"},{"name":"钱七"}]"#,
        "--set",
        "dispute_type=土地纠纷",
        "--set",
        "description=宅基地边界争议",
    ]);
    let err = d.fails(&["dispute", "move", &dispute, "resolved"], 2);
    assert!(err.contains("不能从“已登记”变为“已化解”"), "{err}");
    let out = d.ok(&[
        "dispute",
        "session",
        &dispute,
        "--notes",
        "双方到场，各自陈述",
        "--participant",
        "赵六",
        "--participant",
        "钱七",
        "--outcome",
        "同意再议",
    ]);
    assert_eq!(out, format!("已保存 {dispute}（矛盾纠纷），状态：调解中\n"));
    let err = d.fails(&["dispute", "move", &dispute, "resolved"], 2);
    assert!(err.contains("结果"), "resolving needs an outcome: {err}");
    let err = d.fails(&["dispute", "move", &dispute, "referred"], 2);
    assert!(err.contains("移交去向"), "{err}");
    let err = d.fails(&["dispute", "move", &dispute, "lost"], 2);
    assert!(err.contains("mediating"), "{err}");
    d.ok(&[
        "dispute",
        "move",
        &dispute,
        "已化解",
        "--outcome",
        "双方达成协议",
        "--agreement",
        "边界以老墙为准",
    ]);
    d.ok(&["dispute", "move", &dispute, "closed"]);
    d.fails(&["dispute", "move", &dispute, "mediating"], 2);
    let json = d.json(&["show", &dispute, "--json"]);
    let data = &json["record"]["data"];
    assert_eq!(data["status"], "closed");
    assert_eq!(
        data["sessions"][0]["participants"],
        serde_json::json!(["赵六", "钱七"])
    );
    assert_eq!(data["agreement"], "边界以老墙为准");
    let closed = d.ok(&["list", "dispute", "--status", "已结案"]);
    assert!(
        closed.contains(&dispute) && closed.contains("已结案"),
        "{closed}"
    );

    let hazard = d.new_record(&[
        "hazard",
        "--set",
        "description=电线裸露",
        "--set",
        "place=村东小卖部",
    ]);
    let err = d.fails(&["hazard", "clear", &hazard, "--note", "已更换"], 2);
    assert!(err.contains("待整改"), "{err}");
    d.ok(&[
        "hazard",
        "rectify",
        &hazard,
        "--note",
        "已通知店主",
        "--deadline",
        "2026-12-31",
    ]);
    let err = d.fails(&["hazard", "clear", &hazard], 2);
    assert!(err.contains("必填"), "clearing needs a note: {err}");
    let out = d.ok(&["hazard", "clear", &hazard, "--note", "已更换电线"]);
    assert!(out.contains("已清零"), "{out}");
    let err = d.fails(&["hazard", "clear", &dispute, "--note", "x"], 2);
    assert!(err.contains("不是隐患"), "{err}");

    // Tasks are given out by the chief (an officer's device refuses to, as the server does);
    // the officer completes them; only the chief cancels.
    let task_args = [
        "task",
        "--set",
        "assignee=li.officer",
        "--set",
        "action=return_visit",
        "--set",
        "due_at=2026-12-31 18:00",
        "--set",
        "instructions=回访赵六、钱七",
        "--set",
    ];
    let target = format!("target={dispute}");
    let mut own = vec!["new"];
    own.extend(task_args);
    own.push(&target);
    let err = d.fails(&own, 2);
    assert!(err.contains("只有所长和县局管理员可以派单"), "{err}");
    d.ok(&["sync"]);
    let chief = Device::new();
    chief.login(&server, "gucheng.chief");
    chief.ok(&["sync"]);
    let mut given: Vec<&str> = task_args.to_vec();
    given.extend([target.as_str(), "--village", "nanjie"]);
    let task = chief.new_record(&given);
    let other = chief.new_record(&[
        "task",
        "--village",
        "nanjie",
        "--set",
        "assignee=li.officer",
        "--set",
        "action=patrol",
        "--set",
        "due_at=2026-12-31 18:00",
    ]);
    chief.ok(&["sync"]);
    d.ok(&["sync"]);
    d.fails(
        &[
            "task",
            "done",
            &task,
            "--record",
            "01a222ec-f71f-718b-b965-c0a204246bce",
        ],
        2,
    );
    let out = d.ok(&["task", "done", &task, "--record", &dispute]);
    assert!(out.contains("已完成"), "{out}");
    let err = d.fails(&["task", "cancel", &other, "--reason", "重复"], 2);
    assert!(err.contains("承办人只能完成任务"), "{err}");
    let err = chief.fails(&["task", "cancel", &other], 2);
    assert!(err.contains("取消原因"), "{err}");
    chief.ok(&["task", "cancel", &other, "--reason", "所里另行安排"]);

    let patrol = d.new_record(&[
        "patrol",
        "--set",
        "area=南街主街",
        "--set",
        "started_at=2025-06-01 20:00",
    ]);
    d.ok(&[
        "patrol",
        "observe",
        &patrol,
        "--text",
        "路灯不亮",
        "--place",
        "村口",
        "--incident",
    ]);
    let out = d.ok(&["patrol", "end", &patrol]);
    assert!(out.contains("已结束"), "{out}");
    d.fails(&["patrol", "end", &patrol], 2);
    let json = d.json(&["show", &patrol, "--json"]);
    assert_eq!(
        json["record"]["data"]["observations"][0]["text"],
        "路灯不亮"
    );
    assert_eq!(json["record"]["data"]["observations"][0]["incident"], true);
    assert!(json["record"]["data"]["ended_at"].is_string());
}

#[test]
fn export_csv_and_xlsx_with_chinese_headers() {
    let server = Server::start();
    let (d, household, _) = officer_with_a_visit(&server);
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("户.csv");
    let out = d.ok(&[
        "export",
        "household",
        "--format",
        "csv",
        "--out",
        csv_path.to_str().unwrap(),
    ]);
    assert!(out.contains("已导出 1 条户籍家庭"), "{out}");
    let bytes = std::fs::read(&csv_path).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "CSV starts with a UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let csv = normalize(&text, &[(household.as_str(), "household")]);
    expect![[r#"
        编号,派出所,村,创建人,创建时间,更新时间,地址,成员,标签,备注
        <household>,固城派出所,南街村,li.officer,<now>,<now>,南街村三组12号,张三丰 11010519491231002X 13812345678 户主；李梅 配偶,留守老人、低保,
    "#]]
    .assert_eq(&csv.replace("\r\n", "\n"));
    assert!(text.ends_with("\r\n"));

    let xlsx_path = dir.path().join("visits.xlsx");
    d.ok(&[
        "export",
        "visit",
        "--format",
        "xlsx",
        "--out",
        xlsx_path.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&xlsx_path).unwrap();
    assert_eq!(&bytes[..4], b"PK\x03\x04", "an XLSX file is a zip archive");
    let names = String::from_utf8_lossy(&bytes);
    assert!(names.contains("xl/worksheets/sheet1.xml"));
    assert!(names.contains("xl/workbook.xml"));

    let en_path = dir.path().join("en.csv");
    d.ok(&[
        "--lang",
        "en",
        "export",
        "household",
        "--format",
        "csv",
        "--out",
        en_path.to_str().unwrap(),
    ]);
    let en = std::fs::read_to_string(&en_path).unwrap();
    assert!(
        en.starts_with("\u{feff}id,station,village,author,created,updated,address,members"),
        "{en}"
    );
    let err = d.fails(
        &[
            "export",
            "household",
            "--format",
            "csv",
            "--out",
            "/nonexistent/dir/x.csv",
        ],
        1,
    );
    assert!(err.contains("无法写入"), "{err}");
}

#[test]
fn an_encrypted_store_needs_its_key() {
    let server = Server::start();
    let d = Device::new();
    let mut login = d.cmd(&[
        "login",
        "--server",
        &server.url,
        "--username",
        "li.officer",
        "--password-stdin",
    ]);
    login.env("BEATBOOK_KEY", "四位数字不够，用长口令 2026");
    login.write_stdin(format!("{}\n", common::PASSWORD));
    assert_eq!(common::run(login).code, 0);
    let mut new = d.cmd(&["new", "household", "--set", "address=南街村一组1号"]);
    new.env("BEATBOOK_KEY", "四位数字不够，用长口令 2026");
    assert_eq!(common::run(new).code, 0);
    let err = d.fails(&["list", "household"], 3);
    assert!(err.contains("BEATBOOK_KEY"), "{err}");
    let mut wrong = d.cmd(&["list", "household"]);
    wrong.env("BEATBOOK_KEY", "wrong");
    assert_eq!(common::run(wrong).code, 3);
}
