//! The agency lifecycle: ONBOARDING → ACTIVE ⇄ PROBATION → SUSPENDED → TERMINATED.
//!
//! A suspended agency may be reinstated on probation; termination comes only after a
//! suspension (or ends an onboarding that went nowhere), so a termination for poor
//! performance always has the remediation on record. PROBATION, SUSPENDED and
//! TERMINATED need a reason; TERMINATED is final.

use entity::agency::AgencyStatus::{self, *};
use sea_orm::ActiveEnum;

#[derive(Debug, PartialEq, Eq)]
pub enum TransitionError {
    NotAllowed {
        from: AgencyStatus,
        to: AgencyStatus,
    },
    ReasonRequired(AgencyStatus),
}

impl std::fmt::Display for TransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAllowed { from, to } => write!(
                f,
                "an agency cannot go from {} to {}",
                from.to_value(),
                to.to_value()
            ),
            Self::ReasonRequired(to) => {
                write!(f, "moving an agency to {} needs a reason", to.to_value())
            }
        }
    }
}

pub fn is_allowed(from: AgencyStatus, to: AgencyStatus) -> bool {
    matches!(
        (from, to),
        (Onboarding, Active)
            | (Onboarding, Terminated)
            | (Active, Probation)
            | (Active, Suspended)
            | (Probation, Active)
            | (Probation, Suspended)
            | (Suspended, Probation)
            | (Suspended, Terminated)
    )
}

pub fn needs_reason(to: AgencyStatus) -> bool {
    matches!(to, Probation | Suspended | Terminated)
}

/// Whether an agency in `status` may receive new work.
pub fn may_receive_work(status: AgencyStatus) -> bool {
    matches!(status, Active | Probation)
}

pub fn check(
    from: AgencyStatus,
    to: AgencyStatus,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    if !is_allowed(from, to) {
        return Err(TransitionError::NotAllowed { from, to });
    }
    if needs_reason(to) && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired(to));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [AgencyStatus; 5] = [Onboarding, Active, Probation, Suspended, Terminated];

    #[test]
    fn exactly_the_drawn_transitions_are_allowed() {
        let allowed: Vec<_> = ALL
            .iter()
            .flat_map(|from| ALL.iter().map(move |to| (*from, *to)))
            .filter(|(from, to)| is_allowed(*from, *to))
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Onboarding, Active),
                (Onboarding, Terminated),
                (Active, Probation),
                (Active, Suspended),
                (Probation, Active),
                (Probation, Suspended),
                (Suspended, Probation),
                (Suspended, Terminated),
            ]
        );
    }

    #[test]
    fn terminated_is_final() {
        for to in ALL {
            assert!(check(Terminated, to, Some("why")).is_err());
        }
    }

    #[test]
    fn probation_suspension_and_termination_need_a_reason() {
        assert_eq!(
            check(Active, Probation, None),
            Err(TransitionError::ReasonRequired(Probation))
        );
        assert_eq!(
            check(Active, Suspended, Some("  ")),
            Err(TransitionError::ReasonRequired(Suspended))
        );
        assert_eq!(
            check(Suspended, Terminated, None),
            Err(TransitionError::ReasonRequired(Terminated))
        );
        assert_eq!(
            check(Active, Probation, Some("recovery 40% below peers")),
            Ok(())
        );
        assert_eq!(check(Probation, Active, None), Ok(()));
        assert_eq!(check(Onboarding, Active, None), Ok(()));
    }

    #[test]
    fn only_active_and_probation_receive_work() {
        let receiving: Vec<_> = ALL.into_iter().filter(|s| may_receive_work(*s)).collect();
        assert_eq!(receiving, vec![Active, Probation]);
    }
}
