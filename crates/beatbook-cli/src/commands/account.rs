//! Commands that talk to the server or about it: `login`, `sync`, `status`. Only login and
//! sync need the network; both go through the same sync crate as the app.

use crate::cli::LoginArgs;
use crate::commands::read::json_text;
use crate::error::{Exit, Failure, Result};
use crate::home::{Home, LAST_SYNC_META_KEY};
use crate::render::Places;
use beatbook_model::{format_local, Lang};
use beatbook_store::{ListQuery, Store};
use beatbook_sync::http::{enrol, HttpTransport};
use beatbook_sync::{Device, SyncError};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::io::{BufRead, IsTerminal};
use std::sync::Mutex;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::other("runtime", e.to_string(), e.to_string()))
}

fn password(from_stdin: bool) -> Result<String> {
    let stdin = std::io::stdin();
    let line = if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        rpassword::prompt_password("密码 / password: ")?
    };
    if line.is_empty() {
        return Err(Failure::bad_input(
            "no_password",
            "没有读到密码：请在提示时输入，或用 --password-stdin 从标准输入传入",
            "no password given: type it when asked, or pipe it with --password-stdin",
        ));
    }
    Ok(line)
}

/// Who is logged in, in one line: 李强（li.officer，社区民警）.
fn who(device: &Device, lang: Lang) -> String {
    let u = &device.user;
    match lang {
        Lang::Zh => format!(
            "{}（{}，{}）",
            u.display_name,
            u.username,
            u.assignment.role.label(lang)
        ),
        Lang::En => format!(
            "{} ({}, {})",
            u.display_name,
            u.username,
            u.assignment.role.label(lang)
        ),
    }
}

/// Where the user works, in one line.
fn scope_line(device: &Device, places: &Places, lang: Lang) -> String {
    let a = &device.user.assignment;
    let station = a.station.as_ref().map_or_else(
        || match lang {
            Lang::Zh => "全县".to_owned(),
            Lang::En => "whole county".to_owned(),
        },
        |s| places.station(s.as_str()),
    );
    let villages: Vec<String> = a
        .villages
        .iter()
        .map(|v| places.village(v.as_str()))
        .collect();
    if villages.is_empty() {
        station
    } else {
        format!(
            "{station} · {}",
            villages.join(if lang == Lang::Zh { "、" } else { ", " })
        )
    }
}

