//! The agencies pages.

use super::console_as;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_agency_list_shows_each_agency_and_exports_as_csv() {
    let app = spawn_app().await;
    crate::fixtures::agency(&app.db, "ACME").await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/agencies").await;
    assert_eq!(page.status, 200);
    page.shows("ACME").shows(r#"href="/agencies?format=csv""#);

    let csv = manager.get("/agencies?format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("Code,Legal name,Status,Kinds of work,Regions,Most accounts,Most balance")
    );
    assert!(lines.next().unwrap().starts_with("ACME,"));
}
