//! The console's jobs done in a real browser, as its users do them.

use chrono::{Duration, Utc};
use chrono_tz::America::Chicago;
use serde_json::json;

use super::Browser;
use crate::demo::demo_app_after_the_next_close;
use crate::fixtures;
use crate::helpers::spawn_app;
use crate::intake::{csv, csv_line};
use crate::mfa::code;
use crate::people::make_person;

#[tokio::test]
async fn a_person_enrols_a_second_factor_and_then_signs_in_with_its_code() {
    let app = spawn_app().await;
    let person = make_person(&app, "FINANCE", None).await;
    let browser = Browser::open(&app.base, "en").await;
    browser.go("/sign-in").await;
    browser.look("sign-in").await;
    browser.sign_in(&person.email, &person.password, None).await;
    browser.go("/settings").await;
    browser.look("settings").await;
    browser.click("form[action='/settings/mfa'] button").await;
    let secret = browser
        .find("input[name=secret]")
        .await
        .attr("value")
        .await
        .unwrap()
        .expect("the enrolment's secret");
    browser.find("img.qr-code").await;
    browser.look("settings-mfa").await;
    browser
        .fill("input[name=code]", &code(&secret, Utc::now()))
        .await;
    browser
        .click("form[action='/settings/mfa/confirm'] button")
        .await;
    browser.sees("Your recovery codes").await;

    browser.click("form[action='/sign-out'] button").await;
    let next = code(&secret, Utc::now() + Duration::seconds(30));
    browser
        .sign_in(&person.email, &person.password, Some(&next))
        .await;
    assert_eq!(browser.path().await, "/");
    browser.sees("Overview").await;
    browser.close().await;
}

#[tokio::test]
async fn a_manager_uploads_accounts_sees_the_rejected_rows_then_dry_runs_and_runs_an_allocation() {
    let app = spawn_app().await;
    fixtures::qualified_agency(&app.db, "ALPHA", "US-TX", &[]).await;
    fixtures::qualified_agency(&app.db, "BRAVO", "US-TX", &["COLLECTION_LICENSE"]).await;
    let portfolio = fixtures::portfolio(&app.db, "TX-CARDS").await;
    let manager = make_person(&app, "VENDOR_MANAGER", None).await;
    let file = tempfile::NamedTempFile::with_suffix(".csv").unwrap();
    let rows = csv(&[
        csv_line("TX-1"),
        csv_line("TX-2"),
        csv_line("TX-3").replace("US-TX", "Texas"),
        csv_line("TX-4"),
    ]);
    std::fs::write(file.path(), rows).unwrap();

    let browser = Browser::open(&app.base, "en").await;
    browser
        .sign_in(&manager.email, &manager.password, None)
        .await;
    browser.go(&format!("/portfolios/{}", portfolio.id)).await;
    browser.look("portfolio").await;
    browser
        .find("input[type=file][name=file]")
        .await
        .send_keys(&file.path().display().to_string())
        .await
        .unwrap();
    browser
        .click("form[data-progress] button[type=submit]")
        .await;
    browser.find("#import-result #import-progress").await;
    // The block polls itself until the import is over.
    browser
        .sees("The import is done; some rows were rejected.")
        .await;
    let result = browser.find("#import-result").await.text().await.unwrap();
    assert!(
        result.contains("Rows read\n4") || result.contains("Rows read 4"),
        "{result}"
    );
    browser
        .find("#import-result a[download='rejected-rows.csv']")
        .await;
    browser.look("portfolio-upload").await;

    browser.go("/allocation").await;
    browser.click("details summary").await;
    browser
        .fill(
            "form[action='/allocation/strategies'] input[name=code]",
            "TX-CARDS",
        )
        .await;
    browser
        .fill(
            "form[action='/allocation/strategies'] input[name=name]",
            "Texas cards",
        )
        .await;
    browser
        .choose("select[name=kindOfWork]", "EARLY_STAGE")
        .await;
    browser.choose("select[name=splitMethod]", "EQUAL").await;
    browser.fill("input[name=regions]", "US-TX").await;
    browser.click("button[name=action][value=create]").await;
    browser.sees("Texas cards").await;
    browser.look("allocation").await;
    browser
        .click("form[action='/allocation/dry-run'] button")
        .await;
    browser.sees("It would place 3 accounts").await;
    browser.sees("BRAVO").await;
    browser.look("allocation-dry-run").await;
    browser.click("form[action='/allocation/run'] button").await;
    browser.sees("The run placed 3 accounts").await;
    browser.look("allocation-run").await;
    browser.close().await;
}

#[tokio::test]
async fn agency_staff_record_a_call_outside_the_debtors_hours_and_see_the_rule_it_broke() {
    let app = spawn_app().await;
    let book = crate::console::work::book(&app).await;
    let staff = make_person(&app, "AGENCY", Some(book.agency_a.id)).await;
    let browser = Browser::open(&app.base, "en").await;
    browser.sign_in(&staff.email, &staff.password, None).await;
    assert_eq!(browser.path().await, "/work");
    browser.sees("ACC-1").await;
    browser.look("work").await;
    browser
        .go(&format!("/work/accounts/{}", book.accounts[0].id))
        .await;
    let yesterday = Utc::now().with_timezone(&Chicago).date_naive() - Duration::days(1);
    browser
        .client
        .execute(
            "document.querySelector('input[name=occurredAt]').value = arguments[0];",
            vec![json!(format!("{yesterday}T21:05"))],
        )
        .await
        .unwrap();
    browser.choose("select[name=result]", "NO_ANSWER").await;
    browser
        .click("form[action$='/activity'] button[type=submit]")
        .await;
    browser.sees("Recorded, but it broke a contact rule.").await;
    browser
        .sees("outside the permitted hours 08:00–21:00")
        .await;
    browser.look("work-call-refused").await;
    browser.close().await;
}

