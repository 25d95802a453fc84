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
}

pub const ORGS: Table = Table {
    name: "orgs",
    columns: &["id", "parent_id", "kind", "name", "path", "created_at"],
};

pub const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: &["id", "org_id", "name", "number", "created_at"],
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
