//! May this agency receive this kind of work in this region for these dates?
//!
//! [`EligibilityBook::load`] reads everything a decision needs for a set of agencies in
//! four queries; [`EligibilityBook::evaluate`] then answers per (agency, kind, region,
//! dates) group in memory, so an allocation of thousands of accounts asks once per group.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use entity::account;
use entity::agency::{self, KindOfWork};
use entity::agency_qualification::{self, QualificationStatus};
use entity::placement::{self, PlacementStatus};
use entity::qualification_requirement::{self, ANY};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use serde::Serialize;

use super::actor::Scope;
use super::lifecycle::may_receive_work;
use crate::domain::any_of::any_of;
use crate::error::{AppError, AppResult};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// The agency is not ACTIVE or on PROBATION.
    AgencyStatus,
    /// The agency does not take this kind of work.
    KindNotOffered,
    /// The agency does not serve the region.
    RegionNotServed,
    /// No qualification of a required type (or only rejected or revoked ones).
    Missing,
    /// The required qualification awaits review.
    PendingReview,
    /// The required qualification has lapsed.
    Expired,
    /// The required qualification lapses before the placement would end.
    ExpiresBeforePlacementEnds,
    /// The required qualification is older than the requirement allows (annual audit).
    Outdated,
    /// The agency holds as many accounts or as much balance as it may.
    OutOfCapacity,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub code: ReasonCode,
    pub qualification_type: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    pub eligible: bool,
    pub reasons: Vec<Reason>,
    /// Accounts the agency may still take; `None` when unlimited.
    pub remaining_accounts: Option<i64>,
    /// Balance (minor units of the agency's capacity currency) it may still take.
    pub remaining_balance_minor: Option<i64>,
}

/// What is being asked: work of `kind` in `region` from `from` to `to` (inclusive).
#[derive(Clone, Debug)]
pub struct Question {
    pub kind: KindOfWork,
    pub region: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Question {
    pub fn validate(&self) -> AppResult<()> {
        if self.to < self.from {
            return Err(AppError::bad_input(
                "to",
                "the placement cannot end before it starts",
            ));
        }
        Ok(())
    }
}

/// Work an agency holds now: ACTIVE placements and their outstanding balance in the
/// agency's capacity currency.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Load {
    pub accounts: i64,
    pub balance_minor: i64,
}

/// Judges one agency against the requirements that apply to `question`.
pub fn evaluate(
    agency: &agency::Model,
    qualifications: &[agency_qualification::Model],
    requirements: &[qualification_requirement::Model],
    load: Load,
    question: &Question,
) -> Eligibility {
    let mut reasons = Vec::new();
    let mut reason = |code, qualification_type: Option<&str>, message: String| {
        reasons.push(Reason {
            code,
            qualification_type: qualification_type.map(str::to_owned),
            message,
        });
    };
    if !may_receive_work(agency.status) {
        reason(
            ReasonCode::AgencyStatus,
            None,
            format!("the agency is {}", agency.status.to_value()),
        );
    }
    if !agency.kinds_of_work.0.contains(&question.kind) {
        reason(
            ReasonCode::KindNotOffered,
            None,
            "the agency does not take this kind of work".into(),
        );
    }
    if !agency.regions.0.contains(&question.region) {
        reason(
            ReasonCode::RegionNotServed,
            None,
            format!("the agency does not serve {}", question.region),
        );
    }
    let kind = question.kind.to_value();
    for requirement in requirements.iter().filter(|r| {
        r.active
            && (r.kind_of_work == ANY || r.kind_of_work == kind)
            && (r.region == ANY || r.region == question.region)
    }) {
        if let Some((code, message)) = unmet(requirement, qualifications, question) {
            reason(code, Some(&requirement.qualification_type), message);
        }
    }
    let remaining_accounts = agency.max_active_accounts.map(|max| max - load.accounts);
    let remaining_balance_minor = agency
        .max_active_balance_minor
        .map(|max| max - load.balance_minor);
    if remaining_accounts.is_some_and(|n| n <= 0) || remaining_balance_minor.is_some_and(|n| n <= 0)
    {
        reason(
            ReasonCode::OutOfCapacity,
            None,
            format!(
                "the agency holds {} accounts and {} minor units of {}, at or over its capacity",
                load.accounts, load.balance_minor, agency.capacity_currency
            ),
        );
    }
    Eligibility {
        eligible: reasons.is_empty(),
        reasons,
        remaining_accounts,
        remaining_balance_minor,
    }
}

