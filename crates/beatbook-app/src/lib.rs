//! The Tauri shell of the 一村一警 field app. Each command is one call into
//! [`beatbook_client::Client`]; errors cross IPC as `{code, message, fields}`. The same crate
//! builds the desktop binary and, through the mobile entry point, Android and iOS.

use beatbook_client::types::*;
use beatbook_client::Client;
use serde_json::Value as Json;
use tauri::{Emitter, Manager, State};

type Res<T> = Result<T, AppError>;

/// Where the app keeps its store: `BEATBOOK_APP_DATA` if set (tests run two instances side by
/// side), else the platform's app data folder.
fn data_dir(app: &tauri::App) -> std::path::PathBuf {
    match std::env::var_os("BEATBOOK_APP_DATA") {
        Some(dir) => dir.into(),
        None => app
            .path()
            .app_data_dir()
            .unwrap_or_else(|_| std::env::temp_dir().join("beatbook-app")),
    }
}

/// What the enrol screen suggests: the server address from `BEATBOOK_SERVER`, if set.
#[tauri::command]
fn default_server() -> String {
    std::env::var("BEATBOOK_SERVER").unwrap_or_default()
}

#[tauri::command]
fn set_lang(client: State<'_, Client>, lang: String) {
    client.set_lang(&lang)
}

#[tauri::command]
fn launch_state(client: State<'_, Client>) -> LaunchState {
    client.launch_state()
}

#[tauri::command]
fn unlock(client: State<'_, Client>, pin: String) -> Res<LaunchState> {
    client.unlock(&pin)
}

#[tauri::command]
fn lock(client: State<'_, Client>) {
    client.lock()
}

#[tauri::command]
async fn enrol(
    client: State<'_, Client>,
    server: String,
    username: String,
    password: String,
    pin: String,
) -> Res<LaunchState> {
    client.enrol(&server, &username, &password, &pin).await
}

#[tauri::command]
async fn sync_now(app: tauri::AppHandle, client: State<'_, Client>) -> Res<SyncReport> {
    client
        .sync(|p| {
            let _ = app.emit("sync-progress", p);
        })
        .await
}

#[tauri::command]
fn sync_state(client: State<'_, Client>) -> Res<SyncState> {
    client.sync_state()
}

#[tauri::command]
fn unreadable(client: State<'_, Client>) -> Res<Vec<UnreadableView>> {
    client.unreadable()
}

#[tauri::command]
fn catalog(client: State<'_, Client>) -> Catalog {
    client.catalog()
}

#[tauri::command]
fn home(client: State<'_, Client>) -> Res<Home> {
    client.home()
}

#[tauri::command]
fn list(client: State<'_, Client>, filter: Filter) -> Res<Vec<Item>> {
    client.list(filter)
}

#[tauri::command]
fn search(client: State<'_, Client>, text: String, kind: Option<String>) -> Res<Vec<Item>> {
    client.search(&text, kind)
}

#[tauri::command]
fn record(client: State<'_, Client>, id: String) -> Res<RecordView> {
    client.record(&id)
}

#[tauri::command]
fn related(client: State<'_, Client>, id: String) -> Res<Vec<Item>> {
    client.related(&id)
}

#[tauri::command]
fn dossier(client: State<'_, Client>, id: String) -> Res<Dossier> {
    client.dossier(&id)
}

#[tauri::command]
fn dossier_html(client: State<'_, Client>, id: String) -> Res<String> {
    client.dossier_html(&id)
}

#[tauri::command]
fn export_dossier(
    client: State<'_, Client>,
    id: String,
    format: String,
    path: String,
) -> Res<String> {
    client.export_dossier(&id, &format, &path)
}

#[tauri::command]
fn review(client: State<'_, Client>, filter: Filter) -> Res<Review> {
    client.review(filter)
}

#[tauri::command]
fn check(client: State<'_, Client>, kind: String, data: Json) -> Res<Vec<FieldProblem>> {
    client.check(&kind, data)
}

#[tauri::command]
fn create(
    client: State<'_, Client>,
    kind: String,
    village: Option<String>,
    data: Json,
) -> Res<RecordView> {
    client.create(&kind, village, data)
}

