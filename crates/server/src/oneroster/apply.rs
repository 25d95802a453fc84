//! Writing a parsed roster inside one write transaction: orgs, then users
//! (with their role rules), then the archive of users a full import no
//! longer lists, then the reference checks of classes and enrollments.
//! Only what differs from the database is written, one audit event per
//! changed entity, so a re-import of the same files changes nothing.

use std::collections::{BTreeSet, HashMap};

use seatdesk_core::api::imports::{BadRow, ImportAssignment, ImportReport};
use seatdesk_core::api::users::Assignment;
use seatdesk_core::{UserRole, UserStatus};

use super::parse::{CLASSES, ENROLLMENTS, FileMode, ORGS, OrgRecord, Roster, USERS, UserRecord};
use crate::db::types::Named;
use crate::domain::orgs::insert_org;
use crate::domain::role_rules as assign;
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::orgs::{NewOrgRow, OrgRow};
use crate::store::rosters::{self as store, KnownOrg, RosterUserRow};
use crate::store::users::UserRow;

struct Importer<'a> {
    auth: &'a Auth,
    report: ImportReport,
    /// Orgs a roster row may refer to, by roster id: imported now or
    /// before, inside the importing token's subtree.
    orgs: HashMap<String, KnownOrg>,
}

/// Applies `roster` for `auth` and reports what changed. Every write goes
/// through `w`, so the caller decides between commit and rollback (dry run).
pub async fn apply(w: &mut Work, auth: &Auth, roster: &Roster) -> ApiResult<ImportReport> {
    let known = store::known_orgs(w.conn(), &auth.scope).await?;
    let mut importer = Importer {
        auth,
        report: ImportReport {
            bad_rows: roster.bad_rows.clone(),
            notes: roster.notes.clone(),
            ..ImportReport::default()
        },
        orgs: known
            .into_iter()
            .map(|o| (o.sourced_id.clone(), o))
            .collect(),
    };
    importer.import_orgs(w, &roster.orgs).await?;
    let mut imported_users = BTreeSet::new();
    for record in &roster.users {
        if importer.import_user(w, record).await? {
            imported_users.insert(record.sourced_id.clone());
        }
    }
    if roster.users_mode == FileMode::Bulk {
        importer.archive_missing(w, &roster.user_ids_seen).await?;
    }
    importer.check_classes(w, roster, &imported_users).await?;
    let mut report = importer.report;
    report.bad_rows.sort();
    Ok(report)
}

