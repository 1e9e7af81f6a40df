//! The simulation's summary: per agency what it was built to be and what the service
//! made of it, the API's throughput, and the consistency checks.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::agency::{Desk, Tally};
use super::checks::Check;
use super::client::Session;
use super::{CURRENCY, Money, all_pages, fmt_minor, minor};

/// One agency at the end of the simulation.
#[derive(Clone, Debug)]
pub struct AgencyRow {
    pub code: String,
    /// What its hidden persona was built to be.
    pub profile: String,
    pub built_worst: bool,
    /// Its status at the end (ACTIVE, PROBATION, SUSPENDED…).
    pub status: String,
    pub accounts_placed: i64,
    pub balance_placed_minor: i64,
    pub collected_minor: i64,
    /// Collected ÷ balance placed in percent, as the service computed it.
    pub recovery_rate: Option<String>,
    /// LOW, MEDIUM, HIGH, CRITICAL.
    pub incidents: [i64; 4],
    /// The reassignment actions executed against it.
    pub reassignments: Vec<String>,
    /// Commission on its approved and paid statements.
    pub commission_minor: i64,
    /// What its desk did, by the simulator's own count.
    pub desk: Tally,
}

pub struct Report {
    pub seed: u64,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// When finance closed the last month's statements.
    pub close: NaiveDate,
    pub accounts: usize,
    pub agencies: Vec<AgencyRow>,
    /// Every API call's duration.
    pub timings: Vec<Duration>,
    pub elapsed: Duration,
    pub items_reported: u64,
    pub ledger_entries: u64,
    pub reversals: u64,
    pub statements_closed: usize,
    pub job_runs: usize,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The `q`-quantile of the calls' durations.
    fn latency(&self, q: f64) -> Duration {
        let mut sorted = self.timings.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "simulation (seed {}): {} to {} (books closed {}), {} accounts, {} agencies",
            self.seed,
            self.start,
            self.end,
            self.close,
            self.accounts,
            self.agencies.len()
        )?;
        writeln!(
            f,
            "\n{:<9} {:<10} {:>8} {:>14} {:>12} {:>8} {:>14} {:<24} {:>12}  built to be",
            "agency",
            "status",
            "accounts",
            "placed",
            "collected",
            "recovery",
            "incidents L/M/H/C",
            "reassignments",
            "commission"
        )?;
        for a in &self.agencies {
            writeln!(
                f,
                "{:<9} {:<10} {:>8} {:>14} {:>12} {:>8} {:>17} {:<24} {:>12}  {}{}",
                a.code,
                a.status,
                a.accounts_placed,
                fmt_minor(a.balance_placed_minor),
                fmt_minor(a.collected_minor),
                a.recovery_rate
                    .as_deref()
                    .map_or("-".to_owned(), |r| format!("{r}%")),
                format!(
                    "{}/{}/{}/{}",
                    a.incidents[0], a.incidents[1], a.incidents[2], a.incidents[3]
                ),
                counted(&a.reassignments),
                fmt_minor(a.commission_minor),
                a.profile,
                if a.built_worst { " (the worst)" } else { "" },
            )?;
        }
        writeln!(
            f,
            "\nwhat the desks did (the simulator's own count; the service sees what is reported):\n{:<9} {:>8} {:>13} {:>8} {:>8} {:>13} {:>8} {:>8} {:>9}",
            "agency",
            "attempts",
            "conversations",
            "promises",
            "payments",
            "debtors paid",
            "reported",
            "refused",
            "incidents"
        )?;
        for a in &self.agencies {
            let d = &a.desk;
            writeln!(
                f,
                "{:<9} {:>8} {:>13} {:>8} {:>8} {:>13} {:>8} {:>8} {:>9}",
                a.code,
                d.attempts,
                d.conversations,
                d.promises,
                d.payments,
                fmt_minor(d.paid_minor),
                d.items_sent,
                d.rejected,
                d.incidents
            )?;
        }
        let calls = self.timings.len();
        let busy: Duration = self.timings.iter().sum();
        writeln!(
            f,
            "\nAPI: {calls} calls in {:.1} s ({:.0} calls/s; {:.1} s inside calls), latency p50 {} ms, p95 {} ms, max {} ms",
            self.elapsed.as_secs_f64(),
            calls as f64 / self.elapsed.as_secs_f64().max(0.001),
            busy.as_secs_f64(),
            self.latency(0.5).as_millis(),
            self.latency(0.95).as_millis(),
            self.latency(1.0).as_millis(),
        )?;
        writeln!(
            f,
            "     {} activities and payments reported, {} ledger entries ({} chargebacks), {} job runs, {} statements closed",
            self.items_reported,
            self.ledger_entries,
            self.reversals,
            self.job_runs,
            self.statements_closed
        )?;
        writeln!(f, "\nchecks:")?;
        for check in &self.checks {
            writeln!(f, "  {check}")?;
        }
        Ok(())
    }
}

