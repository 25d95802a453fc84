//! Demo teachers, students and staff, with roles that match the seats role
//! rules would give them (observer / observable → Observe, learner → Learn)
//! and the Observe training most of them have completed.

use std::collections::HashMap;

use crate::db::Conn;
use rand::Rng;
use seatdesk_core::{UserKind, UserRole, UserStatus};

use super::Ids;
use super::catalog::OBSERVE_TRAINING;
use super::names::{self, slug};
use super::tree::{Site, Tree};
use crate::store::demo::{Rows, USERS};

/// Staff per district: an administrator and a reporter, holding no seats.
const STAFF_PER_DISTRICT: i64 = 2;

/// Unique e-mail addresses: `given.family@domain`, then `given.family2@…`.
#[derive(Default)]
struct Emails {
    used: HashMap<String, u32>,
}

impl Emails {
    fn make(&mut self, given: &str, family: &str, domain: &str) -> String {
        let base = format!("{}.{}", slug(given), slug(family));
        let key = format!("{base}@{domain}");
        let n = self.used.entry(key.clone()).or_insert(0);
        *n += 1;
        match *n {
            1 => key,
            n => format!("{base}{n}@{domain}"),
        }
    }
}

/// Numbers every site's people (teachers, then students, then staff).
pub fn number_people(tree: &mut Tree, ids: &mut Ids) {
    for site in tree.districts.iter_mut() {
        site.first_user_id = ids
            .user
            .take_many(site.teachers + site.students + STAFF_PER_DISTRICT);
    }
    for site in tree.centers.iter_mut() {
        site.first_user_id = ids.user.take_many(site.teachers + site.students);
    }
}

/// The name sort key of every demo user (`seats.name_key`, see migration
/// 0013), so seat rows carry it without a lookup per row. User ids are
/// consecutive from the first district's first user.
#[derive(Debug, Default)]
pub struct NameKeys {
    first: i64,
    names: Vec<(&'static str, &'static str)>,
}

impl NameKeys {
    /// `LOWER(family_name || ' ' || given_name)` of the user (the demo's
    /// names are ASCII, so Rust's and the databases' lowercase agree).
    pub fn key(&self, user_id: i64) -> Option<String> {
        let index = usize::try_from(user_id - self.first).ok()?;
        let (given, family) = self.names.get(index)?;
        Some(format!("{family} {given}").to_lowercase())
    }
}

/// Writes every site's people; returns how many and their name keys.
pub async fn write<R: Rng + ?Sized>(
    conn: &mut Conn,
    rng: &mut R,
    tree: &Tree,
    today_ms: i64,
) -> Result<(u64, NameKeys), sqlx::Error> {
    let mut rows = Rows::new(&USERS, conn.backend());
    let mut keys = NameKeys {
        first: tree
            .districts
            .iter()
            .chain(tree.centers.iter())
            .map(|s| s.first_user_id)
            .min()
            .unwrap_or(0),
        names: Vec::new(),
    };
    let mut emails = Emails::default();
    for site in tree.districts.iter().chain(tree.centers.iter()) {
        let staff = if site.is_district {
            STAFF_PER_DISTRICT
        } else {
            0
        };
        for index in 0..site.teachers + site.students + staff {
            let (kind, position) = if index < site.teachers {
                (UserKind::Teacher, index)
            } else if index < site.teachers + site.students {
                (UserKind::Student, index - site.teachers)
            } else {
                (UserKind::Staff, index - site.teachers - site.students)
            };
            let home = &tree.orgs[site.homes[(index as usize) % site.homes.len()]];
            let (given, family) = names::person(rng);
            let domain = match kind {
                UserKind::Student if site.is_district => format!("students.{}", site.domain),
                _ => site.domain.clone(),
            };
            let email = emails.make(given, family, &domain);
            let (roles, trainings) = roles_of(site, kind, position);
            let status = match rng.random_range(0..1000) {
                0..15 => UserStatus::Suspended,
                15..25 => UserStatus::Archived,
                _ => UserStatus::Active,
            };
            let created = today_ms - rng.random_range(30..700) * DAY_MS;
            let last_login = rng
                .random_bool(0.85)
                .then(|| today_ms - rng.random_range(0..30 * DAY_MS));
            let id = site.first_user_id + index;
            if usize::try_from(id - keys.first).ok() == Some(keys.names.len()) {
                keys.names.push((given, family));
            }
            let sourced = site
                .is_district
                .then(|| format!("sis-{}-{index}", tree.orgs[site.org].id));
            rows.row()
                .int(id)
                .int(home.id)
                .text(&home.path)
                .text(&email)
                .text(given)
                .text(family)
                .text(kind.as_str())
                .text(&roles)
                .text(status.as_str())
                .text(&trainings)
                .opt_text(sourced.as_deref())
                .opt_stamp(last_login)
                .stamp(created)
                .stamp(last_login.unwrap_or(created).max(created))
                .end();
            rows.flush_if_full(conn).await?;
        }
    }
    rows.flush(conn).await?;
    Ok((rows.count(), keys))
}

pub const DAY_MS: i64 = 86_400_000;

/// Roles and completed trainings of person `position` of a site's pool of
/// `kind`. Teachers in the Observe slice observe or are observed (every fifth
/// also evaluates); one in nineteen lacks the Observe training, so the access
/// check has something to find.
fn roles_of(site: &Site, kind: UserKind, position: i64) -> (String, String) {
    let mut roles = Vec::new();
    let mut trainings = "";
    match kind {
        UserKind::Teacher => {
            if position == 0 {
                roles.push(UserRole::Admin);
            }
            if let Some(k) = site
                .observe
                .and_then(|s| s.position_of(position, site.teachers))
            {
                roles.push(if k % 2 == 0 {
                    UserRole::Observer
                } else {
                    UserRole::Observable
                });
                if k % 5 == 0 {
                    roles.push(UserRole::Evaluator);
                }
                if k % 19 != 7 {
                    trainings = OBSERVE_TRAINING;
                }
            }
            if site
                .learn
                .and_then(|s| s.position_of(position, site.teachers))
                .is_some()
            {
                roles.push(UserRole::Learner);
            }
            if position % 40 == 7 {
                roles.push(UserRole::Proctor);
            }
        }
        UserKind::Student => {}
        UserKind::Staff => roles.push(if position == 0 {
            UserRole::Admin
        } else {
            UserRole::Reporter
        }),
    }
    roles.sort();
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    (roles.join(","), trainings.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_get_numbered_addresses() {
        let mut emails = Emails::default();
        assert_eq!(emails.make("Sue", "O'Brien", "x.org"), "sue.obrien@x.org");
        assert_eq!(emails.make("Sue", "O'Brien", "x.org"), "sue.obrien2@x.org");
        assert_eq!(emails.make("Sue", "O'Brien", "y.org"), "sue.obrien@y.org");
    }
}
