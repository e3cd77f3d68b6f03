//! Tenancy: organisations, the stakeholder kind each plays in ISO/IEC 27032, the
//! roles members hold, and what each role may do.

use serde::{Deserialize, Serialize};

use crate::Invalid;

named_enum! {
    /// The interested party an organisation is, in ISO/IEC 27032's terms.
    OrgKind, "kind" {
        /// Service provider (ISPs, hosting, application and cloud providers).
        Provider => "provider",
        /// User organisation consuming Internet services.
        Consumer => "consumer",
        /// Regulator or government authority.
        Authority => "authority",
        /// CERT, CSIRT or ISAC coordinating the community.
        Coordinator => "coordinator",
        LawEnforcement => "law-enforcement",
    }
}

impl OrgKind {
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Provider => "Service provider",
            OrgKind::Consumer => "User organisation",
            OrgKind::Authority => "Authority",
            OrgKind::Coordinator => "Coordinator (CERT, CSIRT, ISAC)",
            OrgKind::LawEnforcement => "Law enforcement",
        }
    }
}

named_enum! {
    /// A member's role inside one organisation.
    Role, "role" {
        Admin => "admin",
        Analyst => "analyst",
        /// Reads everything, comments and reviews evidence; changes nothing else.
        Auditor => "auditor",
        Viewer => "viewer",
    }
}

/// What an actor may attempt. Every route names the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the organisation's content.
    Read,
    /// Add comments to content.
    Comment,
    /// Review (accept or reject) evidence.
    ReviewEvidence,
    /// Create and change the organisation's content.
    Edit,
    /// Add, change and remove members; revoke anyone's tokens.
    ManageMembers,
    /// Read and export the audit trail.
    ReadAudit,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// Decide risk acceptances and set the risk matrix and appetite: the
    /// organisation's management, not its analysts.
    DecideRisk,
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Analyst => !matches!(permission, ManageMembers | ReadAudit | DecideRisk),
            Role::Auditor => matches!(permission, Read | Comment | ReviewEvidence | ReadAudit | ManageOwnTokens),
            Role::Viewer => matches!(permission, Read | ManageOwnTokens),
        }
    }
}

/// Who is acting, for which organisation, with which role: the result of
/// authentication, handed to every service call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
    pub org_id: String,
    pub org_name: String,
    pub role: Role,
    /// Instance-level administrator: manages organisations.
    pub superadmin: bool,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_itself() {
        for kind in OrgKind::ALL {
            assert_eq!(OrgKind::parse(kind.as_str()).unwrap(), *kind);
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), *role);
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_accepted_ones() {
        let err = OrgKind::parse("isp").unwrap_err();
        assert_eq!(err.field, "kind");
        assert!(err.reason.contains("provider, consumer, authority, coordinator, law-enforcement"));
    }

    #[test]
    fn an_auditor_reads_comments_and_reviews_but_changes_nothing_else() {
        let auditor = Role::Auditor;
        assert!(auditor.allows(Permission::Read));
        assert!(auditor.allows(Permission::Comment));
        assert!(auditor.allows(Permission::ReviewEvidence));
        assert!(auditor.allows(Permission::ReadAudit));
        assert!(!auditor.allows(Permission::Edit));
        assert!(!auditor.allows(Permission::ManageMembers));
    }

    #[test]
    fn only_admins_manage_members() {
        for role in Role::ALL {
            assert_eq!(role.allows(Permission::ManageMembers), *role == Role::Admin);
        }
    }

    #[test]
    fn a_viewer_only_reads() {
        assert!(Role::Viewer.allows(Permission::Read));
        assert!(!Role::Viewer.allows(Permission::Comment));
        assert!(!Role::Viewer.allows(Permission::Edit));
        assert!(!Role::Viewer.allows(Permission::ReadAudit));
    }
}
