//! `agencyEligibility`: whether an agency may receive a kind of work in a region for a
//! period, and every reason it may not. States the API cannot produce directly (lapsed
//! or old papers, placements) are inserted as rows.

use chrono::{Duration, Months, NaiveDate};
use entity::agency;
use entity::agency_qualification::{ActiveModel as QualificationRow, QualificationStatus};
use entity::api_token::Role;
use entity::placement::PlacementStatus;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use crate::fixtures::{self, today};
use crate::helpers::{Answer, TestApp, spawn_app, token};

const ELIGIBILITY: &str = r#"
query($agencyId: ID!, $kind: KindOfWork!, $region: String!, $from: NaiveDate!, $to: NaiveDate!) {
  agencyEligibility(agencyId: $agencyId, kindOfWork: $kind, region: $region, from: $from, to: $to) {
    eligible
    reasons { code qualificationType message }
    remainingCapacity { accounts balance { amount currency } }
  }
}"#;

const LICENCE: &str = "COLLECTION_LICENSE";
const DATA_PROTECTION: &str = "DATA_PROTECTION_CERT";
const AUDIT: &str = "ANNUAL_AUDIT";

/// The placement asked about: from a week from now, for 90 days.
fn from() -> NaiveDate {
    today() + Duration::days(7)
}

fn to() -> NaiveDate {
    from() + Duration::days(90)
}

/// What is asked: a kind of work in a region, from `from` to `to`.
struct Ask {
    kind: &'static str,
    region: &'static str,
    from: NaiveDate,
    to: NaiveDate,
}

/// `kind` in `region` for the usual period, `from()` to `to()`.
fn work(kind: &'static str, region: &'static str) -> Ask {
    Ask {
        kind,
        region,
        from: from(),
        to: to(),
    }
}

fn early_stage_in_texas() -> Ask {
    work("EARLY_STAGE", "US-TX")
}

impl Ask {
    fn variables(&self, agency_id: i64) -> Value {
        json!({
            "agencyId": agency_id.to_string(),
            "kind": self.kind,
            "region": self.region,
            "from": self.from.to_string(),
            "to": self.to.to_string(),
        })
    }
}

async fn ask(app: &TestApp, token: &str, agency_id: i64, ask: &Ask) -> Answer {
    app.gql(Some(token), ELIGIBILITY, ask.variables(agency_id))
        .await
}

