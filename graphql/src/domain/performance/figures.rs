//! The DOMAIN figures and the composite score, from per-placement facts. Pure.
//!
//! - Recovery rate = collected ÷ balance at placement, for the placements made in the
//!   window (cohort basis; SINCE_PLACEMENT: all of them, cumulatively).
//! - Contact rate = placements with a right-party contact ÷ placements. A promise to pay
//!   counts as a right-party contact.
//! - Days to first contact = the median time from placement to the first attempt.
//! - PTP rate = placements with a promise ÷ placements with a right-party contact; PTP
//!   kept rate = promises kept ÷ promises due (due date before the day).
//! - Complaints per 1,000 placements; incidents by severity (WAIVED ones left out). An
//!   incident tied to no placement concerns the agency as a whole: it counts in every
//!   segment of it.
//! - Idle accounts: placements of the window still held, placed at least `idle_days`
//!   ago, with no activity in the last `idle_days`.
//! - Score: recovery against the segment's target (capped at the target), PTP kept rate,
//!   contact rate and a compliance part (1 − penalty points per 1,000 placements ÷ the
//!   tolerance, at least 0), weighted; a part without a denominator (no promise due yet)
//!   is left out and the others are reweighted. No verdict (no score) on fewer than
//!   `min_accounts` placements or for an agency working the segment fewer than
//!   `min_days`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::compliance_incident::Severity;
use entity::performance_snapshot::ScoreWindow;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{ALL_SEGMENTS, ScoreSettings};

pub const WINDOWS: [ScoreWindow; 3] = [
    ScoreWindow::Last30Days,
    ScoreWindow::Last90Days,
    ScoreWindow::SincePlacement,
];

/// The first instant a window covers, for figures as of `as_of`; `None`: since the
/// beginning.
pub fn window_start(window: ScoreWindow, as_of: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match window {
        ScoreWindow::Last30Days => Some(as_of - Duration::days(30)),
        ScoreWindow::Last90Days => Some(as_of - Duration::days(90)),
        ScoreWindow::SincePlacement => None,
    }
}

/// What is known of one placement as of the day.
#[derive(Clone, Debug)]
pub struct PlacementFact {
    pub placement_id: i64,
    pub agency_id: i64,
    pub segment: String,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub balance_minor: i64,
    pub collected_minor: i64,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub right_party_contact: bool,
    pub promised: bool,
    pub last_activity_at: Option<DateTime<Utc>>,
    /// Commission statements have paid on it (net of clawbacks); `None`: none has.
    pub commission_minor: Option<i64>,
}

/// A promise to pay and whether it was kept.
#[derive(Clone, Debug)]
pub struct PromiseFact {
    pub placement_id: i64,
    pub due_on: NaiveDate,
    pub kept: bool,
}

/// A promise to pay as made: when, how much, by when.
#[derive(Clone, Debug)]
pub struct Promise {
    pub made_at: DateTime<Utc>,
    pub amount_minor: i64,
    pub due_on: NaiveDate,
}

/// Whether each promise of one placement was kept. Promises are judged by due date; a
/// promise is kept when payments from the moment it was made to the end of its due day
/// (UTC), not already spent on keeping an earlier promise, add up to its amount; a kept
/// promise spends them (earliest first), so one payment never keeps two promises.
pub fn promises_kept(promises: &[Promise], payments: &[(DateTime<Utc>, i64)]) -> Vec<bool> {
    let mut left: Vec<(DateTime<Utc>, i64)> = payments.to_vec();
    left.sort_by_key(|(at, _)| *at);
    let mut order: Vec<usize> = (0..promises.len()).collect();
    order.sort_by_key(|&i| (promises[i].due_on, promises[i].made_at));
    let mut kept = vec![false; promises.len()];
    for i in order {
        let promise = &promises[i];
        let eligible = |(at, _): &(DateTime<Utc>, i64)| {
            *at >= promise.made_at && at.date_naive() <= promise.due_on
        };
        let available: i64 = left.iter().filter(|p| eligible(p)).map(|(_, a)| a).sum();
        if available < promise.amount_minor {
            continue;
        }
        kept[i] = true;
        let mut owed = promise.amount_minor;
        for payment in left.iter_mut().filter(|p| eligible(p)) {
            let spent = payment.1.min(owed);
            payment.1 -= spent;
            owed -= spent;
            if owed == 0 {
                break;
            }
        }
    }
    kept
}

