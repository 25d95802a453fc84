//! The demo loader's statements: multi-row INSERTs of the tables it fills
//! (written by [`Rows`], column lists here), the id, emptiness and root-org
//! reads before a load, and the SQLite page cache, PostgreSQL identity
//! sequences and statistics around it. What goes in the rows is planned in
//! [`crate::demo`].

mod rows;

pub use rows::{Row, Rows};

use crate::db::{Conn, Pool};

/// A table the demo fills and the columns of its rows, in the order a
/// [`Row`]'s values are added.
#[derive(Debug)]
pub struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    /// PostgreSQL: the big tables, emptied by the load's own transaction
    /// ([`defer_for_load`]) so COPY can write their rows frozen.
    truncated_by_load: bool,
}

pub const ORGS: Table = Table {
    name: "orgs",
    columns: &["id", "parent_id", "kind", "name", "path", "created_at"],
    truncated_by_load: false,
};

pub const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: &["id", "org_id", "name", "number", "created_at"],
    truncated_by_load: false,
};

pub const PRODUCTS: Table = Table {
    name: "products",
    columns: &[
        "id",
        "sku",
        "name",
        "family",
        "edition",
        "module",
        "has_resource_codes",
        "training_prerequisite",
    ],
    truncated_by_load: false,
};

pub const LICENSES: Table = Table {
    name: "licenses",
    columns: &[
        "id",
        "account_id",
        "org_id",
        "org_path",
        "parent_license_id",
        "product_id",
        "order_number",
        "purchase_order",
        "inventory_type",
        "courses",
        "teacher_code",
        "seats_purchased",
        "seats_consumed",
        "seats_allocated",
        "start_date",
        "finish_date",
        "grace_days",
        "grace_until",
        "status",
        "renewal_requested",
        "renewed",
        "created_at",
        "updated_at",
    ],
    truncated_by_load: false,
};

pub const CODE_BATCHES: Table = Table {
    name: "code_batches",
    columns: &[
        "id",
        "license_id",
        "code_count",
        "users_per_code",
        "duration_days",
        "enable_benchmark",
        "enable_exercises",
        "enable_badges",
        "require_teacher_link",
        "created_by",
        "created_at",
    ],
    truncated_by_load: false,
};

pub const CODES: Table = Table {
    name: "codes",
    columns: &[
        "id",
        "code",
        "kind",
        "license_id",
        "batch_id",
        "seat_id",
        "subject",
        "max_uses",
        "uses",
        "expires_at",
        "created_at",
    ],
    truncated_by_load: true,
};

pub const ROLE_RULES: Table = Table {
    name: "role_rules",
    columns: &[
        "id",
        "org_id",
        "org_path",
        "role",
        "product_id",
        "created_at",
    ],
    truncated_by_load: false,
};

pub const REQUESTS: Table = Table {
    name: "requests",
    columns: &[
        "id",
        "kind",
        "status",
        "license_id",
        "account_id",
        "org_id",
        "org_path",
        "requested_to_org_id",
        "product_id",
        "new_code",
        "inventory_type",
        "students",
        "courses",
        "start_date",
        "finish_date",
        "purchase_order",
        "comments",
        "created_by",
        "created_at",
    ],
    truncated_by_load: false,
};

pub const USERS: Table = Table {
    name: "users",
    columns: &[
        "id",
        "org_id",
        "org_path",
        "email",
        "given_name",
        "family_name",
        "kind",
        "roles",
        "status",
        "trainings",
        "sourced_id",
        "last_login_at",
        "created_at",
        "updated_at",
    ],
    truncated_by_load: true,
};

pub const SEATS: Table = Table {
    name: "seats",
    columns: &[
        "id",
        "license_id",
        "user_id",
        "status",
        "status_before_revoke",
        "students_assigned",
        "redemption_code",
        "source",
        "assigned_at",
        "assigned_by",
        "claimed_at",
        "expired_at",
        "revoked_at",
        "revoked_by",
        "updated_at",
        // The user's name sort key (migration 0013); a NULL is filled in
        // by the insert trigger, at the cost of a lookup per row.
        "name_key",
    ],
    truncated_by_load: true,
};

/// Tables with ids the demo assigns, for reading and (on PostgreSQL)
/// advancing their identity sequences.
const ID_TABLES: &[&Table] = &[
    &ORGS,
    &ACCOUNTS,
    &PRODUCTS,
    &LICENSES,
    &USERS,
    &SEATS,
    &CODE_BATCHES,
    &CODES,
    &REQUESTS,
    &ROLE_RULES,
];

/// The largest id in `table`, 0 when it is empty.
pub async fn max_id(conn: &mut Conn, table: &Table) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {}",
        table.name
    ))
    .fetch_one(conn)
    .await
}

/// How many rows `table` holds.
pub async fn row_count(conn: &mut Conn, table: &Table) -> Result<i64, sqlx::Error> {
    crate::db::query_scalar(format!("SELECT COUNT(*) FROM {}", table.name))
        .fetch_one(conn)
        .await
}

/// Id, name and path of the oldest root org, if any.
pub async fn oldest_root(conn: &mut Conn) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    crate::db::query_as(
        "SELECT id, name, path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_optional(conn)
    .await
}

