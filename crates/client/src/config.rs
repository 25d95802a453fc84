//! Profiles: which server to talk to, with which token, and per-profile
//! preferences (read-only, key bindings). Layered as file → environment
//! (`SEATDESK_URL`, `SEATDESK_TOKEN`) → flags (`--profile`, `--readonly`).
//! `SEATDESK_CONFIG_DIR` and `SEATDESK_CACHE_DIR` relocate every file, so
//! tests never touch a user's real directories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Profile used when neither `--profile` nor `default_profile` names one.
pub const DEFAULT_PROFILE: &str = "default";

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "seatdesk", "seatdesk")
}

/// Where `config.toml` and token files live.
pub fn config_dir() -> PathBuf {
    std::env::var_os("SEATDESK_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.config_dir().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from(".seatdesk/config"))
}

/// Where the per-profile caches and the log file live.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("SEATDESK_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| project_dirs().map(|d| d.cache_dir().to_path_buf()))
        .unwrap_or_else(|| PathBuf::from(".seatdesk/cache"))
}

pub fn config_file() -> PathBuf {
    config_dir().join("config.toml")
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The token inline; prefer `token_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub readonly: bool,
    /// Action name → key, e.g. `revoke = "X"`, `quit = "ctrl-q"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, String>,
}

/// The whole `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

impl ConfigFile {
    /// Reads `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => ConfigFile::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(ConfigError::Parse {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
        }
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let write_err = |e: &dyn std::fmt::Display| ConfigError::Write {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| write_err(&e))?;
        }
        let text = toml::to_string_pretty(self).map_err(|e| write_err(&e))?;
        std::fs::write(path, text).map_err(|e| write_err(&e))
    }
}

/// Environment overrides, read once so tests can pass their own.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub url: Option<String>,
    pub token: Option<String>,
}

impl Overrides {
    pub fn from_env() -> Overrides {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Overrides {
            url: var("SEATDESK_URL"),
            token: var("SEATDESK_TOKEN"),
        }
    }
}

/// A profile ready to connect with.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedProfile {
    pub name: String,
    pub url: String,
    pub token: String,
    pub readonly: bool,
    pub keys: BTreeMap<String, String>,
}

impl std::fmt::Debug for ResolvedProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedProfile")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("readonly", &self.readonly)
            .finish_non_exhaustive()
    }
}

impl ResolvedProfile {
    /// The cache file of this profile.
    pub fn cache_path(&self, cache_dir: &Path) -> PathBuf {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        cache_dir.join(format!("{safe}.sqlite"))
    }
}

/// Picks the profile `requested` (or the default) from `file` and applies
/// `overrides`. Without a file entry, `SEATDESK_URL` + `SEATDESK_TOKEN` alone
/// are enough, unless a profile was asked for by name.
pub fn resolve(
    file: &ConfigFile,
    path: &Path,
    requested: Option<&str>,
    overrides: &Overrides,
) -> Result<ResolvedProfile, ConfigError> {
    let name = requested
        .map(str::to_string)
        .or_else(|| file.default_profile.clone())
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string());
    let profile = match file.profiles.get(&name) {
        Some(profile) => profile.clone(),
        None if requested.is_none() && overrides.url.is_some() => Profile::default(),
        None => {
            return Err(ConfigError::MissingProfile {
                name,
                path: path.to_path_buf(),
                available: file.profiles.keys().cloned().collect(),
            });
        }
    };
    let url = overrides
        .url
        .clone()
        .or(profile.url.clone())
        .ok_or_else(|| ConfigError::MissingUrl {
            name: name.clone(),
            path: path.to_path_buf(),
        })?;
    if crate::api::parse_base_url(&url).is_err() {
        return Err(ConfigError::BadUrl { name, url });
    }
    let token = match (&overrides.token, &profile.token, &profile.token_file) {
        (Some(token), _, _) | (None, Some(token), _) => token.trim().to_string(),
        (None, None, Some(file)) => {
            let file = if file.is_relative() {
                path.parent().unwrap_or(Path::new(".")).join(file)
            } else {
                file.clone()
            };
            std::fs::read_to_string(&file)
                .map_err(|e| ConfigError::TokenFile {
                    path: file.clone(),
                    detail: e.to_string(),
                })?
                .trim()
                .to_string()
        }
        (None, None, None) => {
            return Err(ConfigError::MissingToken {
                name,
                path: path.to_path_buf(),
            });
        }
    };
    if token.is_empty() {
        return Err(ConfigError::MissingToken {
            name,
            path: path.to_path_buf(),
        });
    }
    Ok(ResolvedProfile {
        name,
        url,
        token,
        readonly: profile.readonly,
        keys: profile.keys,
    })
}

/// `seatdesk login`: stores `token` in a 0600 file beside the config and
/// records the profile (the first one becomes the default).
pub fn write_login(
    config_path: &Path,
    name: &str,
    url: &str,
    token: &str,
) -> Result<PathBuf, ConfigError> {
    if crate::api::parse_base_url(url).is_err() {
        return Err(ConfigError::BadUrl {
            name: name.to_string(),
            url: url.to_string(),
        });
    }
    let mut file = ConfigFile::load(config_path)?;
    let dir = config_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let token_path = dir.join("tokens").join(format!("{name}.token"));
    write_private(&token_path, token.trim()).map_err(|e| ConfigError::Write {
        path: token_path.clone(),
        detail: e.to_string(),
    })?;
    let entry = file.profiles.entry(name.to_string()).or_default();
    entry.url = Some(url.trim().to_string());
    entry.token = None;
    entry.token_file = Some(token_path.clone());
    if file.default_profile.is_none() {
        file.default_profile = Some(name.to_string());
    }
    file.save(config_path)?;
    Ok(token_path)
}

/// Writes `text` to a file only its owner may read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        out.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut out, text.as_bytes())
}
