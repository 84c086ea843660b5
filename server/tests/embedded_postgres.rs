//! `zsk serve` with its own PostgreSQL: it starts a socket-only cluster in
//! its data folder, keeps the data across restarts, and starts again after
//! the server was killed with SIGKILL.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn start(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zsk"))
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "false",
            "--site-root",
            "/nonexistent",
        ])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start zsk");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (child, url)
}

async fn health(url: &str) -> serde_json::Value {
    reqwest::get(format!("{url}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn postgres_listens_on_tcp(data_dir: &std::path::Path) -> bool {
    let conf = std::fs::read_to_string(data_dir.join("pgdata/postmaster.pid")).unwrap_or_default();
    // Line 6 of postmaster.pid is the listen address; empty for socket-only.
    conf.lines().nth(5).is_some_and(|l| !l.trim().is_empty())
}

#[tokio::test]
async fn survives_restart_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    let (mut first, url) = start(dir.path());
    assert_eq!(health(&url).await["datenbank"], "ok");
    assert!(!postgres_listens_on_tcp(dir.path()), "socket only");
    // SAFETY: terminating our own child.
    unsafe { libc::kill(first.id() as i32, libc::SIGTERM) };
    first.wait().unwrap();

    let (mut second, url) = start(dir.path());
    assert_eq!(health(&url).await["datenbank"], "ok");
    second.kill().unwrap(); // SIGKILL
    second.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (mut third, url) = start(dir.path());
    assert_eq!(health(&url).await["datenbank"], "ok");
    // SAFETY: terminating our own child.
    unsafe { libc::kill(third.id() as i32, libc::SIGTERM) };
    third.wait().unwrap();
}