/// A compliance incident, as the figures count it.
#[derive(Clone, Debug)]
pub struct IncidentFact {
    pub agency_id: i64,
    /// The segment and currency of its placement; `None`: the agency as a whole.
    pub placement: Option<(String, String)>,
    pub severity: Severity,
    pub complaint: bool,
    /// OPEN or ACKNOWLEDGED: not yet resolved.
    pub open: bool,
    pub occurred_at: DateTime<Utc>,
}

/// One agency's figures in one segment and currency over one window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub agency_id: i64,
    pub segment: String,
    pub currency: String,
    pub window: Option<ScoreWindow>,
    pub first_placed_at: Option<DateTime<Utc>>,
    pub accounts_placed: i64,
    pub balance_placed_minor: i64,
    pub collected_minor: i64,
    pub accounts_contacted: i64,
    pub median_first_attempt_secs: Option<i64>,
    pub accounts_promised: i64,
    pub promises_due: i64,
    pub promises_kept: i64,
    pub complaints: i64,
    /// LOW, MEDIUM, HIGH, CRITICAL.
    pub incidents: [i64; 4],
    pub accounts_held: i64,
    pub idle_accounts: i64,
    /// Commission on the window's placements; `None` until a statement paid on any.
    pub commission_minor: Option<i64>,
    pub score_bp: Option<i32>,
}

/// `numerator ÷ denominator` as a percentage rounded half-up to two decimals; `None`
/// when the denominator is 0.
pub fn percent(numerator: i64, denominator: i64) -> Option<Decimal> {
    (denominator != 0).then(|| {
        fixed(
            Decimal::from(numerator) * Decimal::ONE_HUNDRED / Decimal::from(denominator),
            2,
        )
    })
}

/// `value` rounded half-up to `places` decimals, and written with all of them.
pub fn fixed(value: Decimal, places: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    rounded
}

impl Figures {
    pub fn recovery_rate(&self) -> Option<Decimal> {
        percent(self.collected_minor, self.balance_placed_minor)
    }
    pub fn contact_rate(&self) -> Option<Decimal> {
        percent(self.accounts_contacted, self.accounts_placed)
    }
    pub fn idle_share(&self) -> Option<Decimal> {
        percent(self.idle_accounts, self.accounts_held)
    }
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
        Severity::Critical => 3,
    }
}

