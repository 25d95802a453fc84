//! Statements written once for both databases, run on the typed driver the
//! handle holds: [`query`], [`query_as`] and [`query_scalar`] keep sqlx's
//! call shape, and [`Sql`] builds dynamic SQL with `$N` placeholders (one
//! text for both drivers, unlike sqlx's per-database `QueryBuilder`).
//! Values are kept as [`Value`]s and bound natively when the statement runs
//! on a `SqlitePool`/`PgPool` or a connection of one ([`Target`]).
//!
//! Built for SQLite with [`Sql::new_for`], it writes `?` instead: values are
//! always bound in text order, so the two mean the same, and binding a
//! statement with many `$N` costs O(N²) in SQLite (sqlx looks each name up
//! with `sqlite3_bind_parameter_name`, a linear scan), which made a 4,000
//! value INSERT take tens of milliseconds. Bulk statements use it.

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, Utc};

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow};

use super::types::{Day, Stamp};
use super::{Backend, Conn, Db, Pool};

/// A bound value, kept as what it means so each typed driver can encode it
/// as its schema stores it (see [`super::types`]): an instant, a calendar
/// date and a flag are not numbers or text until they reach a driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Stamp(Option<DateTime<Utc>>),
    Day(Option<NaiveDate>),
    Flag(Option<bool>),
    Json(Option<serde_json::Value>),
}

macro_rules! value_from {
    ($($t:ty => |$v:ident| $e:expr),+ $(,)?) => {
        $(impl From<$t> for Value {
            fn from($v: $t) -> Value {
                $e
            }
        })+
    };
}

value_from!(
    i64 => |v| Value::Int(Some(v)),
    Option<i64> => |v| Value::Int(v),
    i32 => |v| Value::Int(Some(i64::from(v))),
    f64 => |v| Value::Real(Some(v)),
    Option<f64> => |v| Value::Real(v),
    String => |v| Value::Text(Some(v)),
    Option<String> => |v| Value::Text(v),
    &str => |v| Value::Text(Some(v.to_string())),
    &String => |v| Value::Text(Some(v.clone())),
    Option<&str> => |v| Value::Text(v.map(str::to_string)),
    Stamp => |v| Value::Stamp(Some(v.0)),
    Option<Stamp> => |v| Value::Stamp(v.map(|s| s.0)),
    DateTime<Utc> => |v| Value::Stamp(Some(v)),
    Day => |v| Value::Day(Some(v.0)),
    Option<Day> => |v| Value::Day(v.map(|d| d.0)),
    NaiveDate => |v| Value::Day(Some(v)),
    Option<NaiveDate> => |v| Value::Day(v),
    bool => |v| Value::Flag(Some(v)),
    Option<bool> => |v| Value::Flag(v),
    serde_json::Value => |v| Value::Json(Some(v)),
    Option<serde_json::Value> => |v| Value::Json(v),
);

/// SQL text plus its bound values, built up in order.
#[derive(Default, Debug, Clone)]
pub struct Sql {
    text: String,
    args: Vec<Value>,
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
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
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
        self.args.len()
    }

    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Appends literal SQL (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.args.push(value.into());
        if self.anonymous {
            self.text.push('?');
        } else {
            self.text.push('$');
            self.text.push_str(&self.args.len().to_string());
        }
        self
    }

    /// Appends `$a, $b, …` for each value.
    pub fn bind_list<T: Into<Value>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
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

    /// As a statement whose rows are not read.
    pub fn query(self) -> Query {
        Query(self)
    }

    /// As a statement read into rows of `T`.
    pub fn query_as<T>(self) -> QueryAs<T> {
        QueryAs(self, PhantomData)
    }

    /// As a statement read into its first column, a `T`.
    pub fn query_scalar<T>(self) -> QueryScalar<T> {
        QueryScalar(self, PhantomData)
    }
}

/// `sqlx::query`, on whichever typed driver runs it.
pub fn query(text: impl Into<String>) -> Query {
    Sql::new(text).query()
}

/// `sqlx::query_as`, on whichever typed driver runs it.
pub fn query_as<T>(text: impl Into<String>) -> QueryAs<T> {
    Sql::new(text).query_as()
}

/// `sqlx::query_scalar`, on whichever typed driver runs it.
pub fn query_scalar<T>(text: impl Into<String>) -> QueryScalar<T> {
    Sql::new(text).query_scalar()
}

/// Where a statement runs: on the pool, or on one connection.
pub enum Target<'c> {
    Pool(&'c Pool),
    Conn(&'c mut Conn),
}

impl<'c> From<&'c Pool> for Target<'c> {
    fn from(pool: &'c Pool) -> Self {
        Target::Pool(pool)
    }
}

impl<'c> From<&'c Db> for Target<'c> {
    fn from(db: &'c Db) -> Self {
        Target::Pool(&db.pool)
    }
}

impl<'c> From<&'c mut Conn> for Target<'c> {
    fn from(conn: &'c mut Conn) -> Self {
        Target::Conn(conn)
    }
}

