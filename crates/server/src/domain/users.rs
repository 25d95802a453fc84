//! Users below HTTP: what a valid user is, and creating and changing one
//! with its audit event and role rules in the caller's transaction.

use seatdesk_core::api::limits::{
    EMAIL_MAX, LABEL_MAX, LIST_MAX_ITEMS, NAME_MAX, ROLES_MAX_ITEMS, SEARCH_MAX, id_error,
    text_error,
};
use seatdesk_core::api::users::{NewUser, UserChange, UserPatch, UserQuery};
use seatdesk_core::{UserRole, UserStatus};

use crate::db::Conn;
use crate::domain::orgs::org_path_in_scope;
use crate::domain::role_rules::{self, Subject};
use crate::domain::scope::Scope;
use crate::error::{ApiError, ApiResult, validate};
use crate::mutation::Work;
use crate::store::audit::NewEvent;
use crate::store::users::{self as store, NewUserRow, UserChangeRow};

use crate::store::users::UserRow;

impl UserRow {
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
///
/// Syntax is the `email_address` crate's (RFC 5321/5322, maintained, no
/// dependencies) without display names or `[…]` domain literals. On top of
/// it, seatdesk's own policy, since addresses are shown to people and are
/// unique regardless of case:
/// - ASCII only. This refuses, in one rule, control and bidi characters
///   (U+202E turns `moc.elpmaxe@evil` around on screen), zero-width and
///   fullwidth or other compatibility lookalikes (`ａdmin@…`), and
///   homoglyphs from other scripts. Internationalised domains are accepted
///   in their ASCII (`xn--`) form; non-ASCII mailbox names (SMTPUTF8) are
///   not accepted at all.
/// - A dot-atom local part: no quoted strings or comments, so no `<`, `>`,
///   spaces or quotes (`"<script>"@x.example` is refused).
/// - A domain name, not an address: no `[10.0.0.1]` and no all-digit
///   top-level label (`a@127.0.0.1`).
/// - The whole address lower-cased: uniqueness is case-insensitive, and
///   no mail system in our user base tells `Ann` from `ann`.
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim();
    let shown = || email.escape_default().to_string();
    if email.len() > EMAIL_MAX {
        return Err(format!("email must be at most {EMAIL_MAX} characters"));
    }
    if !email.is_ascii() {
        return Err(format!(
            "email '{}' has characters other than ASCII letters, digits and punctuation \
             (lookalike, invisible or direction-changing characters are refused; write an \
             international domain in its xn-- form)",
            shown()
        ));
    }
    if email.chars().any(|c| c.is_ascii_control()) {
        return Err(format!("email '{}' has a control character", shown()));
    }
    let email = email.to_ascii_lowercase();
    let invalid = |why: &str| {
        format!(
            "email '{}' is not a valid address: {why}",
            email.escape_default()
        )
    };
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(invalid("it has no @"));
    };
    let dot_atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if !local.chars().all(dot_atom) {
        return Err(invalid(
            "the part before @ may only have letters, digits and !#$%&'*+-/=?^_`{|}~.",
        ));
    }
    let options = email_address::Options::default()
        .with_required_tld()
        .without_domain_literal()
        .without_display_text();
    if let Err(e) = email_address::EmailAddress::parse_with_options(&email, options) {
        return Err(invalid(e.to_string().trim_end_matches('.')));
    }
    let tld = domain.rsplit('.').next().unwrap_or_default();
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("the domain must be a name, not an IP address"));
    }
    Ok(email)
}

fn check_name(errors: &mut Vec<String>, field: &str, value: &str) {
    errors.extend(text_error(field, value, NAME_MAX));
}

fn check_roles(errors: &mut Vec<String>, roles: &[UserRole]) {
    if roles.len() > ROLES_MAX_ITEMS {
        errors.push(format!("roles must have at most {ROLES_MAX_ITEMS} entries"));
    }
}

