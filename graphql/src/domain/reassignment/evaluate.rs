//! Judging agencies against reassignment policies. Pure.
//!
//! Each agency holding accounts in a segment (and still ACTIVE or on PROBATION) is
//! judged by the segment's policy (or the `*` policy). Every rule that fires becomes a
//! finding with the measured figure and the threshold; the decision's action is the
//! strongest of them. A CRITICAL finding skips the grace period.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use entity::agency::AgencyStatus;
use entity::compliance_incident::Severity;
use entity::performance_snapshot::ScoreWindow;
use entity::reassignment_policy::{self, Action, Trigger};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::performance::ALL_SEGMENTS;
use crate::domain::performance::figures::{Figures, IncidentFact, fixed};

/// Days of incidents the HIGH and CRITICAL triggers look at.
pub const INCIDENT_DAYS: i64 = 30;

/// What the judgement reads.
pub struct Inputs<'a> {
    pub as_of: DateTime<Utc>,
    pub figures: &'a [Figures],
    pub incidents: &'a [IncidentFact],
    /// (agency, segment) pairs where the agency holds accounts it is no longer qualified
    /// for, with the reasons.
    pub lapsed: &'a HashMap<(i64, String), Vec<String>>,
    pub statuses: &'a HashMap<i64, AgencyStatus>,
    /// Active policies by segment.
    pub policies: &'a HashMap<String, reassignment_policy::Model>,
    /// Days since its first placement in the segment an agency needs before its recovery
    /// is judged (thin data gives no verdict).
    pub min_days: i64,
}

/// A rule that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub trigger: &'static str,
    pub window: Option<ScoreWindow>,
    pub measured: String,
    pub threshold: String,
    pub detail: String,
    pub action: Action,
}

/// What a review proposes for one agency in one segment.
#[derive(Clone, Debug)]
pub struct Proposal {
    pub agency_id: i64,
    pub segment: String,
    pub currency: String,
    pub policy_id: i64,
    pub grace_hours: i32,
    pub action: Action,
    pub findings: Vec<Finding>,
    /// A CRITICAL incident fired: no grace period.
    pub critical: bool,
    /// Idle accounts by the snapshot's measure (for skipping a repeated RECALL_IDLE).
    pub idle_accounts: i64,
}

fn pct(value: Decimal) -> String {
    format!("{}%", fixed(value * Decimal::ONE_HUNDRED, 2))
}

fn recovery(f: &Figures) -> Option<Decimal> {
    (f.balance_placed_minor > 0)
        .then(|| Decimal::from(f.collected_minor) / Decimal::from(f.balance_placed_minor))
}

fn median(mut values: Vec<Decimal>) -> Option<Decimal> {
    values.sort();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / Decimal::TWO),
    }
}

type Cell<'a> = (&'a str, &'a str, ScoreWindow);

