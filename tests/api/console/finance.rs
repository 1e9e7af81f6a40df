//! Finance: statements through four eyes, their export, reconciliation runs.

use chrono::Datelike;

use super::console_as;
use crate::demo::demo_app_after_the_next_close;

/// Reconciles last month on the demo's clock (its books closed today) from the finance
/// page; the run's page.
async fn reconcile_last_month(app: &crate::helpers::TestApp, finance: &super::Console) -> String {
    let clock = app.admin("{ clock { now } }", serde_json::json!({})).await;
    let now: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(clock.data()["clock"]["now"].clone()).unwrap();
    let end = now.date_naive().with_day(1).unwrap() - chrono::Duration::days(1);
    let (start, end) = (end.with_day(1).unwrap().to_string(), end.to_string());
    let ran = finance
        .post(
            "/finance/reconciliations",
            &[("periodStart", start.as_str()), ("periodEnd", end.as_str())],
        )
        .await;
    assert_eq!(ran.status, 303, "{}", ran.body);
    ran.location().unwrap().to_owned()
}

fn default_of(body: &str, name: &str) -> String {
    body.split(&format!(r#"name="{name}" required value=""#))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no default {name}"))
        .to_owned()
}

#[tokio::test]
async fn a_statement_is_submitted_by_one_person_refused_to_them_and_approved_by_another() {
    let app = demo_app_after_the_next_close().await;
    let first = console_as(&app, "FINANCE", None).await;
    let second = console_as(&app, "FINANCE", None).await;
    // The forms offer last month, whose books closed today.
    let home = first.get("/finance").await;
    let period = [
        ("periodStart", default_of(&home.body, "periodStart")),
        ("periodEnd", default_of(&home.body, "periodEnd")),
    ];
    let period: Vec<(&str, &str)> = period.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        first.post("/finance/reconciliations", &period).await.status,
        303
    );
    let generated = first.post("/finance/statements/generate", &period).await;
    assert_eq!(generated.status, 200);
    generated.shows("statements generated or rebuilt.");
    let drafts = first.get("/finance?status=DRAFT").await;
    assert_eq!(drafts.status, 200);
    drafts.shows(r#"aria-current="page">Draft<"#);
    let path = drafts
        .body
        .split(r#"href="/finance/statements/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|id| format!("/finance/statements/{id}"))
        .expect("the demo drafts statements");

    let page = first.get(&path).await;
    assert_eq!(page.status, 200);
    page.shows("Submit for approval").shows("Lines");
    assert_eq!(first.post(&format!("{path}/submit"), &[]).await.status, 303);
    let refused = first.post(&format!("{path}/approve"), &[]).await;
    assert_eq!(refused.status, 400);
    refused
        .shows(r#"class="alert" role="alert""#)
        .shows("Submitted");

    let approved = second.post(&format!("{path}/approve"), &[]).await;
    assert_eq!(approved.status, 303);
    second
        .get(&path)
        .await
        .shows(">Approved<")
        .shows("Mark paid");

    let export = second.get(&format!("{path}/export")).await;
    assert_eq!(export.status, 200);
    assert!(
        export.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );

    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    assert_eq!(manager.get("/finance").await.status, 403);
    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get("/finance")
        .await
        .shows("Commission statements")
        .lacks("Generate statements");
}

#[tokio::test]
async fn finance_runs_a_reconciliation_and_reads_its_exceptions_by_class() {
    let app = demo_app_after_the_next_close().await;
    let finance = console_as(&app, "FINANCE", None).await;
    let home = finance.get("/finance").await;
    home.shows(r#"action="/finance/reconciliations""#)
        .shows(r#"action="/finance/ledger""#);
    let at = reconcile_last_month(&app, &finance).await;
    let run = finance.get(&at).await;
    assert_eq!(run.status, 200);
    run.shows("Reconciliation of")
        .shows(r#"<span class="badge bad">AGENCY_ONLY</span>"#)
        .shows(r#"<span class="badge good">MATCHED</span>"#);
    let ledger_only = finance.get(&format!("{at}?class=LEDGER_ONLY")).await;
    ledger_only
        .shows(r#"<span class="badge bad">LEDGER_ONLY</span>"#)
        .lacks(r#"<span class="badge good">MATCHED</span>"#);
    let bad = finance
        .post(
            "/finance/reconciliations",
            &[("periodStart", "yesterday"), ("periodEnd", "")],
        )
        .await;
    assert_eq!(bad.status, 400);
    bad.shows("Give the period");
}

#[tokio::test]
async fn finance_resolves_an_exception_from_the_run_page_and_an_auditor_only_reads_it() {
    let app = demo_app_after_the_next_close().await;
    let finance = console_as(&app, "FINANCE", None).await;
    let run = reconcile_last_month(&app, &finance).await;
    let open = finance.get(&format!("{run}?open=true")).await;
    open.shows("To resolve")
        .lacks(r#"<span class="badge good">MATCHED"#);
    let action_at = open
        .body
        .find(&format!(r#"action="{run}/items/"#))
        .expect("a resolve form");
    let action: String = open.body[action_at + 8..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(action.ends_with("/resolve?open=true"), "{action}");
    let form = &open.body[action_at..];
    let first_option = &form[form.find(r#"option value=""#).unwrap() + 14..];
    let resolution: String = first_option.chars().take_while(|c| *c != '"').collect();

    let no_note = finance
        .post(
            &action,
            &[("resolution", resolution.as_str()), ("note", " ")],
        )
        .await;
    assert_eq!(no_note.status, 400);
    no_note.shows(r#"role="alert""#);
    let unknown = finance
        .post(&action, &[("resolution", "PAID_BY_MAGIC"), ("note", "x")])
        .await;
    assert_eq!(unknown.status, 400);

    let note = "agreed with the agency on the phone";
    let done = finance
        .post(
            &action,
            &[("resolution", resolution.as_str()), ("note", note)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some(format!("{run}?open=true").as_str()));
    let all = finance.get(&run).await;
    all.shows(note).shows("Change the resolution");
    let remaining = finance.get(&format!("{run}?open=true")).await;
    assert!(
        !remaining.body.contains(&action),
        "the resolved line is still open"
    );

    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get(&run)
        .await
        .shows(note)
        .lacks("/resolve")
        .lacks("Change the resolution");
    assert_eq!(
        auditor
            .post(
                &action,
                &[("resolution", resolution.as_str()), ("note", "x")]
            )
            .await
            .status,
        403
    );
}
