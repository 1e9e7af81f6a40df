//! Portfolios and intake: a new portfolio, a CSV upload's outcome and rejected rows,
//! accounts with search and filters.

use base64::Engine;
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
    let outcome = manager
        .post_multipart(&format!("{at}/import"), upload(file))
        .await;
    assert_eq!(outcome.status, 200);
    outcome
        .lacks("<html")
        .shows("<dt>Rows read</dt><dd>3</dd>")
        .shows("<dt>Accounts created</dt><dd>2</dd>")
        .shows("<dt>Rows rejected</dt><dd>1</dd>");
    let encoded = outcome
        .body
        .split("data:text/csv;charset=utf-8;base64,")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a download of the rejected rows");
    let rejected = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap();
    let mut lines = rejected.lines();
    assert!(lines.next().unwrap().ends_with(",error"), "{rejected}");
    let row = lines.next().unwrap();
    assert!(row.starts_with("A-2,") && row.contains("Texas"), "{row}");
    assert_eq!(lines.next(), None);

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
