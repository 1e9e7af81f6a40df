//! Day zero, through the API: the lender's staff become users who sign in and make their
//! personal tokens, the agencies are onboarded with their papers and activated and their
//! systems become integrations with tokens, the portfolio is imported, and the
//! strategies, reassignment policies and commission plans are set.

use std::collections::BTreeSet;
use std::sync::Arc;

use agencyflow_graphql::domain::identity::password;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Api, Session};
use super::world::{Debtor, Persona, REGIONS, Roster, SECONDARY_RATE_BP, TIERS};
use super::{CURRENCY, Calendar, amount};

/// Accounts per import call (the API's limit is 10,000).
const IMPORT_BATCH: usize = 5_000;
/// Placement period of the simulation's strategies.
const PERIOD_DAYS: i64 = 60;

/// Who acts in the simulation, and what was set up.
pub struct Cast {
    pub manager: Session,
    /// Prepares and submits commission statements.
    pub finance: Session,
    /// Approves and pays them (never the one who submitted).
    pub approver: Session,
    pub agencies: Vec<(Persona, String, Session)>,
    pub portfolio_id: String,
    pub strategy_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Requirement {
    qualification_type: String,
    /// Every kind of work when absent.
    kind_of_work: Option<String>,
    /// A region the requirement is limited to; every region when absent.
    region: Option<String>,
    region_scoped: bool,
    active: bool,
}

const CREATE_TOKEN: &str = r#"mutation CreateApiToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token }
}"#;

/// A new token, expiring a day after the books close: the caller's own (a person's
/// personal token), or with `integration_id` that integration's (the caller an ADMIN).
async fn new_token(
    caller: &Session,
    calendar: &Calendar,
    integration_id: Option<&str>,
    label: &str,
) -> anyhow::Result<String> {
    let data: Value = caller
        .call(
            CREATE_TOKEN,
            json!({ "input": {
                "integrationId": integration_id,
                "label": label,
                "expiresAt": calendar.tokens_expire(),
            }}),
        )
        .await?;
    data["createApiToken"]["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("createApiToken gave no token"))
}

/// A member of the lender's staff, onboarded as a lender onboards a person: the ADMIN
/// creates the user, the person sets a password with the link, signs in and makes the
/// personal token the simulation then calls with. `job` names them, e.g. "finance clerk".
async fn staff(
    api: &Arc<Api>,
    admin: &Session,
    calendar: &Calendar,
    roster: &Roster,
    role: &str,
    job: &str,
) -> anyhow::Result<Session> {
    let email = format!(
        "{}@{}.simulation.example",
        job.replace(' ', "."),
        roster.prefix.to_lowercase()
    );
    let created: Value = admin
        .call(
            r#"mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { setPassword { token } }
}"#,
            json!({ "input": { "email": email, "displayName": format!("Simulated {job}"), "role": role } }),
        )
        .await?;
    let link = created["createUser"]["setPassword"]["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("createUser gave no set-password link: {created}"))?;
    let password = password::generate();
    api.anonymous()
        .call::<Value>(
            r#"mutation SetPassword($token: String!, $password: String!) {
  setPassword(token: $token, newPassword: $password) { id }
}"#,
            json!({ "token": link, "password": password }),
        )
        .await?;
    let person = api.sign_in(&email, &password).await?;
    let token = new_token(&person, calendar, None, &format!("simulated {job}")).await?;
    Ok(api.session(token))
}

/// An agency's system: an integration of the agency, made by the ADMIN, with a token.
async fn agency_system(
    api: &Arc<Api>,
    admin: &Session,
    calendar: &Calendar,
    agency_id: &str,
    name: &str,
) -> anyhow::Result<Session> {
    let created: Value = admin
        .call(
            r#"mutation CreateIntegration($input: CreateIntegrationInput!) {
  createIntegration(input: $input) { id }
}"#,
            json!({ "input": { "name": name, "agencyId": agency_id } }),
        )
        .await?;
    let integration_id = id(&created, "createIntegration")?;
    let token = new_token(admin, calendar, Some(&integration_id), name).await?;
    Ok(api.session(token))
}

fn id(data: &Value, field: &str) -> anyhow::Result<String> {
    data[field]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{field} gave no id: {data}"))
}

pub const KINDS: [&str; 2] = ["EARLY_STAGE", "LATE_STAGE"];

