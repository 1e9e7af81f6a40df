//! A small, hand-made book of business: two agencies, one portfolio, three accounts,
//! the first held by agency A, the second by agency B, the third unplaced.

use chrono::{Duration, NaiveDate, Utc};
use entity::account::{self, AccountFlags, Phones, Product};
use entity::agency::{
    self, AgencyStatus, Channel, Channels, KindOfWork, KindsOfWork, Regions, RemittanceMode,
};
use entity::agency_qualification::{self, QualificationStatus};
use entity::placement::{self, PlacementLevel, PlacementStatus};
use entity::portfolio;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, IntoActiveModel};

pub struct Book {
    pub agency_a: agency::Model,
    pub agency_b: agency::Model,
    pub portfolio: portfolio::Model,
    pub accounts: Vec<account::Model>,
    pub placements: Vec<placement::Model>,
}

pub async fn agency(db: &DatabaseConnection, code: &str) -> agency::Model {
    let now = Utc::now();
    agency::ActiveModel {
        code: Set(code.to_owned()),
        legal_name: Set(format!("{code} Collections Ltd")),
        status: Set(AgencyStatus::Active),
        kinds_of_work: Set(KindsOfWork(vec![KindOfWork::EarlyStage])),
        channels: Set(Channels(vec![Channel::Call, Channel::Sms])),
        regions: Set(Regions(vec!["US-TX".into()])),
        max_active_accounts: Set(Some(100)),
        max_active_balance_minor: Set(Some(10_000_000)),
        capacity_currency: Set("USD".into()),
        remittance_mode: Set(RemittanceMode::Gross),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert agency")
}

pub async fn account(
    db: &DatabaseConnection,
    portfolio_id: i64,
    reference: &str,
    outstanding_minor: i64,
) -> account::Model {
    let now = Utc::now();
    account::ActiveModel {
        portfolio_id: Set(portfolio_id),
        lender_reference: Set(reference.to_owned()),
        debtor_name: Set("Pat Doe".into()),
        debtor_phones: Set(Phones(vec!["+15125550100".into()])),
        debtor_email: Set(None),
        national_id_hash: Set(None),
        national_id_last4: Set(Some("1234".into())),
        region: Set("US-TX".into()),
        time_zone: Set("America/Chicago".into()),
        product: Set(Product::Card),
        principal_minor: Set(outstanding_minor),
        outstanding_minor: Set(outstanding_minor),
        currency: Set("USD".into()),
        delinquency_start: Set(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()),
        charge_off_date: Set(None),
        flags: Set(AccountFlags::default()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert account")
}

pub fn active_placement(account: &account::Model, agency_id: i64) -> placement::ActiveModel {
    let now = Utc::now();
    placement::ActiveModel {
        account_id: Set(account.id),
        agency_id: Set(agency_id),
        level: Set(PlacementLevel::Primary),
        status: Set(PlacementStatus::Active),
        placed_at: Set(now),
        due_back_on: Set(now.date_naive() + Duration::days(90)),
        balance_at_placement_minor: Set(account.outstanding_minor),
        currency: Set(account.currency.clone()),
        ended_at: Set(None),
        end_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub async fn portfolio(db: &DatabaseConnection, code: &str) -> portfolio::Model {
    portfolio::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(format!("{code} portfolio")),
        currency: Set("USD".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert portfolio")
}

/// Today in UTC, as the service counts days.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A VERIFIED qualification issued 30 days ago and expiring in two years, not yet
/// inserted: set other fields (status, dates) for states the API cannot produce.
pub fn qualification(
    agency_id: i64,
    qualification_type: &str,
    region: Option<&str>,
) -> agency_qualification::ActiveModel {
    let now = Utc::now();
    agency_qualification::ActiveModel {
        agency_id: Set(agency_id),
        qualification_type: Set(qualification_type.to_owned()),
        region: Set(region.map(str::to_owned)),
        identifier: Set(format!("{qualification_type}-{agency_id}")),
        issuer: Set("Test Issuer".into()),
        issued_on: Set(today() - Duration::days(30)),
        expires_on: Set(Some(today() + Duration::days(730))),
        document_url: Set(Some("https://docs.example/proof.pdf".into())),
        document_sha256: Set(Some("ab".repeat(32))),
        status: Set(QualificationStatus::Verified),
        reviewed_by: Set(Some("system:test".into())),
        review_note: Set(None),
        reviewed_at: Set(Some(now)),
        submitted_by: Set(Some("system:test".into())),
        revocation_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub async fn book(db: &DatabaseConnection) -> Book {
    let agency_a = agency(db, "ALPHA").await;
    let agency_b = agency(db, "BRAVO").await;
    let portfolio = portfolio::ActiveModel {
        code: Set("P1".into()),
        name: Set("Test portfolio".into()),
        currency: Set("USD".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert portfolio");
    let mut accounts = Vec::new();
    for (i, balance) in [123_456_i64, 98_765, 5_000].into_iter().enumerate() {
        accounts.push(account(db, portfolio.id, &format!("ACC-{}", i + 1), balance).await);
    }
    let placements = vec![
        active_placement(&accounts[0], agency_a.id)
            .insert(db)
            .await
            .expect("place 1"),
        active_placement(&accounts[1], agency_b.id)
            .insert(db)
            .await
            .expect("place 2"),
    ];
    Book {
        agency_a,
        agency_b,
        portfolio,
        accounts,
        placements,
    }
}

/// The papers early-stage work needs: a collection licence for the region, a
/// data-protection certificate and a recent annual audit.
pub const PAPERS: [&str; 3] = ["COLLECTION_LICENSE", "DATA_PROTECTION_CERT", "ANNUAL_AUDIT"];

/// An ACTIVE early-stage agency serving `region`, with every paper of `PAPERS` verified
/// (valid for two years) except those named in `missing`.
pub async fn qualified_agency(
    db: &DatabaseConnection,
    code: &str,
    region: &str,
    missing: &[&str],
) -> agency::Model {
    let mut agency = agency(db, code).await;
    if agency.regions.0 != [region] {
        let mut row = agency.into_active_model();
        row.regions = Set(Regions(vec![region.to_owned()]));
        agency = row.update(db).await.expect("set the agency's region");
    }
    for kind in PAPERS.into_iter().filter(|kind| !missing.contains(kind)) {
        let scope = (kind == "COLLECTION_LICENSE").then_some(region);
        qualification(agency.id, kind, scope)
            .insert(db)
            .await
            .expect("insert qualification");
    }
    agency
}

/// An account of 100.00 USD in `region`, `days_past_due` days into delinquency today
/// (1 to 30 days is the default bucket M1).
pub async fn delinquent_account(
    db: &DatabaseConnection,
    portfolio_id: i64,
    reference: &str,
    region: &str,
    days_past_due: i64,
) -> account::Model {
    let mut row = account(db, portfolio_id, reference, 10_000)
        .await
        .into_active_model();
    row.region = Set(region.to_owned());
    row.delinquency_start = Set(today() - Duration::days(days_past_due));
    row.update(db).await.expect("set the account's delinquency")
}
