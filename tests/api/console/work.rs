//! An agency's staff at work: their worklist, an account, calls, promises and payments,
//! and never another agency's accounts.

use chrono::{Duration, Utc};
use chrono_tz::America::Chicago;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};

use super::console_as;
use crate::helpers::spawn_app;

/// The book of `fixtures::book`, its placements made three days ago so that calls of
/// yesterday fall inside them.
pub async fn book(app: &crate::helpers::TestApp) -> crate::fixtures::Book {
    let mut book = crate::fixtures::book(&app.db).await;
    for placement in &mut book.placements {
        let mut row = placement.clone().into_active_model();
        row.placed_at = Set(Utc::now() - Duration::days(3));
        *placement = row.update(&app.db).await.expect("backdate the placement");
    }
    book
}

#[tokio::test]
async fn the_worklist_shows_the_agencys_own_accounts_with_the_debtors_time_and_no_others() {
    let app = spawn_app().await;
    let book = book(&app).await;
    let staff = console_as(&app, "AGENCY", Some(book.agency_a.id)).await;
    let page = staff.get("/work").await;
    assert_eq!(page.status, 200);
    page.shows("ACC-1")
        .shows(&format!(r#"href="/work/accounts/{}""#, book.accounts[0].id))
        .shows(" CST")
        .lacks("ACC-2")
        .lacks("ACC-3");
    let csv = staff.get("/work?format=csv").await;
    assert!(csv.body.contains("ACC-1") && !csv.body.contains("ACC-2"));

    let theirs = staff
        .get(&format!("/work/accounts/{}", book.accounts[1].id))
        .await;
    assert!(
        matches!(theirs.status.as_u16(), 403 | 404),
        "{}",
        theirs.status
    );
    theirs.lacks("ACC-2");

    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    assert_eq!(manager.get("/work").await.status, 403);
}

#[tokio::test]
async fn a_call_outside_the_debtors_hours_is_recorded_with_the_rule_it_broke_in_words() {
    let app = spawn_app().await;
    let book = book(&app).await;
    let staff = console_as(&app, "AGENCY", Some(book.agency_a.id)).await;
    let account = &book.accounts[0];
    let path = format!("/work/accounts/{}", account.id);
    let page = staff.get(&path).await;
    assert_eq!(page.status, 200);
    page.shows("Pat Doe")
        .shows("America/Chicago")
        .shows(r#"name="externalId""#);

    let yesterday = Utc::now().with_timezone(&Chicago).date_naive() - Duration::days(1);
    let late = format!("{yesterday}T21:05");
    let call = [
        ("externalId", "console-call-1"),
        ("type", "CALL"),
        ("occurredAt", late.as_str()),
        ("contactPoint", "+15125550100"),
        ("result", "NO_ANSWER"),
        ("promiseAmount", ""),
        ("promiseDueOn", ""),
        ("currency", "USD"),
    ];
    let reported = staff.post(&format!("{path}/activity"), &call).await;
    assert_eq!(reported.status, 200);
    reported
        .shows("Recorded, but it broke a contact rule.")
        .shows("21:05")
        .shows("outside the permitted hours");
    // The same form sent twice records one call.
    staff.post(&format!("{path}/activity"), &call).await;
    let timeline = staff.get(&path).await;
    assert_eq!(timeline.body.matches("CONTACT_ATTEMPT").count(), 1);

    let promise_without_amount = [
        ("externalId", "console-call-2"),
        ("type", "PROMISE"),
        ("occurredAt", &format!("{yesterday}T10:00")),
        ("contactPoint", "+15125550100"),
        ("result", "RIGHT_PARTY_CONTACT"),
        ("promiseAmount", ""),
        ("promiseDueOn", ""),
        ("currency", "USD"),
    ];
    let refused = staff
        .post(&format!("{path}/activity"), &promise_without_amount)
        .await;
    assert_eq!(refused.status, 400);
    refused.shows("A promise needs an amount and the day it is due.");
}

#[tokio::test]
async fn a_payment_is_recorded_and_the_new_balance_shown() {
    let app = spawn_app().await;
    let book = book(&app).await;
    let staff = console_as(&app, "AGENCY", Some(book.agency_a.id)).await;
    let account = &book.accounts[0];
    let today = Utc::now().date_naive();
    let paid = staff
        .post(
            &format!("/work/accounts/{}/payment", account.id),
            &[
                ("externalId", "console-payment-1"),
                ("amount", "234.56"),
                ("currency", "USD"),
                ("paidOn", &today.to_string()),
                ("paidTo", "AGENCY"),
                ("agencyReference", "R-1"),
            ],
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    paid.shows("Payment recorded. The balance is now $1,000.00.");

    let too_much = staff
        .post(
            &format!("/work/accounts/{}/payment", account.id),
            &[
                ("externalId", "console-payment-2"),
                ("amount", "999999"),
                ("currency", "USD"),
                ("paidOn", &today.to_string()),
                ("paidTo", "AGENCY"),
                ("agencyReference", ""),
            ],
        )
        .await;
    assert_eq!(too_much.status, 400);
    too_much.shows("Not recorded:");
}
