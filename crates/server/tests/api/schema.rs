//! The two migration trees: the same tables and columns on SQLite and
//! PostgreSQL, each column in its database's own type — on PostgreSQL every
//! instant a `timestamptz`, every calendar date a `date`, every flag a
//! `boolean` and every JSON document `jsonb` (nothing left in SQLite's
//! milliseconds, text and 0/1 shapes by a later migration).

use std::collections::BTreeSet;

use crate::helpers::{Backend, TestServer, backends};

/// (table, column, declared type) of every column but sqlx's own table and,
/// on SQLite, the FTS5 trigram index of user texts (`users_text` and its
/// shadow tables; PostgreSQL indexes the same texts with pg_trgm).
async fn columns(server: &TestServer) -> Vec<(String, String, String)> {
    let text = match server.backend {
        Backend::Sqlite => {
            "SELECT m.name, p.name, LOWER(p.type) FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
             AND m.name NOT LIKE 'users_text%' ORDER BY 1, 2"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT) \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY 1, 2"
        }
    };
    seatdesk_server::db::query_as(text)
        .fetch_all(&server.db.pool)
        .await
        .unwrap()
}

/// The type a column's name says it holds, if it names one.
fn expected_pg_type(column: &str) -> Option<&'static str> {
    const FLAGS: [&str; 9] = [
        "has_resource_codes",
        "renewal_requested",
        "renewed",
        "new_code",
        "enable_benchmark",
        "enable_exercises",
        "enable_badges",
        "require_teacher_link",
        "active",
    ];
    if column == "at" || column.ends_with("_at") {
        Some("timestamp with time zone")
    } else if column.ends_with("_date") || column == "grace_until" {
        Some("date")
    } else if FLAGS.contains(&column) {
        Some("boolean")
    } else if column == "courses" || column.ends_with("_json") {
        Some("jsonb")
    } else {
        None
    }
}

#[tokio::test]
async fn both_schemas_hold_the_same_columns_each_in_its_databases_types() {
    let mut names = Vec::new();
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let columns = columns(&server).await;
        assert!(
            columns.len() > 100,
            "{backend:?}: {} columns",
            columns.len()
        );
        if backend == Backend::Postgres {
            for (table, column, found) in &columns {
                if let Some(expected) = expected_pg_type(column) {
                    assert_eq!(found, expected, "{table}.{column}");
                }
            }
        }
        names.push(
            columns
                .into_iter()
                .map(|(table, column, _)| (table, column))
                .collect::<BTreeSet<_>>(),
        );
    }
    if let [sqlite, postgres] = names.as_slice() {
        assert_eq!(
            sqlite.symmetric_difference(postgres).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "columns only one schema has"
        );
    }
}
