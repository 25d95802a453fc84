//! The client's integration suite, one test binary: the local cache
//! (`cache`), profiles and config files (`config`), and the API client and
//! its sync against a real server (`server`, over the harness in `helpers`).

mod helpers;

mod cache;
mod config;
mod export;
mod reclaim;
mod server;
