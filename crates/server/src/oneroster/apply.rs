//! Writing a parsed roster inside one write transaction: orgs, then users
//! (with their role rules), then the archive of users a full import no
//! longer lists, then the reference checks of classes and enrollments.
//! Only what differs from the database is written, one audit event per
//! changed entity, so a re-import of the same files changes nothing.

use std::collections::{BTreeSet, HashMap};

use seatdesk_core::api::imports::{BadRow, ImportAssignment, ImportReport};
use seatdesk_core::api::inventory::Org;
use seatdesk_core::api::users::Assignment;
use seatdesk_core::{OrgKind, UserRole, UserStatus};

use super::parse::{CLASSES, ENROLLMENTS, FileMode, ORGS, OrgRecord, Roster, USERS, UserRecord};
use crate::audit::NewEvent;
use crate::db::Backend;
use crate::db::sql::Sql;
use crate::db::types::Named;
use crate::domain::role_rules as assign;
use crate::domain::users::{USER_SELECT, UserRow, join_roles};
use crate::error::ApiResult;
use crate::http::auth::Auth;
use crate::mutation::Work;

/// An org a roster row may refer to: imported now or before, inside the
/// importing token's subtree.
#[derive(Debug, Clone, sqlx::FromRow)]
struct KnownOrg {
    id: i64,
    parent_id: Option<i64>,
    kind: Named<OrgKind>,
    name: String,
    path: String,
    sourced_id: String,
}

impl KnownOrg {
    fn to_api(&self) -> Org {
        Org {
            id: self.id,
            parent_id: self.parent_id,
            kind: self.kind.0,
            name: self.name.clone(),
            path: self.path.clone(),
        }
    }
}

struct Importer<'a> {
    auth: &'a Auth,
    backend: Backend,
    report: ImportReport,
    orgs: HashMap<String, KnownOrg>,
}