/// Trainings as stored (trimmed, sorted, comma-separated), noting in
/// `errors` what makes them invalid.
fn join_trainings(errors: &mut Vec<String>, trainings: &[String]) -> String {
    if trainings.len() > LIST_MAX_ITEMS {
        errors.push(format!(
            "trainings must have at most {LIST_MAX_ITEMS} entries"
        ));
    }
    // Counted as sent, as the schema's maxLength does; stored trimmed.
    if trainings
        .iter()
        .any(|t| t.trim().is_empty() || t.chars().count() > LABEL_MAX || t.contains(','))
    {
        errors.push(format!(
            "each training must be 1 to {LABEL_MAX} characters without commas"
        ));
    }
    let mut names: Vec<String> = trainings.iter().map(|t| t.trim().to_string()).collect();
    names.sort();
    names.dedup();
    names.join(",")
}

/// The stored forms of a new user's checked fields.
pub struct CheckedNewUser {
    email: String,
    trainings: String,
}

/// Checks a new user's fields, every problem at once.
pub fn check_new(body: &NewUser) -> ApiResult<CheckedNewUser> {
    let mut errors: Vec<String> = id_error("org_id", body.org_id).into_iter().collect();
    let email = normalize_email(&body.email).unwrap_or_else(|e| {
        errors.push(e);
        String::new()
    });
    check_name(&mut errors, "given_name", &body.given_name);
    check_name(&mut errors, "family_name", &body.family_name);
    check_roles(&mut errors, &body.roles);
    let trainings = join_trainings(&mut errors, &body.trainings);
    validate(errors.into_iter().map(Some))?;
    Ok(CheckedNewUser { email, trainings })
}

/// Checks a change's fields, every problem at once; the trainings as
/// stored when the change sets them.
pub fn check_patch(body: &UserPatch) -> ApiResult<Option<String>> {
    let mut errors = Vec::new();
    if let Some(name) = &body.given_name {
        check_name(&mut errors, "given_name", name);
    }
    if let Some(name) = &body.family_name {
        check_name(&mut errors, "family_name", name);
    }
    if let Some(roles) = &body.roles {
        check_roles(&mut errors, roles);
    }
    let trainings = body
        .trainings
        .as_ref()
        .map(|t| join_trainings(&mut errors, t));
    validate(errors.into_iter().map(Some))?;
    Ok(trainings)
}

/// Refuses a search text longer than [`SEARCH_MAX`].
pub fn check_query(query: &UserQuery) -> ApiResult<()> {
    match &query.q {
        Some(q) if q.chars().count() > SEARCH_MAX => Err(ApiError::invalid(format!(
            "q must be at most {SEARCH_MAX} characters"
        ))),
        _ => Ok(()),
    }
}

/// User `id` if it lies in `scope`, else 404; locked on PostgreSQL when
/// `for_update`, so concurrent changes of one user queue.
pub async fn load_user(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
    for_update: bool,
) -> ApiResult<UserRow> {
    let row = store::user(conn, id, for_update).await?;
    row.filter(|r| scope.contains(&r.org_path))
        .ok_or_else(|| ApiError::not_found(format!("user {id}")))
}

/// The 409 for an address already held by user `holder` (`None`: not
/// known, as after a lost insert race).
///
/// Addresses are unique across all tenants, so any refusal tells that the
/// address exists somewhere; the answer must not tell where. It names the
/// holder only when `scope` can see it, which its token could learn with
/// `GET /v1/users?q=` anyway; otherwise the same sentence without a name.
pub(crate) async fn email_in_use(
    conn: &mut Conn,
    scope: &Scope,
    email: &str,
    holder: Option<i64>,
) -> ApiResult<ApiError> {
    let mut detail = format!("email {email} is already in use");
    if let Some(id) = holder {
        let row = store::user(conn, id, false).await?;
        if row.is_some_and(|r| scope.contains(&r.org_path)) {
            detail.push_str(&format!(" by user {id} of your organization"));
        }
    }
    Ok(ApiError::conflict(detail))
}

