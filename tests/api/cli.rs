//! The `agencyflow` binary's command shapes, which outside tooling relies on.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use entity::api_token::Role;
use serde_json::json;

use crate::helpers::{listening_address, spawn_app};
use crate::people::{Person, as_session, signed_in};

/// agencyflow with `args`, on the test configuration.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agencyflow"));
    command
        .args(args)
        .env("AGENCYFLOW_ENV", "test")
        .env(
            "AGENCYFLOW_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env_remove("DATABASE_URL");
    command
}

fn agencyflow(args: &[&str]) -> Output {
    command(args).output().expect("run agencyflow")
}

/// agencyflow with `input` on its stdin.
fn agencyflow_reading(args: &[&str], input: &str) -> Output {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run agencyflow");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input.as_bytes())
        .expect("write the stdin");
    child.wait_with_output().expect("agencyflow finishes")
}

fn last_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn token_create_prints_the_secret_last_and_it_authenticates() {
    let app = spawn_app().await;
    let agency = crate::fixtures::agency(&app.db, "ALPHA").await;
    let url = app.database_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        agencyflow(&[
            "token",
            "create",
            "--role",
            "AGENCY",
            "--agency",
            "ALPHA",
            "--database",
            &url,
        ])
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let secret = last_line(&output);
    let me = app
        .gql(
            Some(&secret),
            "{ me { role agency { id code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me.data()["me"],
        json!({ "role": "AGENCY", "agency": { "id": agency.id.to_string(), "code": "ALPHA" } })
    );

    let url = app.database_url.clone();
    let unknown = tokio::task::spawn_blocking(move || {
        agencyflow(&[
            "token",
            "create",
            "--role",
            "AGENCY",
            "--agency",
            "NOPE",
            "--database",
            &url,
        ])
    })
    .await
    .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--agency"));
}

const ME: &str = "{ me { role user { email } } }";

#[tokio::test]
async fn user_create_makes_an_admin_who_signs_in_and_user_disable_ends_their_session() {
    let app = spawn_app().await;
    let url = app.database_url.clone();
    let run = async |args: &[&str], input: Option<&str>| {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string())
            .chain(["--database".to_owned(), url.clone()])
            .collect();
        let input = input.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            match input {
                Some(input) => agencyflow_reading(&args, &input),
                None => agencyflow(&args),
            }
        })
        .await
        .unwrap()
    };
    let create = [
        "user",
        "create",
        "--email",
        "Ana.Lopez@Lender.example",
        "--name",
        "Ana Lopez",
        "--role",
        "ADMIN",
        "--password-stdin",
    ];

    let weak = run(&create, Some("short\n")).await;
    assert!(!weak.status.success());
    let said = String::from_utf8_lossy(&weak.stderr);
    assert!(
        said.contains("the password: a password has at least 12 characters"),
        "{said}"
    );

    let created = run(&create, Some("correct horse battery staple\n")).await;
    let said = String::from_utf8_lossy(&created.stdout);
    assert!(
        created.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        said.contains("created: ana.lopez@lender.example (ADMIN)"),
        "{said}"
    );
    let created_id = said
        .strip_prefix("user ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the id: {said}"))
        .to_owned();

    let again = run(&create, Some("another good password\n")).await;
    assert!(!again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        said.contains("a user with e-mail ana.lopez@lender.example already exists"),
        "{said}"
    );

    // The trailing newline is not part of the password.
    let ana = Person {
        id: created_id,
        email: "ana.lopez@lender.example".into(),
        password: "correct horse battery staple".into(),
    };
    let cookie = signed_in(&app, &ana).await;
    let me = as_session(&app, &cookie, ME, json!({})).await;
    assert_eq!(
        me.data()["me"],
        json!({ "role": "ADMIN", "user": { "email": "ana.lopez@lender.example" } })
    );

    let listed = run(&["user", "list"], None).await;
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert!(listing.starts_with("ID  E-MAIL"), "{listing}");
    let row = listing
        .lines()
        .find(|line| line.contains("ana.lopez@lender.example"))
        .unwrap_or_else(|| panic!("not listed:\n{listing}"));
    for shown in ["Ana Lopez", "ADMIN", "active", "off", " UTC"] {
        assert!(row.contains(shown), "{shown}: {row}");
    }

    let disabled = run(&["user", "disable", "ana.lopez@lender.example"], None).await;
    let said = String::from_utf8_lossy(&disabled.stdout);
    assert!(
        disabled.status.success() && said.contains("disabled"),
        "{said}"
    );
    let refused = as_session(&app, &cookie, ME, json!({})).await;
    assert_eq!(refused.code(), Some("UNAUTHENTICATED"), "{}", refused.body);
    let listing = String::from_utf8(run(&["user", "list"], None).await.stdout).unwrap();
    assert!(
        listing
            .lines()
            .any(|line| line.contains("ana.lopez@lender.example") && line.contains("disabled")),
        "{listing}"
    );
    let twice = run(&["user", "disable", &ana.id], None).await;
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already disabled"));
}

#[test]
fn schema_prints_the_committed_sdl() {
    let output = agencyflow(&["schema"]);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/graphql/schema.graphql"
    ))
    .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout) == committed);
}

#[test]
fn bench_reporting_posts_a_batch_over_http_and_prints_its_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let output = agencyflow(&[
        "bench",
        "reporting",
        "--batches",
        "1",
        "--accounts",
        "50",
        "--database",
        &url,
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("accepted 1000, rejected 0"), "{stdout}");
    assert!(stdout.contains("items/s (1000 duplicates)"), "{stdout}");
}