#[tauri::command]
fn update(client: State<'_, Client>, id: String, data: Json) -> Res<RecordView> {
    client.update(&id, data)
}

#[tauri::command]
fn delete(client: State<'_, Client>, id: String) -> Res<()> {
    client.delete(&id)
}

#[tauri::command]
fn resolve(client: State<'_, Client>, id: String, path: String, value: Json) -> Res<RecordView> {
    client.resolve(&id, &path, value)
}

#[tauri::command]
fn colleagues(client: State<'_, Client>) -> Res<Vec<String>> {
    client.colleagues()
}

#[tauri::command]
fn mark_reviewed(client: State<'_, Client>, id: String, comment: String) -> Res<RecordView> {
    client.mark_reviewed(&id, &comment)
}

#[tauri::command]
fn board(client: State<'_, Client>) -> Res<beatbook_client::station::BoardView> {
    client.board()
}

#[tauri::command]
fn assess(
    client: State<'_, Client>,
    from: String,
    to: String,
    by: String,
) -> Res<beatbook_client::station::AssessView> {
    client.assess(&from, &to, &by)
}

#[tauri::command]
fn export_assessment(
    client: State<'_, Client>,
    from: String,
    to: String,
    by: String,
    path: String,
) -> Res<String> {
    client.export_assessment(&from, &to, &by, &path)
}

#[tauri::command]
fn export_dir(client: State<'_, Client>) -> String {
    client.export_dir()
}

#[tauri::command]
fn staff(client: State<'_, Client>) -> Res<Vec<beatbook_client::station::StaffView>> {
    client.staff()
}

#[tauri::command]
fn dispatch_actions(client: State<'_, Client>) -> Vec<beatbook_client::station::ActionChoice> {
    client.dispatch_actions()
}

#[tauri::command]
fn bulk_dispatch(
    client: State<'_, Client>,
    order: beatbook_client::station::BulkInput,
) -> Res<beatbook_client::station::BulkResult> {
    client.bulk_dispatch(order)
}

#[tauri::command]
fn duty_rules(client: State<'_, Client>) -> Res<beatbook_client::station::DutyRulesView> {
    client.duty_rules()
}

#[tauri::command]
fn add_duty_rule(
    client: State<'_, Client>,
    rule: beatbook_client::station::DutyRuleInput,
) -> Res<beatbook_client::station::DutyRulesView> {
    client.add_duty_rule(rule)
}

#[tauri::command]
fn remove_duty_rule(
    client: State<'_, Client>,
    id: String,
) -> Res<beatbook_client::station::DutyRulesView> {
    client.remove_duty_rule(&id)
}

#[tauri::command]
fn run_duty_rules(client: State<'_, Client>) -> Res<beatbook_client::station::DutyRunView> {
    client.run_duty_rules()
}

/// Builds and runs the app.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .setup(|app| {
            let dir = data_dir(app);
            let client = Client::new(&dir);
            // The data folder is private (0700): made so, or tightened and said so. A folder
            // that cannot be made is reported again, to the user, at login.
            match client.prepare_data_dir() {
                Ok(Some(mode)) => eprintln!(
                    "警告：数据目录 {d} 的权限是 {mode:04o}，其他用户可以访问，已改为 0700 / \
                     warning: the data folder {d} was open to other users (mode {mode:04o}); \
                     it is now 0700",
                    d = dir.display()
                ),
                Ok(None) => {}
                Err(e) => eprintln!(
                    "无法创建数据目录 {d}：{e} / cannot create the data folder {d}: {e}",
                    d = dir.display()
                ),
            }
            app.manage(client);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            default_server,
            set_lang,
            launch_state,
            unlock,
            lock,
            enrol,
            sync_now,
            sync_state,
            unreadable,
            catalog,
            home,
            list,
            search,
            record,
            related,
            dossier,
            dossier_html,
            export_dossier,
            review,
            check,
            create,
            update,
            delete,
            resolve,
            mark_reviewed,
            colleagues,
            board,
            assess,
            export_assessment,
            export_dir,
            staff,
            dispatch_actions,
            bulk_dispatch,
            duty_rules,
            add_duty_rule,
            remove_duty_rule,
            run_duty_rules,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the beatbook app");
}