/// Repeated actions counted: RECALL_IDLE, RECALL_IDLE, PROBATION → "RECALL_IDLE ×2, PROBATION".
fn counted(actions: &[String]) -> String {
    let mut out: Vec<(String, usize)> = Vec::new();
    for action in actions {
        match out.last_mut() {
            Some((last, n)) if last == action => *n += 1,
            _ => out.push((action.clone(), 1)),
        }
    }
    if out.is_empty() {
        return "-".into();
    }
    out.into_iter()
        .map(|(action, n)| {
            if n == 1 {
                action
            } else {
                format!("{action} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScoreRow {
    agency_id: String,
    accounts_placed: i64,
    balance_placed: Money,
    collected: Money,
    recovery_rate: Option<String>,
    incidents: Incidents,
}

#[derive(Deserialize)]
struct Incidents {
    low: i64,
    medium: i64,
    high: i64,
    critical: i64,
}

/// Reads each agency's figures, status, reassignments and commission back.
pub async fn agencies(
    manager: &Session,
    finance: &Session,
    desks: &[Desk],
) -> anyhow::Result<Vec<AgencyRow>> {
    let scores: Value = manager
        .call(
            r#"query Scores($currency: String!) { agencyScorecards(segment: "*", window: SINCE_PLACEMENT, currency: $currency) {
  rows { agencyId accountsPlaced balancePlaced { amount } collected { amount } recoveryRate incidents { low medium high critical } }
} }"#,
            json!({ "currency": CURRENCY }),
        )
        .await?;
    let scores: Vec<ScoreRow> = serde_json::from_value(scores["agencyScorecards"]["rows"].clone())?;
    let scores: HashMap<String, ScoreRow> = scores
        .into_iter()
        .map(|r| (r.agency_id.clone(), r))
        .collect();

    #[derive(Deserialize)]
    struct RunNode {
        decisions: Vec<Decision>,
    }
    #[derive(Deserialize)]
    struct Decision {
        agency: IdOnly,
        action: String,
        status: String,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let runs: Vec<RunNode> = all_pages(
        manager,
        "reassignmentRuns",
        r#"query Runs($first: Int, $after: String) {
  reassignmentRuns(first: $first, after: $after) { edges { node { decisions { agency { id } action status } } } pageInfo { hasNextPage endCursor } }
}"#,
        json!({}),
    )
    .await?;
    let mut reassignments: HashMap<String, Vec<String>> = HashMap::new();
    for decision in runs.into_iter().rev().flat_map(|r| r.decisions) {
        if decision.status == "EXECUTED" {
            reassignments
                .entry(decision.agency.id)
                .or_default()
                .push(decision.action);
        }
    }

    #[derive(Deserialize)]
    struct StatementNode {
        agency: IdOnly,
        status: String,
        commission: Money,
    }
    let statements: Vec<StatementNode> = all_pages(
        finance,
        "commissionStatements",
        r#"query Statements($first: Int, $after: String) {
  commissionStatements(first: $first, after: $after) { edges { node { agency { id } status commission { amount } } } pageInfo { hasNextPage endCursor } }
}"#,
        json!({}),
    )
    .await?;
    let mut commission: HashMap<String, i64> = HashMap::new();
    for s in statements
        .into_iter()
        .filter(|s| matches!(s.status.as_str(), "APPROVED" | "PAID"))
    {
        *commission.entry(s.agency.id).or_default() += minor(&s.commission.amount)?;
    }

    let count = desks.len();
    let mut rows = Vec::with_capacity(count);
    for (i, desk) in desks.iter().enumerate() {
        let status: Value = manager
            .call(
                "query Status($id: ID!) { agency(id: $id) { status } }",
                json!({ "id": desk.agency_id }),
            )
            .await?;
        let score = scores.get(&desk.agency_id);
        rows.push(AgencyRow {
            code: desk.persona.code.clone(),
            profile: desk.persona.profile.clone(),
            built_worst: super::world::Persona::is_worst(i, count),
            status: status["agency"]["status"]
                .as_str()
                .unwrap_or("?")
                .to_owned(),
            accounts_placed: score.map_or(0, |s| s.accounts_placed),
            balance_placed_minor: score
                .map(|s| minor(&s.balance_placed.amount))
                .transpose()?
                .unwrap_or(0),
            collected_minor: score
                .map(|s| minor(&s.collected.amount))
                .transpose()?
                .unwrap_or(0),
            recovery_rate: score.and_then(|s| s.recovery_rate.clone()),
            incidents: score.map_or([0; 4], |s| {
                [
                    s.incidents.low,
                    s.incidents.medium,
                    s.incidents.high,
                    s.incidents.critical,
                ]
            }),
            reassignments: reassignments.remove(&desk.agency_id).unwrap_or_default(),
            commission_minor: commission.get(&desk.agency_id).copied().unwrap_or(0),
            desk: desk.tally.clone(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn repeated_actions_are_counted() {
        let actions: Vec<String> = ["RECALL_IDLE", "RECALL_IDLE", "PROBATION"]
            .map(String::from)
            .to_vec();
        assert_eq!(counted(&actions), "RECALL_IDLE ×2, PROBATION");
        assert_eq!(counted(&[]), "-");
    }
}
