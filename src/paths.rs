//! Where seatdesk keeps its files: the `directories` locations, each
//! overridable by environment so tests never touch a user's real files.

use std::path::PathBuf;

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "seatdesk", "seatdesk")
}

/// The server's data directory (`SEATDESK_DATA_DIR` overrides).
pub fn data_dir() -> PathBuf {
    std::env::var_os("SEATDESK_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.data_dir().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from(".seatdesk"))
}

/// The default database: a SQLite file in the data directory.
pub fn default_db_url() -> String {
    format!("sqlite://{}", data_dir().join("seatdesk.db").display())
}
