//! Spawns the real service on a random port against a fresh database (a temporary
//! SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set) and speaks
//! GraphQL to it over HTTP.

use std::path::Path;
use std::sync::Arc;

use agencyflow::app::Application;
use agencyflow::config::Settings;
use agencyflow::db;
use agencyflow_graphql::domain::Caller;
use agencyflow_graphql::domain::clock::{Clock, ManualClock};
use agencyflow_graphql::domain::identity::users::{self, NewUser};
use agencyflow_graphql::domain::tokens::{self, NewToken, TokenLifetime, TokenOwner};
use chrono::{DateTime, Utc};
use entity::api_token::Role;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use sea_orm::ActiveEnum;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct TestApp {
    pub url: String,
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub database_url: String,
    pub admin_token: String,
    _store: Store,
}

/// Where the test's data lives; dropped (file removed, database dropped) with the app.
pub enum Store {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { admin_url, name } = self {
            let (admin_url, database) = (admin_url.clone(), name.clone());
            // A runtime of its own: Drop cannot await, and the test's runtime may be gone.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let admin = Database::connect(admin_url.as_str()).await?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                        ))
                        .await?;
                    Ok::<_, anyhow::Error>(())
                })
            })
            .join();
            if let Ok(Err(err)) = dropped {
                eprintln!("could not drop test database {name}: {err}");
            }
        }
    }
}

/// Replaces the database name in a PostgreSQL URL, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix = &base[..base.rfind('/').expect("a PostgreSQL URL names a database")];
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}

pub async fn fresh_store() -> (String, Store) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("agencyflow_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str())
                .await
                .unwrap_or_else(|err| panic!("TEST_DATABASE_URL is set but unreachable: {err}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create a fresh test database");
            admin.close().await.expect("close the admin connection");
            (
                with_database(&admin_url, &name),
                Store::Postgres { admin_url, name },
            )
        }
        _ => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("agencyflow.db").display()
            );
            (url, Store::Sqlite(dir))
        }
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load_from("test", &dir).expect("test settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.database.url = SecretString::from(database_url.to_owned());
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(|settings, _| adjust(settings), None, async |_, _| {}).await
}

/// Spawns the app with `sign_in.public_url` its own address, as a deployment's is (the
/// single sign-on callback is under it), after `adjust` has changed its settings.
pub async fn spawn_app_at_public_url(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let at_base = |settings: &mut Settings, base: &str| {
        settings.sign_in.public_url = base.to_owned();
        adjust(settings);
    };
    spawn(at_base, None, async |_, _| {}).await
}

/// Spawns the app on a manual clock standing at `start`, handed in as the simulator does.
pub async fn spawn_app_at(start: DateTime<Utc>) -> TestApp {
    spawn(
        |_, _| {},
        Some(Arc::new(ManualClock::new(start))),
        async |_, _| {},
    )
    .await
}

/// Spawns the app once `prepare` has filled its fresh, migrated database, as the CLI
/// does before it serves.
pub async fn spawn_app_after(prepare: impl AsyncFnOnce(&Settings, &DatabaseConnection)) -> TestApp {
    spawn(|_, _| {}, None, prepare).await
}

/// [`spawn_app_after`] on a manual `clock`, which `prepare` may move.
pub async fn spawn_app_after_on(
    clock: Arc<ManualClock>,
    prepare: impl AsyncFnOnce(&Settings, &DatabaseConnection),
) -> TestApp {
    spawn(|_, _| {}, Some(clock), prepare).await
}

/// [`spawn_app_with`] on a manual `clock`.
pub async fn spawn_app_after_on_with(
    clock: Arc<ManualClock>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn(|settings, _| adjust(settings), Some(clock), async |_, _| {}).await
}

/// With `clock`, or else the clock the settings ask for; `adjust` is told the base URL
/// the app will listen on.
async fn spawn(
    adjust: impl FnOnce(&mut Settings, &str),
    clock: Option<Arc<dyn Clock>>,
    prepare: impl AsyncFnOnce(&Settings, &DatabaseConnection),
) -> TestApp {
    let (database_url, store) = fresh_store().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let mut settings = test_settings(&database_url);
    adjust(&mut settings, &base);
    let db = db::connect(&settings.database).await.expect("connect");
    db::migrate(&db).await.expect("migrate");
    prepare(&settings, &db).await;
    let clock = match clock {
        Some(clock) => clock,
        None => settings.clock().expect("the clock"),
    };
    let app = Application::on_listener(&settings, db.clone(), clock, listener)
        .await
        .expect("build the app");
    tokio::spawn(app.run_until(std::future::pending()));
    let admin_token = token(&db, Role::Admin, None).await;
    TestApp {
        url: format!("{base}/graphql"),
        base,
        client: reqwest::Client::new(),
        db,
        database_url,
        admin_token,
        _store: store,
    }
}

