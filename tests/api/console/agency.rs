//! One agency's page and the queue of papers waiting for review.

use chrono::Duration;
use entity::agency_qualification::QualificationStatus;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use super::console_as;
use crate::fixtures;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_agencys_page_shows_papers_eligibility_and_the_queue_verifies_a_submitted_one() {
    let app = spawn_app().await;
    let agency = fixtures::qualified_agency(&app.db, "ALPHA", "US-TX", &[]).await;
    let mut renewal = fixtures::qualification(agency.id, "INSURANCE", None);
    renewal.status = Set(QualificationStatus::PendingReview);
    renewal.expires_on = Set(Some(fixtures::today() + Duration::days(10)));
    renewal.reviewed_by = Set(None);
    renewal.reviewed_at = Set(None);
    renewal.submitted_by = Set(Some("user:99".into()));
    renewal.insert(&app.db).await.unwrap();

    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let page = manager.get(&format!("/agencies/{}", agency.id)).await;
    assert_eq!(page.status, 200);
    page.shows("ALPHA · ALPHA Collections Ltd")
        .shows("COLLECTION_LICENSE")
        .shows(r#"<span class="expiring">"#)
        .shows(">Eligible<")
        .shows("Scorecard trend")
        .lacks("Not eligible");
    manager
        .get("/agencies")
        .await
        .shows(r#"href="/agencies/review""#)
        .shows("Papers expiring within 30 days");

    let queue = manager.get("/agencies/review").await;
    queue.shows("INSURANCE").shows(r#"value="VERIFY""#);
    let paper = queue
        .body
        .split(r#"action="/qualifications/"#)
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let refused = manager
        .post(
            &format!("/qualifications/{paper}/review"),
            &[
                ("decision", "REJECT"),
                ("note", ""),
                ("back", "/agencies/review"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "a rejection needs a note");
    let verified = manager
        .post(
            &format!("/qualifications/{paper}/review"),
            &[
                ("decision", "VERIFY"),
                ("note", "checked with the insurer"),
                ("back", "/agencies/review"),
            ],
        )
        .await;
    assert_eq!(verified.status, 303);
    manager
        .get("/agencies/review")
        .await
        .shows("No paper is waiting for review.");

    let suspended = manager
        .post(
            &format!("/agencies/{}/status", agency.id),
            &[("status", "SUSPENDED"), ("reason", "")],
        )
        .await;
    assert_eq!(suspended.status, 400, "a suspension needs a reason");
    let suspended = manager
        .post(
            &format!("/agencies/{}/status", agency.id),
            &[("status", "SUSPENDED"), ("reason", "licence under review")],
        )
        .await;
    assert_eq!(suspended.status, 303);
    manager
        .get(&format!("/agencies/{}", agency.id))
        .await
        .shows("licence under review")
        .shows("Not eligible");

    let staff = console_as(&app, "AGENCY", Some(agency.id)).await;
    assert_eq!(
        staff.get(&format!("/agencies/{}", agency.id)).await.status,
        403
    );
}
