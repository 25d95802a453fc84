//! API-token roles and what each may do. The server enforces this table; the
//! dashboard reads the same table to hide or disable what a role cannot do.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::vocab::string_enum;

string_enum!(
    /// The role of an API token, scoped to one org subtree.
    Role {
        SystemAdmin => "system_admin",
        OrgAdmin => "org_admin",
        CenterAdmin => "center_admin",
        Helpdesk => "helpdesk",
        Reporter => "reporter",
    }
);

/// One thing a token may be allowed to do inside its org subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read licenses, claims, teachers, codes, dashboards and the audit log.
    Read,
    /// Run the access check and the discrepancy report.
    Triage,
    /// Assign, claim, expire, revoke and restore seats.
    ManageSeats,
    /// Generate code batches, export codes.
    ManageCodes,
    /// Create and edit users and role rules.
    ManageUsers,
    /// Create orgs, accounts, products and licenses; allocate seats to child orgs.
    ManageInventory,
    /// Activate or deactivate a license.
    ToggleLicense,
    /// Submit renewal and new-license requests.
    SubmitRequest,
    /// Approve or reject requests of child orgs.
    DecideRequest,
    /// Create API tokens inside the subtree, never with a role above one's own.
    ManageTokens,
    /// Add products to the catalogue every org shares.
    ManageCatalog,
    /// Register and test webhook endpoints.
    ManageWebhooks,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::Read,
        Permission::Triage,
        Permission::ManageSeats,
        Permission::ManageCodes,
        Permission::ManageUsers,
        Permission::ManageInventory,
        Permission::ToggleLicense,
        Permission::SubmitRequest,
        Permission::DecideRequest,
        Permission::ManageTokens,
        Permission::ManageCatalog,
        Permission::ManageWebhooks,
    ];
}

impl Role {
    /// The role table. A center admin may change only a license's active flag
    /// (License Inventory article) and ask its parent org for inventory; a
    /// reporter and help desk only look.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::SystemAdmin => true,
            Role::OrgAdmin => !matches!(permission, P::ManageCatalog),
            Role::CenterAdmin => {
                matches!(permission, P::Read | P::ToggleLicense | P::SubmitRequest)
            }
            Role::Helpdesk => matches!(permission, P::Read | P::Triage),
            Role::Reporter => matches!(permission, P::Read),
        }
    }

    /// A token may mint tokens only of its own role or below.
    pub fn rank(self) -> u8 {
        match self {
            Role::SystemAdmin => 4,
            Role::OrgAdmin => 3,
            Role::CenterAdmin | Role::Helpdesk => 2,
            Role::Reporter => 1,
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(|p| self.allows(*p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporters_cannot_revoke_and_center_admins_only_toggle() {
        assert!(!Role::Reporter.allows(Permission::ManageSeats));
        assert!(Role::Reporter.allows(Permission::Read));
        assert!(Role::CenterAdmin.allows(Permission::ToggleLicense));
        assert!(!Role::CenterAdmin.allows(Permission::ManageSeats));
        assert!(!Role::CenterAdmin.allows(Permission::ManageCodes));
        assert!(Role::Helpdesk.allows(Permission::Triage));
        assert!(!Role::Helpdesk.allows(Permission::ManageSeats));
        assert_eq!(Role::SystemAdmin.permissions().len(), Permission::ALL.len());
    }
}
