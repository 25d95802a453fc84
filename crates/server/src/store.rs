//! The store: every SQL statement the server runs, one module per table
//! group, each function taking a connection (or the pool) and typed values
//! and returning typed rows. The rules that decide what to change live in
//! [`crate::domain`] and call these; routes never hold SQL.
//!
//! Statements are written once and run on whichever typed driver the
//! handle holds (`SqlitePool` or `PgPool`, see [`crate::db::sql`]); where
//! the two databases need different SQL, the function says so and matches
//! on the backend.

pub mod alerts;
pub mod audit;
pub mod backup;
pub mod claims;
pub mod codes;
pub mod counters;
pub mod dashboard;
pub mod demo;
pub mod export;
pub mod forecast;
pub mod health;
pub mod idempotency;
pub mod licenses;
pub mod metrics;
pub mod orgs;
pub mod reclaim;
pub mod requests;
pub mod role_rules;
pub mod rosters;
pub mod seats;
pub mod tokens;
pub mod triage;
pub mod users;
pub mod webhooks;