/// Every proposal of the review, by agency then segment.
pub fn evaluate(inputs: &Inputs<'_>) -> Vec<Proposal> {
    let mut by_cell: HashMap<Cell<'_>, Vec<&Figures>> = HashMap::new();
    for f in inputs.figures {
        if let Some(window) = f.window {
            by_cell
                .entry((f.segment.as_str(), f.currency.as_str(), window))
                .or_default()
                .push(f);
        }
    }
    let since = inputs.as_of - Duration::days(INCIDENT_DAYS);
    let mut out = Vec::new();
    let held: BTreeMap<(i64, &str, &str), &Figures> = inputs
        .figures
        .iter()
        .filter(|f| {
            f.window == Some(ScoreWindow::SincePlacement)
                && f.segment != ALL_SEGMENTS
                && f.accounts_held > 0
        })
        .map(|f| ((f.agency_id, f.segment.as_str(), f.currency.as_str()), f))
        .collect();
    for ((agency_id, segment, currency), cumulative) in held {
        if !matches!(
            inputs.statuses.get(&agency_id),
            Some(AgencyStatus::Active | AgencyStatus::Probation)
        ) {
            continue;
        }
        let Some(policy) = inputs
            .policies
            .get(segment)
            .or_else(|| inputs.policies.get(ALL_SEGMENTS))
        else {
            continue;
        };
        let recent: Vec<&IncidentFact> = inputs
            .incidents
            .iter()
            .filter(|i| {
                i.agency_id == agency_id
                    && i.occurred_at > since
                    && i.occurred_at <= inputs.as_of
                    && i.placement
                        .as_ref()
                        .is_none_or(|(s, c)| s == segment && c == currency)
            })
            .collect();
        let mut findings = Vec::new();
        let mut critical = false;
        for rule in &policy.rules.0 {
            let finding = match &rule.trigger {
                Trigger::RecoveryBelowPeerMedian {
                    window,
                    percent_bp,
                    min_accounts,
                } => {
                    let peers: Vec<&Figures> = by_cell
                        .get(&(segment, currency, *window))
                        .map(|rows| {
                            rows.iter()
                                .copied()
                                .filter(|f| {
                                    f.accounts_placed >= *min_accounts
                                        && f.first_placed_at.is_some_and(|first| {
                                            (inputs.as_of - first).num_days() >= inputs.min_days
                                        })
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let own = peers.iter().find(|f| f.agency_id == agency_id);
                    let peer_median = median(peers.iter().filter_map(|f| recovery(f)).collect());
                    match (own.and_then(|f| recovery(f)), peer_median) {
                        (Some(rate), Some(peer_median)) if peers.len() >= 2 => {
                            let threshold =
                                peer_median * Decimal::from(*percent_bp) / Decimal::from(10_000);
                            (rate < threshold).then(|| Finding {
                                trigger: "RECOVERY_BELOW_PEER_MEDIAN",
                                window: Some(*window),
                                measured: pct(rate),
                                threshold: pct(threshold),
                                detail: format!(
                                    "recovery {} against a peer median of {} over {} agencies with at least {min_accounts} accounts placed and {} days in the segment; the threshold is {} of the median",
                                    pct(rate),
                                    pct(peer_median),
                                    peers.len(),
                                    inputs.min_days,
                                    pct(Decimal::from(*percent_bp) / Decimal::from(10_000)),
                                ),
                                action: rule.action,
                            })
                        }
                        _ => None,
                    }
                }
                Trigger::IdleShareAbove {
                    share_bp,
                    min_accounts,
                } => {
                    let held = cumulative.accounts_held;
                    let share = Decimal::from(cumulative.idle_accounts) / Decimal::from(held);
                    let threshold = Decimal::from(*share_bp) / Decimal::from(10_000);
                    (held >= *min_accounts && share > threshold).then(|| Finding {
                        trigger: "IDLE_SHARE_ABOVE",
                        window: Some(ScoreWindow::SincePlacement),
                        measured: pct(share),
                        threshold: pct(threshold),
                        detail: format!(
                            "{} of {held} accounts held have had no activity in the idle period",
                            cumulative.idle_accounts
                        ),
                        action: rule.action,
                    })
                }
                Trigger::HighIncidents { count } => {
                    let high = recent
                        .iter()
                        .filter(|i| i.severity == Severity::High)
                        .count() as i64;
                    (high >= *count).then(|| Finding {
                        trigger: "HIGH_INCIDENTS",
                        window: None,
                        measured: high.to_string(),
                        threshold: count.to_string(),
                        detail: format!("{high} HIGH incidents in the last {INCIDENT_DAYS} days"),
                        action: rule.action,
                    })
                }
                Trigger::CriticalIncident => {
                    let open = recent
                        .iter()
                        .filter(|i| i.severity == Severity::Critical && i.open)
                        .count();
                    (open > 0).then(|| {
                        critical = true;
                        Finding {
                            trigger: "CRITICAL_INCIDENT",
                            window: None,
                            measured: open.to_string(),
                            threshold: "1".into(),
                            detail: format!(
                                "{open} unresolved CRITICAL incidents in the last {INCIDENT_DAYS} days"
                            ),
                            action: rule.action,
                        }
                    })
                }
                Trigger::QualificationLapsed => inputs
                    .lapsed
                    .get(&(agency_id, segment.to_owned()))
                    .map(|reasons| Finding {
                        trigger: "QUALIFICATION_LAPSED",
                        window: None,
                        measured: reasons.join("; "),
                        threshold: "a verified, unexpired qualification".into(),
                        detail: "holds accounts it is no longer qualified to work".into(),
                        action: rule.action,
                    }),
            };
            findings.extend(finding);
        }
        if let Some(action) = findings.iter().map(|f| f.action).max() {
            out.push(Proposal {
                agency_id,
                segment: segment.to_owned(),
                currency: currency.to_owned(),
                policy_id: policy.id,
                grace_hours: policy.grace_hours,
                action,
                findings,
                critical,
                idle_accounts: cumulative.idle_accounts,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use entity::reassignment_policy::{Rule, Rules};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 3, 30, 0).unwrap()
    }

    fn figures(agency_id: i64, collected: i64, held: i64, idle: i64) -> Vec<Figures> {
        [ScoreWindow::Last90Days, ScoreWindow::SincePlacement]
            .into_iter()
            .map(|window| Figures {
                agency_id,
                segment: "EARLY".into(),
                currency: "USD".into(),
                window: Some(window),
                accounts_placed: 60,
                balance_placed_minor: 600_000,
                collected_minor: collected,
                accounts_held: held,
                idle_accounts: idle,
                first_placed_at: Some(now() - Duration::days(40)),
                ..Figures::default()
            })
            .collect()
    }

    fn policy(rules: Vec<Rule>) -> HashMap<String, reassignment_policy::Model> {
        let model = reassignment_policy::Model {
            id: 7,
            segment: ALL_SEGMENTS.into(),
            version: 1,
            active: true,
            grace_hours: 48,
            rules: Rules(rules),
            created_by: "test".into(),
            created_at: now(),
        };
        [(ALL_SEGMENTS.to_owned(), model)].into()
    }

    fn judge(figures: &[Figures], incidents: &[IncidentFact], rules: Vec<Rule>) -> Vec<Proposal> {
        let statuses = [(1, AgencyStatus::Active), (2, AgencyStatus::Active)].into();
        evaluate(&Inputs {
            as_of: now(),
            figures,
            incidents,
            lapsed: &HashMap::new(),
            statuses: &statuses,
            policies: &policy(rules),
            min_days: 30,
        })
    }

    fn recovery_rule(min_accounts: i64) -> Rule {
        Rule {
            trigger: Trigger::RecoveryBelowPeerMedian {
                window: ScoreWindow::Last90Days,
                percent_bp: 6_000,
                min_accounts,
            },
            action: Action::Probation,
        }
    }

    #[test]
    fn the_agency_far_below_the_peer_median_is_put_on_probation() {
        let all = [figures(1, 180_000, 60, 0), figures(2, 60_000, 60, 0)].concat();
        let proposals = judge(&all, &[], vec![recovery_rule(50)]);
        assert_eq!(proposals.len(), 1);
        let weak = &proposals[0];
        assert_eq!((weak.agency_id, weak.action), (2, Action::Probation));
        assert_eq!(weak.findings[0].measured, "10.00%");
        assert_eq!(weak.findings[0].threshold, "12.00%");
        assert!(!weak.critical);
    }

    #[test]
    fn thin_data_or_no_peer_gives_no_verdict() {
        let all = [figures(1, 180_000, 60, 0), figures(2, 60_000, 60, 0)].concat();
        assert!(judge(&all, &[], vec![recovery_rule(61)]).is_empty());
        assert!(judge(&figures(2, 0, 60, 0), &[], vec![recovery_rule(1)]).is_empty());
        let mut new_agency = figures(2, 0, 60, 0);
        for f in &mut new_agency {
            f.first_placed_at = Some(now() - Duration::days(29));
        }
        let young: Vec<Figures> = figures(1, 300_000, 60, 0)
            .into_iter()
            .chain(new_agency)
            .collect();
        assert!(
            judge(&young, &[], vec![recovery_rule(50)]).is_empty(),
            "29 days in the segment is too few for a verdict"
        );
    }

    #[test]
    fn the_strongest_action_wins_and_a_critical_incident_skips_the_grace() {
        let all = figures(2, 60_000, 60, 30);
        let critical = IncidentFact {
            agency_id: 2,
            placement: None,
            severity: Severity::Critical,
            complaint: true,
            open: true,
            occurred_at: now() - Duration::days(2),
        };
        let rules = vec![
            Rule {
                trigger: Trigger::IdleShareAbove {
                    share_bp: 2_000,
                    min_accounts: 20,
                },
                action: Action::RecallIdle,
            },
            Rule {
                trigger: Trigger::CriticalIncident,
                action: Action::RecallAll,
            },
        ];
        let proposals = judge(&all, std::slice::from_ref(&critical), rules.clone());
        assert_eq!(proposals[0].action, Action::RecallAll);
        assert!(proposals[0].critical);
        assert_eq!(proposals[0].findings.len(), 2);
        let resolved = IncidentFact {
            open: false,
            ..critical
        };
        let proposals = judge(&all, &[resolved], rules);
        assert_eq!(proposals[0].action, Action::RecallIdle);
        assert!(!proposals[0].critical);
    }
}
