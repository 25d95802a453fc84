//! Users below HTTP: the one row shape a user is read as, its wire form,
//! and how roles and emails are stored.

use seatdesk_core::api::users::User;
use seatdesk_core::{UserKind, UserRole, UserStatus};

use crate::db::types::{NameList, Named, Stamp};
use crate::domain::role_rules::Subject;

/// Columns of [`UserRow`], in order; `u` is users, `o` their org.
pub const USER_SELECT: &str = "SELECT u.id, u.org_id, o.name AS org_name, u.org_path, u.email, \
    u.given_name, u.family_name, u.kind, u.roles, u.status, u.trainings, u.last_login_at, \
    u.created_at, u.updated_at FROM users u JOIN orgs o ON o.id = u.org_id";

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    org_id: i64,
    pub org_name: String,
    pub org_path: String,
    email: String,
    given_name: String,
    family_name: String,
    kind: Named<UserKind>,
    roles: NameList<UserRole>,
    status: Named<UserStatus>,
    trainings: String,
    last_login_at: Option<Stamp>,
    created_at: Stamp,
    updated_at: Stamp,
}

/// Roles as stored: sorted, comma-separated names.
pub(crate) fn join_roles(roles: &[UserRole]) -> String {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl UserRow {
    pub fn roles(&self) -> Vec<UserRole> {
        self.roles.0.clone()
    }

    pub fn status(&self) -> UserStatus {
        self.status.0
    }

    pub fn into_api(self) -> User {
        User {
            id: self.id,
            org_id: self.org_id,
            roles: self.roles(),
            status: self.status(),
            org_name: self.org_name,
            email: self.email,
            given_name: self.given_name,
            family_name: self.family_name,
            kind: self.kind.0,
            trainings: split_list(&self.trainings).map(str::to_string).collect(),
            last_login_at: self.last_login_at.map(|t| t.0),
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        }
    }

    /// What the role-rule engine needs of this user.
    pub fn subject(&self) -> Subject {
        Subject {
            id: self.id,
            org_name: self.org_name.clone(),
            org_path: self.org_path.clone(),
            roles: self.roles(),
            status: self.status(),
        }
    }
}

/// The address as stored (trimmed, lower case), or why it is not one.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && email.len() <= 254
                && !email.chars().any(|c| c.is_whitespace() || c == ',')
        }
        None => false,
    };
    if valid {
        Ok(email)
    } else {
        Err(format!("email '{email}' is not a valid address"))
    }
}
