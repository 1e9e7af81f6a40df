//! Performance: the league table by window and segment, and the reassignment review.

use super::console_as;
use crate::demo::demo_app_after_the_next_close;

#[tokio::test]
async fn the_league_table_ranks_agencies_per_window_and_the_review_runs_on_demand() {
    let app = demo_app_after_the_next_close().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/performance").await;
    assert_eq!(page.status, 200);
    page.shows("ACME")
        .shows(r#"aria-current="page">Last 90 days<"#)
        .shows("Recovery rate")
        .shows("Reassignment");
    manager
        .get("/performance?window=LAST_30_DAYS")
        .await
        .shows(r#"aria-current="page">Last 30 days<"#);
    let csv = manager.get("/performance?format=csv").await;
    assert!(csv.body.starts_with("Rank,Agency,Score"), "{}", csv.body);
    assert!(csv.body.contains("ACME"));

    let reviewed = manager
        .post("/performance/reassignment/run", &[("dryRun", "true")])
        .await;
    assert_eq!(reviewed.status, 200);
    reviewed.shows("The review would make");

    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get("/performance")
        .await
        .shows("ACME")
        .lacks("Review every agency now");
    let finance = console_as(&app, "FINANCE", None).await;
    assert_eq!(finance.get("/performance").await.status, 403);
}
