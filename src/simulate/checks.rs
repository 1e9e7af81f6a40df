//! Consistency checks on what the service recorded, read back through the API. Each is
//! a pure function over the data read, so a broken invariant fails the simulation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use super::agency::Desk;
use super::client::Session;
use super::lender::Booked;
use super::{Money, fmt_minor, minor};

/// A check's verdict and what it measured.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "ok    " } else { "FAILED" };
        write!(f, "{verdict} {}: {}", self.name, self.detail)
    }
}

/// One reconciliation line, as far as the ledger check needs it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub class: String,
    pub ledger_entry_ids: Vec<String>,
    pub received: Money,
}

/// Every ledger entry received in the reconciled months is claimed by exactly one line
/// of the months' latest runs, and the ledger's total equals what the lines received:
/// matched (including amount mismatches) plus ledger-only plus reversed.
pub fn ledger_balances(
    booked: &BTreeMap<String, Booked>,
    months: &[(NaiveDate, NaiveDate)],
    items: &[Item],
) -> anyhow::Result<Check> {
    let mut claims: HashMap<&str, usize> = HashMap::new();
    let mut by_class: BTreeMap<&str, i64> = BTreeMap::new();
    for item in items
        .iter()
        .filter(|i| i.ledger_entry_ids.iter().all(|id| booked.contains_key(id)))
    {
        for id in &item.ledger_entry_ids {
            *claims.entry(id.as_str()).or_default() += 1;
        }
        *by_class.entry(item.class.as_str()).or_default() += minor(&item.received.amount)?;
    }
    let in_months = |at: &DateTime<Utc>| {
        months
            .iter()
            .any(|(start, end)| (*start..=*end).contains(&at.date_naive()))
    };
    let mut problems = Vec::new();
    if booked.values().any(|b| !b.reversal) && (months.is_empty() || claims.is_empty()) {
        problems.push("the ledger has entries but nothing reconciled them".to_owned());
    }
    let twice = claims.values().filter(|n| **n > 1).count();
    if twice > 0 {
        problems.push(format!("{twice} entries claimed by two lines"));
    }
    let unclaimed: Vec<(&String, &Booked)> = booked
        .iter()
        .filter(|(id, b)| {
            !b.reversal && in_months(&b.received_at) && !claims.contains_key(id.as_str())
        })
        .collect();
    if let Some((id, first)) = unclaimed.first() {
        problems.push(format!(
            "{} entries received in the months are on no line, e.g. entry {id} received {}",
            unclaimed.len(),
            first.received_at
        ));
    }
    let ledger: i64 = booked
        .iter()
        .filter(|(id, _)| claims.contains_key(id.as_str()))
        .map(|(_, b)| b.gross_minor)
        .sum();
    let class = |name: &str| by_class.get(name).copied().unwrap_or(0);
    let matched = class("MATCHED") + class("AMOUNT_MISMATCH");
    let ledger_only = class("LEDGER_ONLY");
    let reversed = class("REVERSED");
    let agency_only = class("AGENCY_ONLY");
    if ledger != matched + ledger_only + reversed + agency_only || agency_only != 0 {
        problems.push(format!(
            "the lines received {} in all",
            fmt_minor(matched + ledger_only + reversed + agency_only)
        ));
    }
    Ok(Check {
        name: "ledger = matched + ledger-only",
        passed: problems.is_empty(),
        detail: format!(
            "ledger {} = matched {} + ledger-only {} + reversed {} over {} months{}",
            fmt_minor(ledger),
            fmt_minor(matched),
            fmt_minor(ledger_only),
            fmt_minor(reversed),
            months.len(),
            if problems.is_empty() {
                String::new()
            } else {
                format!("; {}", problems.join("; "))
            }
        ),
    })
}

/// A statement as the check needs it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    pub id: String,
    pub commission: Money,
    pub fee_withheld: Money,
    pub payable: Money,
    pub lines: Vec<Line>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Line {
    pub commission: Money,
}

/// Every statement's commission is the sum of its lines, and payable is commission less
/// the fees withheld.
pub fn statements_add_up(statements: &[Statement]) -> anyhow::Result<Check> {
    let mut wrong = Vec::new();
    let mut lines = 0;
    for s in statements {
        let sum = s
            .lines
            .iter()
            .map(|l| minor(&l.commission.amount))
            .sum::<anyhow::Result<i64>>()?;
        lines += s.lines.len();
        let commission = minor(&s.commission.amount)?;
        let payable = minor(&s.payable.amount)?;
        if sum != commission || payable != commission - minor(&s.fee_withheld.amount)? {
            wrong.push(format!(
                "statement {}: commission {} but lines {}",
                s.id,
                fmt_minor(commission),
                fmt_minor(sum)
            ));
        }
    }
    if statements.is_empty() || lines == 0 {
        wrong.push("no statement with lines was drafted".to_owned());
    }
    Ok(Check {
        name: "statement total = sum of its lines",
        passed: wrong.is_empty(),
        detail: if wrong.is_empty() {
            format!("{} statements, {lines} lines", statements.len())
        } else {
            wrong.join("; ")
        },
    })
}

