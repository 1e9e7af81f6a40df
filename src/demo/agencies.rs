//! The demo's agencies. Six US collectors work the US card book in the simulated history
//! (onboarded through the API by the simulation, see [`SIMULATED`]); the book adds nine
//! more with their qualifications: call centres and late-stage specialists in the UK and
//! China, a digital agency, two law firms, one on probation and one still onboarding,
//! some papers expired or expiring. Those hold no work yet.

use chrono::{Duration, NaiveDate};
use entity::agency::{AgencyStatus, Channel, KindOfWork, RemittanceMode};
use entity::agency_qualification::QualificationStatus;

pub struct DemoAgency {
    pub code: &'static str,
    pub legal_name: &'static str,
    pub status: AgencyStatus,
    pub kinds: &'static [KindOfWork],
    pub channels: &'static [Channel],
    pub regions: &'static [&'static str],
    pub max_active_accounts: i64,
    /// In whole units of `capacity_currency`.
    pub max_active_balance: i64,
    pub capacity_currency: &'static str,
    pub remittance: RemittanceMode,
    /// Why the agency is in its status, when the lifecycle asks for a reason.
    pub status_reason: Option<&'static str>,
    /// Days from today until the agency's collection licences expire (negative: lapsed).
    pub licence_expires_in_days: i64,
}

use Channel::*;
use KindOfWork::*;

/// The agencies the simulated history onboards and plays, from the best collector to the
/// worst (which now and then ignores the contact rules): code and legal name.
pub const SIMULATED: &[(&str, &str)] = &[
    ("ACME", "Acme Recoveries LLC"),
    ("BLUEWATER", "Bluewater Collections Inc."),
    ("SUMMIT", "Summit Recovery Specialists LLC"),
    ("LIBERTY", "Liberty Credit Partners LLC"),
    ("KEYSTONE", "Keystone Receivables Inc."),
    ("GULFSTAR", "Gulfstar Collections LLC"),
];

pub const AGENCIES: &[DemoAgency] = &[
    DemoAgency {
        code: "CARDINAL",
        legal_name: "Cardinal Contact Centre Ltd",
        status: AgencyStatus::Active,
        kinds: &[EarlyStage],
        channels: &[Call, Sms, Email, Letter],
        regions: &["UK"],
        max_active_accounts: 600,
        max_active_balance: 9_000_000,
        capacity_currency: "GBP",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 300,
        status_reason: None,
    },
    DemoAgency {
        code: "DRAGONPEAK",
        legal_name: "Dragon Peak Credit Management Co., Ltd.",
        status: AgencyStatus::Active,
        kinds: &[EarlyStage],
        channels: &[Call, Sms],
        regions: &["CN-31", "CN-44"],
        max_active_accounts: 600,
        max_active_balance: 72_000_000,
        capacity_currency: "CNY",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 250,
        status_reason: None,
    },
    DemoAgency {
        code: "NORTHGATE",
        legal_name: "Northgate Credit Services Ltd",
        status: AgencyStatus::Active,
        kinds: &[LateStage, ChargedOff],
        channels: &[Call, Letter, FieldVisit],
        regions: &["UK"],
        max_active_accounts: 400,
        max_active_balance: 12_000_000,
        capacity_currency: "GBP",
        remittance: RemittanceMode::Net,
        licence_expires_in_days: 25,
        status_reason: None,
    },
    DemoAgency {
        code: "JADERIVER",
        legal_name: "Jade River Asset Services Co., Ltd.",
        status: AgencyStatus::Active,
        kinds: &[LateStage],
        channels: &[Call, Letter],
        regions: &["CN-31", "CN-44"],
        max_active_accounts: 400,
        max_active_balance: 60_000_000,
        capacity_currency: "CNY",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 610,
        status_reason: None,
    },
    DemoAgency {
        code: "PINGDIGITAL",
        legal_name: "Ping Digital Collections Ltd",
        status: AgencyStatus::Active,
        kinds: &[Digital, EarlyStage],
        channels: &[Sms, Email],
        regions: &["US-CA", "US-TX", "US-NY", "US-FL", "UK"],
        max_active_accounts: 1500,
        max_active_balance: 18_000_000,
        capacity_currency: "USD",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 330,
        status_reason: None,
    },
    DemoAgency {
        code: "HARTLEY",
        legal_name: "Hartley & Stone LLP",
        status: AgencyStatus::Active,
        kinds: &[Legal],
        channels: &[Letter, LegalAction],
        regions: &["US-CA", "US-TX", "US-NY", "US-FL"],
        max_active_accounts: 250,
        max_active_balance: 24_000_000,
        capacity_currency: "USD",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 700,
        status_reason: None,
    },
    DemoAgency {
        code: "BRAMWELL",
        legal_name: "Bramwell Solicitors LLP",
        status: AgencyStatus::Active,
        kinds: &[Legal],
        channels: &[Letter, LegalAction],
        regions: &["UK"],
        max_active_accounts: 150,
        max_active_balance: 9_000_000,
        capacity_currency: "GBP",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 9,
        status_reason: None,
    },
    DemoAgency {
        code: "MERIDIAN",
        legal_name: "Meridian Receivables Group",
        status: AgencyStatus::Probation,
        kinds: &[ChargedOff],
        channels: &[Call, Letter],
        regions: &["US-TX", "US-FL"],
        max_active_accounts: 300,
        max_active_balance: 9_000_000,
        capacity_currency: "USD",
        remittance: RemittanceMode::Net,
        licence_expires_in_days: -20,
        status_reason: Some(
            "recovery rate 38% below the peer median for two quarters; remediation plan agreed",
        ),
    },
    DemoAgency {
        code: "OAKTREE",
        legal_name: "Oaktree Collections Inc.",
        status: AgencyStatus::Onboarding,
        kinds: &[EarlyStage],
        channels: &[Call, Sms],
        regions: &["US-CA", "US-NY"],
        max_active_accounts: 300,
        max_active_balance: 4_800_000,
        capacity_currency: "USD",
        remittance: RemittanceMode::Gross,
        licence_expires_in_days: 365,
        status_reason: None,
    },
];

