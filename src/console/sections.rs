//! The console's areas: where each lives, what the navigation calls it, and which roles
//! may open it. A link a role may not use is never drawn, and its pages refuse the role.

use super::me::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Overview,
    Agencies,
    Portfolios,
    Allocation,
    Placements,
    Performance,
    Compliance,
    Finance,
    Audit,
    /// An agency's own staff: worklist, calls, scorecard, papers, statements.
    Work,
    Settings,
}

impl Section {
    /// In the order the navigation shows them.
    pub const ALL: [Self; 11] = [
        Self::Overview,
        Self::Work,
        Self::Agencies,
        Self::Portfolios,
        Self::Allocation,
        Self::Placements,
        Self::Performance,
        Self::Compliance,
        Self::Finance,
        Self::Audit,
        Self::Settings,
    ];

    /// The section's first page; its other pages live under it.
    pub fn path(self) -> &'static str {
        match self {
            Self::Overview => "/",
            Self::Agencies => "/agencies",
            Self::Portfolios => "/portfolios",
            Self::Allocation => "/allocation",
            Self::Placements => "/placements",
            Self::Performance => "/performance",
            Self::Compliance => "/compliance",
            Self::Finance => "/finance",
            Self::Audit => "/audit",
            Self::Work => "/work",
            Self::Settings => "/settings",
        }
    }

    /// The navigation's message key.
    pub fn label(self) -> &'static str {
        match self {
            Self::Overview => "nav-overview",
            Self::Agencies => "nav-agencies",
            Self::Portfolios => "nav-portfolios",
            Self::Allocation => "nav-allocation",
            Self::Placements => "nav-placements",
            Self::Performance => "nav-performance",
            Self::Compliance => "nav-compliance",
            Self::Finance => "nav-finance",
            Self::Audit => "nav-audit",
            Self::Work => "nav-work",
            Self::Settings => "nav-settings",
        }
    }

    /// Whether `role` may open the section. The API decides what each role may do in it;
    /// this only keeps people from pages that would answer them nothing but refusals.
    pub fn allows(self, role: &Role) -> bool {
        use Role::*;
        match self {
            Self::Settings => true,
            Self::Work => *role == AGENCY,
            Self::Overview | Self::Agencies | Self::Placements => {
                matches!(role, ADMIN | VENDOR_MANAGER | FINANCE | AUDITOR)
            }
            Self::Portfolios | Self::Allocation | Self::Performance | Self::Compliance => {
                matches!(role, ADMIN | VENDOR_MANAGER | AUDITOR)
            }
            Self::Finance => matches!(role, ADMIN | FINANCE | AUDITOR),
            Self::Audit => matches!(role, ADMIN | AUDITOR),
        }
    }

    /// The section a path belongs to (the longest matching prefix), for the navigation's
    /// current item.
    pub fn of_path(path: &str) -> Option<Self> {
        let path = path.split('?').next().unwrap_or(path);
        Self::ALL
            .into_iter()
            .filter(|s| {
                let p = s.path();
                if p == "/" {
                    path == "/"
                } else {
                    path == p || path.starts_with(&format!("{p}/"))
                }
            })
            .max_by_key(|s| s.path().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agency_user_sees_only_its_work_and_settings() {
        let open: Vec<_> = Section::ALL
            .into_iter()
            .filter(|s| s.allows(&Role::AGENCY))
            .collect();
        assert_eq!(open, [Section::Work, Section::Settings]);
    }

    #[test]
    fn the_audit_log_is_for_admins_and_auditors() {
        assert!(Section::Audit.allows(&Role::AUDITOR));
        assert!(Section::Audit.allows(&Role::ADMIN));
        assert!(!Section::Audit.allows(&Role::FINANCE));
        assert!(!Section::Audit.allows(&Role::VENDOR_MANAGER));
    }

    #[test]
    fn paths_find_their_section() {
        assert_eq!(Section::of_path("/"), Some(Section::Overview));
        assert_eq!(
            Section::of_path("/agencies/4?tab=papers"),
            Some(Section::Agencies)
        );
        assert_eq!(Section::of_path("/agencies"), Some(Section::Agencies));
        assert_eq!(Section::of_path("/agenciesx"), None);
        assert_eq!(Section::of_path("/work/calls"), Some(Section::Work));
    }
}
