//! OneRoster 1.1 CSV roster import: districts, schools, teachers, students
//! and staff from a student information system, kept in step with it.
//!
//! [`parse::parse`] reads the files (pure, reusable by a command line);
//! [`apply::apply`] writes them in the caller's transaction.
//!
//! Mapping (the roster owns these fields of the users it imports):
//!
//! | OneRoster                     | seatdesk                              |
//! |-------------------------------|---------------------------------------|
//! | org type `district`           | org kind `district`                   |
//! | org type `school`             | org kind `school`                     |
//! | org type `department`, `local`, `state`, `national` | bad row (not imported) |
//! | org without parentSourcedId   | child of the importing token's org    |
//! | role `teacher`                | kind teacher, roles learner + observable |
//! | role `student`                | kind student, role learner            |
//! | role `administrator`          | kind staff, roles admin + observer    |
//! | role `aide`                   | kind staff, role learner              |
//! | role `proctor`                | kind staff, role proctor              |
//! | role `guardian`/`parent`/`relative` | skipped, counted in a note      |
//! | `enabledUser=false`           | status suspended                      |
//! | `status=tobedeleted`          | status archived, seats freed          |
//! | `email` (or `username` if blank) | email, lower-cased                 |
//! | first resolvable `orgSourcedIds` entry | the user's org               |
//!
//! Users are matched by sourcedId, then by an email not yet tied to another
//! sourcedId (adopting hand-made users). In a bulk users.csv, users imported
//! earlier under the token's subtree and missing from the file are archived;
//! in delta mode only `tobedeleted` archives. Orgs are never deleted or
//! moved by an import. Classes and enrollments are checked and counted, not
//! stored.

pub mod apply;
pub mod parse;

pub use apply::apply;
pub use parse::{Roster, RosterError, parse};

use std::collections::BTreeMap;
use std::path::Path;

/// The `.csv` files of a roster directory, by file name: what a command
/// line sends as `files` (and may check first with [`parse()`]).
pub fn read_dir(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.file_type()?.is_file() && name.to_ascii_lowercase().ends_with(".csv") {
            files.insert(name, std::fs::read_to_string(entry.path())?);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    fn assets(dir: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/oneroster")
            .join(dir)
    }

    #[test]
    fn the_shipped_samples_parse_as_documented() {
        let sample = super::parse(&super::read_dir(&assets("sample")).unwrap()).unwrap();
        assert_eq!(
            (
                sample.orgs.len(),
                sample.users.len(),
                sample.classes.len(),
                sample.enrollments.len()
            ),
            (4, 52, 5, 45)
        );
        assert!(sample.bad_rows.is_empty(), "{:?}", sample.bad_rows);
        let broken = super::parse(&super::read_dir(&assets("broken")).unwrap()).unwrap();
        let lines: Vec<(&str, u64)> = broken
            .bad_rows
            .iter()
            .map(|r| (r.file.as_str(), r.line))
            .collect();
        // Unknown references are found when applying, against the database.
        assert_eq!(
            lines,
            vec![
                ("orgs.csv", 7),
                ("orgs.csv", 8),
                ("users.csv", 55),
                ("users.csv", 57),
                ("users.csv", 58),
                ("users.csv", 59),
                ("enrollments.csv", 49),
            ]
        );
    }
}
