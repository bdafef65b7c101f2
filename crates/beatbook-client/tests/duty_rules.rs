//! Station duty rules synced through a real server on 127.0.0.1:0, between real store files: a
//! chief adds a rule offline and it reaches a second chief's device, an officer's device and
//! the app's sync; removals follow; an officer's op is refused (403) and set aside while the
//! rules stay as they were; the same op twice, or a put after its removal, converges; a bad
//! rule is refused with the model's message; a queued op survives a failed exchange (server
//! unreachable) and goes through on the next.

mod common;

use beatbook_model::{DutyRule, RecordId};
use beatbook_station::duty::{self, DutyRuleOp, RuleBook, RULES_META_KEY};
use beatbook_store::Store;
use beatbook_sync::http::{enrol, HttpTransport};
use beatbook_sync::{Device, SyncError};
use common::server;
use std::collections::HashMap;
use std::sync::Mutex;

/// A handset without a window: a real store file, enrolled with the server.
struct Handset {
    store: Mutex<Store>,
    device: Device,
    _dir: tempfile::TempDir,
}

impl Handset {
    async fn new(url: &str, accounts: &HashMap<String, String>, user: &str) -> Handset {
        let dir = tempfile::tempdir().unwrap();
        let store = Mutex::new(Store::open(dir.path().join("store.db"), None).unwrap());
        let device = enrol(&store, url, user, &accounts[user], "警务通-test")
            .await
            .unwrap();
        Handset {
            store,
            device,
            _dir: dir,
        }
    }

    fn transport(&self) -> HttpTransport {
        HttpTransport::new(&self.device).unwrap()
    }

    async fn exchange(&self) -> Result<duty::Exchanged, SyncError> {
        duty::exchange(&self.store, &self.transport()).await
    }

    fn book(&self) -> RuleBook {
        RuleBook::load(&self.store.lock().unwrap()).unwrap()
    }

    fn ids(&self) -> Vec<RecordId> {
        self.book().rules.iter().map(|r| r.id).collect()
    }

    fn add(&self, rule: &DutyRule) {
        RuleBook::add(&mut self.store.lock().unwrap(), rule.clone()).unwrap();
    }

    fn remove(&self, rule: &DutyRule) {
        RuleBook::remove(&mut self.store.lock().unwrap(), &rule.id.to_string()).unwrap();
    }

    /// Queues `ops` as they are, past the device's own checks (as an old or hostile client
    /// would send them).
    fn queue_raw(&self, ops: Vec<DutyRuleOp>) {
        let mut book = self.book();
        book.pending.extend(ops);
        let json = serde_json::to_string(&book).unwrap();
        self.store
            .lock()
            .unwrap()
            .set_meta(RULES_META_KEY, &json)
            .unwrap();
    }
}

