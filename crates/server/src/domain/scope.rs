//! The org-subtree scope: every token and operator sees and changes only the
//! orgs under its own. Org paths are materialised (`/1/4/9/`), so "inside the
//! subtree" is "the path starts with the scope's path", in Rust and in SQL
//! alike; this module is the one place that says so.

use crate::error::ApiError;

/// A validated org path standing for its whole subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    path: String,
}

impl Scope {
    /// A scope from a path as the server writes them (`/id/id/…/`, digits and
    /// slashes only); anything else is refused, because [`Scope::sql`]
    /// writes the path into SQL text.
    pub fn new(path: &str) -> Result<Scope, ApiError> {
        let well_formed = path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| b.is_ascii_digit() || b == b'/');
        if well_formed {
            Ok(Scope {
                path: path.to_string(),
            })
        } else {
            Err(ApiError::internal(format!(
                "org path {path:?} is malformed"
            )))
        }
    }

    /// The whole tree.
    pub fn root() -> Scope {
        Scope {
            path: "/".to_string(),
        }
    }

    /// The org path at the top of the subtree.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether `org_path` lies in the subtree (the top org included).
    pub fn contains(&self, org_path: &str) -> bool {
        org_path.starts_with(&self.path)
    }

    /// Whether `org_path` lies strictly below the top org.
    pub fn strictly_contains(&self, org_path: &str) -> bool {
        org_path != self.path && self.contains(org_path)
    }

    /// `column LIKE '<path>%'`: the SQL form of [`Scope::contains`].
    ///
    /// The pattern is written out, not bound: SQLite recompiles a statement
    /// on every new binding of a `LIKE` right-hand side, and PostgreSQL's
    /// generic plan guesses a bound pattern matches 0.5% of rows, so a root
    /// token's keyset walk over every claim was planned as "sort them all".
    /// Written out, the pattern is planned with its real selectivity and the
    /// statement stays cached per scope. [`Scope::new`] makes it safe.
    pub fn sql(&self, column: &str) -> String {
        format!("{column} LIKE '{}%'", self.path)
    }
}

/// `/1/4/9/` → `["/1/", "/1/4/", "/1/4/9/"]`: the org and its ancestors,
/// the scopes that contain it.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::from("/");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        current.push_str(part);
        current.push('/');
        paths.push(current.clone());
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::{Scope, ancestor_paths};

    #[test]
    fn only_server_written_paths_become_scopes() {
        assert_eq!(
            Scope::new("/1/5/").unwrap().sql("o.path"),
            "o.path LIKE '/1/5/%'"
        );
        assert!(Scope::new("/1/5'; DROP TABLE seats; --/").is_err());
        assert!(Scope::new("/1/5%/").is_err());
        assert!(Scope::new("/1/5").is_err());
    }

    #[test]
    fn the_subtree_is_the_path_prefix() {
        let scope = Scope::new("/1/5/").unwrap();
        assert!(scope.contains("/1/5/") && scope.contains("/1/5/9/"));
        assert!(!scope.contains("/1/55/") && !scope.contains("/1/"));
        assert!(scope.strictly_contains("/1/5/9/") && !scope.strictly_contains("/1/5/"));
    }

    #[test]
    fn ancestors_run_from_the_root_down_to_the_org_itself() {
        assert_eq!(ancestor_paths("/1/4/9/"), vec!["/1/", "/1/4/", "/1/4/9/"]);
        assert_eq!(ancestor_paths("/7/"), vec!["/7/"]);
        assert!(ancestor_paths("").is_empty());
    }
}
