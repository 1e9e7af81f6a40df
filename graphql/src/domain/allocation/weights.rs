//! Target shares per split method, in parts per million. Pure.

use entity::allocation_strategy::SplitMethod;

use super::split::WHOLE;

/// What the split needs to know of one eligible agency.
#[derive(Clone, Debug)]
pub struct Contender {
    pub agency_id: i64,
    /// Composite performance score in basis points; `None`: no verdict yet (no history
    /// or thin data).
    pub score_bp: Option<u32>,
    /// Agencies on probation get half their share.
    pub on_probation: bool,
}

#[derive(Clone, Debug)]
pub struct SplitRule {
    pub method: SplitMethod,
    pub champion_agency_id: Option<i64>,
    pub champion_share_bp: u32,
    pub floor_share_bp: u32,
}

/// Each contender's target share. Shares are relative: the split normalises over the
/// agencies eligible for each account.
pub fn weights(rule: &SplitRule, contenders: &[Contender]) -> Vec<(i64, u64)> {
    let equal = |ids: &[&Contender], total: u64| -> Vec<(i64, u64)> {
        let each = if ids.is_empty() {
            0
        } else {
            total / ids.len() as u64
        };
        ids.iter().map(|c| (c.agency_id, each)).collect()
    };
    let all: Vec<&Contender> = contenders.iter().collect();
    let mut shares = match rule.method {
        SplitMethod::Equal => equal(&all, WHOLE),
        SplitMethod::ChampionChallenger => {
            let champion = contenders
                .iter()
                .find(|c| Some(c.agency_id) == rule.champion_agency_id);
            let challengers: Vec<&Contender> = contenders
                .iter()
                .filter(|c| Some(c.agency_id) != rule.champion_agency_id)
                .collect();
            match champion {
                Some(champion) if !challengers.is_empty() => {
                    let champion_share = u64::from(rule.champion_share_bp.min(10_000)) * 100;
                    let mut shares = equal(&challengers, WHOLE - champion_share);
                    shares.push((champion.agency_id, champion_share));
                    shares
                }
                Some(champion) => vec![(champion.agency_id, WHOLE)],
                None => equal(&challengers, WHOLE),
            }
        }
        SplitMethod::PerformanceWeighted => {
            let (scored, new): (Vec<&Contender>, Vec<&Contender>) =
                contenders.iter().partition(|c| c.score_bp.is_some());
            if scored.is_empty() {
                equal(&new, WHOLE)
            } else {
                let floor =
                    (u64::from(rule.floor_share_bp) * 100).min(WHOLE / (new.len() as u64 + 1));
                let mut shares = equal(&new, floor * new.len() as u64);
                let rest = WHOLE - floor * new.len() as u64;
                let total: u64 = scored
                    .iter()
                    .map(|c| u64::from(c.score_bp.unwrap_or(0)))
                    .sum();
                if total == 0 {
                    shares.extend(equal(&scored, rest));
                } else {
                    shares.extend(scored.iter().map(|c| {
                        (
                            c.agency_id,
                            rest * u64::from(c.score_bp.unwrap_or(0)) / total,
                        )
                    }));
                }
                shares
            }
        }
    };
    for (agency_id, share) in &mut shares {
        if contenders
            .iter()
            .any(|c| c.agency_id == *agency_id && c.on_probation)
        {
            *share /= 2;
        }
    }
    shares.sort_by_key(|(agency_id, _)| *agency_id);
    shares
}

/// A share as a percentage with two decimals, e.g. "33.33%".
pub fn percent(share_ppm: u64) -> String {
    format!("{}.{:02}%", share_ppm / 10_000, (share_ppm % 10_000) / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contender(agency_id: i64, score_bp: Option<u32>) -> Contender {
        Contender {
            agency_id,
            score_bp,
            on_probation: false,
        }
    }

    fn rule(method: SplitMethod) -> SplitRule {
        SplitRule {
            method,
            champion_agency_id: Some(1),
            champion_share_bp: 7_000,
            floor_share_bp: 1_000,
        }
    }

    #[test]
    fn equal_shares() {
        let shares = weights(
            &rule(SplitMethod::Equal),
            &[contender(1, None), contender(2, Some(9_000))],
        );
        assert_eq!(shares, vec![(1, 500_000), (2, 500_000)]);
    }

    #[test]
    fn champion_takes_its_share_and_challengers_split_the_rest() {
        let shares = weights(
            &rule(SplitMethod::ChampionChallenger),
            &[contender(1, None), contender(2, None), contender(3, None)],
        );
        assert_eq!(shares, vec![(1, 700_000), (2, 150_000), (3, 150_000)]);
        let without_champion = weights(
            &rule(SplitMethod::ChampionChallenger),
            &[contender(2, None), contender(3, None)],
        );
        assert_eq!(without_champion, vec![(2, 500_000), (3, 500_000)]);
        let alone = weights(
            &rule(SplitMethod::ChampionChallenger),
            &[contender(1, None)],
        );
        assert_eq!(alone, vec![(1, WHOLE)]);
    }

    #[test]
    fn performance_shares_follow_scores_with_a_floor_for_newcomers() {
        let shares = weights(
            &rule(SplitMethod::PerformanceWeighted),
            &[
                contender(1, Some(6_000)),
                contender(2, Some(3_000)),
                contender(3, None),
            ],
        );
        assert_eq!(shares, vec![(1, 600_000), (2, 300_000), (3, 100_000)]);
        let nobody_scored = weights(
            &rule(SplitMethod::PerformanceWeighted),
            &[contender(1, None), contender(2, None)],
        );
        assert_eq!(nobody_scored, vec![(1, 500_000), (2, 500_000)]);
    }

    #[test]
    fn probation_halves_a_share() {
        let mut on_probation = contender(2, None);
        on_probation.on_probation = true;
        let shares = weights(
            &rule(SplitMethod::Equal),
            &[contender(1, None), on_probation],
        );
        assert_eq!(shares, vec![(1, 500_000), (2, 250_000)]);
    }

    #[test]
    fn percentages_read_well() {
        assert_eq!(percent(333_333), "33.33%");
        assert_eq!(percent(WHOLE), "100.00%");
        assert_eq!(percent(5_000), "0.50%");
    }
}
