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

/// Why `value`, trimmed, is not 1 to `max` characters, if it is not.
pub fn text_error(field: &str, value: &str, max: usize) -> Option<String> {
    let len = value.trim().chars().count();
    (len == 0 || len > max).then(|| format!("{field} must be 1 to {max} characters"))
}

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
        assert!(text_error("name", " \u{e9}\u{e9}\u{e9}\u{e9}\u{e9} ", 5).is_none());
        assert_eq!(
            text_error("name", "abcdef", 5).unwrap(),
            "name must be 1 to 5 characters"
        );
        assert!(id_error("org_id", 0).is_some() && id_error("org_id", 1).is_none());
    }
}