/// Why `requirement` is not met, or `None` when a qualification satisfies it.
fn unmet(
    requirement: &qualification_requirement::Model,
    qualifications: &[agency_qualification::Model],
    question: &Question,
) -> Option<(ReasonCode, String)> {
    let type_name = &requirement.qualification_type;
    let oldest_issue = requirement.max_age_months.and_then(|months| {
        question
            .from
            .checked_sub_months(Months::new(months.unsigned_abs()))
    });
    let mut best: Option<(u8, ReasonCode, String)> = None;
    let candidates = qualifications.iter().filter(|q| {
        &q.qualification_type == type_name
            && (!requirement.region_scoped || q.region.as_deref() == Some(&question.region))
    });
    for q in candidates {
        let lapsed = q.status == QualificationStatus::Expired
            || q.expires_on.is_some_and(|e| e < question.from);
        let finding = match q.status {
            _ if lapsed
                && matches!(
                    q.status,
                    QualificationStatus::Verified | QualificationStatus::Expired
                ) =>
            {
                Some((
                    2,
                    ReasonCode::Expired,
                    format!("{type_name} {} lapsed", q.identifier),
                ))
            }
            QualificationStatus::Verified
                if oldest_issue.is_some_and(|oldest| q.issued_on < oldest) =>
            {
                Some((
                    4,
                    ReasonCode::Outdated,
                    format!(
                        "{type_name} {} was issued on {}, more than {} months before {}",
                        q.identifier,
                        q.issued_on,
                        requirement.max_age_months.unwrap_or_default(),
                        question.from
                    ),
                ))
            }
            QualificationStatus::Verified if q.expires_on.is_some_and(|e| e < question.to) => {
                Some((
                    5,
                    ReasonCode::ExpiresBeforePlacementEnds,
                    format!(
                        "{type_name} {} expires on {}, before the placement ends on {}",
                        q.identifier,
                        q.expires_on.unwrap_or(question.to),
                        question.to
                    ),
                ))
            }
            QualificationStatus::Verified => return None,
            QualificationStatus::PendingReview if !lapsed => Some((
                3,
                ReasonCode::PendingReview,
                format!("{type_name} {} awaits review", q.identifier),
            )),
            _ => None,
        };
        if let Some(finding) = finding
            && best.as_ref().is_none_or(|b| finding.0 > b.0)
        {
            best = Some(finding);
        }
    }
    let scope = if requirement.region_scoped {
        format!(" for {}", question.region)
    } else {
        String::new()
    };
    Some(best.map_or_else(
        || {
            (
                ReasonCode::Missing,
                format!("no verified {type_name}{scope} on record"),
            )
        },
        |(_, code, message)| (code, message),
    ))
}

/// Eligibility of one agency, for the API. An agency may ask only about itself.
pub async fn for_agency<C: ConnectionTrait>(
    conn: &C,
    scope: Scope,
    agency_id: i64,
    question: &Question,
) -> AppResult<(Eligibility, String)> {
    if let Scope::Agency(own) = scope
        && own != agency_id
    {
        return Err(AppError::Forbidden(
            "an agency may only ask about its own eligibility".into(),
        ));
    }
    question.validate()?;
    let book = EligibilityBook::load(conn, &[agency_id]).await?;
    let result = book.evaluate(agency_id, question)?;
    let currency = book
        .capacity_currency(agency_id)
        .unwrap_or_default()
        .to_owned();
    Ok((result, currency))
}

/// Everything eligibility needs about a set of agencies, read once.
pub struct EligibilityBook {
    agencies: HashMap<i64, agency::Model>,
    qualifications: HashMap<i64, Vec<agency_qualification::Model>>,
    requirements: Vec<qualification_requirement::Model>,
    loads: HashMap<i64, Load>,
}

