//! Behaviour of the sync server through its HTTP API: a real SQLite database in a temporary
//! directory, requests through the router, real Automerge changes signed with device keys.

mod admin;
mod auth;
mod duty;
mod enrol;
mod harness;
mod judged;
mod pull;
mod push;