/// Onboards everyone and everything before the first simulated day.
pub async fn cast(
    api: &Arc<Api>,
    admin: &Session,
    personas: &[Persona],
    debtors: &[Debtor],
    calendar: &Calendar,
    roster: &Roster,
) -> anyhow::Result<Cast> {
    let start = calendar.start;
    let manager = staff(
        api,
        admin,
        calendar,
        roster,
        "VENDOR_MANAGER",
        "vendor manager",
    )
    .await?;
    let finance = staff(api, admin, calendar, roster, "FINANCE", "finance clerk").await?;
    let approver = staff(
        api,
        admin,
        calendar,
        roster,
        "FINANCE",
        "finance controller",
    )
    .await?;
    let requirements: Value = admin
        .call(
            "query Requirements { qualificationRequirements { qualificationType kindOfWork region regionScoped active } }",
            json!({}),
        )
        .await?;
    let requirements: Vec<Requirement> =
        serde_json::from_value(requirements["qualificationRequirements"].clone())?;
    let regions: Vec<&str> = REGIONS.iter().map(|(code, ..)| *code).collect();
    let mut agencies = Vec::with_capacity(personas.len());
    for persona in personas {
        let agency_id = onboard(
            admin,
            &manager,
            persona,
            &requirements,
            &regions,
            debtors.len(),
            start,
        )
        .await?;
        let session = agency_system(
            api,
            admin,
            calendar,
            &agency_id,
            &format!("{} reporting system", persona.name),
        )
        .await?;
        agencies.push((persona.clone(), agency_id, session));
    }
    let portfolio_id = portfolio(&manager, roster, debtors).await?;
    let pool: Vec<&str> = agencies.iter().map(|(_, id, _)| id.as_str()).collect();
    let mut strategy_ids = Vec::new();
    // First placements by stage; accounts an agency returned go to another agency at the
    // next level (a PRIMARY strategy never places an account worked at PRIMARY again).
    for (suffix, buckets, kind, level, split) in [
        (
            "EARLY",
            vec!["M1", "M2", "M3"],
            "EARLY_STAGE",
            "PRIMARY",
            "PERFORMANCE_WEIGHTED",
        ),
        (
            "LATE",
            vec!["M4-6", "WRITE_OFF"],
            "LATE_STAGE",
            "PRIMARY",
            "EQUAL",
        ),
        (
            "SECOND",
            vec![],
            "LATE_STAGE",
            "SECONDARY",
            "PERFORMANCE_WEIGHTED",
        ),
    ] {
        let code = format!("{}-{suffix}", roster.prefix);
        let data: Value = manager
            .call(
                r#"mutation CreateAllocationStrategy($code: String!, $input: AllocationStrategyInput!) {
  createAllocationStrategy(code: $code, input: $input) { id }
}"#,
                json!({ "code": code, "input": {
                    "name": format!("{}: {} {}", roster.book, level.to_lowercase(), kind.to_lowercase().replace('_', " ")),
                    "kindOfWork": kind,
                    "level": level,
                    "segment": { "dpdBuckets": buckets },
                    "poolAgencyIds": pool,
                    "periodDays": PERIOD_DAYS,
                    "splitMethod": split,
                }}),
            )
            .await?;
        strategy_ids.push(id(&data, "createAllocationStrategy")?);
        manager
            .call::<Value>(
                r#"mutation SetReassignmentPolicy($input: ReassignmentPolicyInput!) {
  setReassignmentPolicy(input: $input) { id }
}"#,
                json!({ "input": {
                    "segment": code,
                    "graceHours": 48,
                    "rules": [
                        { "trigger": "HIGH_INCIDENTS", "action": "PROBATION", "count": 3 },
                        { "trigger": "CRITICAL_INCIDENT", "action": "RECALL_ALL" },
                        { "trigger": "RECOVERY_BELOW_PEER_MEDIAN", "action": "RECALL_IDLE",
                          "window": "LAST_30_DAYS", "thresholdBp": 5000, "minAccounts": 50 },
                        { "trigger": "IDLE_SHARE_ABOVE", "action": "WARN", "thresholdBp": 4000, "minAccounts": 50 },
                    ],
                }}),
            )
            .await?;
    }
    let tiers: Vec<Value> =
        std::iter::once(json!({ "level": "SECONDARY", "rateBp": SECONDARY_RATE_BP }))
            .chain(
                TIERS
                    .iter()
                    .map(|(bucket, _, rate)| json!({ "dpdBuckets": [bucket], "rateBp": rate })),
            )
            .collect();
    for (_, agency_id, _) in &agencies {
        finance
            .call::<Value>(
                r#"mutation CreateCommissionPlan($input: CommissionPlanInput!) {
  createCommissionPlan(input: $input) { id }
}"#,
                json!({ "input": {
                    "agencyId": agency_id,
                    "effectiveFrom": start - Duration::days(1),
                    "currency": CURRENCY,
                    "tiers": tiers,
                    "bonus": { "targetRecoveryBp": 1500, "extraRateBp": 200 },
                    "clawbackDays": 60,
                }}),
            )
            .await?;
    }
    Ok(Cast {
        manager,
        finance,
        approver,
        agencies,
        portfolio_id,
        strategy_ids,
    })
}