#[tokio::test]
async fn a_second_finance_user_approves_the_statement_the_first_may_not() {
    let app = demo_app_after_the_next_close().await;
    let first = make_person(&app, "FINANCE", None).await;
    let second = make_person(&app, "FINANCE", None).await;
    let browser = Browser::open(&app.base, "en").await;
    browser.sign_in(&first.email, &first.password, None).await;
    browser.go("/finance").await;
    browser
        .click("form[action='/finance/reconciliations'] button")
        .await;
    browser.sees("Reconciliation of").await;
    browser.go("/finance").await;
    browser
        .click("form[action='/finance/statements/generate'] button")
        .await;
    browser.sees("statements generated or rebuilt").await;
    browser.go("/finance?status=DRAFT").await;
    browser.look("finance").await;
    browser.click("table a[href^='/finance/statements/']").await;
    let statement = browser.path().await;
    browser.click("form[action$='/submit'] button").await;
    browser.click("form[action$='/approve'] button").await;
    browser.find("[role=alert]").await;
    browser.look("finance-statement-refused").await;
    browser.click("form[action='/sign-out'] button").await;

    browser.sign_in(&second.email, &second.password, None).await;
    browser.go(&statement).await;
    browser.click("form[action$='/approve'] button").await;
    browser.sees("Approved").await;
    browser.find("form[action$='/paid']").await;
    browser.look("finance-statement").await;
    browser.close().await;
}

#[tokio::test]
async fn a_manager_switches_the_console_to_chinese() {
    let app = demo_app_after_the_next_close().await;
    let manager = make_person(&app, "VENDOR_MANAGER", None).await;
    let browser = Browser::open(&app.base, "en-US").await;
    browser
        .sign_in(&manager.email, &manager.password, None)
        .await;
    browser.sees("Overview").await;
    browser.look("overview").await;
    browser.go("/settings").await;
    browser.choose("select[name=language]", "zh-CN").await;
    browser
        .click("form[action='/settings/preferences'] button")
        .await;
    browser.sees("您的语言和时区已保存。").await;
    browser.go("/").await;
    browser.sees("各机构当前持有的账户数").await;
    browser.look("overview-zh-CN").await;
    browser.go("/agencies").await;
    browser.sees("催收机构").await;
    browser.look("agencies-zh-CN").await;
    browser.close().await;
}

#[tokio::test]
async fn every_page_of_every_role_has_no_serious_accessibility_violation() {
    let app = demo_app_after_the_next_close().await;
    let admin = make_person(&app, "ADMIN", None).await;
    let browser = Browser::open(&app.base, "en").await;
    browser.sign_in(&admin.email, &admin.password, None).await;
    let mut pages = vec![
        "/".to_owned(),
        "/agencies".to_owned(),
        "/agencies/review".to_owned(),
        "/portfolios".to_owned(),
        "/allocation".to_owned(),
        "/allocation/runs".to_owned(),
        "/placements".to_owned(),
        "/performance".to_owned(),
        "/compliance".to_owned(),
        "/finance".to_owned(),
        "/audit".to_owned(),
        "/jobs".to_owned(),
        "/settings".to_owned(),
    ];
    browser.go("/agencies").await;
    let agency = browser
        .find("table a[href^='/agencies/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.go("/portfolios").await;
    let portfolio = browser
        .find("table a[href^='/portfolios/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.go(&portfolio).await;
    let account = browser
        .find("table a[href^='/compliance/accounts/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.go("/finance").await;
    let reconciliation = browser
        .find("table a[href^='/finance/reconciliations/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let exceptions = format!("{reconciliation}?open=true");
    pages.extend([agency, portfolio, account, exceptions.clone()]);
    for page in &pages {
        browser.go(page).await;
        browser.find("main h1").await;
        browser.assert_accessible().await;
    }
    browser.go("/agencies").await;
    browser.look("agencies").await;
    browser.go("/compliance").await;
    browser.look("compliance").await;
    browser.go("/audit").await;
    browser.look("audit").await;
    browser.go(&exceptions).await;
    browser.look("finance-exceptions").await;
    browser.close().await;

    let acme = fixtures_acme(&app).await;
    let staff = make_person(&app, "AGENCY", Some(acme)).await;
    let browser = Browser::open(&app.base, "en").await;
    browser.sign_in(&staff.email, &staff.password, None).await;
    browser.go("/work").await;
    let account = browser
        .find("table a[href^='/work/accounts/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    for page in [
        account.as_str(),
        "/work",
        "/work/incidents",
        "/work/scorecard",
        "/work/papers",
        "/work/statements",
        "/settings",
    ] {
        browser.go(page).await;
        browser.find("main h1").await;
        browser.assert_accessible().await;
    }
    browser.go(&account).await;
    browser.look("work-account").await;
    browser.close().await;
}

async fn fixtures_acme(app: &crate::helpers::TestApp) -> i64 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::agency::Entity::find()
        .filter(entity::agency::Column::Code.eq("ACME"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the demo's ACME")
        .id
}
