//! The overview: lender staff's first page.

use super::console_as;
use crate::demo::demo_app_after_the_next_close;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_overview_charts_what_agencies_hold_and_collect_and_counts_what_waits() {
    let app = demo_app_after_the_next_close().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/").await;
    assert_eq!(page.status, 200);
    page.shows(r#"href="/" aria-current="page""#)
        .shows("Accounts each agency holds now")
        .shows("Collected per week")
        .shows("Recovery rate per agency")
        .shows("<svg")
        .shows("ACME")
        .shows("Open critical incidents")
        .shows("Papers expiring within 30 days")
        .shows("Jobs that failed")
        // Statements are finance's: a vendor manager's overview leaves them out.
        .lacks("Statements waiting for approval");

    let finance = console_as(&app, "FINANCE", None).await;
    finance
        .get("/")
        .await
        .shows("Statements waiting for approval")
        .lacks("Jobs that failed");
}

#[tokio::test]
async fn before_any_scorecard_the_overview_says_when_they_come_and_agency_staff_go_to_their_work() {
    let app = spawn_app().await;
    let auditor = console_as(&app, "AUDITOR", None).await;
    let page = auditor.get("/").await;
    assert_eq!(page.status, 200);
    page.shows("No scorecards yet.");

    let agency = crate::fixtures::agency(&app.db, "SOLO").await;
    let staff = console_as(&app, "AGENCY", Some(agency.id)).await;
    let home = staff.get("/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), Some("/work"));
}