/// A new person with `role` (of the agency, for AGENCY) and a personal token of theirs,
/// made through the domain: each call is another person, so four-eyes rules see two
/// callers as two people.
pub async fn token(db: &DatabaseConnection, role: Role, agency_id: Option<i64>) -> String {
    person(db, role, agency_id).await.1
}

/// [`token`], with the user's id.
pub async fn person(db: &DatabaseConnection, role: Role, agency_id: Option<i64>) -> (i64, String) {
    let identity = test_settings("sqlite::memory:")
        .sign_in
        .identity()
        .expect("identity");
    let system = Caller::system("test", Utc::now());
    let email = format!(
        "{}-{}@people.test",
        role.to_value().to_lowercase(),
        uuid::Uuid::new_v4()
    );
    let user = users::create(
        db,
        &system,
        &identity,
        NewUser {
            email,
            display_name: format!("Test {}", role.to_value()),
            role,
            agency_id,
            language: None,
            time_zone: None,
        },
        None,
    )
    .await
    .unwrap_or_else(|err| panic!("create a {role:?} user: {err}"))
    .user;
    let secret = personal_token(db, user.id).await;
    (user.id, secret)
}

/// A new personal token of user `id`.
pub async fn personal_token(db: &DatabaseConnection, id: i64) -> String {
    tokens::create(
        db,
        &Caller::system("test", Utc::now()),
        NewToken {
            owner: TokenOwner::User(id),
            label: "test".into(),
            expires_at: None,
        },
        TokenLifetime::default(),
    )
    .await
    .unwrap_or_else(|err| panic!("create a token of user {id}: {err}"))
    .secret
}

/// A GraphQL answer: the HTTP status and headers with the parsed body.
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `extensions.code` of the first error, if any.
    pub fn code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    /// The data, after asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }

    pub fn content_type(&self) -> &str {
        self.headers[CONTENT_TYPE].to_str().unwrap()
    }
}

impl TestApp {
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        self.post(
            token,
            Some("application/graphql-response+json"),
            json!({ "query": query, "variables": variables }),
        )
        .await
    }

    pub async fn admin(&self, query: &str, variables: Value) -> Answer {
        self.gql(Some(&self.admin_token), query, variables).await
    }

    pub async fn post(&self, token: Option<&str>, accept: Option<&str>, body: Value) -> Answer {
        let mut request = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        answer(request.send().await.expect("the server answers")).await
    }

    /// A GraphQL multipart request (graphql-multipart-request-spec) carrying `file` as
    /// the variable `$file`.
    pub async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        file: Vec<u8>,
    ) -> Answer {
        self.upload_to(token, query, None, variables, file).await
    }

    /// [`Self::upload`] to the operation named `operation` of a document with several.
    pub async fn upload_to(
        &self,
        token: Option<&str>,
        query: &str,
        operation: Option<&str>,
        mut variables: Value,
        file: Vec<u8>,
    ) -> Answer {
        variables["file"] = Value::Null;
        let form = reqwest::multipart::Form::new()
            .text(
                "operations",
                json!({ "query": query, "operationName": operation, "variables": variables })
                    .to_string(),
            )
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(file)
                    .file_name("accounts.csv")
                    .mime_str("text/csv")
                    .expect("a media type"),
            );
        let mut request = self
            .client
            .post(&self.url)
            .header(ACCEPT, "application/graphql-response+json")
            .multipart(form);
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        answer(request.send().await.expect("the server answers")).await
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

#[test]
fn replaces_the_database_name_in_a_url() {
    assert_eq!(
        with_database("postgres://root@127.0.0.1:5432/test", "x"),
        "postgres://root@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database(
            "postgres://root@localhost/test?host=/var/run/postgresql",
            "x"
        ),
        "postgres://root@localhost/x?host=/var/run/postgresql"
    );
}

/// Where a spawned `agencyflow serve` listens, as its stdout says; the rest of its stdout
/// is drained, so the child never writes to a closed pipe.
pub async fn listening_address(child: &mut tokio::process::Child) -> String {
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .expect("read the child's stdout")
            .expect("serve prints where it listens");
        if let Some(rest) = line.strip_prefix("agencyflow listening on http://") {
            break rest.split('/').next().unwrap_or(rest).to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    address
}