/// Every agency's figures as of `as_of`: per segment and currency, and over all segments
/// (`*`), for each window with at least one placement.
pub fn compute(
    as_of: DateTime<Utc>,
    settings: &ScoreSettings,
    placements: &[PlacementFact],
    promises: &[PromiseFact],
    incidents: &[IncidentFact],
) -> Vec<Figures> {
    type Key = (i64, String, String);
    let mut groups: BTreeMap<Key, Vec<&PlacementFact>> = BTreeMap::new();
    for fact in placements.iter().filter(|p| p.placed_at <= as_of) {
        for segment in [fact.segment.as_str(), ALL_SEGMENTS] {
            groups
                .entry((fact.agency_id, segment.to_owned(), fact.currency.clone()))
                .or_default()
                .push(fact);
        }
    }
    let mut promises_of: HashMap<i64, Vec<&PromiseFact>> = HashMap::new();
    for promise in promises {
        promises_of
            .entry(promise.placement_id)
            .or_default()
            .push(promise);
    }
    let mut incidents_of: HashMap<i64, Vec<&IncidentFact>> = HashMap::new();
    for incident in incidents {
        incidents_of
            .entry(incident.agency_id)
            .or_default()
            .push(incident);
    }
    let mut out = Vec::new();
    for ((agency_id, segment, currency), facts) in groups {
        let incidents = incidents_of
            .get(&agency_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let first_placed_at = facts.iter().map(|p| p.placed_at).min();
        for window in WINDOWS {
            let start = window_start(window, as_of);
            let cohort: Vec<&PlacementFact> = facts
                .iter()
                .copied()
                .filter(|p| start.is_none_or(|start| p.placed_at > start))
                .collect();
            if cohort.is_empty() {
                continue;
            }
            let mut figures = Figures {
                agency_id,
                segment: segment.clone(),
                currency: currency.clone(),
                window: Some(window),
                first_placed_at,
                ..Figures::default()
            };
            cohort_figures(&mut figures, &cohort, as_of, settings.idle_days);
            promise_figures(&mut figures, &cohort, &promises_of, as_of);
            incident_figures(&mut figures, incidents, start, as_of);
            figures.score_bp = score(&figures, as_of, settings);
            out.push(figures);
        }
    }
    out
}

fn cohort_figures(
    figures: &mut Figures,
    cohort: &[&PlacementFact],
    as_of: DateTime<Utc>,
    idle_days: i64,
) {
    let idle_since = as_of - Duration::days(idle_days);
    let mut first_attempts = Vec::new();
    for p in cohort {
        figures.accounts_placed += 1;
        figures.balance_placed_minor += p.balance_minor;
        figures.collected_minor += p.collected_minor;
        figures.accounts_contacted += i64::from(p.right_party_contact);
        figures.accounts_promised += i64::from(p.promised);
        if let Some(commission) = p.commission_minor {
            figures.commission_minor = Some(figures.commission_minor.unwrap_or(0) + commission);
        }
        if let Some(first) = p.first_attempt_at {
            first_attempts.push((first - p.placed_at).num_seconds().max(0));
        }
        if p.ended_at.is_none_or(|ended| ended > as_of) {
            figures.accounts_held += 1;
            if p.placed_at <= idle_since && p.last_activity_at.is_none_or(|at| at <= idle_since) {
                figures.idle_accounts += 1;
            }
        }
    }
    figures.median_first_attempt_secs = median(&mut first_attempts);
}

fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

fn promise_figures(
    figures: &mut Figures,
    cohort: &[&PlacementFact],
    promises_of: &HashMap<i64, Vec<&PromiseFact>>,
    as_of: DateTime<Utc>,
) {
    let today = as_of.date_naive();
    for promise in cohort
        .iter()
        .filter_map(|p| promises_of.get(&p.placement_id))
        .flatten()
        .filter(|promise| promise.due_on < today)
    {
        figures.promises_due += 1;
        figures.promises_kept += i64::from(promise.kept);
    }
}

fn incident_figures(
    figures: &mut Figures,
    incidents: &[&IncidentFact],
    start: Option<DateTime<Utc>>,
    as_of: DateTime<Utc>,
) {
    for incident in incidents.iter().filter(|i| {
        i.agency_id == figures.agency_id
            && i.occurred_at <= as_of
            && start.is_none_or(|start| i.occurred_at > start)
            && i.placement.as_ref().is_none_or(|(segment, currency)| {
                *currency == figures.currency
                    && (figures.segment == ALL_SEGMENTS || *segment == figures.segment)
            })
    }) {
        figures.incidents[severity_index(incident.severity)] += 1;
        figures.complaints += i64::from(incident.complaint);
    }
}

/// The composite score in basis points, or `None` on thin data.
pub fn score(figures: &Figures, as_of: DateTime<Utc>, settings: &ScoreSettings) -> Option<i32> {
    let worked_days = figures
        .first_placed_at
        .map_or(0, |first| (as_of - first).num_days());
    if figures.accounts_placed < settings.min_accounts
        || worked_days < settings.min_days
        || figures.balance_placed_minor <= 0
    {
        return None;
    }
    let ratio = |n: i64, d: i64| Decimal::from(n) / Decimal::from(d);
    let target =
        Decimal::from(settings.recovery_target_bp(&figures.segment)) / Decimal::from(10_000);
    let recovery =
        (ratio(figures.collected_minor, figures.balance_placed_minor) / target).min(Decimal::ONE);
    let contact = ratio(figures.accounts_contacted, figures.accounts_placed);
    let kept =
        (figures.promises_due > 0).then(|| ratio(figures.promises_kept, figures.promises_due));
    let points = &settings.incident_points;
    let penalty = [points.low, points.medium, points.high, points.critical]
        .iter()
        .zip(figures.incidents)
        .map(|(points, count)| i64::from(*points) * count)
        .sum::<i64>()
        + i64::from(points.complaint) * figures.complaints;
    let per_1000 = ratio(penalty * 1000, figures.accounts_placed);
    let compliance = (Decimal::ONE
        - per_1000 / Decimal::from(settings.compliance_tolerance_per_1000))
    .max(Decimal::ZERO);
    let w = &settings.weights;
    let parts = [
        (w.recovery, Some(recovery)),
        (w.promises_kept, kept),
        (w.contact, Some(contact)),
        (w.compliance, Some(compliance)),
    ];
    let (weighted, total) = parts
        .iter()
        .filter_map(|(weight, part)| part.map(|part| (Decimal::from(*weight), part)))
        .fold(
            (Decimal::ZERO, Decimal::ZERO),
            |(sum, total), (weight, part)| (sum + weight * part, total + weight),
        );
    if total.is_zero() {
        return None;
    }
    (weighted / total * Decimal::from(10_000))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i32()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::performance::{IncidentPoints, Weights};

    fn settings() -> ScoreSettings {
        ScoreSettings {
            recovery_targets_bp: [("*".to_owned(), 2_000)].into(),
            weights: Weights {
                recovery: 50,
                promises_kept: 15,
                contact: 10,
                compliance: 25,
            },
            incident_points: IncidentPoints {
                low: 1,
                medium: 3,
                high: 10,
                critical: 25,
                complaint: 5,
            },
            compliance_tolerance_per_1000: 50,
            min_accounts: 2,
            min_days: 30,
            idle_days: 7,
        }
    }

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-10-{day:02}T12:00:00Z").parse().unwrap()
    }

    fn fact(id: i64, placed: DateTime<Utc>, balance: i64, collected: i64) -> PlacementFact {
        PlacementFact {
            placement_id: id,
            agency_id: 1,
            segment: "EARLY".into(),
            currency: "USD".into(),
            placed_at: placed,
            ended_at: None,
            balance_minor: balance,
            collected_minor: collected,
            first_attempt_at: None,
            right_party_contact: false,
            promised: false,
            last_activity_at: None,
            commission_minor: None,
        }
    }

    #[test]
    fn a_small_fixture_gives_the_hand_computed_figures() {
        let as_of = at(31);
        let old = as_of - Duration::days(60);
        let mut a = fact(1, old, 100_000, 30_000);
        a.first_attempt_at = Some(old + Duration::hours(10));
        a.right_party_contact = true;
        a.promised = true;
        a.last_activity_at = Some(as_of - Duration::days(1));
        let mut b = fact(2, old, 50_000, 0);
        b.first_attempt_at = Some(old + Duration::hours(30));
        b.last_activity_at = Some(old + Duration::hours(30));
        let mut c = fact(3, as_of - Duration::days(10), 50_000, 5_000);
        c.ended_at = Some(as_of - Duration::days(2));
        let promises = [
            PromiseFact {
                placement_id: 1,
                due_on: as_of.date_naive() - Duration::days(3),
                kept: true,
            },
            PromiseFact {
                placement_id: 1,
                due_on: as_of.date_naive() - Duration::days(1),
                kept: false,
            },
            PromiseFact {
                placement_id: 1,
                due_on: as_of.date_naive(),
                kept: false,
            },
        ];
        let incidents = [
            IncidentFact {
                agency_id: 1,
                placement: Some(("EARLY".into(), "USD".into())),
                severity: Severity::High,
                complaint: true,
                open: true,
                occurred_at: as_of - Duration::days(5),
            },
            IncidentFact {
                agency_id: 1,
                placement: None,
                severity: Severity::Low,
                complaint: false,
                open: false,
                occurred_at: as_of - Duration::days(50),
            },
            IncidentFact {
                agency_id: 2,
                placement: None,
                severity: Severity::Critical,
                complaint: false,
                open: false,
                occurred_at: as_of - Duration::days(1),
            },
        ];
        let all = compute(as_of, &settings(), &[a, b, c], &promises, &incidents);
        let find = |segment: &str, window| {
            all.iter()
                .find(|f| f.segment == segment && f.window == Some(window))
                .unwrap()
        };
        let cumulative = find("EARLY", ScoreWindow::SincePlacement);
        assert_eq!(cumulative.accounts_placed, 3);
        assert_eq!(cumulative.balance_placed_minor, 200_000);
        assert_eq!(cumulative.collected_minor, 35_000);
        assert_eq!(cumulative.recovery_rate(), Some(Decimal::new(1750, 2)));
        assert_eq!(cumulative.accounts_contacted, 1);
        assert_eq!(cumulative.contact_rate(), Some(Decimal::new(3333, 2)));
        // 10 h and 30 h: the median is 20 h.
        assert_eq!(cumulative.median_first_attempt_secs, Some(20 * 3600));
        assert_eq!((cumulative.promises_due, cumulative.promises_kept), (2, 1));
        assert_eq!(cumulative.incidents, [1, 0, 1, 0]);
        assert_eq!(cumulative.complaints, 1);
        // c has ended; b was last active 59 days ago: idle; a was active yesterday.
        assert_eq!((cumulative.accounts_held, cumulative.idle_accounts), (2, 1));
        // recovery 17.5/20 = 0.875, kept 0.5, contact 1/3, compliance: (1 LOW + 10 HIGH
        // + 5 complaint) = 16 points over 3 placements = 5333.33 per 1,000: 0.
        // (50 × 0.875 + 15 × 0.5 + 10 × 0.3333… + 25 × 0) / 100 = 0.54583… → 5458 bp.
        assert_eq!(cumulative.score_bp, Some(5458));

        let recent = find("EARLY", ScoreWindow::Last30Days);
        assert_eq!(recent.accounts_placed, 1);
        assert_eq!(recent.score_bp, None, "one placement is thin data");
        // The old LOW incident is outside the last 30 days.
        assert_eq!(recent.incidents, [0, 0, 1, 0]);
        let everything = find(ALL_SEGMENTS, ScoreWindow::SincePlacement);
        assert_eq!(everything.collected_minor, 35_000);
        assert!(all.iter().all(|f| f.agency_id == 1));
    }

    #[test]
    fn no_verdict_for_an_agency_new_to_the_segment() {
        let as_of = at(31);
        let placements = [
            fact(1, as_of - Duration::days(10), 1_000, 500),
            fact(2, as_of - Duration::days(10), 1_000, 500),
        ];
        let all = compute(as_of, &settings(), &placements, &[], &[]);
        assert!(all.iter().all(|f| f.score_bp.is_none()));
        let mut relaxed = settings();
        relaxed.min_days = 5;
        let all = compute(as_of, &relaxed, &placements, &[], &[]);
        // Recovery 50% is over the 20% target: full marks; contact 0; compliance 1;
        // no promise due: left out. (50 + 0 + 25) / 85.
        assert!(all.iter().all(|f| f.score_bp == Some(8824)));
    }

    #[test]
    fn promises_are_kept_by_payments_from_when_they_were_made_to_the_due_day() {
        let promise = |made: u32, amount: i64, due: u32| Promise {
            made_at: at(made),
            amount_minor: amount,
            due_on: at(due).date_naive(),
        };
        let payments = [
            (at(9), 5_000),
            (at(12), 3_000),
            (at(15), 2_000),
            (at(16), 9_000),
        ];
        assert_eq!(promises_kept(&[promise(10, 5_000, 15)], &payments), [true]);
        assert_eq!(promises_kept(&[promise(10, 5_001, 15)], &payments), [false]);
        // One payment keeps one promise: the earlier due is served first, the second
        // finds the money spent.
        let twice = [promise(10, 5_000, 15), promise(11, 5_000, 15)];
        assert_eq!(promises_kept(&twice, &payments), [true, false]);
        // An unkept promise spends nothing.
        let after_a_miss = [promise(8, 20_000, 12), promise(10, 5_000, 15)];
        assert_eq!(promises_kept(&after_a_miss, &payments), [false, true]);
    }

    #[test]
    fn medians_of_even_and_odd_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 10]), Some(3));
    }
}