#[test]
fn simulate_runs_an_in_process_service_and_fails_on_a_used_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sim.db").display());
    let args = [
        "simulate",
        "--days",
        "3",
        "--accounts",
        "120",
        "--agencies",
        "3",
        "--seed",
        "5",
        "--database",
        &url,
    ];
    let output = agencyflow(&args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("simulation (seed 5)"), "{stdout}");
    assert!(
        stdout.contains("ok     no account held by two agencies at once"),
        "{stdout}"
    );
    let again = agencyflow(&args);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds agencies"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn a_bad_setting_names_its_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["migrate"])
        .env("AGENCYFLOW_ENV", "test")
        .env("AGENCYFLOW__GRAPHQL__MAX_PAGE_SIZE", "0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("graphql.max_page_size"));
}

#[tokio::test]
async fn serve_answers_then_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("serve.db").display()
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database", &url])
        .env("AGENCYFLOW_ENV", "test")
        .env(
            "AGENCYFLOW_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = listening_address(&mut child).await;
    let health = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
        .await
        .expect("the server stops within its grace period")
        .unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[tokio::test]
async fn token_list_shows_the_working_tokens_and_token_revoke_stops_one() {
    let app = spawn_app().await;
    let secret = crate::helpers::token(&app.db, Role::Finance, None).await;
    let id = app
        .admin("{ apiTokens { edges { node { id role } } } }", json!({}))
        .await
        .data()["apiTokens"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["role"] == "FINANCE")
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .unwrap();
    let run = async |args: Vec<String>| {
        let output = tokio::task::spawn_blocking(move || {
            agencyflow(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let url = app.database_url.clone();
    let args = |words: &[&str]| {
        words
            .iter()
            .map(|w| w.to_string())
            .chain(["--database".to_owned(), url.clone()])
            .collect::<Vec<_>>()
    };
    let row_of = |listing: &str| {
        listing
            .lines()
            .find(|line| line.split_whitespace().next() == Some(id.as_str()))
            .map(str::to_owned)
    };

    let listing = run(args(&["token", "list"])).await;
    assert!(listing.starts_with("ID  PREFIX"), "{listing}");
    let row = row_of(&listing).unwrap_or_else(|| panic!("token {id} is not listed:\n{listing}"));
    assert!(row.contains("FINANCE") && row.contains("active"), "{row}");
    assert!(row.contains(&secret[..10]), "the prefix: {row}");
    assert!(!listing.contains(&secret), "never the secret");

    let revoked = run(args(&["token", "revoke", &id])).await;
    assert!(revoked.contains("revoked"), "{revoked}");
    let refused = app.gql(Some(&secret), "{ me { role } }", json!({})).await;
    assert_eq!(refused.code(), Some("UNAUTHENTICATED"));
    assert_eq!(row_of(&run(args(&["token", "list"])).await), None);
    let all = run(args(&["token", "list", "--all"])).await;
    assert!(
        row_of(&all).is_some_and(|row| row.contains("revoked")),
        "{all}"
    );

    let audit = app
        .admin(
            r#"{ auditEvents(first: 10, filter: { entityType: "api_token" }) { edges { node { action actor entityId } } } }"#,
            json!({}),
        )
        .await;
    let events = audit.data()["auditEvents"]["edges"].to_string();
    assert!(
        events.contains(&format!(
            r#"{{"action":"api_token.revoke","actor":"system:cli","entityId":"{id}"}}"#
        )),
        "{events}"
    );

    let again = tokio::task::spawn_blocking(move || {
        agencyflow(&["token", "revoke", &id, "--database", &app.database_url])
    })
    .await
    .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
}

/// Runs agencyflow with a stdout whose reader has gone, as `agencyflow … | head` leaves it.
fn with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run agencyflow")
}

#[tokio::test]
async fn every_command_exits_quietly_when_its_reader_goes_away() {
    let app = spawn_app().await;
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let bench = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let commands: [&[&str]; 8] = [
            &["--help"],
            &["schema"],
            &["migrate", "--database", &url],
            &["token", "create", "--role", "AUDITOR", "--database", &url],
            &["token", "list", "--all", "--database", &url],
            &["token", "revoke", "1", "--database", &url],
            &["user", "list", "--database", &url],
            &[
                "bench",
                "reporting",
                "--batches",
                "1",
                "--accounts",
                "20",
                "--database",
                &bench,
            ],
        ];
        for args in commands {
            let output = with_closed_stdout(args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && !stderr.contains("panicked"),
                "agencyflow {}: {}\n{stderr}",
                args.join(" "),
                output.status
            );
        }
    })
    .await
    .unwrap();
}

/// The subcommands a `--help` lists.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_says_what_it_does_and_shows_an_example() {
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let output = agencyflow(&args);
        let help = String::from_utf8_lossy(&output.stdout).into_owned();
        let command = format!("agencyflow {}", path.join(" "));
        assert!(output.status.success(), "{command} --help failed");
        let what = help.lines().next().unwrap_or_default();
        assert!(
            what.split_whitespace().count() >= 3,
            "{command}: says what it does? {help}"
        );
        assert!(
            help.contains("Example") && help.contains(&format!("{} ", command.trim_end())),
            "{command} --help shows no example:\n{help}"
        );
        for sub in subcommands(&help) {
            pending.push(path.iter().cloned().chain([sub]).collect());
        }
        seen += 1;
    }
    assert!(seen >= 13, "only {seen} commands have a --help");
}
