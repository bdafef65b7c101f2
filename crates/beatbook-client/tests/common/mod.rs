//! The shared start of the app-core tests: a real server on 127.0.0.1:0 over a seeded demo
//! county, serving until the test ends, and app cores enrolled with it.

use std::collections::HashMap;

use beatbook_server::{AppState, ServerConfig};

/// Starts the server; answers its URL, every demo account's password by username, and the
/// directory holding its data (keep it alive for the test).
pub async fn server() -> (String, HashMap<String, String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::open(ServerConfig::new(dir.path().join("data"))).unwrap();
    let accounts = state
        .seed_demo()
        .unwrap()
        .credentials
        .into_iter()
        .map(|(user, password, _, _)| (user, password))
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(beatbook_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    (url, accounts, dir)
}

/// An app core keeping its store in `dir`, enrolled as the demo account `user` with the PIN
/// 246810.
#[allow(dead_code)] // client.rs enrols by hand: it tests enrolment itself.
pub async fn enrolled(
    url: &str,
    accounts: &HashMap<String, String>,
    user: &str,
    dir: &std::path::Path,
) -> beatbook_client::Client {
    let client = beatbook_client::Client::new(dir);
    client
        .enrol(url, user, &accounts[user], "246810")
        .await
        .unwrap();
    client
}
