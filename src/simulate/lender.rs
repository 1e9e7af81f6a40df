//! The lender's side: its ledger receives agencies' remittances (gross, or net of their
//! commission) a couple of days after debtors pay them, debtors' direct payments the same
//! day, and a few chargebacks reversing direct payments; finance imports it daily and
//! closes each month's commission statements with four eyes.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::agency::Collection;
use super::client::Session;
use super::world::rate_bp;
use super::{BATCH, CURRENCY, amount};
/// Days from a debtor paying an agency to the remittance reaching the lender.
const REMITTANCE_DAYS: i64 = 2;
/// Share of direct payments charged back.
const CHARGEBACKS: f64 = 0.05;
/// Days from a direct payment to its chargeback.
const CHARGEBACK_DAYS: i64 = 5;

/// A ledger entry as the lender booked it.
#[derive(Clone, Debug)]
pub struct Booked {
    /// What the debtor paid (for a net remittance: before the agency's fee).
    pub gross_minor: i64,
    pub received_at: DateTime<Utc>,
    pub reversal: bool,
}

pub struct Ledger {
    /// Entries not yet received, by arrival.
    pending: Vec<(DateTime<Utc>, Value)>,
    /// What each imported entry was, by the service's id.
    pub booked: BTreeMap<String, Booked>,
    /// Gross amounts by reference, kept until the entry is imported.
    gross: HashMap<String, i64>,
    pub imported: u64,
    pub reversals: u64,
    rng: ChaCha8Rng,
}

impl Ledger {
    pub fn new(seed: u64) -> Self {
        Self {
            pending: Vec::new(),
            booked: BTreeMap::new(),
            gross: HashMap::new(),
            imported: 0,
            reversals: 0,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x1ED6E5),
        }
    }

    /// Books how the lender will receive the day's payments. `net`: the agencies that
    /// remit net of their commission.
    pub fn expect(&mut self, collections: &[Collection], net: &HashSet<String>) {
        for c in collections {
            if c.direct {
                let reference = format!("DIR-{}", c.external_id);
                let received_at = c.paid_at + Duration::hours(2);
                self.gross.insert(reference.clone(), c.amount_minor);
                self.pending.push((
                    received_at,
                    json!({
                        "reference": reference,
                        "accountReference": c.reference,
                        "channel": "LENDER_DIRECT",
                        "amount": amount(c.amount_minor),
                        "currency": CURRENCY,
                        "receivedAt": received_at,
                    }),
                ));
                if self.rng.random_bool(CHARGEBACKS) {
                    let back_at = received_at + Duration::days(CHARGEBACK_DAYS);
                    self.pending.push((
                        back_at,
                        json!({
                            "reference": format!("REV-{reference}"),
                            "reverses": reference,
                            "receivedAt": back_at,
                        }),
                    ));
                }
                continue;
            }
            let reference = format!("REM-{}", c.external_id);
            let received_at = (c.paid_at.date_naive() + Duration::days(REMITTANCE_DAYS))
                .and_time(NaiveTime::from_hms_opt(10, 0, 0).expect("valid time"))
                .and_utc();
            self.gross.insert(reference.clone(), c.amount_minor);
            let mut entry = json!({
                "reference": reference,
                "accountReference": c.reference,
                "agencyId": c.agency_id,
                "currency": CURRENCY,
                "receivedAt": received_at,
            });
            if net.contains(&c.agency_id) {
                let fee_bp = i64::from(rate_bp(&c.level, c.dpd_at_placement));
                let fee = (c.amount_minor * fee_bp + 5_000) / 10_000;
                entry["channel"] = json!("AGENCY_REMITTANCE_NET");
                entry["amount"] = json!(amount(c.amount_minor - fee));
                entry["grossAmount"] = json!(amount(c.amount_minor));
            } else {
                entry["channel"] = json!("AGENCY_REMITTANCE_GROSS");
                entry["amount"] = json!(amount(c.amount_minor));
            }
            self.pending.push((received_at, entry));
        }
    }

    /// Imports every entry received by `now`.
    pub async fn import_due(
        &mut self,
        finance: &Session,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (due, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(at, _)| *at <= now);
        self.pending = later;
        let mut entries: Vec<(DateTime<Utc>, Value)> = due;
        // Originals before their reversals.
        entries.sort_by_key(|(at, entry)| (*at, entry.get("reverses").is_some()));
        for chunk in entries.chunks(BATCH) {
            let batch: Vec<&Value> = chunk.iter().map(|(_, entry)| entry).collect();
            let data: Value = finance
                .call(
                    r#"mutation ImportLedgerPayments($entries: [LedgerEntryInput!]!) {
  importLedgerPayments(entries: $entries) { rejected items { reference status message entry { id reversesId receivedAt } } }
}"#,
                    json!({ "entries": batch }),
                )
                .await?;
            let report = &data["importLedgerPayments"];
            if report["rejected"].as_u64() != Some(0) {
                anyhow::bail!("the ledger refused entries: {}", report["items"]);
            }
            for item in report["items"].as_array().into_iter().flatten() {
                let entry = &item["entry"];
                let (Some(id), Some(reference)) =
                    (entry["id"].as_str(), item["reference"].as_str())
                else {
                    anyhow::bail!("the ledger answered an item without its entry: {item}");
                };
                let reversal = !entry["reversesId"].is_null();
                // A reversal takes back its original's money: it adds none of its own.
                let gross_minor = self.gross.remove(reference).unwrap_or(0);
                let received_at: DateTime<Utc> =
                    serde_json::from_value(entry["receivedAt"].clone())?;
                self.booked.insert(
                    id.to_owned(),
                    Booked {
                        gross_minor,
                        received_at,
                        reversal,
                    },
                );
                self.imported += 1;
                self.reversals += u64::from(reversal);
            }
        }
        Ok(())
    }
}

