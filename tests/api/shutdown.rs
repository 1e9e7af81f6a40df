//! SIGTERM drains within the configured grace period, whatever requests are in flight:
//! the real binary, as a child process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::spawn_app;
use crate::limits::fragment_bomb;

const GRACE_SECS: u64 = 2;
/// A `graphql.max_selections` far above the fragment bomb's expanded size.
const UNCHECKED_SELECTIONS: &str = "1000000000000000";

/// `agencyflow serve` on a free port; returns the child and its address.
fn serve(database_url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database", database_url])
        .env("AGENCYFLOW_ENV", "test")
        .env(
            "AGENCYFLOW_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env(
            "AGENCYFLOW__SERVER__SHUTDOWN_GRACE_SECS",
            GRACE_SECS.to_string(),
        )
        // Lets the fragment bomb past the document check, into async-graphql's own
        // validation, which expands it without yielding: a worker pinned for minutes.
        .env("AGENCYFLOW__GRAPHQL__MAX_SELECTIONS", UNCHECKED_SELECTIONS)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start agencyflow serve");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("agencyflow listening on http://")
                .and_then(|rest| rest.split_once("/graphql"))
                .map(|(addr, _)| addr.to_owned())
        })
        .expect("the server says where it listens");
    (child, addr)
}

/// Headers, then a body that never completes: a request in flight until it is cut off.
async fn trickling_request(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = "POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"query\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_within_the_grace_period_whatever_is_in_flight() {
    let app = spawn_app().await;
    let (mut child, addr) = serve(&app.database_url);
    let mut trickle = trickling_request(&addr).await;
    let bomb = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", app.admin_token))
        .body(json!({ "query": fragment_bomb() }).to_string())
        .send();
    let bomb = tokio::spawn(bomb);
    // Let both requests reach the server, and keep the first one trickling. The bomb
    // computes without yielding from then on; the request timeout answers for it, but
    // its task keeps the worker until the process ends.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trickle.write_all(b" ").await.unwrap();
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let signalled = Instant::now();
    let limit = Duration::from_secs(GRACE_SECS + 3);
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if signalled.elapsed() > limit {
            break None;
        }
        // Writes may fail once the server has closed the connection.
        let _ = trickle.write_all(b" ").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if exited.is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    bomb.abort();
    assert!(
        exited.is_some(),
        "still running {limit:?} after SIGTERM with a {GRACE_SECS} s grace period"
    );
}
