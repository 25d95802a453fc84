//! Lengths and ranges of request fields, one place for the server's checks
//! and the numbers the OpenAPI schema states (`#[schema(max_length = …)]`
//! takes literals only, so the server's `openapi` test compares the two).
//! Lengths count characters of the trimmed text.

/// Person, org, account and product names.
pub const NAME_MAX: usize = 200;
/// Short labels: account numbers, SKUs, product families, training and
/// token names.
pub const LABEL_MAX: usize = 100;
/// An email address (RFC 5321's path limit less the brackets).
pub const EMAIL_MAX: usize = 254;
/// Free-text search (`q`).
pub const SEARCH_MAX: usize = 200;
/// Entries of a list field such as a user's trainings.
pub const LIST_MAX_ITEMS: usize = 100;
/// Roles one user may hold (there are fewer distinct roles).
pub const ROLES_MAX_ITEMS: usize = 20;

/// Why `value` is not 1 to `max` characters with at least one that is not
/// a space, if it is not. (Counted as sent, so that the schema's
/// `maxLength` and this agree; stored trimmed.)
pub fn text_error(field: &str, value: &str, max: usize) -> Option<String> {
    let blank = value.trim().is_empty();
    (blank || value.chars().count() > max).then(|| format!("{field} must be 1 to {max} characters"))
}

/// The schema of one training name: a label without commas.
#[derive(utoipa::ToSchema)]
#[schema(min_length = 1, max_length = 100, pattern = "^[^,]*\\S[^,]*$")]
pub struct TrainingName(pub String);

/// The schema of one course name.
#[derive(utoipa::ToSchema)]
#[schema(min_length = 1, max_length = 200, pattern = "\\S")]
pub struct CourseName(pub String);

/// The schema of one webhook event filter: `*`, an action or a prefix.
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^(\\*|[a-z._]{1,100})$")]
pub struct EventFilter(pub String);

/// Why `id` is not a valid id (ids start at 1), if it is not.
pub fn id_error(field: &str, id: i64) -> Option<String> {
    (id < 1).then(|| format!("{field} must be a positive id"))
}

#[cfg(test)]
mod tests {
    use super::{id_error, text_error};

    #[test]
    fn text_is_counted_in_characters_after_trimming() {
        assert!(text_error("name", "  ", 5).is_some());
        assert!(text_error("name", "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}", 5).is_none());
        // Counted as sent: the schema's maxLength counts the spaces too.
        assert!(text_error("name", " \u{e9}\u{e9}\u{e9}\u{e9} ", 5).is_some());
        assert_eq!(
            text_error("name", "abcdef", 5).unwrap(),
            "name must be 1 to 5 characters"
        );
        assert!(id_error("org_id", 0).is_some() && id_error("org_id", 1).is_none());
    }
}
