//! What operators see: request ids, log lines, readiness, and a database that drops its
//! connections.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::{ConnectionTrait, Database};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::helpers::{TestApp, answer, listening_address, spawn_app, spawn_app_with};

/// Terminates every connection the server holds to its PostgreSQL test database, as a
/// database restart or failover does.
async fn drop_server_connections(database_url: &str) {
    let admin_url = std::env::var("TEST_DATABASE_URL").expect("a PostgreSQL test run");
    let name = database_url
        .split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
        .expect("a database name");
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// The pool pings an idle connection before handing it out, so the connections the
/// database terminated while idle are replaced unseen; the next test covers the one the
/// ping cannot catch.
#[tokio::test]
async fn connections_the_database_terminated_cost_no_request() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        return;
    }
    app.admin("{ me { role } }", json!({})).await.data();
    drop_server_connections(&app.database_url).await;
    let me = app.admin("{ me { role } }", json!({})).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.data()["me"]["role"], "ADMIN");
}

/// PostgreSQL's `Sync` message, which is all the pool's liveness ping sends.
const SYNC: [u8; 5] = [b'S', 0, 0, 0, 4];

/// A TCP proxy to the PostgreSQL test server that, once armed, lets a connection's next
/// ping through and then cuts that connection at its next message: the database dropping
/// a connection between the pool's check and the query, which the ping cannot catch. Once
/// stopped, it closes every connection and refuses new ones: a database that went away.
struct CuttingProxy {
    addr: SocketAddr,
    armed: Arc<AtomicBool>,
    accepting: JoinHandle<()>,
}

impl CuttingProxy {
    /// A proxy to the server of `TEST_DATABASE_URL`, or `None` when the tests do not run on
    /// PostgreSQL over TCP.
    async fn to_test_server() -> Option<Self> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
        let upstream = reqwest::Url::parse(&admin_url).ok()?;
        if admin_url.contains("host=") {
            return None; // a Unix socket: nothing to put a TCP proxy in front of
        }
        let upstream = format!(
            "{}:{}",
            upstream.host_str()?,
            upstream.port().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let armed = Arc::new(AtomicBool::new(false));
        let trigger = armed.clone();
        let accepting = tokio::spawn(async move {
            // Dropped with this task when the proxy stops, which aborts every pump.
            let mut pumps = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                pumps.spawn(Self::pump(client, server, trigger.clone()));
            }
        });
        Some(Self {
            addr,
            armed,
            accepting,
        })
    }

    async fn pump(client: TcpStream, server: TcpStream, armed: Arc<AtomicBool>) {
        let (mut from_client, mut to_client) = client.into_split();
        let (mut from_server, mut to_server) = server.into_split();
        let answers = tokio::io::copy(&mut from_server, &mut to_client);
        let requests = async {
            let mut buffer = vec![0; 64 * 1024];
            let mut pinged = false;
            loop {
                let read = match from_client.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => read,
                };
                if pinged {
                    break;
                }
                pinged = buffer[..read] == SYNC && armed.swap(false, Ordering::SeqCst);
                if to_server.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            _ = answers => {}
            () = requests => {}
        }
    }

    /// Closes every connection through the proxy, and its port: new connections are refused.
    async fn stop(self) {
        self.accepting.abort();
        let _ = self.accepting.await;
    }

    /// An app whose database connections all go through the proxy.
    async fn spawn_app(&self) -> TestApp {
        spawn_app_with(|settings| {
            let mut url = reqwest::Url::parse(settings.database.url.expose_secret()).unwrap();
            url.set_host(Some("127.0.0.1")).unwrap();
            url.set_port(Some(self.addr.port())).unwrap();
            // In clear text, so the proxy can tell the ping from a query.
            url.query_pairs_mut().append_pair("sslmode", "disable");
            settings.database.url = url.to_string().into();
        })
        .await
    }
}

