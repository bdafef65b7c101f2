//! The `beatbook` command: the same store and sync client as the app, without a window, for
//! admins, trainers, integrators, scripts and simulations. Everything works offline except
//! `login` and `sync`. Messages are Chinese by default (`--lang en` for English); exit codes
//! tell scripts what happened (see [`error::Exit`]).

pub mod cli;
pub mod commands;
pub mod error;
pub mod fields;
pub mod home;
pub mod render;
pub mod table;
pub mod values;

use beatbook_model::Lang;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// Whether the command asked for JSON output (errors then come as JSON too).
fn wants_json(command: &cli::Command) -> bool {
    use cli::Command as C;
    matches!(
        command,
        C::Show { json: true, .. }
            | C::Search { json: true, .. }
            | C::Fields { json: true, .. }
            | C::Sync { json: true }
            | C::Status { json: true }
    ) || matches!(command, C::List(a) if a.json)
        || matches!(command, C::Assess(a) if a.json)
        || matches!(command, C::Board(a) if a.json)
        || matches!(
            command,
            C::Duty(commands::station::DutyCommand::List { json: true })
        )
}

/// What a command prints, with record text unable to act on the terminal: control and
/// bidirectional characters shown escaped (JSON stays the same JSON value).
fn safe_to_print(text: &str, json: bool) -> std::borrow::Cow<'_, str> {
    if json {
        render::terminal_json(text)
    } else {
        render::terminal(text)
    }
}

/// Parses the command line, runs the command, prints, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let lang = match cli.lang {
        cli::LangArg::Zh => Lang::Zh,
        cli::LangArg::En => Lang::En,
    };
    let json = wants_json(&cli.command);
    let home = home::Home::new(cli.home, lang);
    match commands::run(&home, cli.command) {
        Ok(out) => {
            let out = safe_to_print(&out, json);
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(out.as_bytes());
            let _ = stdout.flush();
            ExitCode::SUCCESS
        }
        Err(failure) => {
            let mut stderr = std::io::stderr().lock();
            let text = if json {
                serde_json::json!({
                    "code": failure.code,
                    "message": failure.message(lang),
                    "exit": failure.exit as u8,
                })
                .to_string()
            } else {
                let prefix = if lang == Lang::Zh { "错误" } else { "error" };
                format!("{prefix}：{}", failure.message(lang)).replace("error：", "error: ")
            };
            let _ = writeln!(stderr, "{}", safe_to_print(&text, json));
            ExitCode::from(failure.exit as u8)
        }
    }
}
