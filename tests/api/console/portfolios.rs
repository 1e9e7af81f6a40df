//! Portfolios and intake: a new portfolio, a CSV upload followed to its end and its
//! rejected rows, accounts with search and filters.

use reqwest::multipart::{Form, Part};

use super::console_as;
use crate::helpers::spawn_app;
use crate::intake::{csv, csv_line};

fn upload(file: Vec<u8>) -> Form {
    Form::new().part(
        "file",
        Part::bytes(file)
            .file_name("accounts.csv")
            .mime_str("text/csv")
            .unwrap(),
    )
}

/// The path of the import a block shows, e.g. `/portfolios/1/imports/3`.
fn import_path(body: &str, portfolio: &str) -> String {
    let prefix = format!("{portfolio}/imports/");
    let rest = &body[body.find(&prefix).expect("the block names its import") + prefix.len()..];
    let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
    format!("{prefix}{id}")
}

#[tokio::test]
async fn a_manager_makes_a_portfolio_uploads_accounts_and_gets_the_rejected_rows_back() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    manager
        .get("/portfolios")
        .await
        .shows("No portfolios yet.")
        .shows(r#"action="/portfolios""#);
    let made = manager
        .post(
            "/portfolios",
            &[
                ("code", "US-CARDS"),
                ("name", "US cards"),
                ("currency", "usd"),
            ],
        )
        .await;
    assert_eq!(made.status, 303);
    let at = made.location().unwrap().to_owned();
    let again = manager
        .post(
            "/portfolios",
            &[("code", "US-CARDS"), ("name", "again"), ("currency", "USD")],
        )
        .await;
    assert_eq!(again.status, 400);
    again.shows(r#"role="alert""#);

    let page = manager.get(&at).await;
    assert_eq!(page.status, 200);
    page.shows("Portfolio US-CARDS")
        .shows(r#"enctype="multipart/form-data""#)
        .shows("<progress");

    let file = csv(&[
        csv_line("A-1"),
        csv_line("A-2").replace("US-TX", "Texas"),
        csv_line("A-3"),
    ]);
    let started = manager
        .post_multipart(&format!("{at}/import"), upload(file))
        .await;
    assert_eq!(started.status, 200);
    started.lacks("<html").shows(r#"id="import-progress""#);
    // The block names the import; while it runs it asks for itself every second.
    let import = import_path(&started.body, &at);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut outcome = started;
    while outcome.body.contains("hx-trigger") {
        outcome.shows(&format!(r#"hx-get="{import}""#));
        assert!(
            std::time::Instant::now() < deadline,
            "the import never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        outcome = manager.get_fragment(&import).await;
    }
    outcome
        .lacks("<html")
        .shows("The import is done; some rows were rejected.")
        .shows("<dt>Rows read</dt><dd>3</dd>")
        .shows("<dt>Accounts created</dt><dd>2</dd>")
        .shows("<dt>Rows rejected</dt><dd>1</dd>")
        .shows(&format!(r#"href="{import}/rejected.csv""#));
    let download = manager.get(&format!("{import}/rejected.csv")).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        download.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let mut lines = download.body.lines();
    assert!(
        lines.next().unwrap().ends_with(",error"),
        "{}",
        download.body
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with("A-2,") && row.contains("Texas"), "{row}");
    assert!(!row.contains("123-45-6789"), "{row}");
    assert_eq!(lines.next(), None);
    // Without script: the import's own page, and the portfolio lists its uploads.
    manager
        .get(&import)
        .await
        .shows("<html")
        .shows("Rows rejected")
        .shows("accounts.csv");
    manager
        .get(&at)
        .await
        .shows("Recent uploads")
        .shows(&format!(r#"href="{import}""#));
    let elsewhere = manager.get(&import.replace(&at, "/portfolios/999")).await;
    assert_eq!(elsewhere.status, 404);

    let accounts = manager.get(&at).await;
    accounts.shows("A-1").shows("A-3").lacks(">A-2<");
    let found = manager.get(&format!("{at}?reference=A-3")).await;
    found.shows("A-3").lacks(">A-1<");
    let csv = manager.get(&format!("{at}?reference=A-3&format=csv")).await;
    assert!(csv.body.lines().nth(1).unwrap().starts_with("A-3,"));

    let no_file = manager
        .post_multipart(&format!("{at}/import"), Form::new().text("atomic", "true"))
        .await;
    no_file.shows("Choose a CSV file to upload.");
}

#[tokio::test]
async fn an_auditor_reads_portfolios_without_forms_and_agency_staff_may_not() {
    let app = spawn_app().await;
    crate::fixtures::portfolio(&app.db, "EU-LOANS").await;
    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get("/portfolios")
        .await
        .shows("EU-LOANS")
        .lacks("Make portfolio");
    let agency = crate::fixtures::agency(&app.db, "SOLO").await;
    let staff = console_as(&app, "AGENCY", Some(agency.id)).await;
    assert_eq!(staff.get("/portfolios").await.status, 403);
}
