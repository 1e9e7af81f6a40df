//! Compliance: an incident from a late call, read by the lender, acknowledged by the
//! agency, resolved with a note; the account's timeline with each contact's checks.

use chrono::{Duration, Utc};
use chrono_tz::America::Chicago;

use super::console_as;
use super::work::book;
use crate::helpers::spawn_app;

fn call<'a>(id: &'a str, at: &'a str) -> [(&'a str, &'a str); 8] {
    [
        ("externalId", id),
        ("type", "CALL"),
        ("occurredAt", at),
        ("contactPoint", "+15125550100"),
        ("result", "NO_ANSWER"),
        ("promiseAmount", ""),
        ("promiseDueOn", ""),
        ("currency", "USD"),
    ]
}

#[tokio::test]
async fn a_late_call_becomes_an_incident_the_agency_acknowledges_and_the_lender_resolves() {
    let app = spawn_app().await;
    let book = book(&app).await;
    let staff = console_as(&app, "AGENCY", Some(book.agency_a.id)).await;
    let other = console_as(&app, "AGENCY", Some(book.agency_b.id)).await;
    let account = &book.accounts[0];
    let yesterday = Utc::now().with_timezone(&Chicago).date_naive() - Duration::days(1);
    let (late, fine) = (format!("{yesterday}T21:05"), format!("{yesterday}T10:00"));
    let path = format!("/work/accounts/{}/activity", account.id);
    staff.post(&path, &call("c-late", &late)).await;
    staff.post(&path, &call("c-fine", &fine)).await;

    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    let list = manager.get("/compliance?status=OPEN").await;
    assert_eq!(list.status, 200);
    list.shows("ALPHA").shows("outside the permitted hours");
    let incident = list
        .body
        .split(r#"href="/compliance/incidents/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an incident")
        .to_owned();
    manager
        .get("/compliance?severity=LOW&rule=NO-SUCH-RULE")
        .await
        .shows("No incidents match.");

    let theirs = staff.get("/work/incidents").await;
    assert_eq!(theirs.status, 200);
    theirs.shows("outside the permitted hours");
    other
        .get("/work/incidents")
        .await
        .lacks("outside the permitted hours");
    let peek = other.get(&format!("/work/incidents/{incident}")).await;
    assert!(matches!(peek.status.as_u16(), 403 | 404), "{}", peek.status);

    let acknowledged = staff
        .post(
            &format!("/work/incidents/{incident}/acknowledge"),
            &[("note", "the dialer's clock was wrong; fixed")],
        )
        .await;
    assert_eq!(acknowledged.status, 303);
    let page = manager
        .get(&format!("/compliance/incidents/{incident}"))
        .await;
    page.shows("the dialer's clock was wrong; fixed")
        .shows(r#"action="/compliance/incidents/"#);
    let empty = manager
        .post(
            &format!("/compliance/incidents/{incident}/resolve"),
            &[("note", "")],
        )
        .await;
    assert_eq!(empty.status, 400);
    empty.shows(r#"role="alert""#);
    let resolved = manager
        .post(
            &format!("/compliance/incidents/{incident}/resolve"),
            &[("note", "coached the agent")],
        )
        .await;
    assert_eq!(resolved.status, 303);
    manager
        .get(&format!("/compliance/incidents/{incident}"))
        .await
        .shows("Resolved")
        .shows("coached the agent");

    let timeline = manager
        .get(&format!("/compliance/accounts/{}", account.id))
        .await;
    assert_eq!(timeline.status, 200);
    timeline
        .shows("CONTACT_ATTEMPT · CALL · NO_ANSWER")
        .shows("No rule broken")
        .shows("outside the permitted hours");
    assert_eq!(
        staff
            .get(&format!("/compliance/accounts/{}", account.id))
            .await
            .status,
        403
    );
}
