//! The server's integration suite, one test binary: each module is one area
//! of the API driven over real HTTP, and `helpers` is the one harness they
//! share (a real server on a loopback port over a fresh SQLite database, and
//! a fresh PostgreSQL database too when `SEATDESK_TEST_PG_URL` is set).

mod helpers;

mod alerts;
mod auth_matrix;
mod bulk_audit;
mod claims_report;
mod codes;
mod concurrency;
mod counters;
mod demo;
mod export;
mod feed;
mod forecast;
mod fuzz_bodies;
mod guessing;
mod hostile;
mod insights;
mod limits;
mod oneroster;
mod ops;
mod reclaim;
mod requests;
mod schema;
mod seats;
mod stored_faults;
mod tokens;
mod users;
mod webhooks;
