//! Profiles: resolution order, overrides and the errors a person sees.

use std::collections::BTreeMap;
use std::path::Path;

use seatdesk_client::config::{ConfigFile, resolve, write_login};
use seatdesk_client::{ConfigError, Overrides};

const VALID: &str = r#"
default_profile = "district"

[profiles.district]
url = "https://seatdesk.example.org"
token_file = "tokens/district.token"
readonly = true

[profiles.district.keys]
revoke = "X"

[profiles.local]
url = "http://127.0.0.1:8700"
token = "inline-secret"
"#;

fn setup() -> (tempfile::TempDir, ConfigFile, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::create_dir_all(dir.path().join("tokens")).unwrap();
    std::fs::write(dir.path().join("tokens/district.token"), "file-secret\n").unwrap();
    let file = ConfigFile::parse(&path, VALID).unwrap();
    (dir, file, path)
}

#[test]
fn the_default_profile_reads_its_token_file() {
    let (_dir, file, path) = setup();
    let profile = resolve(&file, &path, None, &Overrides::default()).unwrap();
    assert_eq!(profile.name, "district");
    assert_eq!(profile.token, "file-secret");
    assert!(profile.readonly);
    assert_eq!(
        profile.keys,
        BTreeMap::from([("revoke".to_string(), "X".to_string())])
    );
}

#[test]
fn environment_overrides_the_file_and_flags_pick_the_profile() {
    let (_dir, file, path) = setup();
    let overrides = Overrides {
        url: Some("http://10.0.0.1:9000".into()),
        token: Some("env-secret".into()),
    };
    let profile = resolve(&file, &path, Some("local"), &overrides).unwrap();
    assert_eq!(
        (profile.url.as_str(), profile.token.as_str()),
        ("http://10.0.0.1:9000", "env-secret")
    );
    let profile = resolve(&file, &path, Some("local"), &Overrides::default()).unwrap();
    assert_eq!(profile.token, "inline-secret");
}

#[test]
fn a_missing_profile_names_the_ones_there_are() {
    let (_dir, file, path) = setup();
    let error = resolve(&file, &path, Some("nope"), &Overrides::default()).unwrap_err();
    assert!(matches!(error, ConfigError::MissingProfile { .. }));
    let text = error.to_string();
    assert!(
        text.contains("'nope'")
            && text.contains("district, local")
            && text.contains("seatdesk login"),
        "{text}"
    );
    // No file at all and no environment: told to log in.
    let empty = ConfigFile::default();
    let error = resolve(&empty, &path, None, &Overrides::default()).unwrap_err();
    assert!(error.to_string().contains("seatdesk login"), "{error}");
}

#[test]
fn bad_urls_and_bad_files_are_reported() {
    let (_dir, mut file, path) = setup();
    file.profiles.get_mut("local").unwrap().url = Some("127.0.0.1:8700".into());
    let error = resolve(&file, &path, Some("local"), &Overrides::default()).unwrap_err();
    assert!(matches!(error, ConfigError::BadUrl { .. }), "{error}");
    let error = ConfigFile::parse(Path::new("c.toml"), "[profiles.x]\nurl = 3\n").unwrap_err();
    assert!(error.to_string().contains("c.toml"), "{error}");
    let error =
        ConfigFile::parse(Path::new("c.toml"), "[profiles.x]\nmystery = true\n").unwrap_err();
    assert!(error.to_string().contains("mystery"), "{error}");
}

#[test]
fn login_writes_a_private_token_file_and_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cfg").join("config.toml");
    let token_path = write_login(&path, "work", "http://127.0.0.1:8700", "  s3cret\n").unwrap();
    assert_eq!(std::fs::read_to_string(&token_path).unwrap(), "s3cret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let file = ConfigFile::load(&path).unwrap();
    assert_eq!(file.default_profile.as_deref(), Some("work"));
    let profile = resolve(&file, &path, None, &Overrides::default()).unwrap();
    assert_eq!(profile.token, "s3cret");
    assert!(write_login(&path, "x", "nope", "t").is_err());
}