/// A placement's holding period.
#[derive(Clone, Debug)]
pub struct Holding {
    pub account_id: String,
    pub agency: String,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// No account is ever held by two placements at once.
pub fn one_holder_at_a_time(holdings: &mut [Holding]) -> Check {
    holdings.sort_by(|a, b| (&a.account_id, a.from).cmp(&(&b.account_id, b.from)));
    let mut overlaps = Vec::new();
    for pair in holdings.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.account_id == b.account_id && a.until.is_none_or(|until| until > b.from) {
            overlaps.push(format!(
                "account {} held by {} and {} from {}",
                a.account_id, a.agency, b.agency, b.from
            ));
        }
    }
    let accounts = holdings
        .iter()
        .map(|h| &h.account_id)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Check {
        name: "no account held by two agencies at once",
        passed: overlaps.is_empty() && !holdings.is_empty(),
        detail: if holdings.is_empty() {
            "no placement was made".to_owned()
        } else if overlaps.is_empty() {
            format!("{} placements of {accounts} accounts", holdings.len())
        } else {
            format!("{} overlaps, e.g. {}", overlaps.len(), overlaps[0])
        },
    }
}

/// Every report the desks sent was accepted: in this world nothing they report is wrong,
/// so a refusal is the service refusing good data.
pub fn reports_accepted(desks: &[Desk]) -> Check {
    let sent: u64 = desks.iter().map(|d| d.tally.items_sent).sum();
    let refused: Vec<String> = desks
        .iter()
        .filter(|d| d.tally.rejected > 0)
        .map(|d| format!("{} of {}'s", d.tally.rejected, d.persona.code))
        .collect();
    Check {
        name: "every report accepted",
        passed: refused.is_empty() && sent > 0,
        detail: if refused.is_empty() {
            format!("{sent} activities and payments")
        } else {
            format!("refused: {}", refused.join(", "))
        },
    }
}

