//! An agency's staff on their agency: scorecard, papers (a renewal submitted), their
//! statements (a line disputed).

use entity::agency;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::console_as;
use crate::demo::demo_app_after_the_next_close;
use crate::helpers::spawn_app;

#[tokio::test]
async fn agency_staff_submit_a_renewal_the_lender_then_reviews() {
    let app = spawn_app().await;
    let alpha = crate::fixtures::qualified_agency(&app.db, "ALPHA", "US-TX", &[]).await;
    let staff = console_as(&app, "AGENCY", Some(alpha.id)).await;
    staff
        .get("/work/scorecard")
        .await
        .shows("No scorecards yet.")
        .shows(r#"href="/work/scorecard" aria-current="page""#);
    let papers = staff.get("/work/papers").await;
    assert_eq!(papers.status, 200);
    papers.shows("COLLECTION_LICENSE");
    let form = |sha: &'static str| {
        vec![
            ("qualificationType", "COLLECTION_LICENSE"),
            ("region", "US-TX"),
            ("identifier", "TX-2027-001"),
            ("issuer", "Texas OCCC"),
            ("issuedOn", "2026-11-01"),
            ("expiresOn", "2027-10-31"),
            ("documentUrl", "https://docs.example/renewal.pdf"),
            ("documentSha256", sha),
        ]
    };
    let bad = staff.post("/work/papers", &form("not a hash")).await;
    assert_eq!(bad.status, 400);
    bad.shows(r#"role="alert""#);
    let sent = staff
        .post(
            "/work/papers",
            &form("ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sent.shows("Submitted: the lender reviews it")
        .shows("TX-2027-001");

    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    manager.get("/agencies/review").await.shows("TX-2027-001");
    assert_eq!(manager.get("/work/papers").await.status, 403);
}

#[tokio::test]
async fn agency_staff_dispute_a_line_of_a_submitted_statement_and_see_only_their_own() {
    let app = demo_app_after_the_next_close().await;
    let acme = agency::Entity::find()
        .filter(agency::Column::Code.eq("ACME"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let finance = console_as(&app, "FINANCE", None).await;
    let home = finance.get("/finance").await;
    let value = |name: &str| {
        home.body
            .split(&format!(r#"name="{name}" required value=""#))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned()
    };
    let period = [
        ("periodStart", value("periodStart")),
        ("periodEnd", value("periodEnd")),
    ];
    let period: Vec<(&str, &str)> = period.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finance.post("/finance/reconciliations", &period).await;
    finance.post("/finance/statements/generate", &period).await;
    let drafts = finance.get("/finance?status=DRAFT").await;
    let before_acme = drafts.body.split(">ACME</a>").next().unwrap();
    let id = before_acme
        .rsplit(r#"href="/finance/statements/"#)
        .next()
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        finance
            .post(&format!("/finance/statements/{id}/submit"), &[])
            .await
            .status,
        303
    );

    let staff = console_as(&app, "AGENCY", Some(acme.id)).await;
    let list = staff.get("/work/statements").await;
    assert_eq!(list.status, 200);
    list.shows(&format!(r#"href="/work/statements/{id}""#));
    let page = staff.get(&format!("/work/statements/{id}")).await;
    page.shows("Dispute this statement").shows(r#"name="line""#);
    let line = page
        .body
        .split(r#"<select name="line"><option value="">"#)
        .nth(1)
        .and_then(|rest| rest.split(r#"<option value=""#).nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned();
    let disputed = staff
        .post(
            &format!("/work/statements/{id}/dispute"),
            &[
                ("line", line.as_str()),
                ("reason", "this payment was reversed"),
            ],
        )
        .await;
    assert_eq!(disputed.status, 303);
    staff
        .get(&format!("/work/statements/{id}"))
        .await
        .shows("DISPUTED")
        .shows("this payment was reversed");

    let meridian = agency::Entity::find()
        .filter(agency::Column::Code.eq("MERIDIAN"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let other = console_as(&app, "AGENCY", Some(meridian.id)).await;
    let peek = other.get(&format!("/work/statements/{id}")).await;
    assert!(matches!(peek.status.as_u16(), 403 | 404), "{}", peek.status);
    other
        .get("/work/statements")
        .await
        .lacks(&format!(r#"href="/work/statements/{id}""#));
}
