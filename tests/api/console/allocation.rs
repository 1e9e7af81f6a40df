//! Allocation: a strategy made in a form, a dry run that shows the split, the excluded
//! agencies and why, then the run for real, replayed by its idempotency key.

use super::{Page, console_as};
use crate::fixtures;
use crate::helpers::spawn_app;

/// The value of the first `<option>` after `marker` in the page.
fn option_after(page: &Page, marker: &str) -> String {
    page.body
        .split(marker)
        .nth(1)
        .and_then(|rest| rest.split(r#"<option value=""#).nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no option after {marker}:\n{}", page.body))
        .to_owned()
}

#[tokio::test]
async fn a_manager_makes_a_strategy_dry_runs_it_sees_who_was_left_out_and_runs_it_once() {
    let app = spawn_app().await;
    fixtures::qualified_agency(&app.db, "ALPHA", "US-TX", &[]).await;
    fixtures::qualified_agency(&app.db, "BRAVO", "US-TX", &["COLLECTION_LICENSE"]).await;
    let portfolio = fixtures::portfolio(&app.db, "TX-BOOK").await;
    for reference in ["TX-1", "TX-2", "TX-3"] {
        fixtures::delinquent_account(&app.db, portfolio.id, reference, "US-TX", 10).await;
    }
    let manager = console_as(&app, "VENDOR_MANAGER", None).await;
    manager
        .get("/allocation")
        .await
        .shows("No strategies yet.")
        .shows("An allocation needs a current strategy");

    let made = manager
        .post(
            "/allocation/strategies",
            &[
                ("code", "TX-EARLY"),
                ("name", "Texas early stage"),
                ("kindOfWork", "EARLY_STAGE"),
                ("level", "PRIMARY"),
                ("splitMethod", "EQUAL"),
                ("dpdBuckets", "M1"),
                ("regions", "US-TX"),
                ("minBalance", ""),
                ("maxBalance", "ten"),
                ("periodDays", "90"),
                ("action", "create"),
            ],
        )
        .await;
    assert_eq!(made.status, 400);
    made.shows(r#"id="maxBalance-error""#);
    let made = manager
        .post(
            "/allocation/strategies",
            &[
                ("code", "TX-EARLY"),
                ("name", "Texas early stage"),
                ("kindOfWork", "EARLY_STAGE"),
                ("level", "PRIMARY"),
                ("splitMethod", "EQUAL"),
                ("dpdBuckets", "M1"),
                ("regions", "US-TX"),
                ("minBalance", ""),
                ("maxBalance", ""),
                ("periodDays", "90"),
                ("action", "create"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    for (field, value, error) in [
        ("pool", "ALPHA, NOPE", "poolAgencyIds-error"),
        ("championShare", "150", "championShareBp-error"),
        ("products", "CARD, YACHT", "products-error"),
    ] {
        let refused = manager
            .post(
                "/allocation/strategies",
                &[
                    ("code", "TX-OTHER"),
                    ("name", "Texas, another way"),
                    ("kindOfWork", "EARLY_STAGE"),
                    ("level", "PRIMARY"),
                    ("splitMethod", "CHAMPION_CHALLENGER"),
                    ("periodDays", "90"),
                    ("action", "create"),
                    (field, value),
                ],
            )
            .await;
        assert_eq!(refused.status, 400, "{field}");
        refused.shows(&format!(r#"id="{error}""#));
    }
    let page = manager.get("/allocation").await;
    page.shows("Texas early stage").shows("Current");
    let strategy = option_after(&page, r#"name="strategyId""#);
    let portfolio_id = option_after(&page, r#"name="portfolioId""#);
    assert_eq!(portfolio_id, portfolio.id.to_string());

    let dry = manager
        .post(
            "/allocation/dry-run",
            &[
                ("strategyId", strategy.as_str()),
                ("portfolioId", portfolio_id.as_str()),
                ("seed", "0"),
            ],
        )
        .await;
    assert_eq!(dry.status, 200);
    dry.shows("It would place 3 accounts and leave 0 unplaced.")
        .shows("<svg")
        .shows("<td>BRAVO</td>")
        .shows("COLLECTION_LICENSE")
        .shows(r#"name="idempotencyKey""#);
    let key = dry
        .body
        .split(r#"name="idempotencyKey" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let form = [
        ("strategyId", strategy.as_str()),
        ("portfolioId", portfolio_id.as_str()),
        ("seed", "0"),
        ("idempotencyKey", key.as_str()),
    ];
    let ran = manager.post("/allocation/run", &form).await;
    assert_eq!(ran.status, 303);
    let again = manager.post("/allocation/run", &form).await;
    assert_eq!(again.location(), ran.location(), "the key replays the run");

    let run = manager.get(ran.location().unwrap()).await;
    assert_eq!(run.status, 200);
    run.shows("The run placed 3 accounts")
        .shows("TX-1")
        .shows("<td>ALPHA</td>")
        .shows("BRAVO");
    manager
        .get("/allocation/runs")
        .await
        .shows("TX-EARLY v1")
        .shows("TX-BOOK");

    let auditor = console_as(&app, "AUDITOR", None).await;
    auditor
        .get("/allocation")
        .await
        .shows("Texas early stage")
        .lacks("Dry run");
    let agency = fixtures::agency(&app.db, "SOLO").await;
    let staff = console_as(&app, "AGENCY", Some(agency.id)).await;
    assert_eq!(staff.get("/allocation/runs").await.status, 403);
}