/// Adds a checked user to an org of `scope` and applies the role rules.
pub async fn create_user(
    w: &mut Work,
    scope: &Scope,
    body: &NewUser,
    checked: &CheckedNewUser,
) -> ApiResult<UserChange> {
    let email = &checked.email;
    let org_path = org_path_in_scope(w.conn(), scope, body.org_id).await?;
    if let Some(holder) = store::id_by_email(w.conn(), email).await? {
        return Err(email_in_use(w.conn(), scope, email, Some(holder)).await?);
    }
    let now = w.now;
    let new = NewUserRow {
        org_id: body.org_id,
        org_path: &org_path,
        email,
        given_name: body.given_name.trim(),
        family_name: body.family_name.trim(),
        kind: body.kind,
        roles: &body.roles,
        trainings: &checked.trainings,
        status: UserStatus::Active,
        sourced_id: None,
    };
    let id = match store::insert(w.conn(), &new, now).await {
        Ok(id) => id,
        // A concurrent insert won; this transaction can no longer read.
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Err(ApiError::conflict(format!(
                "email {email} is already in use"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let row = load_user(w.conn(), scope, id, false).await?;
    let subject = row.subject();
    let user = row.into_api();
    w.record(NewEvent {
        action: "user.create",
        target_type: "user",
        target_id: id,
        org_path,
        before: None,
        after: serde_json::to_value(&user).ok(),
    });
    let assignments = role_rules::apply_role_rules(w, scope, &subject).await?;
    Ok(UserChange { user, assignments })
}

/// Changes user `id` of `scope` as checked by [`check_patch`] (`trainings`
/// its answer). Archiving revokes the user's live seats; role and status
/// changes re-apply the role rules.
pub async fn patch_user(
    w: &mut Work,
    scope: &Scope,
    id: i64,
    body: &UserPatch,
    trainings: Option<&str>,
) -> ApiResult<UserChange> {
    let before_row = load_user(w.conn(), scope, id, true).await?;
    let org_path = before_row.org_path.clone();
    let before = before_row.into_api();
    if *body == UserPatch::default() {
        // Nothing asked (`{}`, or only nulls): the user as is, no event.
        return Ok(UserChange {
            user: before,
            assignments: Vec::new(),
        });
    }
    let change = UserChangeRow {
        given_name: body.given_name.as_deref().map(str::trim),
        family_name: body.family_name.as_deref().map(str::trim),
        roles: body.roles.as_deref(),
        status: body.status,
        trainings,
    };
    let now = w.now;
    store::update(w.conn(), id, &change, now).await?;
    let row = load_user(w.conn(), scope, id, false).await?;
    let subject = row.subject();
    let user = row.into_api();
    w.record(NewEvent {
        action: "user.update",
        target_type: "user",
        target_id: id,
        org_path,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&user).ok(),
    });
    let assignments = if user.status == UserStatus::Archived {
        role_rules::revoke_all_seats(w, &subject).await?
    } else if body.roles.is_some() || body.status.is_some() {
        role_rules::apply_role_rules(w, scope, &subject).await?
    } else {
        Vec::new()
    };
    Ok(UserChange { user, assignments })
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn addresses_are_trimmed_and_lower_cased_whole() {
        assert_eq!(
            normalize_email("  Ann.Teacher@Example.COM ").unwrap(),
            "ann.teacher@example.com"
        );
        assert_eq!(
            normalize_email("o'brien+kim@xn--mnchen-3ya.de").unwrap(),
            "o'brien+kim@xn--mnchen-3ya.de"
        );
    }

    #[test]
    fn hostile_and_lookalike_addresses_are_refused() {
        for bad in [
            "a\u{202E}moc@x.example",
            "admin@x.example\u{202E}",
            "a\u{0}b@x.example",
            "a\u{200B}b@x.example",
            "\u{FF41}dmin@x.example",
            "admin@\u{FF45}xample.com",
            "\u{0430}dmin@x.example",
            "admin@m\u{00FC}nchen.de",
            "<script>@x.example",
            "\"<script>alert(1)</script>\"@x.example",
            "a@<script>.example",
            "a@[127.0.0.1]",
            "a@[IPv6:::1]",
            "a@127.0.0.1",
            "a@10.1",
            "Kim <kim@x.example>",
            "a b@x.example",
            "a@localhost",
            "not-an-email",
            "@x.example",
            "a@.example",
            "a@x..example",
            "a@x.example.",
            "a,b@x.example",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@x.example", "a".repeat(300));
        assert!(normalize_email(&long).unwrap_err().contains("at most 254"));
    }
}