/// The answer's reasons as (code, qualificationType), after checking `eligible`
/// agrees with them and every reason has a message.
async fn reasons(app: &TestApp, agency_id: i64, question: &Ask) -> Vec<(String, Option<String>)> {
    let answer = ask(app, &app.admin_token, agency_id, question).await;
    let eligibility = &answer.data()["agencyEligibility"];
    let reasons: Vec<_> = eligibility["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
            (
                r["code"].as_str().unwrap().to_owned(),
                r["qualificationType"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(eligibility["eligible"], reasons.is_empty(), "{eligibility}");
    reasons
}

fn reason(code: &str, qualification_type: Option<&str>) -> (String, Option<String>) {
    (code.to_owned(), qualification_type.map(str::to_owned))
}

async fn insert(app: &TestApp, row: QualificationRow) {
    row.insert(&app.db).await.expect("insert qualification");
}

/// The verified papers early-stage work in US-TX needs.
fn papers(agency_id: i64) -> [(&'static str, QualificationRow); 3] {
    [
        (
            LICENCE,
            fixtures::qualification(agency_id, LICENCE, Some("US-TX")),
        ),
        (
            DATA_PROTECTION,
            fixtures::qualification(agency_id, DATA_PROTECTION, None),
        ),
        (AUDIT, fixtures::qualification(agency_id, AUDIT, None)),
    ]
}

/// An ACTIVE agency doing early-stage work in US-TX with every paper verified except
/// those of the types in `except`.
async fn agency_with_papers_except(app: &TestApp, code: &str, except: &[&str]) -> agency::Model {
    let agency = fixtures::agency(&app.db, code).await;
    for (kind, row) in papers(agency.id) {
        if !except.contains(&kind) {
            insert(app, row).await;
        }
    }
    agency
}

async fn eligible_agency(app: &TestApp, code: &str) -> agency::Model {
    agency_with_papers_except(app, code, &[]).await
}

/// A qualification row of `kind` for the agency with `status`, issued and expiring on the given dates.
fn paper(
    agency_id: i64,
    kind: &str,
    status: QualificationStatus,
    issued_on: NaiveDate,
    expires_on: Option<NaiveDate>,
) -> QualificationRow {
    let region = (kind == LICENCE).then_some("US-TX");
    let mut row = fixtures::qualification(agency_id, kind, region);
    row.status = Set(status);
    row.issued_on = Set(issued_on);
    row.expires_on = Set(expires_on);
    row
}

async fn change_status(app: &TestApp, agency_id: i64, status: &str) {
    let moved = app
        .admin(
            "mutation($id: ID!, $status: AgencyStatus!) { changeAgencyStatus(id: $id, status: $status, reason: \"performance review\") { status } }",
            json!({ "id": agency_id.to_string(), "status": status }),
        )
        .await;
    assert_eq!(moved.data()["changeAgencyStatus"]["status"], status);
}

async fn update_agency(app: &TestApp, agency_id: i64, input: Value) {
    app.admin(
        "mutation($id: ID!, $input: UpdateAgencyInput!) { updateAgency(id: $id, input: $input) { id } }",
        json!({ "id": agency_id.to_string(), "input": input }),
    )
    .await
    .data();
}

#[tokio::test]
async fn an_agency_with_everything_verified_is_eligible() {
    let app = spawn_app().await;
    let agency = eligible_agency(&app, "ALPHA").await;
    let answer = ask(&app, &app.admin_token, agency.id, &early_stage_in_texas()).await;
    assert_eq!(
        answer.data()["agencyEligibility"],
        json!({
            "eligible": true,
            "reasons": [],
            "remainingCapacity": { "accounts": 100, "balance": { "amount": "100000.00", "currency": "USD" } },
        })
    );

    change_status(&app, agency.id, "PROBATION").await;
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![]
    );
}

#[tokio::test]
async fn an_agency_that_is_not_active_or_on_probation_is_not_eligible() {
    let app = spawn_app().await;
    let agency = eligible_agency(&app, "ALPHA").await;
    change_status(&app, agency.id, "SUSPENDED").await;
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason("AGENCY_STATUS", None)]
    );
    change_status(&app, agency.id, "TERMINATED").await;
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason("AGENCY_STATUS", None)]
    );
}

#[tokio::test]
async fn work_the_agency_does_not_take_is_not_offered() {
    let app = spawn_app().await;
    let agency = eligible_agency(&app, "ALPHA").await;
    assert_eq!(
        reasons(&app, agency.id, &work("LATE_STAGE", "US-TX")).await,
        vec![reason("KIND_NOT_OFFERED", None)]
    );
    update_agency(
        &app,
        agency.id,
        json!({ "kindsOfWork": ["EARLY_STAGE", "LATE_STAGE"] }),
    )
    .await;
    assert_eq!(
        reasons(&app, agency.id, &work("LATE_STAGE", "US-TX")).await,
        vec![]
    );
}

#[tokio::test]
async fn a_region_the_agency_does_not_serve_is_refused_even_with_a_licence() {
    let app = spawn_app().await;
    let agency = eligible_agency(&app, "ALPHA").await;
    insert(
        &app,
        fixtures::qualification(agency.id, LICENCE, Some("US-CA")),
    )
    .await;
    assert_eq!(
        reasons(&app, agency.id, &work("EARLY_STAGE", "US-CA")).await,
        vec![reason("REGION_NOT_SERVED", None)]
    );
    update_agency(&app, agency.id, json!({ "regions": ["US-TX", "US-CA"] })).await;
    assert_eq!(
        reasons(&app, agency.id, &work("EARLY_STAGE", "US-CA")).await,
        vec![]
    );
}

