//! The end-to-end suite of the `seatdesk` binary, one test binary: the
//! command line against a real server (`cli_*`, `demo_cli`), server
//! processes killed mid-request (`faults`, `offline`, `replicas`: two
//! servers on one PostgreSQL database, one killed under load), and the dashboard in
//! a real terminal (`tui_e2e`), and what an operator runs: `logs`,
//! `shutdown`, `tls` and `metrics`. `helpers` is the one harness they share.

mod helpers;

mod backup;
mod cli_bulk;
mod cli_codes;
mod cli_errors;
mod cli_import;
mod cli_listings;
mod cli_reclaim;
mod cli_tokens;
mod cli_triage;
mod demo_cli;
mod faults;
mod logs;
mod metrics;
mod offline;
mod replicas;
mod shutdown;
mod tls;
mod tui_e2e;
mod tui_reclaim_e2e;