#[tokio::test]
async fn a_connection_dropped_after_the_pools_check_is_retried_for_the_token_lookup() {
    let Some(proxy) = CuttingProxy::to_test_server().await else {
        return;
    };
    let app = proxy.spawn_app().await;
    app.admin("{ me { role } }", json!({})).await.data();
    // The token's last use is written in the background: let it finish first.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    proxy.armed.store(true, Ordering::SeqCst);
    let me = app.admin("{ me { role } }", json!({})).await;
    assert!(!proxy.armed.load(Ordering::SeqCst), "no ping went through");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.data()["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn a_caller_request_id_is_kept_only_when_short_and_plain() {
    let app = spawn_app().await;
    let id_for = async |sent: &str| {
        let response = app
            .client
            .get(format!("{}/healthz", app.base))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(id_for("trace-me.42_A").await, "trace-me.42_A");
    let fit = "a".repeat(64);
    assert_eq!(id_for(&fit).await, fit);
    for unfit in [
        "x".repeat(10_000),
        "a".repeat(65),
        "two words".into(),
        "a;b".into(),
    ] {
        let given = id_for(&unfit).await;
        assert_ne!(given, unfit);
        assert!(
            given.len() <= 64 && !given.is_empty(),
            "a generated id, not {} bytes",
            given.len()
        );
    }
}

#[tokio::test]
async fn readiness_says_why_it_is_not_ready() {
    let app = spawn_app().await;
    let (ready, body) = readiness(&app).await;
    assert_eq!(ready, 200, "{body}");
    assert_eq!(body["status"], "ready");

    app.db.close_by_ref().await.unwrap();
    let (refused, body) = readiness(&app).await;
    assert_eq!(refused, 503, "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("pool is closed"), "{reason}");
}

/// `GET /readyz`: its status code and body.
async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The service cannot start without its database (it seeds its job table), so it starts
/// through a proxy that then goes away: its pooled connections close and new ones are
/// refused. PostgreSQL only: SQLite has no connection to refuse.
#[tokio::test]
async fn readiness_says_the_database_refused_the_connection() {
    let Some(proxy) = CuttingProxy::to_test_server().await else {
        return;
    };
    let app = proxy.spawn_app().await;
    proxy.stop().await;
    let (refused, body) = readiness(&app).await;
    assert_eq!(refused, 503, "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("refused the connection"),
        "not a timeout: {reason}"
    );
}

/// Serves the database at `database_url` from the binary, logging in `format`, and
/// returns the process with the address it listens on.
async fn serve(database_url: &str, format: &str) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database", database_url])
        .env("AGENCYFLOW_ENV", "test")
        .env(
            "AGENCYFLOW_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("AGENCYFLOW__LOG__FORMAT", format)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = listening_address(&mut child).await;
    (child, address)
}

/// Asks the server at `address` for agencies as `token`, under the request id `id`, and
/// expects an INTERNAL error quoting that id.
async fn fail_internally(address: &str, token: &str, id: &str) {
    let response = reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("x-request-id", id)
        .body(json!({ "query": "{ agencies(first: 1) { edges { node { id } } } }" }).to_string())
        .send()
        .await
        .unwrap();
    let failed = answer(response).await;
    assert_eq!(failed.code(), Some("INTERNAL"), "{}", failed.body);
    assert_eq!(failed.body["errors"][0]["extensions"]["requestId"], id);
}

/// What the process wrote to stderr until now; it is stopped.
async fn stderr_of(mut child: tokio::process::Child) -> String {
    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    String::from_utf8(output.stderr).unwrap()
}

/// Makes every write of a token's last use fail, so the background task that records it
/// logs a warning.
async fn refuse_token_uses(app: &TestApp) {
    let statements: &[&str] = if app.database_url.starts_with("postgres") {
        &[
            "CREATE FUNCTION refuse_token_use() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'token uses are refused'; END $$",
            "CREATE TRIGGER refuse_token_use BEFORE UPDATE OF last_used_at ON api_tokens \
             FOR EACH ROW EXECUTE FUNCTION refuse_token_use()",
        ]
    } else {
        &[
            "CREATE TRIGGER refuse_token_use BEFORE UPDATE OF last_used_at ON api_tokens \
           BEGIN SELECT RAISE(ABORT, 'token uses are refused'); END",
        ]
    };
    for statement in statements {
        app.db.execute_unprepared(statement).await.unwrap();
    }
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_id_in_json_and_pretty_logs() {
    let app = spawn_app().await;
    // A column the service reads is gone: its queries fail as INTERNAL errors.
    app.db
        .execute_unprepared("ALTER TABLE agencies RENAME COLUMN code TO code_gone")
        .await
        .unwrap();
    refuse_token_uses(&app).await;

    let (child, address) = serve(&app.database_url, "json").await;
    fail_internally(&address, &app.admin_token, "probe-json-1").await;
    // The token's use is recorded in the background: give it the time to fail.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = stderr_of(child).await;
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let cause = lines
        .iter()
        .find(|line| line["fields"]["message"] == "internal error")
        .unwrap_or_else(|| panic!("no line logs the cause:\n{logs}"));
    assert_eq!(cause["request_id"], "probe-json-1", "{cause}");
    assert!(
        cause["fields"]["error"]
            .as_str()
            .is_some_and(|error| error.contains("code")),
        "{cause}"
    );
    let token_use = lines
        .iter()
        .find(|line| line["fields"]["message"] == "could not record a token's last use")
        .unwrap_or_else(|| panic!("no line logs the token's use:\n{logs}"));
    assert_eq!(token_use["request_id"], "probe-json-1", "{token_use}");
    let error = token_use["fields"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("token uses are refused"), "{token_use}");
    for line in lines.iter().filter(|line| line.get("span").is_some()) {
        assert_eq!(line["request_id"], "probe-json-1", "{line}");
    }

    let (child, address) = serve(&app.database_url, "pretty").await;
    fail_internally(&address, &app.admin_token, "probe-pretty-1").await;
    let logs = stderr_of(child).await;
    assert!(!logs.contains('\x1b'), "colour codes in a pipe:\n{logs}");
    let cause = logs
        .lines()
        .find(|line| line.contains("internal error"))
        .unwrap_or_else(|| panic!("no line logs the cause:\n{logs}"));
    assert!(cause.contains(r#"request_id="probe-pretty-1""#), "{cause}");
}
