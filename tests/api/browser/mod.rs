//! The console in a real browser: Debian's headless Chromium driven through WebDriver
//! (chromedriver) with fantoccini, against the real server. Each page a scenario visits
//! is checked with axe-core (vendored beside this file) for serious and critical
//! accessibility violations; with `AGENCYFLOW_SCREENSHOTS=1` the main pages are saved to
//! `docs/screenshots/`.

mod console;

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::{Semaphore, SemaphorePermit};

const AXE: &str = include_str!("axe-4.14.1.min.js");

/// One browser at a time: the machine has two cores, and the server shares them.
static ONE_AT_A_TIME: Semaphore = Semaphore::const_new(1);

/// A headless Chromium on its own chromedriver, ended when dropped.
pub struct Browser {
    pub client: Client,
    base: String,
    _driver: Child,
    _turn: SemaphorePermit<'static>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// A browser for the server at `base`; its `Accept-Language` is `language`.
    pub async fn open(base: &str, language: &str) -> Self {
        let turn = ONE_AT_A_TIME
            .acquire()
            .await
            .expect("the semaphore stays open");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) is installed");
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,900", format!("--lang={language}"),
                ],
                "prefs": { "intl.accept_languages": language },
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .expect("a TLS configuration")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        client,
                        base: base.to_owned(),
                        _driver: driver,
                        _turn: turn,
                    };
                }
                Err(err) => last = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver never answered: {last:?}");
    }

    pub async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("a URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear a field");
        field.send_keys(text).await.expect("type into a field");
    }

    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The visible text of the page's `<main>` (empty while a page is being replaced).
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text has `wanted`.
    pub async fn sees(&self, wanted: &str) {
        for _ in 0..100 {
            if self.text().await.contains(wanted) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} never showed {wanted:?}:\n{}",
            self.path().await,
            self.text().await
        );
    }

    /// Signs in at `/sign-in` (with the authenticator's `code` when asked for one).
    pub async fn sign_in(&self, email: &str, password: &str, code: Option<&str>) {
        self.go("/sign-in").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.click("form[action='/sign-in'] button[type=submit]")
            .await;
        if let Some(code) = code {
            self.fill("input[name=code]", code).await;
            self.fill("input[name=password]", password).await;
            self.click("form[action='/sign-in'] button[type=submit]")
                .await;
        }
        for _ in 0..100 {
            if !self.path().await.starts_with("/sign-in") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("sign-in did not finish: {}", self.text().await);
    }

    /// axe-core finds no serious or critical violation on the page.
    pub async fn assert_accessible(&self) {
        self.client
            .execute(&format!("{AXE}\n;return true;"), vec![])
            .await
            .expect("axe loads");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                          v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .expect("axe runs");
        let violations: Vec<String> = serde_json::from_value(found).unwrap_or_default();
        assert!(
            violations.is_empty(),
            "{} is not accessible:\n{}",
            self.path().await,
            violations.join("\n")
        );
    }

    /// Checks the page with axe and, when asked for, saves it as `docs/screenshots/<name>.png`.
    pub async fn look(&self, name: &str) {
        self.assert_accessible().await;
        if std::env::var("AGENCYFLOW_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write the screenshot");
    }

    pub async fn close(self) {
        let Self { client, .. } = self;
        client.close().await.expect("the browser closes");
    }
}
