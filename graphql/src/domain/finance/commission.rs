//! Commission lines from a plan. Pure.
//!
//! Each payment line: the first tier of the plan in force (on the day the money arrived)
//! that the placement matches (level, DPD bucket at placement, balance band at
//! placement) gives the rate; commission = basis × rate, rounded half-up to the minor
//! unit, line by line; a statement's total is the sum of its rounded lines. Direct
//! payments earn only when the plan says so. The per-account cap limits what one account
//! earns in the statement. A bonus line pays the extra rate on the whole basis when the
//! period's recovery rate beats the target. Clawbacks and adjustments are lines too.

use std::collections::HashMap;

use entity::commission_line::LineKind;
use entity::commission_plan::{PlanRules, Tier};
use entity::placement::PlacementLevel;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::ActiveEnum;

/// Money that earns: a matched (or ledger-only) line attributed to the agency.
#[derive(Clone, Debug)]
pub struct Earning {
    pub account_id: i64,
    pub placement_id: i64,
    pub payment_ids: Vec<i64>,
    pub ledger_entry_ids: Vec<i64>,
    pub basis_minor: i64,
    pub level: PlacementLevel,
    pub dpd_bucket: Option<String>,
    pub balance_at_placement_minor: i64,
    /// Paid to the lender directly.
    pub direct: bool,
    /// The plan in force when the money arrived, if any.
    pub plan: Option<(i64, PlanRules)>,
}

/// A line, before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDraft {
    pub kind: LineKind,
    pub account_id: Option<i64>,
    pub placement_id: Option<i64>,
    pub payment_ids: Vec<i64>,
    pub ledger_entry_ids: Vec<i64>,
    pub plan_id: Option<i64>,
    pub rule: String,
    pub rate_bp: i32,
    pub basis_minor: i64,
    pub commission_minor: i64,
    pub note: String,
}

/// `basis × rate_bp / 10,000`, rounded half-up to the minor unit.
pub fn at_rate(basis_minor: i64, rate_bp: i32) -> i64 {
    (Decimal::from(basis_minor) * Decimal::from(rate_bp) / Decimal::from(10_000))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
}

fn percent(bp: i32) -> String {
    format!("{}.{:02}%", bp / 100, (bp % 100).abs())
}

/// The first tier `earning` matches, with its position.
pub fn tier_for<'a>(rules: &'a PlanRules, earning: &Earning) -> Option<(usize, &'a Tier)> {
    rules.tiers.iter().enumerate().find(|(_, tier)| {
        tier.level.is_none_or(|level| level == earning.level)
            && (tier.dpd_buckets.is_empty()
                || earning
                    .dpd_bucket
                    .as_ref()
                    .is_some_and(|bucket| tier.dpd_buckets.contains(bucket)))
            && tier
                .min_balance_minor
                .is_none_or(|min| earning.balance_at_placement_minor >= min)
            && tier
                .max_balance_minor
                .is_none_or(|max| earning.balance_at_placement_minor < max)
    })
}

fn describe(position: usize, tier: &Tier) -> String {
    let mut parts = vec![format!("tier {}", position + 1)];
    if let Some(level) = tier.level {
        parts.push(level.to_value());
    }
    if !tier.dpd_buckets.is_empty() {
        parts.push(tier.dpd_buckets.join("/"));
    }
    match (tier.min_balance_minor, tier.max_balance_minor) {
        (None, None) => {}
        (min, max) => parts.push(format!(
            "balance at placement {}–{} (minor units)",
            min.map_or(String::new(), |m| m.to_string()),
            max.map_or(String::new(), |m| m.to_string())
        )),
    }
    format!("{}: {}", parts.join(", "), percent(tier.rate_bp))
}

/// How the plan prices an earning: the tier it earns by, or why it earns nothing.
#[derive(Debug)]
pub enum Pricing<'a> {
    Earns {
        plan_id: i64,
        position: usize,
        tier: &'a Tier,
    },
    Excluded {
        plan_id: Option<i64>,
        reason: &'static str,
    },
}

/// The eligible set, the one rule every base follows (the rate and tier of a payment
/// line, the per-account cap, the bonus and the statement's basis; a clawback takes back
/// only what a line earned): an earning is eligible when a plan was in force when the
/// money arrived, the plan pays on its channel (money paid to the lender directly only
/// with `direct_payments_earn`), and one of the plan's tiers matches its placement.
pub fn pricing(e: &Earning) -> Pricing<'_> {
    let Some((plan_id, rules)) = &e.plan else {
        return Pricing::Excluded {
            plan_id: None,
            reason: "no commission plan in force",
        };
    };
    let excluded = |reason| Pricing::Excluded {
        plan_id: Some(*plan_id),
        reason,
    };
    if e.direct && !rules.direct_payments_earn {
        return excluded("paid to the lender directly: this plan pays no commission on it");
    }
    match tier_for(rules, e) {
        Some((position, tier)) => Pricing::Earns {
            plan_id: *plan_id,
            position,
            tier,
        },
        None => excluded("no tier of the plan matches this placement"),
    }
}