/// Applies `roster` for `auth` and reports what changed. Every write goes
/// through `w`, so the caller decides between commit and rollback (dry run).
pub async fn apply(
    w: &mut Work,
    auth: &Auth,
    backend: Backend,
    roster: &Roster,
) -> ApiResult<ImportReport> {
    let mut sql = Sql::new(
        "SELECT id, parent_id, kind, name, path, sourced_id FROM orgs \
         WHERE sourced_id IS NOT NULL AND ",
    );
    sql.push(&auth.scope.sql("path"));
    let known: Vec<KnownOrg> = sql.query_as().fetch_all(w.conn()).await?;
    let mut importer = Importer {
        auth,
        backend,
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
                let parent = &self.orgs[parent];
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
            if record.parent.is_some() && existing.parent_id != Some(parent_id) {
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
            if existing.name == record.name && existing.kind.0 == record.kind {
                self.report.orgs.unchanged += 1;
                return Ok(());
            }
            crate::db::query("UPDATE orgs SET name = $1, kind = $2 WHERE id = $3")
                .bind(record.name.clone())
                .bind(record.kind.as_str().to_string())
                .bind(existing.id)
                .execute(w.conn())
                .await?;
            let updated = KnownOrg {
                name: record.name.clone(),
                kind: Named(record.kind),
                ..existing.clone()
            };
            w.record(NewEvent {
                action: "org.update",
                target_type: "org",
                target_id: existing.id,
                org_path: existing.path.clone(),
                before: serde_json::to_value(existing.to_api()).ok(),
                after: serde_json::to_value(updated.to_api()).ok(),
            });
            self.orgs.insert(record.sourced_id.clone(), updated);
            self.report.orgs.updated += 1;
            return Ok(());
        }
        let taken: Option<i64> =
            crate::db::query_scalar("SELECT id FROM orgs WHERE sourced_id = $1")
                .bind(record.sourced_id.clone())
                .fetch_optional(w.conn())
                .await?;
        if taken.is_some() {
            self.refuse(
                ORGS,
                record.line,
                format!(
                    "sourcedId '{}' is already used by an org outside your organization",
                    record.sourced_id
                ),
            );
            return Ok(());
        }
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO orgs (parent_id, kind, name, path, sourced_id, created_at) \
             VALUES ($1, $2, $3, '', $4, $5) RETURNING id",
        )
        .bind(parent_id)
        .bind(record.kind.as_str().to_string())
        .bind(record.name.clone())
        .bind(record.sourced_id.clone())
        .bind(w.now)
        .fetch_one(w.conn())
        .await?;
        let path = format!("{parent_path}{id}/");
        crate::db::query("UPDATE orgs SET path = $1 WHERE id = $2")
            .bind(path.clone())
            .bind(id)
            .execute(w.conn())
            .await?;
        let org = KnownOrg {
            id,
            parent_id: Some(parent_id),
            kind: Named(record.kind),
            name: record.name.clone(),
            path: path.clone(),
            sourced_id: record.sourced_id.clone(),
        };
        w.record(NewEvent {
            action: "org.create",
            target_type: "org",
            target_id: id,
            org_path: path,
            before: None,
            after: serde_json::to_value(org.to_api()).ok(),
        });
        self.orgs.insert(record.sourced_id.clone(), org);
        self.report.orgs.created += 1;
        Ok(())
    }

    async fn load_user(&self, w: &mut Work, id: i64) -> ApiResult<UserRow> {
        let mut sql = Sql::new(USER_SELECT);
        sql.push(" WHERE u.id = ").bind(id);
        if self.backend == Backend::Postgres {
            sql.push(" FOR UPDATE OF u");
        }
        Ok(sql.query_as().fetch_one(w.conn()).await?)
    }

    /// The existing user a row stands for: by sourcedId, then by an email
    /// not yet tied to another sourcedId. `Err` is why the row is refused.
    async fn match_user(
        &self,
        w: &mut Work,
        record: &UserRecord,
    ) -> ApiResult<Result<Option<i64>, String>> {
        let by_id: Option<(i64, String)> =
            crate::db::query_as("SELECT id, org_path FROM users WHERE sourced_id = $1")
                .bind(record.sourced_id.clone())
                .fetch_optional(w.conn())
                .await?;
        if let Some((id, org_path)) = by_id {
            if !self.auth.in_scope(&org_path) {
                return Ok(Err(format!(
                    "sourcedId '{}' is already used by a user outside your organization",
                    record.sourced_id
                )));
            }
            let email_owner: Option<i64> =
                crate::db::query_scalar("SELECT id FROM users WHERE email = $1 AND id <> $2")
                    .bind(record.email.clone())
                    .bind(id)
                    .fetch_optional(w.conn())
                    .await?;
            if email_owner.is_some() {
                return Ok(Err(format!(
                    "email {} already belongs to another user",
                    record.email
                )));
            }
            return Ok(Ok(Some(id)));
        }
        let by_email: Option<(i64, String, Option<String>)> =
            crate::db::query_as("SELECT id, org_path, sourced_id FROM users WHERE email = $1")
                .bind(record.email.clone())
                .fetch_optional(w.conn())
                .await?;
        Ok(match by_email {
            None => Ok(None),
            Some((_, org_path, _)) if !self.auth.in_scope(&org_path) => Err(format!(
                "email {} already belongs to a user outside your organization",
                record.email
            )),
            Some((_, _, Some(other))) => Err(format!(
                "email {} already belongs to roster user '{other}'",
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
        let sourced_id: Option<String> =
            crate::db::query_scalar("SELECT sourced_id FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(w.conn())
                .await?;
        let before = before_row.into_api();
        let same = sourced_id.as_deref() == Some(record.sourced_id.as_str())
            && before.org_id == org.id
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
        crate::db::query(
            "UPDATE users SET org_id = $1, org_path = $2, email = $3, given_name = $4, \
             family_name = $5, kind = $6, roles = $7, status = $8, sourced_id = $9, \
             updated_at = $10 WHERE id = $11",
        )
        .bind(org.id)
        .bind(org.path.clone())
        .bind(record.email.clone())
        .bind(record.given_name.clone())
        .bind(record.family_name.clone())
        .bind(record.kind.as_str().to_string())
        .bind(join_roles(&record.roles))
        .bind(record.status.as_str().to_string())
        .bind(record.sourced_id.clone())
        .bind(w.now)
        .bind(id)
        .execute(w.conn())
        .await?;
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
            org_path: org.path.clone(),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        });
        if after.status == UserStatus::Archived && before.status != UserStatus::Archived {
            self.report.users.archived += 1;
        } else {
            self.report.users.updated += 1;
        }
        let outcomes = if after.status == UserStatus::Archived {
            assign::revoke_all_seats(w, &subject, self.backend).await?
        } else if rules_matter {
            assign::apply_role_rules(w, &subject, self.backend).await?
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
        let id: i64 = crate::db::query_scalar(
            "INSERT INTO users (org_id, org_path, email, given_name, family_name, kind, roles, \
             status, trainings, sourced_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10, $10) RETURNING id",
        )
        .bind(org.id)
        .bind(org.path.clone())
        .bind(record.email.clone())
        .bind(record.given_name.clone())
        .bind(record.family_name.clone())
        .bind(record.kind.as_str().to_string())
        .bind(join_roles(&record.roles))
        .bind(record.status.as_str().to_string())
        .bind(record.sourced_id.clone())
        .bind(w.now)
        .fetch_one(w.conn())
        .await?;
        let row = self.load_user(w, id).await?;
        let subject = row.subject();
        let user = row.into_api();
        w.record(NewEvent {
            action: "user.create",
            target_type: "user",
            target_id: id,
            org_path: org.path.clone(),
            before: None,
            after: serde_json::to_value(&user).ok(),
        });
        self.report.users.created += 1;
        let outcomes = assign::apply_role_rules(w, &subject, self.backend).await?;
        self.note_assignments(&record.sourced_id, outcomes);
        Ok(())
    }

    /// A full users.csv is the whole roster: earlier-imported users of the
    /// subtree it no longer lists are archived and their seats freed.
    async fn archive_missing(&mut self, w: &mut Work, seen: &BTreeSet<String>) -> ApiResult<()> {
        let mut sql = Sql::new(
            "SELECT id, sourced_id FROM users WHERE sourced_id IS NOT NULL \
             AND status <> 'archived' AND ",
        );
        sql.push(&self.auth.scope.sql("org_path"))
            .push(" ORDER BY id");
        let candidates: Vec<(i64, String)> = sql.query_as().fetch_all(w.conn()).await?;
        for (id, sourced_id) in candidates {
            if seen.contains(&sourced_id) {
                continue;
            }
            let before_row = self.load_user(w, id).await?;
            let org_path = before_row.org_path.clone();
            let before = before_row.into_api();
            crate::db::query("UPDATE users SET status = 'archived', updated_at = $1 WHERE id = $2")
                .bind(w.now)
                .bind(id)
                .execute(w.conn())
                .await?;
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
            let outcomes = assign::revoke_all_seats(w, &subject, self.backend).await?;
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
        let path: Option<String> =
            crate::db::query_scalar("SELECT org_path FROM users WHERE sourced_id = $1")
                .bind(sourced_id.to_string())
                .fetch_optional(w.conn())
                .await?;
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

fn sorted(roles: &[UserRole]) -> Vec<UserRole> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}