impl EligibilityBook {
    pub async fn load<C: ConnectionTrait>(conn: &C, agency_ids: &[i64]) -> AppResult<Self> {
        let agencies: HashMap<i64, agency::Model> = agency::Entity::find()
            .filter(any_of(
                conn.get_database_backend(),
                agency::Column::Id,
                agency_ids.iter().copied(),
            ))
            .all(conn)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut qualifications: HashMap<i64, Vec<agency_qualification::Model>> = HashMap::new();
        for q in agency_qualification::Entity::find()
            .filter(any_of(
                conn.get_database_backend(),
                agency_qualification::Column::AgencyId,
                agency_ids.iter().copied(),
            ))
            .all(conn)
            .await?
        {
            qualifications.entry(q.agency_id).or_default().push(q);
        }
        let requirements = qualification_requirement::Entity::find()
            .filter(qualification_requirement::Column::Active.eq(true))
            .all(conn)
            .await?;
        let rows: Vec<(i64, String, i64, i64)> = placement::Entity::find()
            .select_only()
            .column(placement::Column::AgencyId)
            .column(account::Column::Currency)
            .column_as(Expr::cust("COUNT(*)"), "accounts")
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(accounts.outstanding_minor), 0) AS BIGINT)"),
                "balance",
            )
            .join(JoinType::InnerJoin, placement::Relation::Account.def())
            .filter(placement::Column::Status.eq(PlacementStatus::Active))
            .filter(any_of(
                conn.get_database_backend(),
                placement::Column::AgencyId,
                agency_ids.iter().copied(),
            ))
            .group_by(placement::Column::AgencyId)
            .group_by(account::Column::Currency)
            .into_tuple()
            .all(conn)
            .await?;
        let mut loads: HashMap<i64, Load> = HashMap::new();
        for (agency_id, currency, accounts, balance) in rows {
            let load = loads.entry(agency_id).or_default();
            load.accounts += accounts;
            if agencies
                .get(&agency_id)
                .is_some_and(|a| a.capacity_currency == currency)
            {
                load.balance_minor += balance;
            }
        }
        Ok(Self {
            agencies,
            qualifications,
            requirements,
            loads,
        })
    }

    /// The currency an agency's balance capacity is counted in.
    pub fn capacity_currency(&self, agency_id: i64) -> Option<&str> {
        self.agencies
            .get(&agency_id)
            .map(|a| a.capacity_currency.as_str())
    }

    pub fn evaluate(&self, agency_id: i64, question: &Question) -> AppResult<Eligibility> {
        let agency = self
            .agencies
            .get(&agency_id)
            .ok_or_else(|| AppError::not_found("agency", agency_id))?;
        Ok(evaluate(
            agency,
            self.qualifications
                .get(&agency_id)
                .map_or(&[], Vec::as_slice),
            &self.requirements,
            self.loads.get(&agency_id).copied().unwrap_or_default(),
            question,
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use entity::agency::{AgencyStatus, Channels, KindsOfWork, Regions, RemittanceMode};

    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn agency() -> agency::Model {
        agency::Model {
            id: 1,
            code: "ACME".into(),
            legal_name: "Acme".into(),
            status: AgencyStatus::Active,
            kinds_of_work: KindsOfWork(vec![KindOfWork::EarlyStage, KindOfWork::Legal]),
            channels: Channels::default(),
            regions: Regions(vec!["US-TX".into(), "UK".into()]),
            max_active_accounts: Some(10),
            max_active_balance_minor: Some(1_000_000),
            capacity_currency: "USD".into(),
            remittance_mode: RemittanceMode::Gross,
            status_reason: None,
            status_changed_at: None,
            webhook_url: None,
            webhook_secret: None,
            contacts: None,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn qualification(
        kind: &str,
        region: Option<&str>,
        status: QualificationStatus,
        issued: &str,
        expires: &str,
    ) -> agency_qualification::Model {
        agency_qualification::Model {
            id: 0,
            agency_id: 1,
            qualification_type: kind.into(),
            region: region.map(Into::into),
            identifier: format!("{kind}-1"),
            issuer: "issuer".into(),
            issued_on: day(issued),
            expires_on: Some(day(expires)),
            document_url: None,
            document_sha256: None,
            status,
            reviewed_by: None,
            review_note: None,
            reviewed_at: None,
            submitted_by: None,
            revocation_reason: None,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn requirement(
        kind: &str,
        kind_of_work: &str,
        region_scoped: bool,
        max_age_months: Option<i32>,
    ) -> qualification_requirement::Model {
        qualification_requirement::Model {
            id: 0,
            qualification_type: kind.into(),
            kind_of_work: kind_of_work.into(),
            region: ANY.into(),
            region_scoped,
            max_age_months,
            active: true,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn defaults() -> Vec<qualification_requirement::Model> {
        vec![
            requirement("COLLECTION_LICENSE", ANY, true, None),
            requirement("DATA_PROTECTION_CERT", ANY, false, None),
            requirement("LEGAL_PRACTICE_LICENSE", "LEGAL", false, None),
            requirement("ANNUAL_AUDIT", ANY, false, Some(12)),
        ]
    }

    fn papers() -> Vec<agency_qualification::Model> {
        use QualificationStatus::Verified;
        vec![
            qualification(
                "COLLECTION_LICENSE",
                Some("US-TX"),
                Verified,
                "2025-01-01",
                "2028-01-01",
            ),
            qualification(
                "DATA_PROTECTION_CERT",
                None,
                Verified,
                "2026-01-01",
                "2028-01-01",
            ),
            qualification("ANNUAL_AUDIT", None, Verified, "2026-06-01", "2027-06-01"),
        ]
    }

    fn question(kind: KindOfWork, region: &str) -> Question {
        Question {
            kind,
            region: region.into(),
            from: day("2026-12-01"),
            to: day("2027-02-28"),
        }
    }

    fn codes(result: &Eligibility) -> Vec<(ReasonCode, Option<&str>)> {
        result
            .reasons
            .iter()
            .map(|r| (r.code, r.qualification_type.as_deref()))
            .collect()
    }

    #[test]
    fn a_fully_qualified_agency_with_room_is_eligible() {
        let result = evaluate(
            &agency(),
            &papers(),
            &defaults(),
            Load {
                accounts: 3,
                balance_minor: 400_000,
            },
            &question(KindOfWork::EarlyStage, "US-TX"),
        );
        assert!(result.eligible, "{:?}", result.reasons);
        assert_eq!(result.remaining_accounts, Some(7));
        assert_eq!(result.remaining_balance_minor, Some(600_000));
    }

    #[test]
    fn a_licence_must_cover_the_debtors_region() {
        let result = evaluate(
            &agency(),
            &papers(),
            &defaults(),
            Load::default(),
            &question(KindOfWork::EarlyStage, "UK"),
        );
        assert_eq!(
            codes(&result),
            vec![(ReasonCode::Missing, Some("COLLECTION_LICENSE"))]
        );
    }

    #[test]
    fn legal_work_needs_a_legal_practice_licence() {
        let result = evaluate(
            &agency(),
            &papers(),
            &defaults(),
            Load::default(),
            &question(KindOfWork::Legal, "US-TX"),
        );
        assert_eq!(
            codes(&result),
            vec![(ReasonCode::Missing, Some("LEGAL_PRACTICE_LICENSE"))]
        );
    }

    #[test]
    fn each_state_of_a_paper_gives_its_own_reason() {
        use QualificationStatus::*;
        let cases = [
            (
                qualification(
                    "DATA_PROTECTION_CERT",
                    None,
                    PendingReview,
                    "2026-01-01",
                    "2028-01-01",
                ),
                ReasonCode::PendingReview,
            ),
            (
                qualification(
                    "DATA_PROTECTION_CERT",
                    None,
                    Expired,
                    "2024-01-01",
                    "2026-01-01",
                ),
                ReasonCode::Expired,
            ),
            (
                qualification(
                    "DATA_PROTECTION_CERT",
                    None,
                    Verified,
                    "2024-01-01",
                    "2026-11-15",
                ),
                ReasonCode::Expired,
            ),
            (
                qualification(
                    "DATA_PROTECTION_CERT",
                    None,
                    Verified,
                    "2026-01-01",
                    "2027-01-31",
                ),
                ReasonCode::ExpiresBeforePlacementEnds,
            ),
            (
                qualification(
                    "DATA_PROTECTION_CERT",
                    None,
                    Rejected,
                    "2026-01-01",
                    "2028-01-01",
                ),
                ReasonCode::Missing,
            ),
            (
                qualification(
                    "DATA_PROTECTION_CERT",
                    None,
                    Revoked,
                    "2026-01-01",
                    "2028-01-01",
                ),
                ReasonCode::Missing,
            ),
        ];
        for (paper, expected) in cases {
            let mut held = papers();
            held.retain(|q| q.qualification_type != "DATA_PROTECTION_CERT");
            held.push(paper.clone());
            let result = evaluate(
                &agency(),
                &held,
                &defaults(),
                Load::default(),
                &question(KindOfWork::EarlyStage, "US-TX"),
            );
            assert_eq!(
                codes(&result),
                vec![(expected, Some("DATA_PROTECTION_CERT"))],
                "{paper:?}"
            );
        }
    }

    #[test]
    fn an_audit_older_than_twelve_months_is_outdated() {
        let mut held = papers();
        held.retain(|q| q.qualification_type != "ANNUAL_AUDIT");
        held.push(qualification(
            "ANNUAL_AUDIT",
            None,
            QualificationStatus::Verified,
            "2025-11-30",
            "2027-12-01",
        ));
        let result = evaluate(
            &agency(),
            &held,
            &defaults(),
            Load::default(),
            &question(KindOfWork::EarlyStage, "US-TX"),
        );
        assert_eq!(
            codes(&result),
            vec![(ReasonCode::Outdated, Some("ANNUAL_AUDIT"))]
        );
    }

    #[test]
    fn one_good_paper_outweighs_a_bad_one() {
        let mut held = papers();
        held.push(qualification(
            "DATA_PROTECTION_CERT",
            None,
            QualificationStatus::Expired,
            "2020-01-01",
            "2021-01-01",
        ));
        let result = evaluate(
            &agency(),
            &held,
            &defaults(),
            Load::default(),
            &question(KindOfWork::EarlyStage, "US-TX"),
        );
        assert!(result.eligible);
    }

    #[test]
    fn every_reason_is_listed_at_once() {
        let mut suspended = agency();
        suspended.status = AgencyStatus::Suspended;
        let result = evaluate(
            &suspended,
            &[],
            &defaults(),
            Load {
                accounts: 10,
                balance_minor: 0,
            },
            &question(KindOfWork::LateStage, "CN-31"),
        );
        let found: Vec<ReasonCode> = result.reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            found,
            vec![
                ReasonCode::AgencyStatus,
                ReasonCode::KindNotOffered,
                ReasonCode::RegionNotServed,
                ReasonCode::Missing,
                ReasonCode::Missing,
                ReasonCode::Missing,
                ReasonCode::OutOfCapacity,
            ]
        );
        assert!(!result.eligible);
    }

    #[test]
    fn capacity_counts_accounts_and_balance() {
        let full_balance = evaluate(
            &agency(),
            &papers(),
            &defaults(),
            Load {
                accounts: 1,
                balance_minor: 1_000_000,
            },
            &question(KindOfWork::EarlyStage, "US-TX"),
        );
        assert_eq!(
            codes(&full_balance),
            vec![(ReasonCode::OutOfCapacity, None)]
        );
        let mut unlimited = agency();
        unlimited.max_active_accounts = None;
        unlimited.max_active_balance_minor = None;
        let result = evaluate(
            &unlimited,
            &papers(),
            &defaults(),
            Load {
                accounts: 1_000_000,
                balance_minor: i64::MAX,
            },
            &question(KindOfWork::EarlyStage, "US-TX"),
        );
        assert!(result.eligible);
        assert_eq!(result.remaining_accounts, None);
    }

    #[test]
    fn lifted_requirements_and_other_kinds_do_not_apply() {
        let mut requirements = defaults();
        requirements[1].active = false;
        let held: Vec<_> = papers()
            .into_iter()
            .filter(|q| q.qualification_type != "DATA_PROTECTION_CERT")
            .collect();
        let result = evaluate(
            &agency(),
            &held,
            &requirements,
            Load::default(),
            &question(KindOfWork::EarlyStage, "US-TX"),
        );
        assert!(result.eligible, "{:?}", result.reasons);
    }
}