#[tokio::test]
async fn a_required_qualification_not_on_record_is_missing() {
    let app = spawn_app().await;
    let no_certificate = agency_with_papers_except(&app, "ALPHA", &[DATA_PROTECTION]).await;
    assert_eq!(
        reasons(&app, no_certificate.id, &early_stage_in_texas()).await,
        vec![reason("MISSING", Some(DATA_PROTECTION))]
    );
    // Rejected and revoked papers do not count.
    for status in [QualificationStatus::Rejected, QualificationStatus::Revoked] {
        insert(
            &app,
            paper(
                no_certificate.id,
                DATA_PROTECTION,
                status,
                today() - Duration::days(30),
                Some(today() + Duration::days(700)),
            ),
        )
        .await;
    }
    assert_eq!(
        reasons(&app, no_certificate.id, &early_stage_in_texas()).await,
        vec![reason("MISSING", Some(DATA_PROTECTION))]
    );

    // A licence covers one region only.
    let licensed_elsewhere = agency_with_papers_except(&app, "BRAVO", &[LICENCE]).await;
    insert(
        &app,
        fixtures::qualification(licensed_elsewhere.id, LICENCE, Some("US-CA")),
    )
    .await;
    assert_eq!(
        reasons(&app, licensed_elsewhere.id, &early_stage_in_texas()).await,
        vec![reason("MISSING", Some(LICENCE))]
    );

    // Legal work needs a legal practice licence on top.
    let law_firm = eligible_agency(&app, "CHARLIE").await;
    update_agency(&app, law_firm.id, json!({ "kindsOfWork": ["LEGAL"] })).await;
    assert_eq!(
        reasons(&app, law_firm.id, &work("LEGAL", "US-TX")).await,
        vec![reason("MISSING", Some("LEGAL_PRACTICE_LICENSE"))]
    );
    insert(
        &app,
        fixtures::qualification(law_firm.id, "LEGAL_PRACTICE_LICENSE", None),
    )
    .await;
    assert_eq!(
        reasons(&app, law_firm.id, &work("LEGAL", "US-TX")).await,
        vec![]
    );
}

#[tokio::test]
async fn a_qualification_awaiting_review_does_not_count_yet() {
    let app = spawn_app().await;
    let agency = agency_with_papers_except(&app, "ALPHA", &[DATA_PROTECTION]).await;
    let own = token(&app.db, Role::Agency, Some(agency.id)).await;
    let filed = app
        .gql(
            Some(&own),
            "mutation($input: SubmitQualificationInput!) { submitQualification(input: $input) { id status } }",
            json!({ "input": {
                "qualificationType": DATA_PROTECTION,
                "identifier": "ISO27701-7",
                "issuer": "BSI",
                "issuedOn": (today() - Duration::days(5)).to_string(),
                "expiresOn": (today() + Duration::days(900)).to_string(),
                "documentUrl": "https://docs.agency.example/iso.pdf",
                "documentSha256": "0f".repeat(32),
            } }),
        )
        .await;
    let filed = &filed.data()["submitQualification"];
    assert_eq!(filed["status"], "PENDING_REVIEW");
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason("PENDING_REVIEW", Some(DATA_PROTECTION))]
    );

    app.admin(
        "mutation($id: ID!) { reviewQualification(id: $id, decision: VERIFY) { status } }",
        json!({ "id": filed["id"] }),
    )
    .await
    .data();
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![]
    );
}

#[tokio::test]
async fn a_lapsed_qualification_is_expired() {
    let app = spawn_app().await;
    let issued = today() - Duration::days(400);
    let cases = [
        // Still VERIFIED (the expiry run has not passed), but lapsed yesterday.
        (
            "ALPHA",
            QualificationStatus::Verified,
            today() - Duration::days(1),
        ),
        // Marked EXPIRED by the expiry run.
        (
            "BRAVO",
            QualificationStatus::Expired,
            today() - Duration::days(1),
        ),
        // Valid today, but lapses before the placement starts.
        (
            "CHARLIE",
            QualificationStatus::Verified,
            from() - Duration::days(1),
        ),
    ];
    for (code, status, expires_on) in cases {
        let agency = agency_with_papers_except(&app, code, &[LICENCE]).await;
        insert(
            &app,
            paper(agency.id, LICENCE, status, issued, Some(expires_on)),
        )
        .await;
        assert_eq!(
            reasons(&app, agency.id, &early_stage_in_texas()).await,
            vec![reason("EXPIRED", Some(LICENCE))],
            "{code}"
        );
    }
}

#[tokio::test]
async fn a_qualification_lapsing_during_the_placement_is_flagged() {
    let app = spawn_app().await;
    let agency = agency_with_papers_except(&app, "ALPHA", &[DATA_PROTECTION]).await;
    insert(
        &app,
        paper(
            agency.id,
            DATA_PROTECTION,
            QualificationStatus::Verified,
            today() - Duration::days(300),
            Some(from() + Duration::days(30)),
        ),
    )
    .await;
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason(
            "EXPIRES_BEFORE_PLACEMENT_ENDS",
            Some(DATA_PROTECTION)
        )]
    );
    let shorter = Ask {
        from: from(),
        to: from() + Duration::days(20),
        ..early_stage_in_texas()
    };
    assert_eq!(reasons(&app, agency.id, &shorter).await, vec![]);
}

