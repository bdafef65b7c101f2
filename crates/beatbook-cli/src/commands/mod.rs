//! One function per subcommand. Each returns what it prints on standard output, or a
//! [`crate::error::Failure`] that becomes a message on standard error and an exit code.

pub mod account;
pub mod dossier;
pub mod export;
pub mod read;
pub mod review;
pub mod station;
pub mod write;

use crate::cli::Command;
use crate::error::Result;
use crate::home::Home;

/// Runs `command`.
pub fn run(home: &Home, command: Command) -> Result<String> {
    match command {
        Command::Login(args) => account::login(home, args),
        Command::New(args) => write::new(home, args),
        Command::Edit(args) => write::edit(home, args),
        Command::Delete { id } => write::delete(home, &id),
        Command::Show { id, json } => read::show(home, &id, json),
        Command::List(args) => read::list(home, args),
        Command::Search { text, limit, json } => read::search(home, &text, limit, json),
        Command::Resolve { id, field, value } => write::resolve(home, &id, &field, &value),
        Command::Fields { kind, json } => read::fields_of(home, &kind, json),
        Command::Sync { json } => account::sync(home, json),
        Command::Status { json } => account::status(home, json),
        Command::Export(args) => export::export(home, args),
        Command::Dispute(cmd) => write::dispute(home, cmd),
        Command::Hazard(cmd) => write::hazard(home, cmd),
        Command::Task(cmd) => write::task(home, cmd),
        Command::Patrol(cmd) => write::patrol(home, cmd),
        Command::Duty(cmd) => station::duty(home, cmd),
        Command::Board(args) => station::board_cmd(home, args),
        Command::Assess(args) => station::assess_cmd(home, args),
        Command::Review { id, comment } => review::review(home, &id, &comment),
        Command::Dossier(args) => dossier::dossier(home, args),
    }
}
