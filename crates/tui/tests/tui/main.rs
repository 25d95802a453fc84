//! The dashboard's integration suite, one test binary: each module is one
//! area (render snapshots, update, search, startup, tasks against a real
//! server), and `helpers` is the deterministic sample data and the App
//! built from it that they share.

mod helpers;

mod flows;
mod reclaim;
mod render;
mod render_panes;
mod search;
mod startup;
mod tasks;
mod update;
mod update_panes;