impl<'c> From<&'c mut super::WriteTx> for Target<'c> {
    fn from(tx: &'c mut super::WriteTx) -> Self {
        Target::Conn(&mut tx.tx)
    }
}

fn sqlite_args(values: Vec<Value>) -> Result<SqliteArguments, sqlx::Error> {
    let mut args = SqliteArguments::default();
    for value in values {
        match value {
            Value::Int(v) => args.add(v),
            Value::Real(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Stamp(v) => args.add(v.map(|t| t.timestamp_millis())),
            Value::Day(v) => args.add(v.map(|d| d.to_string())),
            Value::Flag(v) => args.add(v.map(i64::from)),
            Value::Json(v) => args.add(v.map(|j| j.to_string())),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

fn pg_args(values: Vec<Value>) -> Result<PgArguments, sqlx::Error> {
    let mut args = PgArguments::default();
    for value in values {
        match value {
            Value::Int(v) => args.add(v),
            Value::Real(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Stamp(v) => args.add(v.map(|t| Stamp::at(t).0)),
            Value::Day(v) => args.add(v),
            Value::Flag(v) => args.add(v),
            Value::Json(v) => args.add(v),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// Runs `$run` with `$q` the statement built for the target's driver (by
/// `$make`, e.g. `sqlx::query_with`) and `$e` its executor.
macro_rules! dispatch {
    ($sql:expr, $target:expr, $make:path, |$q:ident, $e:ident| $run:expr) => {{
        let Sql {
            text,
            args,
            one_shot,
            ..
        } = $sql;
        let text = AssertSqlSafe(text);
        match $target.into() {
            Target::Pool(Pool::Sqlite($e)) => {
                let $q = $make(text, sqlite_args(args)?).persistent(!one_shot);
                $run
            }
            Target::Pool(Pool::Postgres($e)) => {
                let $q = $make(text, pg_args(args)?).persistent(!one_shot);
                $run
            }
            Target::Conn(Conn::Sqlite(conn)) => {
                let $e = &mut **conn;
                let $q = $make(text, sqlite_args(args)?).persistent(!one_shot);
                $run
            }
            Target::Conn(Conn::SqliteTx(tx)) => {
                let $e = &mut **tx;
                let $q = $make(text, sqlite_args(args)?).persistent(!one_shot);
                $run
            }
            Target::Conn(Conn::Postgres(conn)) => {
                let $e = &mut **conn;
                let $q = $make(text, pg_args(args)?).persistent(!one_shot);
                $run
            }
            Target::Conn(Conn::PostgresTx(tx)) => {
                let $e = &mut **tx;
                let $q = $make(text, pg_args(args)?).persistent(!one_shot);
                $run
            }
        }
    }};
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows_affected: u64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// A statement whose rows are not read.
#[must_use]
pub struct Query(Sql);

impl Query {
    /// Adds the value of the next placeholder already in the text.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.0.args.push(value.into());
        self
    }

    pub async fn execute<'c>(self, target: impl Into<Target<'c>>) -> Result<Done, sqlx::Error> {
        let rows_affected = dispatch!(self.0, target, sqlx::query_with, |q, e| q
            .execute(e)
            .await?
            .rows_affected());
        Ok(Done { rows_affected })
    }
}

/// Rows both typed drivers can decode.
pub trait Row: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}

impl<T> Row for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{}

/// The `bind` and `fetch_*` methods of a statement that reads rows, each
/// built by `$make` for the driver that runs it.
macro_rules! fetch_methods {
    ($make:path) => {
        /// Adds the value of the next placeholder already in the text.
        pub fn bind(mut self, value: impl Into<Value>) -> Self {
            self.0.args.push(value.into());
            self
        }

        pub async fn fetch_all<'c>(
            self,
            target: impl Into<Target<'c>>,
        ) -> Result<Vec<T>, sqlx::Error> {
            dispatch!(self.0, target, $make, |q, e| q.fetch_all(e).await)
        }

        pub async fn fetch_one<'c>(self, target: impl Into<Target<'c>>) -> Result<T, sqlx::Error> {
            dispatch!(self.0, target, $make, |q, e| q.fetch_one(e).await)
        }

        pub async fn fetch_optional<'c>(
            self,
            target: impl Into<Target<'c>>,
        ) -> Result<Option<T>, sqlx::Error> {
            dispatch!(self.0, target, $make, |q, e| q.fetch_optional(e).await)
        }
    };
}

/// A statement read into rows of `T`.
#[must_use]
pub struct QueryAs<T>(Sql, PhantomData<fn() -> T>);

impl<T: Row> QueryAs<T> {
    fetch_methods!(sqlx::query_as_with);
}

/// A statement read into its first column, a `T`.
#[must_use]
pub struct QueryScalar<T>(Sql, PhantomData<fn() -> T>);

impl<T> QueryScalar<T>
where
    (T,): Row,
    T: Send + Unpin,
{
    fetch_methods!(sqlx::query_scalar_with);
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
