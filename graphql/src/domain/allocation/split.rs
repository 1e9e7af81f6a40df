//! Sharing a segment's accounts among agencies: pure and deterministic for a seed.
//!
//! Each agency has a target share (a weight). Accounts are taken in an order shuffled
//! by the seed; each goes to the eligible agency with room that is furthest behind its
//! share (smooth weighted round-robin), so counts track the weights closely at every
//! step and never exceed an agency's capacity.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Weights are parts per million of the work.
pub const WHOLE: u64 = 1_000_000;

#[derive(Clone, Debug)]
pub struct Candidate {
    pub agency_id: i64,
    pub weight_ppm: u64,
    /// `None`: no limit.
    pub remaining_accounts: Option<i64>,
    /// `None`: no limit (or the agency's capacity is counted in another currency).
    pub remaining_balance_minor: Option<i64>,
    /// Regions the agency is eligible to work for this strategy.
    pub regions: BTreeSet<String>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub account_id: i64,
    pub balance_minor: i64,
    pub region: String,
    /// Agencies that held the account before.
    pub previous_holders: Vec<i64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shortfall {
    /// No agency in the pool is eligible for the account's region.
    NoEligibleAgency,
    /// The only eligible agencies held the account before.
    OnlyPreviousHolders,
    /// Every eligible agency is full.
    NoCapacity,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// (account, agency), in the order decided.
    pub placed: Vec<(i64, i64)>,
    pub unplaced: Vec<(i64, Shortfall)>,
}

struct Slot<'a> {
    candidate: &'a Candidate,
    assigned: u64,
    remaining_accounts: Option<i64>,
    remaining_balance: Option<i64>,
}

impl Slot<'_> {
    fn has_room_for(&self, balance: i64) -> bool {
        self.remaining_accounts.is_none_or(|n| n >= 1)
            && self.remaining_balance.is_none_or(|b| b >= balance)
    }

    /// Which of two slots is further behind its share: (assigned + 1) / weight, lower first.
    fn behind(&self, other: &Self) -> Ordering {
        let mine = u128::from(self.assigned + 1) * u128::from(other.candidate.weight_ppm);
        let theirs = u128::from(other.assigned + 1) * u128::from(self.candidate.weight_ppm);
        mine.cmp(&theirs)
            .then(self.candidate.agency_id.cmp(&other.candidate.agency_id))
    }
}

