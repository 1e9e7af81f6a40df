//! Matching what agencies reported against what the ledger received. Pure.
//!
//! Per account and currency, in this order, each record used at most once:
//! 1. one reported payment to one ledger entry of the same (gross) amount received within
//!    the window of it, the closest in time first;
//! 2. splits: one payment to two or three entries that add up to it, or two or three
//!    payments to one entry, all within the window;
//! 3. what is left pairs up as AMOUNT_MISMATCH when a payment and an entry received in the
//!    period are within the window of each other (an entry of a neighbouring period is
//!    taken only by an exact or split match: a provisional pairing across periods would
//!    be undone when the payment's own remittance arrives, leaving the entry on no line,
//!    since its own period leaves out what another period's latest run matched);
//! 4. payments still left are AGENCY_ONLY; entries still left and received in the period
//!    are LEDGER_ONLY (those received outside it belong to a neighbouring period).
//!
//! An entry that was reversed takes no part in matching (the money is gone, so a payment
//! pairs with the money that stayed, such as a re-presented remittance): received in the
//! period, it is a REVERSED line of its own, never LEDGER_ONLY.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use entity::reconciliation_item::MatchClass;

/// A payment an agency reported.
#[derive(Clone, Debug)]
pub struct Reported {
    pub id: i64,
    pub account_id: i64,
    pub amount_minor: i64,
    pub currency: String,
    pub paid_at: DateTime<Utc>,
}

/// A ledger entry (not a reversal itself).
#[derive(Clone, Debug)]
pub struct Received {
    pub id: i64,
    pub account_id: i64,
    /// What the debtor paid (a NET remittance plus the fee withheld).
    pub gross_minor: i64,
    pub currency: String,
    pub received_at: DateTime<Utc>,
    /// A later entry reversed it.
    pub reversed: bool,
}

/// One line of the reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub class: MatchClass,
    pub account_id: i64,
    pub currency: String,
    pub payment_ids: Vec<i64>,
    pub ledger_ids: Vec<i64>,
    pub reported_minor: i64,
    pub received_minor: i64,
}

/// The period's lines: `reported` are the payments made in the period; `received` the
/// entries received from a window before it to a window after it (not yet matched in
/// another period); `period` is `[start, end)`.
pub fn reconcile(
    reported: &[Reported],
    received: &[Received],
    window: Duration,
    period: (DateTime<Utc>, DateTime<Utc>),
) -> Vec<Line> {
    type Key = (i64, String);
    let mut payments: BTreeMap<Key, Vec<&Reported>> = BTreeMap::new();
    for p in reported {
        payments
            .entry((p.account_id, p.currency.clone()))
            .or_default()
            .push(p);
    }
    let (start, end) = period;
    let mut lines: Vec<Line> = received
        .iter()
        .filter(|e| e.reversed && e.received_at >= start && e.received_at < end)
        .map(|e| Line {
            class: MatchClass::Reversed,
            account_id: e.account_id,
            currency: e.currency.clone(),
            payment_ids: Vec::new(),
            ledger_ids: vec![e.id],
            reported_minor: 0,
            received_minor: e.gross_minor,
        })
        .collect();
    let mut entries: BTreeMap<Key, Vec<&Received>> = BTreeMap::new();
    for e in received.iter().filter(|e| !e.reversed) {
        entries
            .entry((e.account_id, e.currency.clone()))
            .or_default()
            .push(e);
    }
    let mut keys: Vec<Key> = payments.keys().chain(entries.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let mut ps = payments.remove(&key).unwrap_or_default();
        let mut es = entries.remove(&key).unwrap_or_default();
        ps.sort_by_key(|p| (p.paid_at, p.id));
        es.sort_by_key(|e| (e.received_at, e.id));
        lines.extend(account_lines(&key, &ps, &es, window, period));
    }
    lines.sort_by(|a, b| (a.account_id, &a.currency).cmp(&(b.account_id, &b.currency)));
    lines
}

fn near(p: &Reported, e: &Received, window: Duration) -> bool {
    (e.received_at - p.paid_at).abs() <= window
}