/// Page cache of the loading connection (256 MiB), and SQLite's default
/// to put back before the connection returns to the pool.
const LOAD_CACHE_PRAGMA: &str = "PRAGMA cache_size = -262144";
const DEFAULT_CACHE_PRAGMA: &str = "PRAGMA cache_size = -2000";

/// SQLite: the loading page cache when `loading`, else the default.
pub async fn set_page_cache(conn: &mut Conn, loading: bool) -> Result<(), sqlx::Error> {
    let pragma = if loading {
        LOAD_CACHE_PRAGMA
    } else {
        DEFAULT_CACHE_PRAGMA
    };
    crate::db::query(pragma).execute(conn).await?;
    Ok(())
}

/// PostgreSQL: ids were written explicitly, so identity sequences must be
/// moved past them or the next ordinary insert would collide.
pub async fn advance_sequences(conn: &mut Conn) -> Result<(), sqlx::Error> {
    for table in ID_TABLES.iter().map(|t| t.name) {
        crate::db::query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table} HAVING MAX(id) IS NOT NULL"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// PostgreSQL: statistics on the freshly loaded tables, and their
/// visibility maps, so the claims report's index-only walks need not visit
/// the heap for every entry until autovacuum gets there.
pub async fn analyze(pool: &Pool) -> Result<(), sqlx::Error> {
    crate::db::query("VACUUM (ANALYZE)").execute(pool).await?;
    Ok(())
}

/// PostgreSQL: the secondary indexes, unique constraints and foreign keys
/// of the loaded tables, taken away by [`defer_for_load`] and put back by
/// [`restore_after_load`]. Building an index once over sorted rows is many
/// times cheaper than ten million random inserts into it, and checking a
/// foreign key once is one join where row by row it is a lookup and a row
/// lock per row and key.
#[derive(Debug, Default)]
pub struct Deferred {
    /// `CREATE INDEX` statements, as the catalogue prints them.
    indexes: Vec<String>,
    /// Unique constraints, then foreign keys: (table, name, definition).
    constraints: Vec<(String, String, String)>,
}

/// The demo's tables as a PostgreSQL `regclass[]` (trusted constant names).
fn loaded_tables() -> String {
    let names: Vec<&str> = ID_TABLES.iter().map(|t| t.name).collect();
    format!("'{{{}}}'::regclass[]", names.join(","))
}

/// PostgreSQL, inside the load's transaction: drops the foreign keys from
/// or to the demo's tables, their unique constraints and their indexes
/// other than primary keys (keeping each definition), raises this
/// transaction's index-build memory, and truncates the big tables (empty:
/// nothing holds seats, codes or users in a database without licenses or
/// users) so COPY may freeze their rows. Schema changes are transactional:
/// a failed load puts everything back.
pub async fn defer_for_load(conn: &mut Conn) -> Result<Deferred, sqlx::Error> {
    let tables = loaded_tables();
    let foreign: Vec<(String, String, String)> = crate::db::query_as(format!(
        "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) \
         FROM pg_constraint c WHERE c.contype = 'f' \
         AND (c.conrelid = ANY({tables}) OR c.confrelid = ANY({tables})) ORDER BY c.oid"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let unique: Vec<(String, String, String)> = crate::db::query_as(format!(
        "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) \
         FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid = ANY({tables}) ORDER BY c.oid"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let indexes: Vec<(String, String)> = crate::db::query_as(format!(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         WHERE i.indrelid = ANY({tables}) AND NOT EXISTS ( \
           SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid \
           AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x')) \
         ORDER BY i.indexrelid"
    ))
    .fetch_all(&mut *conn)
    .await?;
    // Foreign keys first: a unique constraint cannot go while a key points at it.
    for (table, name, _) in foreign.iter().chain(&unique) {
        conn.execute_raw(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .await?;
    }
    for (name, _) in &indexes {
        conn.execute_raw(&format!("DROP INDEX {name}")).await?;
    }
    let truncated: Vec<&str> = ID_TABLES
        .iter()
        .filter(|t| t.truncated_by_load)
        .map(|t| t.name)
        .collect();
    conn.execute_raw(&format!("TRUNCATE {}", truncated.join(", ")))
        .await?;
    // Index builds sort in memory up to this much (the default, 64 MB,
    // spills a 10M-row sort to disk); it lasts until the load commits.
    conn.execute_raw("SET LOCAL maintenance_work_mem = '512MB'")
        .await?;
    Ok(Deferred {
        indexes: indexes.into_iter().map(|(_, def)| def).collect(),
        constraints: unique.into_iter().chain(foreign).collect(),
    })
}

/// PostgreSQL: builds the indexes back, then the unique constraints, then
/// the foreign keys (each checked once over all the rows).
pub async fn restore_after_load(conn: &mut Conn, deferred: Deferred) -> Result<(), sqlx::Error> {
    for index in &deferred.indexes {
        conn.execute_raw(index).await?;
    }
    for (table, name, definition) in &deferred.constraints {
        conn.execute_raw(&format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        ))
        .await?;
    }
    Ok(())
}
