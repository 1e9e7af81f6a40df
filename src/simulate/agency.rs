//! One agency's collection desk and its reporting system: it learns its placements by
//! polling `myPlacements`, works its accounts on the simulated day as its hidden persona
//! dictates, and reports activities and payments with its own token, in batches.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::Session;
use super::world::{Debtor, Persona};
use super::{BATCH, CURRENCY, all_pages, amount, minor};

/// Days without calls after a conversation (the US rule, counted in hours: a call on the
/// 7th day could fall within 7 × 24 hours of the conversation, so the desk waits a day more).
const QUIET_DAYS: i64 = 7;
/// Flags under which a compliant agency does not call.
const DO_NOT_CALL: [&str; 4] = ["DISPUTED", "CEASE_CONTACT", "BANKRUPTCY", "DECEASED"];

/// A payment a debtor made on an account this agency held.
#[derive(Clone, Debug)]
pub struct Collection {
    pub agency_id: String,
    pub reference: String,
    pub external_id: String,
    pub amount_minor: i64,
    pub paid_at: DateTime<Utc>,
    /// Paid to the lender, not to the agency.
    pub direct: bool,
    /// The placement's level and days past due when the account was placed: its
    /// commission rate.
    pub level: String,
    pub dpd_at_placement: i64,
}

/// An account as the agency's system knows it.
#[derive(Clone, Debug)]
struct Held {
    account_id: String,
    reference: String,
    outstanding_minor: i64,
    flags: Vec<String>,
    time_zone: Tz,
    phone: String,
    level: String,
    dpd_at_placement: i64,
    last_conversation: Option<NaiveDate>,
    promise: Option<(i64, NaiveDate)>,
}

/// What an agency did and what became of its reports.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub attempts: u64,
    pub conversations: u64,
    pub promises: u64,
    pub payments: u64,
    /// What debtors paid on its accounts, to it or to the lender directly.
    pub paid_minor: i64,
    pub items_sent: u64,
    pub rejected: u64,
    /// Incidents its reports raised: broken contact rules and complaints.
    pub incidents: u64,
}