/// Creates the agency, files and verifies its papers, and activates it.
async fn onboard(
    admin: &Session,
    manager: &Session,
    persona: &Persona,
    requirements: &[Requirement],
    regions: &[&str],
    accounts: usize,
    start: NaiveDate,
) -> anyhow::Result<String> {
    let data: Value = manager
        .call(
            r#"mutation CreateAgency($input: CreateAgencyInput!) { createAgency(input: $input) { id } }"#,
            json!({ "input": {
                "code": persona.code,
                "legalName": persona.name,
                "kindsOfWork": KINDS,
                "channels": ["CALL", "SMS", "LETTER"],
                "regions": regions,
                "capacity": {
                    "maxActiveAccounts": accounts,
                    "maxActiveBalance": { "amount": amount(accounts as i64 * 2_000_000), "currency": CURRENCY },
                },
                "remittanceMode": if persona.remits_net { "NET" } else { "GROSS" },
            }}),
        )
        .await?;
    let agency_id = id(&data, "createAgency")?;
    let mut papers: BTreeSet<(String, Option<String>)> = BTreeSet::new();
    for requirement in requirements.iter().filter(|r| {
        r.active
            && r.kind_of_work
                .as_deref()
                .is_none_or(|kind| KINDS.contains(&kind))
    }) {
        for region in regions.iter().filter(|region| {
            requirement
                .region
                .as_deref()
                .is_none_or(|r| r == "*" || r == **region)
        }) {
            papers.insert((
                requirement.qualification_type.clone(),
                requirement.region_scoped.then(|| (*region).to_owned()),
            ));
        }
    }
    for (kind, region) in papers {
        let filed: Value = admin
            .call(
                r#"mutation SubmitQualification($input: SubmitQualificationInput!) { submitQualification(input: $input) { id } }"#,
                json!({ "input": {
                    "agencyId": agency_id,
                    "qualificationType": kind,
                    "region": region,
                    "identifier": format!("{}-{kind}-{}", persona.code, region.as_deref().unwrap_or("ALL")),
                    "issuer": "Simulated Regulator",
                    "issuedOn": start - Duration::days(60),
                    "expiresOn": start + Duration::days(730),
                    "documentUrl": format!("https://docs.example/{}/{kind}.pdf", persona.code),
                    "documentSha256": "ab".repeat(32),
                }}),
            )
            .await?;
        manager
            .call::<Value>(
                r#"mutation ReviewQualification($id: ID!) { reviewQualification(id: $id, decision: VERIFY) { id } }"#,
                json!({ "id": id(&filed, "submitQualification")? }),
            )
            .await?;
    }
    manager
        .call::<Value>(
            r#"mutation Activate($id: ID!) { changeAgencyStatus(id: $id, status: ACTIVE) { id } }"#,
            json!({ "id": agency_id }),
        )
        .await?;
    Ok(agency_id)
}

async fn portfolio(
    manager: &Session,
    roster: &Roster,
    debtors: &[Debtor],
) -> anyhow::Result<String> {
    let data: Value = manager
        .call(
            r#"mutation CreatePortfolio($input: CreatePortfolioInput!) { createPortfolio(input: $input) { id } }"#,
            json!({ "input": { "code": roster.prefix, "name": roster.book, "currency": CURRENCY } }),
        )
        .await?;
    let portfolio_id = id(&data, "createPortfolio")?;
    for chunk in debtors.chunks(IMPORT_BATCH) {
        let accounts: Vec<Value> = chunk
            .iter()
            .map(|d| {
                json!({
                    "lenderReference": d.reference,
                    "debtor": { "name": d.name, "phones": [d.phone], "region": d.region, "timeZone": d.time_zone },
                    "product": "CARD",
                    "principal": amount(d.balance_minor),
                    "outstanding": amount(d.balance_minor),
                    "currency": CURRENCY,
                    "delinquencyStart": d.delinquency_start,
                    "flags": d.flags,
                })
            })
            .collect();
        let report: Value = manager
            .call(
                r#"mutation ImportAccounts($portfolioId: ID!, $accounts: [AccountInput!]!) {
  importAccounts(portfolioId: $portfolioId, accounts: $accounts) { rejected errors { row field message } }
}"#,
                json!({ "portfolioId": portfolio_id, "accounts": accounts }),
            )
            .await?;
        if report["importAccounts"]["rejected"].as_u64() != Some(0) {
            anyhow::bail!(
                "importAccounts refused rows: {}",
                report["importAccounts"]["errors"]
            );
        }
    }
    Ok(portfolio_id)
}