#[tokio::test]
async fn an_annual_audit_older_than_twelve_months_is_outdated() {
    let app = spawn_app().await;
    let far_expiry = Some(today() + Duration::days(700));
    let old = agency_with_papers_except(&app, "ALPHA", &[AUDIT]).await;
    let thirteen_months = from().checked_sub_months(Months::new(13)).unwrap();
    insert(
        &app,
        paper(
            old.id,
            AUDIT,
            QualificationStatus::Verified,
            thirteen_months,
            far_expiry,
        ),
    )
    .await;
    assert_eq!(
        reasons(&app, old.id, &early_stage_in_texas()).await,
        vec![reason("OUTDATED", Some(AUDIT))]
    );

    let recent_enough = agency_with_papers_except(&app, "BRAVO", &[AUDIT]).await;
    let eleven_months = from().checked_sub_months(Months::new(11)).unwrap();
    insert(
        &app,
        paper(
            recent_enough.id,
            AUDIT,
            QualificationStatus::Verified,
            eleven_months,
            far_expiry,
        ),
    )
    .await;
    assert_eq!(
        reasons(&app, recent_enough.id, &early_stage_in_texas()).await,
        vec![]
    );
}

#[tokio::test]
async fn an_agency_at_its_capacity_is_out_of_capacity() {
    let app = spawn_app().await;
    let agency = eligible_agency(&app, "ALPHA").await;
    update_agency(
        &app,
        agency.id,
        json!({ "capacity": { "maxActiveAccounts": 2 } }),
    )
    .await;
    let portfolio = fixtures::portfolio(&app.db, "P1").await;
    let mut accounts = Vec::new();
    for i in 0..3 {
        accounts.push(fixtures::account(&app.db, portfolio.id, &format!("ACC-{i}"), 10_000).await);
    }
    let remaining =
        |answer: &Answer| answer.data()["agencyEligibility"]["remainingCapacity"].clone();

    // A recalled placement holds nothing.
    let mut recalled = fixtures::active_placement(&accounts[0], agency.id);
    recalled.status = Set(PlacementStatus::Recalled);
    recalled.ended_at = Set(Some(chrono::Utc::now()));
    recalled.insert(&app.db).await.unwrap();
    fixtures::active_placement(&accounts[1], agency.id)
        .insert(&app.db)
        .await
        .unwrap();
    let one_held = ask(&app, &app.admin_token, agency.id, &early_stage_in_texas()).await;
    assert_eq!(one_held.data()["agencyEligibility"]["eligible"], true);
    assert_eq!(
        remaining(&one_held),
        json!({ "accounts": 1, "balance": null })
    );

    fixtures::active_placement(&accounts[2], agency.id)
        .insert(&app.db)
        .await
        .unwrap();
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason("OUT_OF_CAPACITY", None)]
    );
    let full = ask(&app, &app.admin_token, agency.id, &early_stage_in_texas()).await;
    assert_eq!(remaining(&full), json!({ "accounts": 0, "balance": null }));

    // The balance limit counts too.
    update_agency(
        &app,
        agency.id,
        json!({ "capacity": { "maxActiveBalance": { "amount": "200.00", "currency": "USD" } } }),
    )
    .await;
    let by_balance = ask(&app, &app.admin_token, agency.id, &early_stage_in_texas()).await;
    assert_eq!(
        remaining(&by_balance),
        json!({ "accounts": null, "balance": { "amount": "0.00", "currency": "USD" } })
    );
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason("OUT_OF_CAPACITY", None)]
    );
}

