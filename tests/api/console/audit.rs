//! Audit: the log filtered by action and entity, each change as before and after; the
//! scheduler's jobs run from the console.

use super::console_as;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_auditor_filters_the_log_and_reads_each_change_as_before_and_after() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    manager
        .post(
            "/portfolios",
            &[
                ("code", "AUDITED"),
                ("name", "Audited book"),
                ("currency", "USD"),
            ],
        )
        .await;
    let auditor = console_as(&app, "AUDITOR", None).await;
    let log = auditor.get("/audit?action=portfolio.create").await;
    assert_eq!(log.status, 200);
    log.shows("portfolio.create")
        .shows(r#"<th scope="row">code</th><td></td><td><ins>AUDITED</ins></td>"#)
        .lacks("session.sign_in");
    auditor
        .get("/audit?entityType=portfolio&from=2000-01-01&to=2000-01-02")
        .await
        .shows("Nothing matches.");
    let csv = auditor
        .get("/audit?action=portfolio.create&format=csv")
        .await;
    assert!(csv.body.contains("code: ∅ → AUDITED"), "{}", csv.body);
    assert_eq!(manager.get("/audit").await.status, 403);
}

#[tokio::test]
async fn a_manager_sees_the_jobs_and_runs_one_now() {
    let app = spawn_app().await;
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get("/jobs").await;
    assert_eq!(page.status, 200);
    let job = page
        .body
        .split(r#"name="name" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a job to run")
        .to_owned();
    let ran = manager.post("/jobs/run", &[("name", job.as_str())]).await;
    assert_eq!(ran.status, 200);
    ran.shows(&format!("{job} ran:"));
    manager
        .get("/jobs?status=FAILED")
        .await
        .shows(r#"href="/jobs?status=FAILED" aria-current="page""#);
    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor.get("/jobs").await.lacks("Run now");
    let finance = console_as(&app, "FINANCE", None).await;
    assert_eq!(finance.get("/jobs").await.status, 403);
}