pub struct Desk {
    pub persona: Persona,
    pub agency_id: String,
    session: Session,
    debtors: Arc<HashMap<String, Debtor>>,
    held: BTreeMap<String, Held>,
    last_poll: Option<DateTime<Utc>>,
    /// Reports held back: (release day, item).
    activities: Vec<(NaiveDate, Value)>,
    payments: Vec<(NaiveDate, Value)>,
    rng: ChaCha8Rng,
    serial: u64,
    pub tally: Tally,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlacementNode {
    id: String,
    status: String,
    level: String,
    placed_at: DateTime<Utc>,
    /// Absent once the placement has ended: the agency no longer sees the account.
    account: Option<AccountNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountNode {
    id: String,
    lender_reference: String,
    outstanding: super::Money,
    delinquency_start: NaiveDate,
    flags: Vec<String>,
    debtor: DebtorNode,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DebtorNode {
    phones: Vec<String>,
    time_zone: String,
}

#[derive(Deserialize)]
struct Outcome {
    rejected: u64,
    #[serde(default, rename = "incidentsRaised")]
    incidents_raised: u64,
}

const MY_PLACEMENTS: &str = r#"query MyPlacements($since: DateTime, $first: Int, $after: String) {
  myPlacements(since: $since, first: $first, after: $after) {
    edges { node { id status level placedAt account { id lenderReference outstanding { amount } delinquencyStart flags debtor { phones timeZone } } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

const REPORT_ACTIVITIES: &str = r#"mutation ReportActivities($activities: [ActivityInput!]!) {
  reportActivities(activities: $activities) { rejected incidentsRaised }
}"#;

const REPORT_PAYMENTS: &str = r#"mutation ReportPayments($payments: [PaymentInput!]!) {
  reportPayments(payments: $payments) { rejected }
}"#;

impl Desk {
    pub fn new(
        persona: Persona,
        agency_id: String,
        session: Session,
        debtors: Arc<HashMap<String, Debtor>>,
        seed: u64,
        index: usize,
    ) -> Self {
        Self {
            persona,
            agency_id,
            session,
            debtors,
            held: BTreeMap::new(),
            last_poll: None,
            activities: Vec::new(),
            payments: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(index as u64)),
            serial: 0,
            tally: Tally::default(),
        }
    }

    /// The day's work at `now` (the evening of `day`): learn new and ended placements,
    /// work the accounts, report what is due. Returns the payments debtors made.
    pub async fn work_day(
        &mut self,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Collection>> {
        self.poll(now).await?;
        let collections = self.work(day);
        self.report(day).await?;
        Ok(collections)
    }

    /// Learns new and ended placements. A placement seen again (a recall warning changes
    /// it) keeps what the desk knows of it; only flags set by others are added.
    async fn poll(&mut self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let since = self.last_poll.map(|at| at - Duration::seconds(1));
        let changed: Vec<PlacementNode> = all_pages(
            &self.session,
            "myPlacements",
            MY_PLACEMENTS,
            json!({ "since": since }),
        )
        .await?;
        for placement in changed {
            let account = match placement.account {
                Some(account) if placement.status == "ACTIVE" => account,
                _ => {
                    self.held.remove(&placement.id);
                    continue;
                }
            };
            if let Some(known) = self.held.get_mut(&placement.id) {
                for flag in account.flags {
                    if !known.flags.contains(&flag) {
                        known.flags.push(flag);
                    }
                }
                continue;
            }
            let time_zone: Tz = account
                .debtor
                .time_zone
                .parse()
                .map_err(|err| anyhow::anyhow!("time zone: {err}"))?;
            self.held.insert(
                placement.id,
                Held {
                    account_id: account.id,
                    reference: account.lender_reference,
                    outstanding_minor: minor(&account.outstanding.amount)?,
                    flags: account.flags,
                    time_zone,
                    phone: account.debtor.phones.into_iter().next().unwrap_or_default(),
                    level: placement.level,
                    dpd_at_placement: (placement.placed_at.date_naive()
                        - account.delinquency_start)
                        .num_days(),
                    last_conversation: None,
                    promise: None,
                },
            );
        }
        self.last_poll = Some(now);
        Ok(())
    }

    fn external_id(&mut self, kind: char, day: NaiveDate) -> String {
        self.serial += 1;
        format!(
            "{}-{kind}-{}-{}",
            self.persona.code,
            day.format("%Y%m%d"),
            self.serial
        )
    }

    /// A local time on `day` in the debtor's zone, as UTC.
    fn at_local(day: NaiveDate, zone: Tz, time: NaiveTime) -> DateTime<Utc> {
        zone.from_local_datetime(&day.and_time(time))
            .earliest()
            .expect("the desks work after 03:00, past any daylight-saving gap")
            .with_timezone(&Utc)
    }

    fn work(&mut self, day: NaiveDate) -> Vec<Collection> {
        let lag = Duration::days(self.persona.report_lag_days);
        let release = day + lag;
        let mut collections = Vec::new();
        let ids: Vec<String> = self.held.keys().cloned().collect();
        for placement_id in ids {
            let Some(mut held) = self.held.get(&placement_id).cloned() else {
                continue;
            };
            let Some(debtor) = self.debtors.get(&held.reference) else {
                continue;
            };
            let willingness = debtor.willingness;
            let direct_share = debtor.pays_lender_direct;
            if let Some((promised, due)) = held.promise
                && due <= day
            {
                held.promise = None;
                let paid = promised.min(held.outstanding_minor);
                if paid > 0 && self.rng.random_bool(willingness) {
                    let paid_at = Self::at_local(
                        day,
                        held.time_zone,
                        NaiveTime::from_hms_opt(self.rng.random_range(9..15), 0, 0)
                            .expect("valid time"),
                    );
                    let direct = self.rng.random_bool(direct_share);
                    let external_id = self.external_id('P', day);
                    held.outstanding_minor -= paid;
                    self.tally.payments += 1;
                    self.tally.paid_minor += paid;
                    if !direct && !self.rng.random_bool(self.persona.unreported) {
                        self.payments.push((
                            release,
                            json!({
                                "externalId": external_id,
                                "accountId": held.account_id,
                                "amount": amount(paid),
                                "currency": CURRENCY,
                                "paidAt": paid_at,
                                "method": "BANK_TRANSFER",
                                "paidTo": "AGENCY",
                            }),
                        ));
                    }
                    collections.push(Collection {
                        agency_id: self.agency_id.clone(),
                        reference: held.reference.clone(),
                        external_id,
                        amount_minor: paid,
                        paid_at,
                        direct,
                        level: held.level.clone(),
                        dpd_at_placement: held.dpd_at_placement,
                    });
                }
            }
            self.attempt(day, release, &mut held, willingness);
            self.held.insert(placement_id, held);
        }
        collections
    }

    /// Maybe one call to the debtor today, and what came of it. An account the desk may
    /// not call yet (the quiet period after a conversation, a promise not yet due) gets a
    /// reminder letter about once a week instead.
    fn attempt(&mut self, day: NaiveDate, release: NaiveDate, held: &mut Held, willingness: f64) {
        if held.outstanding_minor == 0 || !self.rng.random_bool(self.persona.diligence) {
            return;
        }
        let reckless = self.rng.random_bool(self.persona.rule_breaking);
        let restricted = held.flags.iter().any(|f| DO_NOT_CALL.contains(&f.as_str()));
        let quiet = held
            .last_conversation
            .is_some_and(|last| day - last <= Duration::days(QUIET_DAYS));
        if !reckless && restricted {
            return;
        }
        if !reckless && (quiet || held.promise.is_some()) {
            if self.rng.random_bool(1.0 / 7.0) {
                let at = Self::at_local(
                    day,
                    held.time_zone,
                    NaiveTime::from_hms_opt(10, 0, 0).expect("valid time"),
                );
                let external_id = self.external_id('L', day);
                self.tally.attempts += 1;
                self.activities.push((
                    release,
                    json!({
                        "externalId": external_id,
                        "accountId": held.account_id,
                        "type": "CONTACT_ATTEMPT",
                        "occurredAt": at,
                        "channel": "LETTER",
                        "result": "LEFT_MESSAGE",
                    }),
                ));
            }
            return;
        }
        let hour = if reckless {
            6
        } else {
            self.rng.random_range(9..15)
        };
        let minute = self.rng.random_range(0..60);
        let at = Self::at_local(
            day,
            held.time_zone,
            NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"),
        );
        let reached = self.rng.random_bool(self.persona.reach);
        let result = if reached {
            "RIGHT_PARTY_CONTACT"
        } else if self.rng.random_bool(0.5) {
            "NO_ANSWER"
        } else {
            "LEFT_MESSAGE"
        };
        self.tally.attempts += 1;
        let external_id = self.external_id('A', day);
        self.activities.push((
            release,
            json!({
                "externalId": external_id,
                "accountId": held.account_id,
                "type": "CONTACT_ATTEMPT",
                "occurredAt": at,
                "channel": "CALL",
                "result": result,
                "contactPoint": held.phone,
            }),
        ));
        if !reached {
            return;
        }
        self.tally.conversations += 1;
        held.last_conversation = Some(day);
        let later = at + Duration::minutes(5);
        let outcome: f64 = self.rng.random();
        let complaint_chance = if reckless { 0.08 } else { 0.005 };
        let (kind, extra) = if outcome < self.persona.persuasion * (0.5 + willingness / 2.0) {
            let share = self.rng.random_range(10..=40);
            let promised = (held.outstanding_minor * share / 100 / 100).max(1) * 100;
            let promised = promised.min(held.outstanding_minor);
            let due = day + Duration::days(self.rng.random_range(2..=10));
            held.promise = Some((promised, due));
            self.tally.promises += 1;
            (
                "PROMISE_TO_PAY",
                json!({ "promise": { "amount": amount(promised), "currency": CURRENCY, "dueOn": due } }),
            )
        } else if outcome > 1.0 - complaint_chance {
            (
                "COMPLAINT",
                json!({ "note": "the debtor complained about the collector's conduct" }),
            )
        } else if outcome > 0.97 - complaint_chance {
            held.flags.push("DISPUTED".into());
            ("DISPUTE", json!({ "note": "the debtor disputes the debt" }))
        } else if outcome > 0.95 - complaint_chance {
            held.flags.push("CEASE_CONTACT".into());
            (
                "CEASE_CONTACT",
                json!({ "note": "the debtor asked not to be contacted" }),
            )
        } else {
            return;
        };
        let mut item = json!({
            "externalId": self.external_id('A', day),
            "accountId": held.account_id,
            "type": kind,
            "occurredAt": later,
        });
        if let (Some(item), Some(extra)) = (item.as_object_mut(), extra.as_object()) {
            item.extend(extra.clone());
        }
        self.activities.push((release, item));
    }

    /// Sends every held-back report whose release day has come.
    async fn report(&mut self, day: NaiveDate) -> anyhow::Result<()> {
        let due = |queue: &mut Vec<(NaiveDate, Value)>| {
            let (now, later): (Vec<_>, Vec<_>) =
                queue.drain(..).partition(|(release, _)| *release <= day);
            *queue = later;
            now.into_iter().map(|(_, item)| item).collect::<Vec<_>>()
        };
        let activities = due(&mut self.activities);
        let payments = due(&mut self.payments);
        self.send(
            REPORT_ACTIVITIES,
            "activities",
            "reportActivities",
            &activities,
        )
        .await?;
        self.send(REPORT_PAYMENTS, "payments", "reportPayments", &payments)
            .await?;
        Ok(())
    }

    /// Posts `items` as `$variable` of `mutation`, in batches, and counts the outcomes of
    /// its `field`.
    async fn send(
        &mut self,
        mutation: &str,
        variable: &str,
        field: &str,
        items: &[Value],
    ) -> anyhow::Result<()> {
        for chunk in items.chunks(BATCH) {
            let outcome: Outcome = self
                .session
                .call::<Value>(mutation, json!({ variable: chunk }))
                .await
                .and_then(|data| Ok(serde_json::from_value(data[field].clone())?))
                .with_context(|| format!("{} sending {variable}", self.persona.code))?;
            self.tally.items_sent += chunk.len() as u64;
            self.tally.rejected += outcome.rejected;
            self.tally.incidents += outcome.incidents_raised;
        }
        Ok(())
    }
}