#[tokio::test]
async fn every_reason_is_listed_at_once() {
    let app = spawn_app().await;
    let agency = fixtures::agency(&app.db, "ALPHA").await;
    change_status(&app, agency.id, "SUSPENDED").await;
    let mut found = reasons(&app, agency.id, &work("LATE_STAGE", "US-CA")).await;
    found.sort();
    let mut expected = vec![
        reason("AGENCY_STATUS", None),
        reason("KIND_NOT_OFFERED", None),
        reason("REGION_NOT_SERVED", None),
        reason("MISSING", Some(LICENCE)),
        reason("MISSING", Some(DATA_PROTECTION)),
        reason("MISSING", Some(AUDIT)),
    ];
    expected.sort();
    assert_eq!(found, expected);

    let mixed = agency_with_papers_except(&app, "BRAVO", &[AUDIT, DATA_PROTECTION]).await;
    insert(
        &app,
        paper(
            mixed.id,
            DATA_PROTECTION,
            QualificationStatus::PendingReview,
            today(),
            None,
        ),
    )
    .await;
    let mut found = reasons(&app, mixed.id, &early_stage_in_texas()).await;
    found.sort();
    assert_eq!(
        found,
        vec![
            reason("MISSING", Some(AUDIT)),
            reason("PENDING_REVIEW", Some(DATA_PROTECTION)),
        ]
    );
}

#[tokio::test]
async fn requirements_decide_what_is_needed() {
    let app = spawn_app().await;
    let agency = agency_with_papers_except(&app, "ALPHA", &[DATA_PROTECTION]).await;
    let set = "mutation($input: QualificationRequirementInput!) { setQualificationRequirement(input: $input) { active } }";

    app.admin(
        set,
        json!({ "input": { "qualificationType": DATA_PROTECTION, "required": false } }),
    )
    .await
    .data();
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![]
    );

    app.admin(
        set,
        json!({ "input": { "qualificationType": "PCI_DSS", "kindOfWork": "EARLY_STAGE", "region": "UK" } }),
    )
    .await
    .data();
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![],
        "a UK rule does not apply in US-TX"
    );
    app.admin(
        set,
        json!({ "input": { "qualificationType": "PCI_DSS", "kindOfWork": "EARLY_STAGE", "region": "US-TX" } }),
    )
    .await
    .data();
    assert_eq!(
        reasons(&app, agency.id, &early_stage_in_texas()).await,
        vec![reason("MISSING", Some("PCI_DSS"))]
    );
}

#[tokio::test]
async fn a_placement_cannot_end_before_it_starts() {
    let app = spawn_app().await;
    let agency = eligible_agency(&app, "ALPHA").await;
    let backwards = Ask {
        from: from(),
        to: from() - Duration::days(1),
        ..early_stage_in_texas()
    };
    let refused = ask(&app, &app.admin_token, agency.id, &backwards).await;
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    assert_eq!(refused.body["errors"][0]["extensions"]["field"], "to");

    let one_day = Ask {
        from: from(),
        to: from(),
        ..early_stage_in_texas()
    };
    assert_eq!(reasons(&app, agency.id, &one_day).await, vec![]);

    let bad_region = ask(
        &app,
        &app.admin_token,
        agency.id,
        &work("EARLY_STAGE", "texas"),
    )
    .await;
    assert_eq!(bad_region.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        bad_region.body["errors"][0]["extensions"]["field"],
        "region"
    );
    let nobody = ask(&app, &app.admin_token, 424_242, &early_stage_in_texas()).await;
    assert_eq!(nobody.code(), Some("NOT_FOUND"));
}

#[tokio::test]
async fn an_agency_asks_about_itself_only() {
    let app = spawn_app().await;
    let alpha = eligible_agency(&app, "ALPHA").await;
    let bravo = eligible_agency(&app, "BRAVO").await;
    let alpha_token = token(&app.db, Role::Agency, Some(alpha.id)).await;

    let other = ask(&app, &alpha_token, bravo.id, &early_stage_in_texas()).await;
    assert_eq!(other.code(), Some("FORBIDDEN"));
    let own = ask(&app, &alpha_token, alpha.id, &early_stage_in_texas()).await;
    assert_eq!(own.data()["agencyEligibility"]["eligible"], true);
    let elsewhere = ask(&app, &alpha_token, alpha.id, &work("LATE_STAGE", "US-TX")).await;
    assert_eq!(
        elsewhere.data()["agencyEligibility"]["reasons"][0]["code"],
        "KIND_NOT_OFFERED"
    );

    for role in [Role::VendorManager, Role::Finance, Role::Auditor] {
        let staff = token(&app.db, role, None).await;
        let answer = ask(&app, &staff, bravo.id, &early_stage_in_texas()).await;
        assert_eq!(
            answer.data()["agencyEligibility"]["eligible"],
            true,
            "{role:?}"
        );
    }
}