pub fn allocate(
    mut items: Vec<Item>,
    candidates: &[Candidate],
    exclude_previous_holders: bool,
    seed: u64,
) -> Outcome {
    items.sort_by_key(|item| item.account_id);
    items.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut slots: Vec<Slot> = candidates
        .iter()
        .filter(|c| c.weight_ppm > 0)
        .map(|candidate| Slot {
            candidate,
            assigned: 0,
            remaining_accounts: candidate.remaining_accounts,
            remaining_balance: candidate.remaining_balance_minor,
        })
        .collect();
    let mut outcome = Outcome::default();
    for item in items {
        let mut eligible = false;
        let mut new_to_it = false;
        let mut best: Option<usize> = None;
        for (index, slot) in slots.iter().enumerate() {
            if !slot.candidate.regions.contains(&item.region) {
                continue;
            }
            eligible = true;
            if exclude_previous_holders && item.previous_holders.contains(&slot.candidate.agency_id)
            {
                continue;
            }
            new_to_it = true;
            if slot.has_room_for(item.balance_minor)
                && best.is_none_or(|b| slot.behind(&slots[b]) == Ordering::Less)
            {
                best = Some(index);
            }
        }
        match best {
            Some(index) => {
                let slot = &mut slots[index];
                slot.assigned += 1;
                slot.remaining_accounts = slot.remaining_accounts.map(|n| n - 1);
                slot.remaining_balance = slot.remaining_balance.map(|b| b - item.balance_minor);
                outcome
                    .placed
                    .push((item.account_id, slot.candidate.agency_id));
            }
            None => {
                let why = match (eligible, new_to_it) {
                    (false, _) => Shortfall::NoEligibleAgency,
                    (true, false) => Shortfall::OnlyPreviousHolders,
                    (true, true) => Shortfall::NoCapacity,
                };
                outcome.unplaced.push((item.account_id, why));
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn candidate(
        agency_id: i64,
        weight_ppm: u64,
        remaining: Option<i64>,
        regions: &[&str],
    ) -> Candidate {
        Candidate {
            agency_id,
            weight_ppm,
            remaining_accounts: remaining,
            remaining_balance_minor: None,
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn items(n: i64, region: &str) -> Vec<Item> {
        (1..=n)
            .map(|account_id| Item {
                account_id,
                balance_minor: 10_000,
                region: region.to_owned(),
                previous_holders: Vec::new(),
            })
            .collect()
    }

    fn counts(outcome: &Outcome) -> HashMap<i64, u64> {
        let mut counts = HashMap::new();
        for (_, agency) in &outcome.placed {
            *counts.entry(*agency).or_default() += 1;
        }
        counts
    }

    #[test]
    fn shares_follow_the_weights_exactly_when_divisible() {
        let candidates = [
            candidate(1, 700_000, None, &["UK"]),
            candidate(2, 200_000, None, &["UK"]),
            candidate(3, 100_000, None, &["UK"]),
        ];
        let outcome = allocate(items(1000, "UK"), &candidates, true, 7);
        let counts = counts(&outcome);
        assert_eq!((counts[&1], counts[&2], counts[&3]), (700, 200, 100));
        assert!(outcome.unplaced.is_empty());
    }

    #[test]
    fn shares_are_of_the_whole_run_not_of_each_region() {
        // EQUAL: agency 1 serves Texas only, agency 2 Texas and California.
        let candidates = [
            candidate(1, 500_000, None, &["US-TX"]),
            candidate(2, 500_000, None, &["US-TX", "US-CA"]),
        ];
        let mut accounts = items(100, "US-TX");
        accounts.extend(items(100, "US-CA").into_iter().map(|mut item| {
            item.account_id += 100;
            item
        }));
        let outcome = allocate(accounts, &candidates, true, 7);
        let counts = counts(&outcome);
        assert_eq!(counts[&1] + counts[&2], 200);
        assert!(counts[&1].abs_diff(counts[&2]) <= 2, "{counts:?}");
        let texas_to_2 = outcome
            .placed
            .iter()
            .filter(|(account, agency)| *account <= 100 && *agency == 2)
            .count();
        assert!(
            texas_to_2 <= 10,
            "agency 1 takes its half of the run from Texas: {texas_to_2} Texan accounts went to 2"
        );
    }

    #[test]
    fn each_shortfall_has_its_reason() {
        let mut held_before = items(1, "UK");
        held_before[0].previous_holders = vec![1];
        let outcome = allocate(held_before, &[candidate(1, 1, None, &["UK"])], true, 0);
        assert_eq!(outcome.unplaced, vec![(1, Shortfall::OnlyPreviousHolders)]);

        let outcome = allocate(
            items(1, "CN-31"),
            &[candidate(1, 1, None, &["UK"])],
            true,
            0,
        );
        assert_eq!(outcome.unplaced, vec![(1, Shortfall::NoEligibleAgency)]);

        let outcome = allocate(
            items(3, "UK"),
            &[candidate(1, 1, Some(2), &["UK"])],
            true,
            0,
        );
        assert_eq!(outcome.placed.len(), 2);
        assert_eq!(outcome.unplaced.len(), 1);
        assert_eq!(outcome.unplaced[0].1, Shortfall::NoCapacity);
    }

    #[test]
    fn a_previous_holder_may_be_chosen_again_when_allowed() {
        let mut held_before = items(1, "UK");
        held_before[0].previous_holders = vec![1];
        let outcome = allocate(held_before, &[candidate(1, 1, None, &["UK"])], false, 0);
        assert_eq!(outcome.placed, vec![(1, 1)]);
    }

    #[test]
    fn balance_capacity_is_respected() {
        let mut limited = candidate(1, 1, None, &["UK"]);
        limited.remaining_balance_minor = Some(25_000);
        let outcome = allocate(
            items(5, "UK"),
            &[limited, candidate(2, 1, Some(0), &["UK"])],
            true,
            3,
        );
        assert_eq!(outcome.placed.len(), 2);
    }

    fn arbitrary_case() -> impl Strategy<Value = (Vec<Item>, Vec<Candidate>, u64)> {
        let regions = ["US-TX", "UK", "CN-31"];
        let items = prop::collection::vec(
            (
                1_i64..1_000_000,
                0_usize..3,
                prop::collection::vec(1_i64..6, 0..2),
            ),
            0..300,
        )
        .prop_map(move |rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (balance, region, previous))| Item {
                    account_id: i as i64 + 1,
                    balance_minor: balance,
                    region: regions[region].to_owned(),
                    previous_holders: previous,
                })
                .collect::<Vec<_>>()
        });
        let candidates = prop::collection::vec(
            (
                1_u64..1_000_000,
                prop::option::of(0_i64..200),
                prop::option::of(0_i64..50_000_000),
                prop::collection::btree_set(0_usize..3, 0..3),
            ),
            1..6,
        )
        .prop_map(move |rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (weight, accounts, balance, rs))| Candidate {
                    agency_id: i as i64 + 1,
                    weight_ppm: weight,
                    remaining_accounts: accounts,
                    remaining_balance_minor: balance,
                    regions: rs.into_iter().map(|r| regions[r].to_owned()).collect(),
                })
                .collect::<Vec<_>>()
        });
        (items, candidates, any::<u64>())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn never_over_capacity_never_ineligible_never_twice((items, candidates, seed) in arbitrary_case()) {
            let by_id: HashMap<i64, &Item> = items.iter().map(|i| (i.account_id, i)).collect();
            let outcome = allocate(items.clone(), &candidates, true, seed);
            prop_assert_eq!(outcome.placed.len() + outcome.unplaced.len(), items.len());
            let mut seen = std::collections::HashSet::new();
            let decided = outcome.placed.iter().map(|(a, _)| *a).chain(outcome.unplaced.iter().map(|(a, _)| *a));
            for account in decided {
                prop_assert!(seen.insert(account), "account {} decided twice", account);
            }
            for c in &candidates {
                let mine: Vec<&Item> = outcome.placed.iter().filter(|(_, a)| *a == c.agency_id).map(|(acc, _)| by_id[acc]).collect();
                if let Some(max) = c.remaining_accounts {
                    prop_assert!(mine.len() as i64 <= max);
                }
                if let Some(max) = c.remaining_balance_minor {
                    prop_assert!(mine.iter().map(|i| i.balance_minor).sum::<i64>() <= max);
                }
                for item in mine {
                    prop_assert!(c.regions.contains(&item.region), "placed outside an eligible region");
                    prop_assert!(!item.previous_holders.contains(&c.agency_id), "placed with a previous holder");
                }
            }
        }

        #[test]
        fn the_same_seed_gives_the_same_result((items, candidates, seed) in arbitrary_case()) {
            prop_assert_eq!(allocate(items.clone(), &candidates, true, seed), allocate(items, &candidates, true, seed));
        }

        #[test]
        fn shares_converge_to_the_weights(weights in prop::collection::vec(1_u64..100, 2..6), seed in any::<u64>()) {
            let total: u64 = weights.iter().sum();
            let candidates: Vec<Candidate> = weights
                .iter()
                .enumerate()
                .map(|(i, w)| candidate(i as i64 + 1, w * 10_000, None, &["UK"]))
                .collect();
            let n = 20_000;
            let outcome = allocate(items(n, "UK"), &candidates, true, seed);
            let counts = counts(&outcome);
            for (i, w) in weights.iter().enumerate() {
                let expected = n as f64 * *w as f64 / total as f64;
                let got = *counts.get(&(i as i64 + 1)).unwrap_or(&0) as f64;
                // Within one account per agency of the exact share, on 20,000 accounts.
                let tolerance = weights.len() as f64;
                prop_assert!((got - expected).abs() <= tolerance, "agency {} got {} of {}, expected {:.1}", i + 1, got, n, expected);
            }
        }
    }
}