fn rule(name: &str) -> DutyRule {
    DutyRule::sample(name, "gucheng")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_made_offline_reaches_every_device_of_the_station_and_so_does_its_removal() {
    let (url, accounts, _server_dir) = server().await;
    let chief = Handset::new(&url, &accounts, "gucheng.chief").await;
    // The chief's second (or re-enrolled) device, the county and an officer.
    let again = Handset::new(&url, &accounts, "gucheng.chief").await;
    let admin = Handset::new(&url, &accounts, "admin").await;
    let officer = Handset::new(&url, &accounts, "gucheng.officer1").await;

    let r = rule("重点人员每周核查");
    chief.add(&r);
    // Offline the rule is usable at once and waits to be sent.
    assert_eq!(chief.ids(), vec![r.id]);
    assert!(chief.book().waiting(r.id));
    assert!(again.exchange().await.unwrap().rules == 0);

    let done = chief.exchange().await.unwrap();
    assert_eq!((done.sent, done.rules), (1, 1));
    assert!(!chief.book().waiting(r.id));
    for h in [&again, &admin, &officer] {
        h.exchange().await.unwrap();
        assert_eq!(h.book().rules, vec![r.clone()]);
    }

    // Removed on the second device: gone everywhere after each one's exchange.
    again.remove(&r);
    assert!(again.ids().is_empty());
    assert_eq!(again.exchange().await.unwrap().sent, 1);
    for h in [&chief, &admin, &officer] {
        h.exchange().await.unwrap();
        assert!(h.ids().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officers_op_is_refused_and_set_aside_and_changes_nothing() {
    let (url, accounts, _server_dir) = server().await;
    let chief = Handset::new(&url, &accounts, "gucheng.chief").await;
    let officer = Handset::new(&url, &accounts, "gucheng.officer1").await;
    let kept = rule("每周核查");
    chief.add(&kept);
    chief.exchange().await.unwrap();

    let sneaky = rule("私加规则");
    officer.queue_raw(vec![
        DutyRuleOp::Put(sneaky.clone()),
        DutyRuleOp::Remove {
            id: kept.id,
            station: kept.station.clone(),
        },
    ]);
    let done = officer.exchange().await.unwrap();
    assert_eq!(done.sent, 0);
    assert_eq!(done.refused.len(), 2);
    assert!(done.refused.iter().all(|r| r.code == "forbidden"));
    assert!(done.refused[0]
        .message
        .contains("只有本所所长和县局管理员可以设置值勤规则"));
    let book = officer.book();
    assert!(book.pending.is_empty());
    assert_eq!(book.refused.len(), 2);
    // The officer's device shows the station's rules, the server's: unchanged.
    assert_eq!(book.rules, vec![kept.clone()]);
    chief.exchange().await.unwrap();
    assert_eq!(chief.ids(), vec![kept.id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicated_and_reordered_ops_converge_and_a_bad_rule_is_set_aside_alone() {
    let (url, accounts, _server_dir) = server().await;
    let chief = Handset::new(&url, &accounts, "gucheng.chief").await;
    let admin = Handset::new(&url, &accounts, "admin").await;
    let a = rule("甲");
    let b = rule("乙");

    // The same put twice (a retry whose answer was lost), and a removal of b that reaches
    // the server before b itself.
    chief.queue_raw(vec![DutyRuleOp::Put(a.clone()), DutyRuleOp::Put(a.clone())]);
    admin.queue_raw(vec![DutyRuleOp::Remove {
        id: b.id,
        station: b.station.clone(),
    }]);
    admin.exchange().await.unwrap();
    chief.add(&b);
    assert_eq!(chief.exchange().await.unwrap().sent, 3);
    assert_eq!(chief.ids(), vec![a.id], "b stays removed");
    admin.exchange().await.unwrap();
    assert_eq!(admin.ids(), vec![a.id]);

    // A bad rule among good ones: only it is refused, with the model's message.
    let bad = DutyRule {
        every_days: 0,
        ..rule("坏规则")
    };
    let c = rule("丙");
    chief.queue_raw(vec![DutyRuleOp::Put(bad.clone())]);
    chief.add(&c);
    let done = chief.exchange().await.unwrap();
    assert_eq!(done.sent, 1);
    assert_eq!(done.refused.len(), 1);
    assert_eq!(done.refused[0].op.id(), bad.id);
    assert_eq!(done.refused[0].code, "bad_request");
    assert!(
        done.refused[0].message.contains("周期须在 1 到 366 天之间")
            && done.refused[0]
                .message
                .contains("the period must be 1 to 366 days"),
        "{}",
        done.refused[0].message
    );
    assert_eq!(chief.ids(), vec![a.id, c.id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queued_op_survives_an_unreachable_server_and_goes_through_next_time() {
    let (url, accounts, _server_dir) = server().await;
    let chief = Handset::new(&url, &accounts, "gucheng.chief").await;
    let r = rule("每周核查");
    chief.add(&r);

    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut unreachable: Device = chief.device.clone();
    unreachable.server = dead;
    let err = duty::exchange(&chief.store, &HttpTransport::new(&unreachable).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "offline");
    let book = chief.book();
    assert_eq!(book.pending, vec![DutyRuleOp::Put(r.clone())]);
    assert_eq!(book.rules, vec![r.clone()]);

    assert_eq!(chief.exchange().await.unwrap().sent, 1);
    assert!(chief.book().pending.is_empty());
    let other = Handset::new(&url, &accounts, "gucheng.chief").await;
    other.exchange().await.unwrap();
    assert_eq!(other.ids(), vec![r.id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_apps_sync_brings_the_rules_and_reports_them() {
    let (url, accounts, _server_dir) = server().await;
    let chief = Handset::new(&url, &accounts, "gucheng.chief").await;
    let r = rule("每周核查");
    chief.add(&r);
    chief.exchange().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let app = common::enrolled(&url, &accounts, "gucheng.officer1", dir.path()).await;
    let report = app.sync(|_| {}).await.unwrap();
    assert_eq!(report.duty_rules.error, None);
    assert_eq!(report.duty_rules.exchanged.rules, 1);
    assert_eq!(report.duty_rules.waiting, 0);
    assert!(report
        .duty_rules
        .line(beatbook_model::Lang::Zh)
        .contains("本机现有 1 条规则"));
}
