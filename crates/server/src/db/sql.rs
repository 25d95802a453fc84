//! A small builder for dynamic SQL with `$N` placeholders. sqlx's own
//! `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL rejects.
//!
//! Built for SQLite with [`Sql::new_for`], it writes `?` instead: values are
//! always bound in text order, so the two mean the same, and binding a
//! statement with many `$N` costs O(N²) in SQLite (sqlx looks each name up
//! with `sqlite3_bind_parameter_name`, a linear scan), which made a 4,000
//! value INSERT take tens of milliseconds. Bulk statements use it.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, AssertSqlSafe};

use super::Backend;

/// SQL text plus its bound values, built up in order.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
    /// Writes `?` rather than `$N` (SQLite only).
    anonymous: bool,
    /// Set by [`Sql::new_for`]; [`Sql::bind_id_set`] needs it.
    backend: Option<Backend>,
    /// Run as an unnamed statement, planned with its values (see
    /// [`Sql::bind_id_set`]).
    one_shot: bool,
}

/// Id sets up to this size are written as `IN ($a, …)`, as a single-seat
/// request always was: exact row estimates, and no change for small requests.
const SMALL_ID_SET: usize = 64;

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            ..Sql::default()
        }
    }

    /// A builder whose placeholders suit `backend`: `?` on SQLite, `$N` on
    /// PostgreSQL. Use it for statements with many values.
    pub fn new_for(backend: Backend, text: &str) -> Sql {
        Sql {
            anonymous: backend == Backend::Sqlite,
            backend: Some(backend),
            ..Sql::new(text)
        }
    }

    /// Values bound so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends literal SQL (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> sqlx::Encode<'q, Any> + sqlx::Type<Any> + Send + 'static,
    {
        self.count += 1;
        if self.anonymous {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.count.to_string());
        }
        // Encoding i64/String/f64 into AnyArguments cannot fail.
        let _ = self.args.add(value);
        self
    }

    /// Appends `$a, $b, …` for each value.
    pub fn bind_list<T>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self
    where
        T: for<'q> sqlx::Encode<'q, Any> + sqlx::Type<Any> + Send + 'static,
    {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self
    }

    /// Appends a membership test for `ids`, to follow a column. More than
    /// [`SMALL_ID_SET`] ids go as one bound value (`IN (SELECT value FROM
    /// json_each(?))` on SQLite, `IN (SELECT unnest($N::bigint[]))` on
    /// PostgreSQL): one statement, instead of thousands of placeholders in
    /// chunks. Fewer ids, or no backend ([`Sql::new`]), get `IN ($a, …)`.
    pub fn bind_id_set(&mut self, ids: &[i64]) -> &mut Self {
        use std::fmt::Write;
        if ids.len() <= SMALL_ID_SET && !ids.is_empty() {
            self.push(" IN (").bind_list(ids.iter().copied());
            return self.push(")");
        }
        // PostgreSQL would otherwise cache a generic plan guessing 100 ids;
        // planned with the array, it knows how many there are.
        self.one_shot = self.backend == Some(Backend::Postgres);
        let (open, close, prefix, suffix) = match self.backend {
            Some(Backend::Sqlite) => ('[', ']', " IN (SELECT value FROM json_each(", "))"),
            // Not `= ANY($N::bigint[])`: in a generic plan that cast is
            // evaluated again for every row a sequential scan meets.
            Some(Backend::Postgres) => ('{', '}', " IN (SELECT unnest(", "::bigint[]))"),
            None => {
                self.push(" IN (").bind_list(ids.iter().copied());
                return self.push(")");
            }
        };
        let mut list = String::with_capacity(ids.len() * 8 + 2);
        list.push(open);
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            // Writing to a String cannot fail.
            let _ = write!(list, "{id}");
        }
        list.push(close);
        self.push(prefix).bind(list).push(suffix)
    }

    /// Appends a placeholder for a LIKE pattern and the escape clause that
    /// makes [`like_escape`]d text match literally.
    pub fn bind_like(&mut self, pattern: String) -> &mut Self {
        self.bind(pattern).push(" ESCAPE '\\'")
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let persistent = !self.one_shot;
        sqlx::query_with(AssertSqlSafe(self.text), self.args).persistent(persistent)
    }

    pub fn query_as<T>(self) -> sqlx::query::QueryAs<'static, Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let persistent = !self.one_shot;
        sqlx::query_as_with(AssertSqlSafe(self.text), self.args).persistent(persistent)
    }

    pub fn query_scalar<T>(self) -> sqlx::query::QueryScalar<'static, Any, T, AnyArguments>
    where
        T: sqlx::Type<Any> + for<'r> sqlx::Decode<'r, Any>,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let persistent = !self.one_shot;
        sqlx::query_scalar_with(AssertSqlSafe(self.text), self.args).persistent(persistent)
    }
}

/// Escapes `\`, `%` and `_` so user text matches literally inside a LIKE
/// pattern bound with [`Sql::bind_like`].
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A pattern matching `text` anywhere, case-folded to lower case.
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", like_escape(&text.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_suit_the_backend() {
        let mut pg = Sql::new_for(Backend::Postgres, "SELECT ");
        pg.bind(1_i64).push(", ").bind_list([2_i64, 3]);
        assert_eq!(pg.text(), "SELECT $1, $2, $3");
        let mut lite = Sql::new_for(Backend::Sqlite, "SELECT ");
        lite.bind(1_i64).push(", ").bind_list([2_i64, 3]);
        assert_eq!((lite.text(), lite.len()), ("SELECT ?, ?, ?", 3));
    }

    #[test]
    fn id_sets_are_one_value() {
        let many: Vec<i64> = (0..100).collect();
        let mut pg = Sql::new_for(Backend::Postgres, "SELECT 1 WHERE id");
        pg.bind_id_set(&many);
        assert_eq!(
            (pg.text(), pg.len(), pg.one_shot),
            (
                "SELECT 1 WHERE id IN (SELECT unnest($1::bigint[]))",
                1,
                true
            )
        );
        let mut small = Sql::new_for(Backend::Postgres, "SELECT 1 WHERE id");
        small.bind_id_set(&[3, -1]);
        assert_eq!(
            (small.text(), small.one_shot),
            ("SELECT 1 WHERE id IN ($1, $2)", false)
        );
        let mut lite = Sql::new_for(Backend::Sqlite, "SELECT 1 WHERE id");
        lite.bind_id_set(&[]);
        assert_eq!(
            (lite.text(), lite.len()),
            ("SELECT 1 WHERE id IN (SELECT value FROM json_each(?))", 1)
        );
        let mut plain = Sql::new("SELECT 1 WHERE id");
        plain.bind_id_set(&many);
        assert_eq!(plain.len(), 100);
    }

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(contains_pattern("Ann_B"), "%ann\\_b%");
    }
}