/// `beatbook login`.
pub fn login(home: &Home, args: LoginArgs) -> Result<String> {
    let server = args.server.trim();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(Failure::bad_input(
            "bad_server",
            format!("服务器地址应以 http:// 或 https:// 开头，而不是“{server}”"),
            format!("the server URL must start with http:// or https://, not \"{server}\""),
        ));
    }
    let password = password(args.password_stdin)?;
    let store = Mutex::new(home.open()?);
    let enrolled = runtime()?.block_on(enrol(
        &store,
        server,
        &args.username,
        &password,
        &args.device_name,
    ));
    let device = match enrolled {
        Ok(d) => d,
        Err(SyncError::Refused(body)) if body.code.as_str() == "bad_credentials" => {
            return Err(Failure::new(
                Exit::Auth,
                "bad_credentials",
                "账号或密码错误，请核对后重试",
                "wrong username or password; check them and try again",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let store = store
        .into_inner()
        .map_err(|_| Failure::other("lock", "本机数据被锁定", "the store lock was poisoned"))?;
    let places = Places::new(Device::county(&store)?);
    let lang = home.lang;
    Ok(match lang {
        Lang::Zh => format!(
            "已登录：{}\n辖区：{}\n服务器：{}\n下一步：运行 beatbook sync 取得辖区数据\n",
            who(&device, lang),
            scope_line(&device, &places, lang),
            device.server
        ),
        Lang::En => format!(
            "logged in: {}\nscope: {}\nserver: {}\nnext: run beatbook sync to fetch your scope\n",
            who(&device, lang),
            scope_line(&device, &places, lang),
            device.server
        ),
    })
}

/// Records on the device that hold conflicting values.
fn conflicted(store: &Store) -> Result<Vec<beatbook_store::Summary>> {
    let all = store.list(&ListQuery {
        limit: Some(usize::MAX >> 1),
        ..ListQuery::default()
    })?;
    Ok(all.into_iter().filter(|s| s.conflicts > 0).collect())
}

/// `beatbook sync`.
pub fn sync(home: &Home, as_json: bool) -> Result<String> {
    let s = home.session()?;
    let device = s.device;
    let places = s.places;
    let transport = HttpTransport::new(&device)?;
    // Until the server says how much is coming, the work known is what waits to be sent.
    let waiting = s.store.pending_count()?.max(1) as u64;
    let store = Mutex::new(s.store);
    let bar = (!as_json && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(waiting);
        bar.set_style(
            ProgressStyle::with_template("{spinner} 同步 / syncing [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let rt = runtime()?;
    let result = rt.block_on(beatbook_sync::run(&store, &device, &transport, |p| {
        if let Some(bar) = &bar {
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    }));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // The station's duty rules follow the records; their failure is reported, not fatal.
    let rules = match &result {
        Ok(_) => Some(rt.block_on(beatbook_station::duty::sync_rules(&store, &transport))),
        Err(_) => None,
    };
    // Records that arrived unreadable are reported for the admin; a failure waits for the
    // next sync.
    if result.is_ok() {
        let _ = rt.block_on(beatbook_sync::http::report_unreadable(&store, &transport));
    }
    let mut store = store
        .into_inner()
        .map_err(|_| Failure::other("lock", "本机数据被锁定", "the store lock was poisoned"))?;
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            let pending = store.pending_count().unwrap_or(0);
            let failure = Failure::from(e);
            return Err(if failure.exit == Exit::Offline {
                failure.with_hint(
                    &format!("本机有 {pending} 条更改待发送，没有丢失"),
                    &format!("{pending} changes wait on this device; nothing was lost"),
                )
            } else {
                failure
            });
        }
    };
    let conflicts = conflicted(&store)?;
    let pending = store.pending_count()?;
    if as_json {
        let mut v = serde_json::to_value(&summary)
            .map_err(|e| Failure::other("json", e.to_string(), e.to_string()))?;
        v["pending"] = json!(pending);
        v["conflicted_records"] = json!(conflicts.iter().map(|c| c.id).collect::<Vec<_>>());
        v["duty_rules"] = json!(rules);
        return json_text(&v);
    }
    let lang = home.lang;
    let pulled = summary.pulled_changes + summary.pulled_documents;
    let mut out = match lang {
        Lang::Zh => format!(
            "同步完成：发送 {} 条更改，收到 {} 条（{} 条记录有更新），冲突 {} 条\n",
            summary.pushed, pulled, summary.records_updated, summary.conflicts
        ),
        Lang::En => format!(
            "synced: pushed {} changes, pulled {} ({} records updated), {} conflicts\n",
            summary.pushed, pulled, summary.records_updated, summary.conflicts
        ),
    };
    if summary.set_aside > 0 {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "⚠ {} 条更改被服务器拒收，已另存在本机；运行 beatbook status 查看原因\n",
                summary.set_aside
            ),
            Lang::En => format!(
                "⚠ the server refused {} changes; they are kept on this device: run beatbook status for the reasons\n",
                summary.set_aside
            ),
        });
    }
    // Told once: records received that cannot be read, listed for good by `beatbook status`.
    let unreadable = store.take_unnotified_unreadable()?;
    if !unreadable.is_empty() {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "⚠ 收到 {} 条本机无法读取的记录，已原样保存并报告管理员；运行 beatbook status 查看\n",
                unreadable.len()
            ),
            Lang::En => format!(
                "⚠ {} records arrived that this device cannot read; they are kept as received and were reported to the admin: run beatbook status\n",
                unreadable.len()
            ),
        });
    }
    if let Some(rules) = &rules {
        out.push_str(&rules.line(lang));
    }
    if !conflicts.is_empty() {
        out.push_str(match lang {
            Lang::Zh => "⚠ 这些记录有冲突的值，请用 beatbook show 查看、beatbook resolve 选定：\n",
            Lang::En => "⚠ these records hold conflicting values; see them with beatbook show and settle with beatbook resolve:\n",
        });
        for c in &conflicts {
            out.push_str(&format!(
                "  {}  {} · {} · {}\n",
                c.id,
                c.kind.label(lang),
                places.village(c.scope.village.as_str()),
                c.title
            ));
        }
    }
    Ok(out)
}