/// The sum of the eligible earnings' bases (see [`pricing`]).
pub fn eligible_basis(earnings: &[Earning]) -> i64 {
    earnings
        .iter()
        .filter(|e| matches!(pricing(e), Pricing::Earns { .. }))
        .map(|e| e.basis_minor)
        .sum()
}

/// The payment lines, in order, with a per-account cap (from the plan in force at the
/// period's end) applied as they accumulate. An earning outside the eligible set is a
/// line of no commission that says why.
pub fn payment_lines(earnings: &[Earning], cap_per_account_minor: Option<i64>) -> Vec<LineDraft> {
    let mut earned: HashMap<i64, i64> = HashMap::new();
    earnings
        .iter()
        .map(|e| {
            let line = |plan_id, rule: String, rate_bp, commission_minor| LineDraft {
                kind: LineKind::Payment,
                account_id: Some(e.account_id),
                placement_id: Some(e.placement_id),
                payment_ids: e.payment_ids.clone(),
                ledger_entry_ids: e.ledger_entry_ids.clone(),
                plan_id,
                rule,
                rate_bp,
                basis_minor: e.basis_minor,
                commission_minor,
                note: String::new(),
            };
            let (plan_id, position, tier) = match pricing(e) {
                Pricing::Earns {
                    plan_id,
                    position,
                    tier,
                } => (plan_id, position, tier),
                Pricing::Excluded { plan_id, reason } => {
                    return line(plan_id, reason.into(), 0, 0);
                }
            };
            let mut commission = at_rate(e.basis_minor, tier.rate_bp);
            let mut rule = describe(position, tier);
            if let Some(cap) = cap_per_account_minor {
                let so_far = earned.entry(e.account_id).or_default();
                let room = (cap - *so_far).max(0);
                if commission > room {
                    commission = room;
                    rule.push_str(&format!("; capped at {cap} minor units per account"));
                }
                *so_far += commission;
            }
            line(Some(plan_id), rule, tier.rate_bp, commission)
        })
        .collect()
}