impl Importer<'_> {
    fn refuse(&mut self, file: &str, line: u64, reason: impl Into<String>) {
        self.report.bad_rows.push(BadRow {
            file: file.to_string(),
            line,
            reason: reason.into(),
        });
    }

    /// Orgs parent-first: a row waits until its parent is known; rows whose
    /// parent never becomes known (missing, refused or a cycle) are refused.
    async fn import_orgs(&mut self, w: &mut Work, records: &[OrgRecord]) -> ApiResult<()> {
        let mut pending: Vec<&OrgRecord> = records.iter().collect();
        loop {
            let (ready, waiting): (Vec<&OrgRecord>, Vec<&OrgRecord>) =
                pending.into_iter().partition(|r| match &r.parent {
                    None => true,
                    Some(parent) => self.orgs.contains_key(parent),
                });
            if ready.is_empty() {
                pending = waiting;
                break;
            }
            for record in ready {
                self.import_org(w, record).await?;
            }
            pending = waiting;
        }
        for record in pending {
            let parent = record.parent.as_deref().unwrap_or_default();
            self.refuse(
                ORGS,
                record.line,
                format!(
                    "parentSourcedId '{parent}' is not an org of this import or of your organization"
                ),
            );
        }
        Ok(())
    }

    async fn import_org(&mut self, w: &mut Work, record: &OrgRecord) -> ApiResult<()> {
        let (parent_id, parent_path) = match &record.parent {
            None => (self.auth.org_id, self.auth.scope.path().to_string()),
            Some(parent) => {
                let parent = &self.orgs[parent].org;
                (parent.id, parent.path.clone())
            }
        };
        if record.to_be_deleted {
            self.report.notes.push(format!(
                "{ORGS} line {}: org '{}' is marked tobedeleted; imports never delete orgs",
                record.line, record.sourced_id
            ));
        }
        if let Some(existing) = self.orgs.get(&record.sourced_id).cloned() {
            // Without a parentSourcedId an existing org stays where it is:
            // that is how a district re-imports the roster that created it.
            if record.parent.is_some() && existing.org.parent_id != Some(parent_id) {
                self.refuse(
                    ORGS,
                    record.line,
                    format!(
                        "org '{}' already sits under another parent; imports do not move orgs",
                        record.sourced_id
                    ),
                );
                return Ok(());
            }
            let old = &existing.org;
            if old.name == record.name && old.kind.0 == record.kind {
                self.report.orgs.unchanged += 1;
                return Ok(());
            }
            store::update_org(w.conn(), old.id, &record.name, record.kind).await?;
            let updated = KnownOrg {
                org: OrgRow {
                    name: record.name.clone(),
                    kind: Named(record.kind),
                    ..old.clone()
                },
                sourced_id: existing.sourced_id.clone(),
            };
            w.record(NewEvent {
                action: "org.update",
                target_type: "org",
                target_id: old.id,
                org_path: old.path.clone(),
                before: serde_json::to_value(old.to_api()).ok(),
                after: serde_json::to_value(updated.org.to_api()).ok(),
            });
            self.orgs.insert(record.sourced_id.clone(), updated);
            self.report.orgs.updated += 1;
            return Ok(());
        }
        if store::org_by_sourced_id(w.conn(), &record.sourced_id)
            .await?
            .is_some()
        {
            self.refuse(
                ORGS,
                record.line,
                format!("sourcedId '{}' is already in use", record.sourced_id),
            );
            return Ok(());
        }
        let new = NewOrgRow {
            parent_id: Some(parent_id),
            kind: record.kind,
            name: &record.name,
            sourced_id: Some(&record.sourced_id),
        };
        let now = w.now;
        let (id, path) = insert_org(w.conn(), &new, &parent_path, now).await?;
        let org = KnownOrg {
            org: OrgRow {
                id,
                parent_id: Some(parent_id),
                kind: Named(record.kind),
                name: record.name.clone(),
                path: path.clone(),
            },
            sourced_id: record.sourced_id.clone(),
        };
        w.record(NewEvent {
            action: "org.create",
            target_type: "org",
            target_id: id,
            org_path: path,
            before: None,
            after: serde_json::to_value(org.org.to_api()).ok(),
        });
        self.orgs.insert(record.sourced_id.clone(), org);
        self.report.orgs.created += 1;
        Ok(())
    }

    /// User `id` (who exists), locked on PostgreSQL.
    async fn load_user(&self, w: &mut Work, id: i64) -> ApiResult<UserRow> {
        let row = crate::store::users::user(w.conn(), id, true).await?;
        Ok(row.ok_or(sqlx::Error::RowNotFound)?)
    }

    /// The existing user a row stands for: by sourcedId, then by an email
    /// not yet tied to another sourcedId. `Err` is why the row is refused.
    async fn match_user(
        &self,
        w: &mut Work,
        record: &UserRecord,
    ) -> ApiResult<Result<Option<i64>, String>> {
        let by_id = store::user_by_sourced_id(w.conn(), &record.sourced_id).await?;
        if let Some((id, org_path)) = by_id {
            if !self.auth.in_scope(&org_path) {
                return Ok(Err(format!(
                    "sourcedId '{}' is already in use",
                    record.sourced_id
                )));
            }
            let email_owner = store::other_email_owner(w.conn(), &record.email, id).await?;
            if email_owner.is_some() {
                return Ok(Err(format!("email {} is already in use", record.email)));
            }
            return Ok(Ok(Some(id)));
        }
        let by_email = store::user_by_email(w.conn(), &record.email).await?;
        Ok(match by_email {
            None => Ok(None),
            // Said as for any holder the importer cannot see: not where.
            Some((_, org_path, _)) if !self.auth.in_scope(&org_path) => {
                Err(format!("email {} is already in use", record.email))
            }
            Some((_, _, Some(other))) => Err(format!(
                "email {} is already in use by roster user '{other}'",
                record.email
            )),
            Some((id, _, None)) => Ok(Some(id)),
        })
    }

    /// Creates or updates one user; true when the row was accepted.
    async fn import_user(&mut self, w: &mut Work, record: &UserRecord) -> ApiResult<bool> {
        let Some(org) = record
            .org_ids
            .iter()
            .find_map(|id| self.orgs.get(id))
            .cloned()
        else {
            self.refuse(
                USERS,
                record.line,
                format!(
                    "orgSourcedIds '{}' names no org of this import or of your organization",
                    record.org_ids.join(",")
                ),
            );
            return Ok(false);
        };
        let existing = match self.match_user(w, record).await? {
            Ok(existing) => existing,
            Err(reason) => {
                self.refuse(USERS, record.line, reason);
                return Ok(false);
            }
        };
        let Some(id) = existing else {
            if record.status == UserStatus::Archived {
                // A deletion of a user never imported: nothing to do.
                return Ok(true);
            }
            self.create_user(w, record, &org).await?;
            return Ok(true);
        };
        let before_row = self.load_user(w, id).await?;
        let sourced_id = store::sourced_id(w.conn(), id).await?;
        let before = before_row.into_api();
        let same = sourced_id.as_deref() == Some(record.sourced_id.as_str())
            && before.org_id == org.org.id
            && before.email == record.email
            && before.given_name == record.given_name
            && before.family_name == record.family_name
            && before.kind == record.kind
            && sorted(&before.roles) == record.roles
            && before.status == record.status;
        if same {
            self.report.users.unchanged += 1;
            return Ok(true);
        }
        let now = w.now;
        store::update_user(w.conn(), id, &roster_user(record, &org.org), now).await?;
        let row = self.load_user(w, id).await?;
        let subject = row.subject();
        let after = row.into_api();
        let rules_matter = before.org_id != after.org_id
            || before.roles != after.roles
            || before.status != after.status;
        w.record(NewEvent {
            action: "user.update",
            target_type: "user",
            target_id: id,
            org_path: org.org.path.clone(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        });
        if after.status == UserStatus::Archived && before.status != UserStatus::Archived {
            self.report.users.archived += 1;
        } else {
            self.report.users.updated += 1;
        }
        let outcomes = if after.status == UserStatus::Archived {
            assign::revoke_all_seats(w, &subject).await?
        } else if rules_matter {
            assign::apply_role_rules(w, &self.auth.scope, &subject).await?
        } else {
            Vec::new()
        };
        self.note_assignments(&record.sourced_id, outcomes);
        Ok(true)
    }

    async fn create_user(
        &mut self,
        w: &mut Work,
        record: &UserRecord,
        org: &KnownOrg,
    ) -> ApiResult<()> {
        let now = w.now;
        let row = roster_user(record, &org.org);
        let id = crate::store::users::insert(w.conn(), &row.as_new(), now).await?;
        let row = self.load_user(w, id).await?;
        let subject = row.subject();
        let user = row.into_api();
        w.record(NewEvent {
            action: "user.create",
            target_type: "user",
            target_id: id,
            org_path: org.org.path.clone(),
            before: None,
            after: serde_json::to_value(&user).ok(),
        });
        self.report.users.created += 1;
        let outcomes = assign::apply_role_rules(w, &self.auth.scope, &subject).await?;
        self.note_assignments(&record.sourced_id, outcomes);
        Ok(())
    }

    /// A full users.csv is the whole roster: earlier-imported users of the
    /// subtree it no longer lists are archived and their seats freed.
    async fn archive_missing(&mut self, w: &mut Work, seen: &BTreeSet<String>) -> ApiResult<()> {
        let candidates = store::unarchived_imported_users(w.conn(), &self.auth.scope).await?;
        for (id, sourced_id) in candidates {
            if seen.contains(&sourced_id) {
                continue;
            }
            let before_row = self.load_user(w, id).await?;
            let org_path = before_row.org_path.clone();
            let before = before_row.into_api();
            let now = w.now;
            store::archive_user(w.conn(), id, now).await?;
            let row = self.load_user(w, id).await?;
            let subject = row.subject();
            let after = row.into_api();
            w.record(NewEvent {
                action: "user.update",
                target_type: "user",
                target_id: id,
                org_path,
                before: serde_json::to_value(&before).ok(),
                after: serde_json::to_value(&after).ok(),
            });
            self.report.users.archived += 1;
            let outcomes = assign::revoke_all_seats(w, &subject).await?;
            self.note_assignments(&sourced_id, outcomes);
        }
        Ok(())
    }

    /// Classes and enrollments are not stored; their rows are checked
    /// against the orgs, classes and users they name, and counted.
    async fn check_classes(
        &mut self,
        w: &mut Work,
        roster: &Roster,
        imported_users: &BTreeSet<String>,
    ) -> ApiResult<()> {
        let mut classes = BTreeSet::new();
        for class in &roster.classes {
            if self.orgs.contains_key(&class.school) {
                classes.insert(class.sourced_id.clone());
                self.report.classes += 1;
            } else {
                self.refuse(
                    CLASSES,
                    class.line,
                    format!(
                        "schoolSourcedId '{}' is not an org of this import or of your organization",
                        class.school
                    ),
                );
            }
        }
        let classes_known = roster.classes_mode != FileMode::Absent;
        if !classes_known && !roster.enrollments.is_empty() {
            self.report.notes.push(format!(
                "{ENROLLMENTS}: classes.csv is absent, so class references were not checked"
            ));
        }
        for enrollment in &roster.enrollments {
            let reason = if classes_known && !classes.contains(&enrollment.class) {
                Some(format!(
                    "classSourcedId '{}' is not a class of this import",
                    enrollment.class
                ))
            } else if !self.orgs.contains_key(&enrollment.school) {
                Some(format!(
                    "schoolSourcedId '{}' is not an org of this import or of your organization",
                    enrollment.school
                ))
            } else if !imported_users.contains(&enrollment.user)
                && !self.user_in_scope(w, &enrollment.user).await?
            {
                Some(format!(
                    "userSourcedId '{}' is not a user of this import or of your organization",
                    enrollment.user
                ))
            } else {
                None
            };
            match reason {
                Some(reason) => self.refuse(ENROLLMENTS, enrollment.line, reason),
                None => self.report.enrollments += 1,
            }
        }
        Ok(())
    }

    async fn user_in_scope(&self, w: &mut Work, sourced_id: &str) -> ApiResult<bool> {
        let path = store::user_path_by_sourced_id(w.conn(), sourced_id).await?;
        Ok(path.is_some_and(|p| self.auth.in_scope(&p)))
    }

    fn note_assignments(&mut self, user: &str, outcomes: Vec<Assignment>) {
        self.report
            .assignments
            .extend(outcomes.into_iter().map(|a| ImportAssignment {
                user: user.to_string(),
                product_id: a.product_id,
                product_name: a.product_name,
                outcome: a.outcome,
                license_id: a.license_id,
                reason: a.reason,
            }));
    }
}

/// The roster-owned fields of `record`, placed in `org`.
fn roster_user<'a>(record: &'a UserRecord, org: &'a OrgRow) -> RosterUserRow<'a> {
    RosterUserRow {
        org_id: org.id,
        org_path: &org.path,
        email: &record.email,
        given_name: &record.given_name,
        family_name: &record.family_name,
        kind: record.kind,
        roles: &record.roles,
        status: record.status,
        sourced_id: &record.sourced_id,
    }
}

fn sorted(roles: &[UserRole]) -> Vec<UserRole> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}