/// `beatbook status`.
pub fn status(home: &Home, as_json: bool) -> Result<String> {
    let (store, device, places) = home.maybe_session()?;
    let pending = store.pending_count()?;
    let set_aside = store.set_aside_changes()?;
    let unreadable = store.unreadable()?;
    let last_sync: Option<DateTime<Utc>> = store
        .get_meta(LAST_SYNC_META_KEY)?
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.to_utc());
    if as_json {
        let v = json!({
            "home": home.dir,
            "logged_in": device.is_some(),
            "user": device.as_ref().map(|d| json!({
                "username": d.user.username,
                "display_name": d.user.display_name,
                "role": d.user.assignment.role,
                "station": d.user.assignment.station,
                "villages": d.user.assignment.villages,
            })),
            "server": device.as_ref().map(|d| d.server.clone()),
            "device_id": device.as_ref().map(|d| d.device_id.clone()),
            "token_expires_at": device.as_ref().map(|d| d.expires_at),
            "last_sync_at": last_sync,
            "pending": pending,
            "set_aside": set_aside.iter().map(|(id, code, message)| json!({
                "record": id, "code": code, "message": message,
            })).collect::<Vec<_>>(),
            "unreadable": unreadable.iter().map(|u| json!({
                "record": u.id, "author": u.author, "reason": u.reason,
                "first_seen": u.first_seen,
            })).collect::<Vec<_>>(),
        });
        return json_text(&v);
    }
    let lang = home.lang;
    let t = |zh: &'static str, en: &'static str| if lang == Lang::Zh { zh } else { en };
    let mut rows: Vec<(String, String)> = Vec::new();
    match &device {
        Some(d) => {
            rows.push((t("用户", "user").into(), who(d, lang)));
            rows.push((t("辖区", "scope").into(), scope_line(d, &places, lang)));
            rows.push((t("服务器", "server").into(), d.server.clone()));
            rows.push((
                t("登录有效期至", "login expires").into(),
                format_local(d.expires_at),
            ));
        }
        None => rows.push((
            t("用户", "user").into(),
            t(
                "未登录（运行 beatbook login）",
                "not logged in (run beatbook login)",
            )
            .into(),
        )),
    }
    rows.push((
        t("上次同步", "last sync").into(),
        last_sync.map_or_else(|| t("从未同步", "never").to_owned(), format_local),
    ));
    rows.push((
        t("待发送", "waiting to send").into(),
        match lang {
            Lang::Zh => format!("{pending} 条更改"),
            Lang::En => format!("{pending} changes"),
        },
    ));
    rows.push((
        t("数据目录", "data folder").into(),
        home.dir.display().to_string(),
    ));
    let w = rows
        .iter()
        .map(|(l, _)| unicode_width::UnicodeWidthStr::width(l.as_str()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (l, v) in &rows {
        let pad = " ".repeat(w - unicode_width::UnicodeWidthStr::width(l.as_str()) + 2);
        out.push_str(&format!("{l}{pad}{v}\n"));
    }
    if !set_aside.is_empty() {
        out.push_str(&match lang {
            Lang::Zh => format!("⚠ 被服务器拒收、另存在本机的更改：{} 条\n", set_aside.len()),
            Lang::En => format!(
                "⚠ changes the server refused, kept on this device: {}\n",
                set_aside.len()
            ),
        });
        for (id, code, message) in &set_aside {
            let (zh, en) = message.split_once(" / ").unwrap_or((message, message));
            let m = if lang == Lang::Zh { zh } else { en };
            out.push_str(&format!("  {id}  {code}: {m}\n"));
        }
    }
    if !unreadable.is_empty() {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "⚠ 无法读取的记录（已原样保存，不影响同步）：{} 条\n",
                unreadable.len()
            ),
            Lang::En => format!(
                "⚠ records this device cannot read (kept as received; sync goes on): {}\n",
                unreadable.len()
            ),
        });
        for u in &unreadable {
            let author = if u.author.is_empty() {
                t("未知", "unknown").to_owned()
            } else {
                u.author.escape_debug().to_string()
            };
            out.push_str(&format!(
                "  {}  {} {author} · {} {}\n",
                u.id,
                t("无法读取 · 记录人", "unreadable · by"),
                t("收到", "received"),
                format_local(u.first_seen)
            ));
        }
    }
    Ok(out)
}