pub struct DemoQualification {
    pub qualification_type: &'static str,
    pub region: Option<&'static str>,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub status: QualificationStatus,
}

fn licence_issuer(region: &str) -> String {
    match region {
        "UK" => "Financial Conduct Authority".to_owned(),
        r if r.starts_with("CN") => format!("Local Financial Regulatory Bureau ({r})"),
        r => format!("Department of Financial Protection ({r})"),
    }
}

/// The qualifications on record for `agency`, relative to `today`.
pub fn qualifications(agency: &DemoAgency, today: NaiveDate) -> Vec<DemoQualification> {
    let onboarding = agency.status == AgencyStatus::Onboarding;
    let licence_expiry = today + Duration::days(agency.licence_expires_in_days);
    let licence_status = match (onboarding, agency.licence_expires_in_days < 0) {
        (true, _) => QualificationStatus::PendingReview,
        (false, true) => QualificationStatus::Expired,
        (false, false) => QualificationStatus::Verified,
    };
    let verified_unless_onboarding = if onboarding {
        QualificationStatus::PendingReview
    } else {
        QualificationStatus::Verified
    };
    let mut list: Vec<DemoQualification> = agency
        .regions
        .iter()
        .map(|region| DemoQualification {
            qualification_type: "COLLECTION_LICENSE",
            region: Some(region),
            issuer: licence_issuer(region),
            issued_on: licence_expiry - Duration::days(3 * 365),
            expires_on: licence_expiry,
            status: licence_status,
        })
        .collect();
    let mut yearly = |qualification_type: &'static str, issuer: &str, age_days: i64| {
        let issued_on = today - Duration::days(age_days);
        list.push(DemoQualification {
            qualification_type,
            region: None,
            issuer: issuer.to_owned(),
            issued_on,
            expires_on: issued_on + Duration::days(365),
            status: verified_unless_onboarding,
        });
    };
    yearly("DATA_PROTECTION_CERT", "BSI Group", 120);
    yearly(
        "PROFESSIONAL_INDEMNITY_INSURANCE",
        "Lloyd's syndicate 2987",
        200,
    );
    yearly(
        "ANNUAL_AUDIT",
        "Lender vendor-risk team",
        60 + agency.code.len() as i64 * 10,
    );
    if agency.kinds.contains(&Legal) {
        yearly(
            "LEGAL_PRACTICE_LICENSE",
            "State Bar / Solicitors Regulation Authority",
            30,
        );
    }
    if agency.channels.contains(&Call) {
        yearly("STAFF_BACKGROUND_CHECKS", "Sterling Check", 60);
    }
    list
}