fn account_lines(
    (account_id, currency): &(i64, String),
    ps: &[&Reported],
    es: &[&Received],
    window: Duration,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> Vec<Line> {
    let mut p_used = vec![false; ps.len()];
    let mut e_used = vec![false; es.len()];
    let mut groups: Vec<(MatchClass, Vec<usize>, Vec<usize>)> = Vec::new();

    // 1. One to one, same amount, closest in time.
    for (pi, p) in ps.iter().enumerate() {
        let best = es
            .iter()
            .enumerate()
            .filter(|(ei, e)| !e_used[*ei] && e.gross_minor == p.amount_minor && near(p, e, window))
            .min_by_key(|(_, e)| (e.received_at - p.paid_at).abs());
        if let Some((ei, _)) = best {
            p_used[pi] = true;
            e_used[ei] = true;
            groups.push((MatchClass::Matched, vec![pi], vec![ei]));
        }
    }
    // 2. Splits: one payment to several entries, then several payments to one entry.
    for pi in 0..ps.len() {
        if p_used[pi] {
            continue;
        }
        let free: Vec<usize> = (0..es.len())
            .filter(|&ei| !e_used[ei] && near(ps[pi], es[ei], window))
            .collect();
        if let Some(parts) = parts_adding_up(&free, |ei| es[ei].gross_minor, ps[pi].amount_minor) {
            p_used[pi] = true;
            parts.iter().for_each(|&ei| e_used[ei] = true);
            groups.push((MatchClass::Matched, vec![pi], parts));
        }
    }
    for ei in 0..es.len() {
        if e_used[ei] {
            continue;
        }
        let free: Vec<usize> = (0..ps.len())
            .filter(|&pi| !p_used[pi] && near(ps[pi], es[ei], window))
            .collect();
        if let Some(parts) = parts_adding_up(&free, |pi| ps[pi].amount_minor, es[ei].gross_minor) {
            e_used[ei] = true;
            parts.iter().for_each(|&pi| p_used[pi] = true);
            groups.push((MatchClass::Matched, parts, vec![ei]));
        }
    }
    // 3. Near each other, different amounts.
    for (pi, p) in ps.iter().enumerate() {
        if p_used[pi] {
            continue;
        }
        let best = es
            .iter()
            .enumerate()
            .filter(|(ei, e)| {
                !e_used[*ei] && near(p, e, window) && e.received_at >= start && e.received_at < end
            })
            .min_by_key(|(_, e)| (e.received_at - p.paid_at).abs());
        if let Some((ei, _)) = best {
            p_used[pi] = true;
            e_used[ei] = true;
            groups.push((MatchClass::AmountMismatch, vec![pi], vec![ei]));
        }
    }
    // 4. Alone.
    for (pi, used) in p_used.iter().enumerate() {
        if !used {
            groups.push((MatchClass::AgencyOnly, vec![pi], Vec::new()));
        }
    }
    for (ei, used) in e_used.iter().enumerate() {
        let e = es[ei];
        if !used && e.received_at >= start && e.received_at < end {
            groups.push((MatchClass::LedgerOnly, Vec::new(), vec![ei]));
        }
    }
    groups
        .into_iter()
        .map(|(class, pis, eis)| Line {
            class,
            account_id: *account_id,
            currency: currency.clone(),
            payment_ids: pis.iter().map(|&pi| ps[pi].id).collect(),
            ledger_ids: eis.iter().map(|&ei| es[ei].id).collect(),
            reported_minor: pis.iter().map(|&pi| ps[pi].amount_minor).sum(),
            received_minor: eis.iter().map(|&ei| es[ei].gross_minor).sum(),
        })
        .collect()
}

/// Two or three of `candidates` whose values add up to `total`, if any (the earliest
/// such combination).
fn parts_adding_up(
    candidates: &[usize],
    value: impl Fn(usize) -> i64,
    total: i64,
) -> Option<Vec<usize>> {
    let n = candidates.len();
    for a in 0..n {
        for b in a + 1..n {
            let (x, y) = (candidates[a], candidates[b]);
            if value(x) + value(y) == total {
                return Some(vec![x, y]);
            }
        }
    }
    for a in 0..n {
        for b in a + 1..n {
            for c in b + 1..n {
                let (x, y, z) = (candidates[a], candidates[b], candidates[c]);
                if value(x) + value(y) + value(z) == total {
                    return Some(vec![x, y, z]);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, d, 12, 0, 0).unwrap()
    }

    fn paid(id: i64, account_id: i64, amount: i64, d: u32) -> Reported {
        Reported {
            id,
            account_id,
            amount_minor: amount,
            currency: "USD".into(),
            paid_at: day(d),
        }
    }

    fn got(id: i64, account_id: i64, gross: i64, d: u32) -> Received {
        Received {
            id,
            account_id,
            gross_minor: gross,
            currency: "USD".into(),
            received_at: day(d),
            reversed: false,
        }
    }

    fn run(reported: &[Reported], received: &[Received]) -> Vec<(MatchClass, Vec<i64>, Vec<i64>)> {
        let period = (day(1), Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
        reconcile(reported, received, Duration::days(5), period)
            .into_iter()
            .map(|l| (l.class, l.payment_ids, l.ledger_ids))
            .collect()
    }

    #[test]
    fn every_class_on_a_small_month() {
        let mut reversed = got(15, 5, 7_000, 12);
        reversed.reversed = true;
        let lines = run(
            &[
                paid(1, 1, 10_000, 3),
                paid(2, 2, 5_000, 4),
                paid(3, 3, 8_000, 6),
                paid(4, 5, 7_000, 10),
            ],
            &[
                got(11, 1, 10_000, 6),
                got(13, 3, 7_500, 7),
                got(14, 4, 2_000, 20),
                reversed,
            ],
        );
        assert_eq!(
            lines,
            vec![
                (MatchClass::Matched, vec![1], vec![11]),
                (MatchClass::AgencyOnly, vec![2], vec![]),
                (MatchClass::AmountMismatch, vec![3], vec![13]),
                (MatchClass::LedgerOnly, vec![], vec![14]),
                (MatchClass::Reversed, vec![], vec![15]),
                (MatchClass::AgencyOnly, vec![4], vec![]),
            ]
        );
    }

    #[test]
    fn a_reversed_entry_leaves_matching_to_the_money_that_stayed() {
        // A remittance bounced and was presented again: the payment is the second one's.
        let mut bounced = got(11, 1, 10_000, 6);
        bounced.reversed = true;
        assert_eq!(
            run(&[paid(1, 1, 10_000, 5)], &[bounced, got(12, 1, 10_000, 9)]),
            vec![
                (MatchClass::Reversed, vec![], vec![11]),
                (MatchClass::Matched, vec![1], vec![12]),
            ]
        );
    }

    #[test]
    fn an_entry_of_the_month_before_is_taken_only_by_an_exact_match() {
        let before = Received {
            received_at: Utc.with_ymd_and_hms(2026, 9, 30, 17, 0, 0).unwrap(),
            ..got(21, 1, 4_000, 1)
        };
        assert_eq!(
            run(&[paid(1, 1, 10_000, 2)], std::slice::from_ref(&before)),
            vec![(MatchClass::AgencyOnly, vec![1], vec![])],
            "no provisional AMOUNT_MISMATCH with September's entry"
        );
        assert_eq!(
            run(&[paid(1, 1, 4_000, 2)], &[before]),
            vec![(MatchClass::Matched, vec![1], vec![21])]
        );
    }

    #[test]
    fn splits_match_in_both_directions() {
        let lines = run(
            &[
                paid(1, 1, 10_000, 3),
                paid(2, 2, 3_000, 3),
                paid(3, 2, 4_000, 4),
            ],
            &[
                got(11, 1, 6_000, 5),
                got(12, 1, 4_000, 6),
                got(13, 2, 7_000, 8),
            ],
        );
        assert_eq!(
            lines,
            vec![
                (MatchClass::Matched, vec![1], vec![11, 12]),
                (MatchClass::Matched, vec![2, 3], vec![13]),
            ]
        );
    }

    #[test]
    fn the_window_bounds_a_match_and_the_closest_entry_wins() {
        let lines = run(
            &[paid(1, 1, 10_000, 3), paid(2, 1, 10_000, 20)],
            &[
                got(11, 1, 10_000, 9),
                got(12, 1, 10_000, 19),
                got(13, 1, 10_000, 21),
            ],
        );
        assert_eq!(
            lines,
            vec![
                (MatchClass::Matched, vec![2], vec![12]),
                (MatchClass::AgencyOnly, vec![1], vec![]),
                (MatchClass::LedgerOnly, vec![], vec![11]),
                (MatchClass::LedgerOnly, vec![], vec![13]),
            ]
        );
    }

    #[test]
    fn entries_outside_the_period_left_unmatched_belong_to_another() {
        let lines = run(&[], &[got(11, 1, 10_000, 1), got(12, 1, 500, 2)]);
        assert_eq!(lines.len(), 2);
        let before = Received {
            received_at: Utc.with_ymd_and_hms(2026, 9, 29, 0, 0, 0).unwrap(),
            ..got(13, 1, 10_000, 1)
        };
        assert!(run(&[], &[before]).is_empty());
    }
}