/// Finance closes last month's statements once its books have closed: the statements job
/// drafts any closed month still undrafted (the daily run drafted last month on its close
/// day, from its final reconciliation), then one clerk
/// submits each of the simulation's agencies' drafts and another approves and pays them.
/// Returns how many were paid.
pub async fn close_month(
    manager: &Session,
    finance: &Session,
    approver: &Session,
    agency_ids: &[String],
) -> anyhow::Result<usize> {
    let run: Value = manager
        .call(
            r#"mutation RunJob { runJob(name: "commission_statements") { status error } }"#,
            json!({}),
        )
        .await?;
    if run["runJob"]["status"] != json!("SUCCEEDED") {
        anyhow::bail!("commission_statements failed: {}", run["runJob"]["error"]);
    }
    let mut closed = 0;
    for agency_id in agency_ids {
        let drafts: Value = finance
            .call(
                r#"query Drafts($agencyId: ID!) {
  commissionStatements(filter: { agencyId: $agencyId, status: DRAFT }, first: 100) { edges { node { id } } }
}"#,
                json!({ "agencyId": agency_id }),
            )
            .await?;
        let ids = drafts["commissionStatements"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|edge| edge["node"]["id"].as_str());
        for id in ids {
            let vars = json!({ "id": id });
            finance
                .call::<Value>(
                    r#"mutation Submit($id: ID!) { submitCommissionStatement(id: $id) { id } }"#,
                    vars.clone(),
                )
                .await?;
            approver
                .call::<Value>(
                    r#"mutation Approve($id: ID!) { approveCommissionStatement(id: $id) { id } }"#,
                    vars.clone(),
                )
                .await?;
            approver
                .call::<Value>(
                    r#"mutation Pay($id: ID!) { markCommissionStatementPaid(id: $id) { id } }"#,
                    vars,
                )
                .await?;
            closed += 1;
        }
    }
    Ok(closed)
}