/// The bonus line, when the period's recovery (the eligible basis ÷ balance placed)
/// beats the target; it pays the extra rate on the eligible basis.
pub fn bonus_line(
    (plan_id, rules): (i64, &PlanRules),
    earnings: &[Earning],
    balance_placed_minor: i64,
) -> Option<LineDraft> {
    let bonus = rules.bonus.as_ref()?;
    if balance_placed_minor <= 0 {
        return None;
    }
    let basis_minor = eligible_basis(earnings);
    let recovery_bp =
        Decimal::from(basis_minor) * Decimal::from(10_000) / Decimal::from(balance_placed_minor);
    (recovery_bp > Decimal::from(bonus.target_recovery_bp)).then(|| LineDraft {
        kind: LineKind::Bonus,
        account_id: None,
        placement_id: None,
        payment_ids: Vec::new(),
        ledger_entry_ids: Vec::new(),
        plan_id: Some(plan_id),
        rule: format!(
            "performance bonus: recovery {} beats the target {}",
            percent(
                recovery_bp
                    .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                    .to_i32()
                    .unwrap_or(i32::MAX)
            ),
            percent(bonus.target_recovery_bp)
        ),
        rate_bp: bonus.extra_rate_bp,
        basis_minor,
        commission_minor: at_rate(basis_minor, bonus.extra_rate_bp),
        note: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::commission_plan::Bonus;

    fn plan() -> PlanRules {
        PlanRules {
            currency: "USD".into(),
            tiers: vec![
                Tier {
                    level: Some(PlacementLevel::Primary),
                    dpd_buckets: vec!["M1".into(), "M2".into()],
                    min_balance_minor: None,
                    max_balance_minor: Some(100_000),
                    rate_bp: 1_500,
                },
                Tier {
                    level: Some(PlacementLevel::Primary),
                    dpd_buckets: vec![],
                    min_balance_minor: None,
                    max_balance_minor: None,
                    rate_bp: 2_500,
                },
            ],
            bonus: Some(Bonus {
                target_recovery_bp: 1_000,
                extra_rate_bp: 200,
            }),
            cap_per_account_minor: Some(5_000),
            clawback_days: 60,
            direct_payments_earn: false,
        }
    }

    fn earning(basis: i64, balance: i64, bucket: &str) -> Earning {
        Earning {
            account_id: 1,
            placement_id: 1,
            payment_ids: vec![1],
            ledger_entry_ids: vec![1],
            basis_minor: basis,
            level: PlacementLevel::Primary,
            dpd_bucket: Some(bucket.into()),
            balance_at_placement_minor: balance,
            direct: false,
            plan: Some((9, plan())),
        }
    }

    #[test]
    fn rounding_is_half_up_per_line() {
        assert_eq!(at_rate(3_333, 1_500), 500); // 499.95
        assert_eq!(at_rate(3_330, 1_500), 500); // 499.5
        assert_eq!(at_rate(3_329, 1_500), 499); // 499.35
    }

    #[test]
    fn the_balance_band_boundary_is_exclusive_at_the_top() {
        let under = earning(10_000, 99_999, "M1");
        let at = earning(10_000, 100_000, "M1");
        let late = earning(10_000, 50_000, "M3");
        let lines = payment_lines(&[under, at, late], None);
        assert_eq!(
            lines.iter().map(|l| l.rate_bp).collect::<Vec<_>>(),
            [1_500, 2_500, 2_500]
        );
        assert!(lines[0].rule.starts_with("tier 1, PRIMARY, M1/M2"));
        assert_eq!(lines[0].commission_minor, 1_500);
    }

    #[test]
    fn direct_payments_and_the_cap() {
        let mut direct = earning(10_000, 50_000, "M1");
        direct.direct = true;
        let lines = payment_lines(
            &[
                direct,
                earning(20_000, 50_000, "M1"),
                earning(20_000, 50_000, "M1"),
            ],
            Some(5_000),
        );
        assert_eq!(lines[0].commission_minor, 0);
        assert_eq!(lines[1].commission_minor, 3_000);
        assert_eq!(
            lines[2].commission_minor, 2_000,
            "capped at 50.00 per account"
        );
        assert!(lines[2].rule.contains("capped"));
    }

    #[test]
    fn the_bonus_needs_recovery_above_the_target() {
        let plan = plan();
        let on = |basis| [earning(basis, 50_000, "M1")];
        assert_eq!(
            bonus_line((9, &plan), &on(10_000), 100_000),
            None,
            "exactly 10%"
        );
        let bonus = bonus_line((9, &plan), &on(10_001), 100_000).unwrap();
        assert_eq!((bonus.rate_bp, bonus.commission_minor), (200, 200));
    }

    #[test]
    fn every_base_uses_the_eligible_set() {
        // The figures: 37,939.88 remitted by the agency and 120.12 paid to the
        // lender directly, on a plan that pays nothing on direct payments.
        let mut plan = plan();
        plan.cap_per_account_minor = None;
        plan.bonus = Some(Bonus {
            target_recovery_bp: 100,
            extra_rate_bp: 100,
        });
        let under = |plan: &PlanRules, e: Earning| Earning {
            plan: Some((9, plan.clone())),
            ..e
        };
        let remitted = earning(3_793_988, 10_000_000, "M3");
        let direct = Earning {
            account_id: 2,
            direct: true,
            ..earning(12_012, 10_000_000, "M3")
        };
        let secondary = Earning {
            account_id: 3,
            level: PlacementLevel::Secondary,
            ..earning(50_000, 10_000_000, "M3")
        };
        let earnings = [remitted, direct, secondary].map(|e| under(&plan, e));
        assert_eq!(
            eligible_basis(&earnings),
            3_793_988,
            "neither direct nor tierless"
        );
        let bonus = bonus_line((9, &plan), &earnings, 20_000_000).unwrap();
        assert_eq!(
            (bonus.basis_minor, bonus.commission_minor),
            (3_793_988, 37_940)
        );
        let lines = payment_lines(&earnings, Some(1_000_000));
        assert_eq!(
            lines.iter().map(|l| l.commission_minor).collect::<Vec<_>>(),
            [948_497, 0, 0]
        );
        assert!(lines[1].rule.starts_with("paid to the lender directly"));
        assert!(lines[2].rule.starts_with("no tier"));

        // Where direct payments earn, they are in every base.
        plan.direct_payments_earn = true;
        let earnings = earnings.map(|e| under(&plan, e));
        assert_eq!(eligible_basis(&earnings), 3_806_000);
        let bonus = bonus_line((9, &plan), &earnings, 20_000_000).unwrap();
        assert_eq!(bonus.commission_minor, 38_060);
        assert_eq!(payment_lines(&earnings, None)[1].commission_minor, 3_003);
    }
}