/// Reads what the checks need and runs them.
pub async fn run(
    finance: &Session,
    manager: &Session,
    agency_ids: &[String],
    booked: &BTreeMap<String, Booked>,
) -> anyhow::Result<Vec<Check>> {
    let (months, items) = latest_reconciliations(finance).await?;
    let statements = statements(finance).await?;
    let mut holdings = holdings(manager, agency_ids).await?;
    Ok(vec![
        ledger_balances(booked, &months, &items)?,
        statements_add_up(&statements)?,
        one_holder_at_a_time(&mut holdings),
    ])
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunNode {
    id: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
}

/// Each reconciled period's latest run, and its lines.
async fn latest_reconciliations(
    finance: &Session,
) -> anyhow::Result<(Vec<(NaiveDate, NaiveDate)>, Vec<Item>)> {
    let runs: Vec<RunNode> = super::all_pages(finance, "reconciliationRuns", r#"query Runs($first: Int, $after: String) {
  reconciliationRuns(first: $first, after: $after) { edges { node { id periodStart periodEnd } } pageInfo { hasNextPage endCursor } }
}"#, json!({})).await?;
    // Newest first: the first run seen of a period is its latest.
    let mut latest: BTreeMap<(NaiveDate, NaiveDate), String> = BTreeMap::new();
    for run in runs {
        latest
            .entry((run.period_start, run.period_end))
            .or_insert(run.id);
    }
    let mut items = Vec::new();
    for id in latest.values() {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Run {
            reconciliation_run: RunItems,
        }
        #[derive(Deserialize)]
        struct RunItems {
            items: Vec<Item>,
        }
        let run: Run = finance
            .call(
                r#"query Run($id: ID!) { reconciliationRun(id: $id) { items { class ledgerEntryIds received { amount } } } }"#,
                json!({ "id": id }),
            )
            .await?;
        items.extend(run.reconciliation_run.items);
    }
    Ok((latest.into_keys().collect(), items))
}

async fn statements(finance: &Session) -> anyhow::Result<Vec<Statement>> {
    #[derive(Deserialize)]
    struct Node {
        id: String,
    }
    let ids: Vec<Node> = super::all_pages(finance, "commissionStatements", r#"query Statements($first: Int, $after: String) {
  commissionStatements(first: $first, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}"#, json!({})).await?;
    let mut out = Vec::with_capacity(ids.len());
    for Node { id } in ids {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct One {
            commission_statement: Statement,
        }
        let one: One = finance
            .call(
                r#"query Statement($id: ID!) { commissionStatement(id: $id) { id commission { amount } feeWithheld { amount } payable { amount } lines { commission { amount } } } }"#,
                json!({ "id": id }),
            )
            .await?;
        out.push(one.commission_statement);
    }
    Ok(out)
}

async fn holdings(manager: &Session, agency_ids: &[String]) -> anyhow::Result<Vec<Holding>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Node {
        placed_at: DateTime<Utc>,
        ended_at: Option<DateTime<Utc>>,
        agency: Code,
        account: IdOnly,
    }
    #[derive(Deserialize)]
    struct Code {
        code: String,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let mut out = Vec::new();
    for agency_id in agency_ids {
        let nodes: Vec<Node> = super::all_pages(manager, "placements", r#"query Placements($agencyId: ID!, $first: Int, $after: String) {
  placements(filter: { agencyId: $agencyId }, first: $first, after: $after) {
    edges { node { placedAt endedAt agency { code } account { id } } } pageInfo { hasNextPage endCursor }
  }
}"#, json!({ "agencyId": agency_id })).await?;
        out.extend(nodes.into_iter().map(|n| Holding {
            account_id: n.account.id,
            agency: n.agency.code,
            from: n.placed_at,
            until: n.ended_at,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn money(amount: &str) -> Money {
        Money {
            amount: amount.into(),
        }
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, day, 10, 0, 0).unwrap()
    }

    fn book() -> BTreeMap<String, Booked> {
        [
            ("1", 10_000, false),
            ("2", 5_000, false),
            ("3", 0, true),
            ("4", 2_000, false),
        ]
        .into_iter()
        .map(|(id, gross, reversal)| {
            (
                id.to_owned(),
                Booked {
                    gross_minor: gross,
                    received_at: at(5),
                    reversal,
                },
            )
        })
        .collect()
    }

    fn item(class: &str, ids: &[&str], received: &str) -> Item {
        Item {
            class: class.into(),
            ledger_entry_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
            received: money(received),
        }
    }

    fn october() -> Vec<(NaiveDate, NaiveDate)> {
        vec![(
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        )]
    }

    #[test]
    fn the_ledger_balances_when_every_entry_is_on_one_line() {
        let items = [
            item("MATCHED", &["1"], "100.00"),
            item("LEDGER_ONLY", &["2"], "50.00"),
            item("REVERSED", &["4"], "20.00"),
            item("AGENCY_ONLY", &[], "0.00"),
        ];
        let check = ledger_balances(&book(), &october(), &items).unwrap();
        assert!(check.passed, "{check}");
        assert!(
            check
                .detail
                .starts_with("ledger 170.00 = matched 100.00 + ledger-only 50.00 + reversed 20.00")
        );
    }

    #[test]
    fn the_ledger_check_fails_on_a_missing_a_doubled_or_a_misstated_entry() {
        let missing = [
            item("MATCHED", &["1"], "100.00"),
            item("LEDGER_ONLY", &["2"], "50.00"),
        ];
        assert!(
            !ledger_balances(&book(), &october(), &missing)
                .unwrap()
                .passed
        );
        let doubled = [
            item("MATCHED", &["1"], "100.00"),
            item("LEDGER_ONLY", &["1", "2"], "150.00"),
            item("REVERSED", &["4"], "20.00"),
        ];
        assert!(
            !ledger_balances(&book(), &october(), &doubled)
                .unwrap()
                .passed
        );
        let misstated = [
            item("MATCHED", &["1"], "99.00"),
            item("LEDGER_ONLY", &["2"], "50.00"),
            item("REVERSED", &["4"], "20.00"),
        ];
        assert!(
            !ledger_balances(&book(), &october(), &misstated)
                .unwrap()
                .passed
        );
        assert!(
            !ledger_balances(&book(), &[], &[]).unwrap().passed,
            "a ledger nobody reconciled fails"
        );
    }

    #[test]
    fn a_statement_must_add_up() {
        let statement = |commission: &str, payable: &str| Statement {
            id: "9".into(),
            commission: money(commission),
            fee_withheld: money("5.00"),
            payable: money(payable),
            lines: vec![
                Line {
                    commission: money("10.00"),
                },
                Line {
                    commission: money("2.50"),
                },
            ],
        };
        assert!(
            statements_add_up(&[statement("12.50", "7.50")])
                .unwrap()
                .passed
        );
        assert!(
            !statements_add_up(&[statement("12.00", "7.00")])
                .unwrap()
                .passed
        );
        assert!(
            !statements_add_up(&[statement("12.50", "12.50")])
                .unwrap()
                .passed
        );
        assert!(
            !statements_add_up(&[]).unwrap().passed,
            "nothing to check fails"
        );
    }

    #[test]
    fn overlapping_placements_of_one_account_fail() {
        let holding = |account: &str, agency: &str, from: u32, until: Option<u32>| Holding {
            account_id: account.into(),
            agency: agency.into(),
            from: at(from),
            until: until.map(at),
        };
        let mut fine = vec![
            holding("1", "A", 1, Some(5)),
            holding("1", "B", 5, None),
            holding("2", "A", 1, None),
        ];
        assert!(one_holder_at_a_time(&mut fine).passed);
        let mut overlapping = vec![holding("1", "A", 1, Some(6)), holding("1", "B", 5, None)];
        assert!(!one_holder_at_a_time(&mut overlapping).passed);
        let mut open = vec![holding("1", "A", 1, None), holding("1", "B", 5, None)];
        assert!(!one_holder_at_a_time(&mut open).passed);
        assert!(
            !one_holder_at_a_time(&mut []).passed,
            "nothing to check fails"
        );
    }
}
