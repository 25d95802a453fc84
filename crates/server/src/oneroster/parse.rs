//! Reading OneRoster 1.1 bulk CSV files into checked records. Pure: no
//! database, so a command line can check a roster before sending it.
//!
//! Row-level problems (a missing required field, a duplicate sourcedId, a
//! wrong enum value, a malformed email) become [`BadRow`]s and the other
//! rows still import; only file-level problems (no manifest, a missing
//! header column, a file the manifest lists but that was not sent) refuse
//! the whole import with a [`RosterError`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use seatdesk_core::api::imports::BadRow;
use seatdesk_core::{OrgKind, UserKind, UserRole, UserStatus};

/// The files an import reads; any other file is ignored with a note.
pub const MANIFEST: &str = "manifest.csv";
pub const ORGS: &str = "orgs.csv";
pub const USERS: &str = "users.csv";
pub const CLASSES: &str = "classes.csv";
pub const ENROLLMENTS: &str = "enrollments.csv";
const READ_FILES: [&str; 4] = [ORGS, USERS, CLASSES, ENROLLMENTS];

/// How the manifest says a file is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// The complete set: rows missing from it are gone.
    Bulk,
    /// Only changes; `status=tobedeleted` removes.
    Delta,
    Absent,
}

/// A file-level problem that refuses the whole import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterError(pub String);

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RosterError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub line: u64,
    pub sourced_id: String,
    pub name: String,
    pub kind: OrgKind,
    /// None: the org hangs directly under the importing token's org.
    pub parent: Option<String>,
    pub to_be_deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub line: u64,
    pub sourced_id: String,
    /// The user belongs to the first of these that resolves to an org.
    pub org_ids: Vec<String>,
    pub kind: UserKind,
    /// Sorted, without duplicates.
    pub roles: Vec<UserRole>,
    pub given_name: String,
    pub family_name: String,
    /// Lower-cased.
    pub email: String,
    /// Active, suspended (`enabledUser=false`) or archived (`tobedeleted`).
    pub status: UserStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRecord {
    pub line: u64,
    pub sourced_id: String,
    pub school: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRecord {
    pub line: u64,
    pub sourced_id: String,
    pub class: String,
    pub school: String,
    pub user: String,
}

/// Everything read from one set of files. References between files and to
/// the database are checked when the roster is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub orgs_mode: FileMode,
    pub users_mode: FileMode,
    pub classes_mode: FileMode,
    pub enrollments_mode: FileMode,
    pub orgs: Vec<OrgRecord>,
    pub users: Vec<UserRecord>,
    pub classes: Vec<ClassRecord>,
    pub enrollments: Vec<EnrollmentRecord>,
    pub bad_rows: Vec<BadRow>,
    pub notes: Vec<String>,
    /// Every sourcedId of users.csv, bad rows included: a full import never
    /// archives a user only because their row has a mistake.
    pub user_ids_seen: BTreeSet<String>,
}

/// How a OneRoster user role maps onto seatdesk (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleMapping {
    User(UserKind, Vec<UserRole>),
    /// A valid OneRoster role that holds no licenses (guardians, parents, relatives).
    NotImported,
    Unknown,
}

/// OneRoster `role` → user kind and roles.
pub fn map_role(role: &str) -> RoleMapping {
    use UserRole as R;
    match role.to_ascii_lowercase().as_str() {
        "teacher" => RoleMapping::User(UserKind::Teacher, vec![R::Observable, R::Learner]),
        "student" => RoleMapping::User(UserKind::Student, vec![R::Learner]),
        "administrator" => RoleMapping::User(UserKind::Staff, vec![R::Observer, R::Admin]),
        "aide" => RoleMapping::User(UserKind::Staff, vec![R::Learner]),
        "proctor" => RoleMapping::User(UserKind::Staff, vec![R::Proctor]),
        "guardian" | "parent" | "relative" => RoleMapping::NotImported,
        _ => RoleMapping::Unknown,
    }
}

/// OneRoster org `type` → org kind; `Err` says why the row is refused.
pub fn map_org_type(kind: &str) -> Result<OrgKind, String> {
    match kind.to_ascii_lowercase().as_str() {
        "district" => Ok(OrgKind::District),
        "school" => Ok(OrgKind::School),
        "department" | "local" | "state" | "national" => Err(format!(
            "org type '{kind}' is not imported: seatdesk holds districts and schools"
        )),
        _ => Err(format!(
            "type '{kind}' is not a OneRoster org type (district, school, department, local, state, national)"
        )),
    }
}

/// Reads `files` (file name → CSV text). File names are matched
/// case-insensitively; files other than the five read are noted and skipped.
pub fn parse(files: &BTreeMap<String, String>) -> Result<Roster, RosterError> {
    let by_name: BTreeMap<String, &str> = files
        .iter()
        .map(|(name, text)| (name.trim().to_ascii_lowercase(), text.as_str()))
        .collect();
    if by_name.len() < files.len() {
        return Err(RosterError(
            "two files have the same name apart from letter case".to_string(),
        ));
    }
    let manifest = by_name.get(MANIFEST).ok_or_else(|| {
        RosterError(format!(
            "{MANIFEST} is required: it says which files are sent as bulk or delta"
        ))
    })?;
    let modes = read_manifest(manifest)?;
    let mut roster = Roster {
        orgs_mode: modes[0],
        users_mode: modes[1],
        classes_mode: modes[2],
        enrollments_mode: modes[3],
        orgs: Vec::new(),
        users: Vec::new(),
        classes: Vec::new(),
        enrollments: Vec::new(),
        bad_rows: Vec::new(),
        notes: Vec::new(),
        user_ids_seen: BTreeSet::new(),
    };
    for name in by_name.keys() {
        if name == MANIFEST {
            continue;
        }
        match READ_FILES.iter().position(|f| f == name) {
            None => roster.notes.push(format!(
                "{name} ignored: seatdesk reads only {}",
                READ_FILES.join(", ")
            )),
            Some(i) if modes[i] == FileMode::Absent => roster.notes.push(format!(
                "{name} ignored: {MANIFEST} does not list it as bulk or delta"
            )),
            Some(_) => {}
        }
    }
    let text_of = |name: &str, mode: FileMode| -> Result<Option<&str>, RosterError> {
        if mode == FileMode::Absent {
            return Ok(None);
        }
        by_name.get(name).copied().map(Some).ok_or_else(|| {
            RosterError(format!(
                "{MANIFEST} lists {name} as {} but the file was not sent",
                if mode == FileMode::Bulk {
                    "bulk"
                } else {
                    "delta"
                }
            ))
        })
    };
    if let Some(text) = text_of(ORGS, roster.orgs_mode)? {
        read_orgs(&mut roster, text)?;
    }
    if let Some(text) = text_of(USERS, roster.users_mode)? {
        read_users(&mut roster, text)?;
    }
    if let Some(text) = text_of(CLASSES, roster.classes_mode)? {
        read_classes(&mut roster, text)?;
    }
    if let Some(text) = text_of(ENROLLMENTS, roster.enrollments_mode)? {
        read_enrollments(&mut roster, text)?;
    }
    Ok(roster)
}

/// `file.orgs,bulk` lines → modes of orgs, users, classes, enrollments.
fn read_manifest(text: &str) -> Result<[FileMode; 4], RosterError> {
    let table = Table::read(MANIFEST, text, &["propertyName", "value"])?;
    let mut modes = [FileMode::Absent; 4];
    for row in &table.rows {
        let property = row.get("propertyname").to_ascii_lowercase();
        let value = row.get("value").to_ascii_lowercase();
        if property == "oneroster.version" && value != "1.1" {
            return Err(RosterError(format!(
                "{MANIFEST} says oneroster.version {value}; seatdesk reads OneRoster 1.1"
            )));
        }
        let Some(file) = property.strip_prefix("file.") else {
            continue;
        };
        let Some(i) = READ_FILES.iter().position(|f| *f == format!("{file}.csv")) else {
            continue;
        };
        modes[i] = match value.as_str() {
            "bulk" => FileMode::Bulk,
            "delta" => FileMode::Delta,
            "absent" => FileMode::Absent,
            _ => {
                return Err(RosterError(format!(
                    "{MANIFEST} line {}: file.{file} must be bulk, delta or absent, not '{value}'",
                    row.line
                )));
            }
        };
    }
    Ok(modes)
}

/// Parsed rows of one CSV file, fields trimmed, looked up by lower-cased header.
struct Table {
    columns: HashMap<String, usize>,
    rows: Vec<Row>,
}

struct Row {
    line: u64,
    fields: Vec<String>,
}

impl Row {
    fn get(&self, column: &str) -> &str {
        self.fields
            .get(column_index(column))
            .map_or("", String::as_str)
    }
}

/// Rows store their fields in the order of `Table::wanted`, so this maps a
/// column name to its slot. Unknown names read as empty.
fn column_index(column: &str) -> usize {
    ALL_COLUMNS
        .iter()
        .position(|c| *c == column)
        .unwrap_or(usize::MAX)
}

/// Every column any file is read for, lower-cased.
const ALL_COLUMNS: &[&str] = &[
    "propertyname",
    "value",
    "sourcedid",
    "status",
    "name",
    "type",
    "parentsourcedid",
    "enableduser",
    "orgsourcedids",
    "role",
    "username",
    "givenname",
    "familyname",
    "email",
    "title",
    "schoolsourcedid",
    "classsourcedid",
    "usersourcedid",
];

impl Table {
    /// Reads `text`, refusing the file when a `required` column is missing.
    /// A row with the wrong number of fields is a bad row, not a refusal.
    fn read(file: &str, text: &str, required: &[&str]) -> Result<Table, RosterError> {
        Table::read_collecting(file, text, required, &mut Vec::new())
    }

    fn read_collecting(
        file: &str,
        text: &str,
        required: &[&str],
        bad_rows: &mut Vec<BadRow>,
    ) -> Result<Table, RosterError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| RosterError(format!("{file} is not readable CSV: {e}")))?
            .clone();
        let columns: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase(),
                    i,
                )
            })
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .filter(|c| !columns.contains_key(&c.to_ascii_lowercase()))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(RosterError(format!(
                "{file} has no {} column{} (its header is '{}')",
                missing.join(", "),
                if missing.len() == 1 { "" } else { "s" },
                headers.iter().collect::<Vec<_>>().join(",")
            )));
        }
        let mut rows = Vec::new();
        let mut lines = LineCounter::new(text);
        for record in reader.records() {
            match record {
                Ok(record) => {
                    let line = record.position().map_or(0, |p| lines.at(p.byte()));
                    let fields = ALL_COLUMNS
                        .iter()
                        .map(|c| {
                            columns
                                .get(*c)
                                .and_then(|&i| record.get(i))
                                .unwrap_or("")
                                .to_string()
                        })
                        .collect();
                    rows.push(Row { line, fields });
                }
                Err(error) => {
                    let line = error.position().map_or(0, |p| lines.at(p.byte()));
                    let reason = match error.kind() {
                        csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => format!("the row has {len} fields but the header has {expected_len}"),
                        _ => format!("the row is not valid CSV: {error}"),
                    };
                    bad_rows.push(bad(file, line, reason));
                    if line == 0 {
                        // Without a position the reader cannot go on reliably.
                        break;
                    }
                }
            }
        }
        Ok(Table { columns, rows })
    }
}

/// Physical line numbers from byte offsets. The csv reader's own line
/// count is one short in CRLF files, so lines are counted here, in one pass
/// over the text as the reader moves forward.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of the record the reader says starts at byte `offset`
    /// (offsets only move forward). With CRLF endings the reader's offset
    /// can fall on the terminator's `\n`; a record never starts with a line
    /// break, so those are stepped over first.
    fn at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while offset < self.text.len() && matches!(self.text[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset > self.byte {
            let newlines = self.text[self.byte..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.byte = offset;
        }
        self.line
    }
}

fn bad(file: &str, line: u64, reason: impl Into<String>) -> BadRow {
    BadRow {
        file: file.to_string(),
        line,
        reason: reason.into(),
    }
}

/// Collects the reasons one row is refused.
struct Check<'a> {
    row: &'a Row,
    reasons: Vec<String>,
}

impl<'a> Check<'a> {
    fn new(row: &'a Row) -> Self {
        Check {
            row,
            reasons: Vec::new(),
        }
    }

    /// The value of a column that must not be empty.
    fn required(&mut self, column: &str, header: &str) -> String {
        let value = self.row.get(column);
        if value.is_empty() {
            self.reasons.push(format!("{header} is required"));
        } else if value.chars().count() > 200 {
            self.reasons
                .push(format!("{header} is longer than 200 characters"));
        }
        value.to_string()
    }

    /// `status`: blank or `active` → false, `tobedeleted` → true.
    fn marked_deleted(&mut self) -> bool {
        match self.row.get("status").to_ascii_lowercase().as_str() {
            "" | "active" => false,
            "tobedeleted" => true,
            other => {
                self.reasons.push(format!(
                    "status '{other}' is not a OneRoster status (active, tobedeleted)"
                ));
                false
            }
        }
    }

    fn finish(self, file: &str, bad_rows: &mut Vec<BadRow>) -> bool {
        if self.reasons.is_empty() {
            return true;
        }
        bad_rows.push(bad(file, self.row.line, self.reasons.join("; ")));
        false
    }
}

/// Remembers sourcedIds (or emails) of a file; the second use of one is a bad row.
#[derive(Default)]
struct FirstSeen(HashMap<String, u64>);

impl FirstSeen {
    fn claim(&mut self, what: &str, value: &str, line: u64) -> Option<String> {
        if value.is_empty() {
            return None;
        }
        match self.0.get(value) {
            Some(first) => Some(format!(
                "duplicate {what} '{value}' (first on line {first})"
            )),
            None => {
                self.0.insert(value.to_string(), line);
                None
            }
        }
    }
}

fn read_orgs(roster: &mut Roster, text: &str) -> Result<(), RosterError> {
    let table = Table::read_collecting(
        ORGS,
        text,
        &["sourcedId", "name", "type"],
        &mut roster.bad_rows,
    )?;
    let mut seen = FirstSeen::default();
    for row in &table.rows {
        let mut check = Check::new(row);
        let sourced_id = check.required("sourcedid", "sourcedId");
        let to_be_deleted = check.marked_deleted();
        let name = check.required("name", "name");
        let kind_text = check.required("type", "type");
        let kind = if kind_text.is_empty() {
            None
        } else {
            map_org_type(&kind_text)
                .map_err(|reason| check.reasons.push(reason))
                .ok()
        };
        if let Some(duplicate) = seen.claim("sourcedId", &sourced_id, row.line) {
            check.reasons.push(duplicate);
        }
        let parent = Some(row.get("parentsourcedid").to_string()).filter(|p| !p.is_empty());
        if parent.as_deref() == Some(sourced_id.as_str()) {
            check.reasons.push("the org is its own parent".to_string());
        }
        if check.finish(ORGS, &mut roster.bad_rows) {
            roster.orgs.push(OrgRecord {
                line: row.line,
                sourced_id,
                name,
                kind: kind.unwrap_or(OrgKind::School),
                parent,
                to_be_deleted,
            });
        }
    }
    Ok(())
}

fn read_users(roster: &mut Roster, text: &str) -> Result<(), RosterError> {
    let table = Table::read_collecting(
        USERS,
        text,
        &[
            "sourcedId",
            "enabledUser",
            "orgSourcedIds",
            "role",
            "username",
            "givenName",
            "familyName",
        ],
        &mut roster.bad_rows,
    )?;
    let has_email = table.columns.contains_key("email");
    let mut seen = FirstSeen::default();
    let mut emails = FirstSeen::default();
    let mut not_imported = 0;
    for row in &table.rows {
        let mut check = Check::new(row);
        let sourced_id = check.required("sourcedid", "sourcedId");
        roster.user_ids_seen.insert(sourced_id.clone());
        let to_be_deleted = check.marked_deleted();
        let role = check.required("role", "role");
        let mapping = map_role(&role);
        if mapping == RoleMapping::NotImported {
            not_imported += 1;
            continue;
        }
        if !role.is_empty() && mapping == RoleMapping::Unknown {
            check.reasons.push(format!(
                "role '{role}' is not a OneRoster role (administrator, aide, guardian, parent, proctor, relative, student, teacher)"
            ));
        }
        let enabled = match row.get("enableduser").to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            "" => {
                check.reasons.push("enabledUser is required".to_string());
                true
            }
            other => {
                check
                    .reasons
                    .push(format!("enabledUser must be true or false, not '{other}'"));
                true
            }
        };
        let org_ids: Vec<String> = row
            .get("orgsourcedids")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if org_ids.is_empty() {
            check.reasons.push("orgSourcedIds is required".to_string());
        }
        let username = check.required("username", "username");
        let given_name = check.required("givenname", "givenName");
        let family_name = check.required("familyname", "familyName");
        // seatdesk users need an email; OneRoster makes it optional, and
        // many rosters use the email as username.
        let email_text = if has_email && !row.get("email").is_empty() {
            row.get("email")
        } else {
            username.as_str()
        };
        let email = if email_text.is_empty() {
            String::new()
        } else {
            match crate::domain::users::normalize_email(email_text) {
                Ok(email) => email,
                Err(_) if has_email && row.get("email").is_empty() => {
                    check.reasons.push(
                        "email is required (seatdesk users sign in by email) and username is not an email"
                            .to_string(),
                    );
                    String::new()
                }
                Err(reason) => {
                    check.reasons.push(reason);
                    String::new()
                }
            }
        };
        if let Some(duplicate) = seen.claim("sourcedId", &sourced_id, row.line) {
            check.reasons.push(duplicate);
        } else if let Some(duplicate) = emails.claim("email", &email, row.line) {
            check.reasons.push(duplicate);
        }
        if check.finish(USERS, &mut roster.bad_rows) {
            let RoleMapping::User(kind, mut roles) = mapping else {
                continue;
            };
            roles.sort();
            roles.dedup();
            roster.users.push(UserRecord {
                line: row.line,
                sourced_id,
                org_ids,
                kind,
                roles,
                given_name,
                family_name,
                email,
                status: if to_be_deleted {
                    UserStatus::Archived
                } else if enabled {
                    UserStatus::Active
                } else {
                    UserStatus::Suspended
                },
            });
        }
    }
    if not_imported > 0 {
        roster.notes.push(format!(
            "{USERS}: {not_imported} guardian, parent or relative rows skipped (they hold no licenses)"
        ));
    }
    Ok(())
}

fn read_classes(roster: &mut Roster, text: &str) -> Result<(), RosterError> {
    let table = Table::read_collecting(
        CLASSES,
        text,
        &["sourcedId", "title", "schoolSourcedId"],
        &mut roster.bad_rows,
    )?;
    let mut seen = FirstSeen::default();
    for row in &table.rows {
        let mut check = Check::new(row);
        let sourced_id = check.required("sourcedid", "sourcedId");
        check.marked_deleted();
        check.required("title", "title");
        let school = check.required("schoolsourcedid", "schoolSourcedId");
        if let Some(duplicate) = seen.claim("sourcedId", &sourced_id, row.line) {
            check.reasons.push(duplicate);
        }
        if check.finish(CLASSES, &mut roster.bad_rows) {
            roster.classes.push(ClassRecord {
                line: row.line,
                sourced_id,
                school,
            });
        }
    }
    Ok(())
}

fn read_enrollments(roster: &mut Roster, text: &str) -> Result<(), RosterError> {
    let table = Table::read_collecting(
        ENROLLMENTS,
        text,
        &[
            "sourcedId",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
        ],
        &mut roster.bad_rows,
    )?;
    let mut seen = FirstSeen::default();
    for row in &table.rows {
        let mut check = Check::new(row);
        let sourced_id = check.required("sourcedid", "sourcedId");
        check.marked_deleted();
        let class = check.required("classsourcedid", "classSourcedId");
        let school = check.required("schoolsourcedid", "schoolSourcedId");
        let user = check.required("usersourcedid", "userSourcedId");
        let role = check.required("role", "role");
        if !role.is_empty()
            && !["administrator", "proctor", "student", "teacher", "aide"]
                .contains(&role.to_ascii_lowercase().as_str())
        {
            check.reasons.push(format!(
                "role '{role}' is not a OneRoster enrollment role (administrator, proctor, student, teacher)"
            ));
        }
        if let Some(duplicate) = seen.claim("sourcedId", &sourced_id, row.line) {
            check.reasons.push(duplicate);
        }
        if check.finish(ENROLLMENTS, &mut roster.bad_rows) {
            roster.enrollments.push(EnrollmentRecord {
                line: row.line,
                sourced_id,
                class,
                school,
                user,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect()
    }

    const MANIFEST_USERS: &str = "propertyName,value\nfile.users,bulk\nfile.orgs,absent\n";

    #[test]
    fn headers_match_in_any_case_and_order_and_extra_columns_are_ignored() {
        let roster = parse(&files(&[
            ("Manifest.csv", MANIFEST_USERS),
            (
                "users.csv",
                "\u{feff}FAMILYNAME,givenname,Role,favouriteColour,sourcedid,username,orgSourcedIds,enabledUser\n\
                 Okafor,James,Teacher,green,u1,James.Okafor@Example.org,\"o1, o2\",TRUE\n",
            ),
        ]))
        .unwrap();
        assert!(roster.bad_rows.is_empty(), "{:?}", roster.bad_rows);
        let user = &roster.users[0];
        assert_eq!(
            user.email, "james.okafor@example.org",
            "username stands in for email"
        );
        assert_eq!(user.org_ids, vec!["o1", "o2"]);
        assert_eq!(user.kind, UserKind::Teacher);
        assert_eq!(user.roles, vec![UserRole::Observable, UserRole::Learner]);
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(roster.users_mode, FileMode::Bulk);
        assert_eq!(roster.orgs_mode, FileMode::Absent);
    }

    #[test]
    fn line_numbers_are_physical_lines_with_crlf_endings_too() {
        for newline in ["\n", "\r\n"] {
            let users = [
                "sourcedId,status,enabledUser,orgSourcedIds,role,username,givenName,familyName,email",
                "u1,,true,o1,student,a,Ann,Lee,ann@example.org",
                "\"u5\",,true,o1,student,\"multi",
                "line\",Cy,Lee,cy@example.org",
                "u1,,true,o1,student,b,Bo,Lee,bo@example.org",
                "u2,gone,maybe,,wizard,c,,Lee,nope",
            ]
            .join(newline);
            let manifest = MANIFEST_USERS.replace('\n', newline);
            let roster = parse(&files(&[
                ("manifest.csv", manifest.as_str()),
                ("users.csv", users.as_str()),
            ]))
            .unwrap();
            let lines: Vec<u64> = roster.bad_rows.iter().map(|r| r.line).collect();
            // The quoted field spans lines 3-4: the next rows are on 5 and 6.
            assert_eq!(lines, vec![5, 6], "{newline:?}: {:?}", roster.bad_rows);
            assert!(
                roster.bad_rows[0].reason.contains("first on line 2"),
                "{:?}",
                roster.bad_rows[0]
            );
        }
    }

    #[test]
    fn bad_rows_carry_their_line_and_every_reason() {
        let roster = parse(&files(&[
            ("manifest.csv", MANIFEST_USERS),
            (
                "users.csv",
                "sourcedId,status,enabledUser,orgSourcedIds,role,username,givenName,familyName,email\n\
                 u1,,true,o1,student,a,Ann,Lee,ann@example.org\n\
                 u1,,true,o1,student,b,Bo,Lee,bo@example.org\n\
                 u2,gone,maybe,,wizard,c,,Lee,nope\n\
                 u3,tobedeleted,false,o1,parent,d,Di,Lee,di@example.org\n\
                 u4,tobedeleted,false,o1,aide,e,Ed,Lee,ann@example.org\n",
            ),
        ]))
        .unwrap();
        assert_eq!(roster.users.len(), 1);
        let lines: Vec<u64> = roster.bad_rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 6]);
        assert!(
            roster.bad_rows[0]
                .reason
                .contains("duplicate sourcedId 'u1' (first on line 2)")
        );
        let many = &roster.bad_rows[1].reason;
        for part in [
            "status 'gone'",
            "role 'wizard'",
            "enabledUser must be",
            "orgSourcedIds is required",
            "givenName is required",
            "email 'nope'",
        ] {
            assert!(many.contains(part), "{many} lacks {part}");
        }
        assert!(roster.bad_rows[2].reason.contains("duplicate email"));
        assert!(
            roster
                .notes
                .iter()
                .any(|n| n.contains("1 guardian, parent or relative"))
        );
        assert_eq!(
            roster.user_ids_seen.len(),
            4,
            "bad rows still count as listed"
        );
    }

    #[test]
    fn file_level_problems_refuse_the_import() {
        let missing_manifest = parse(&files(&[("users.csv", "sourcedId\n")])).unwrap_err();
        assert!(missing_manifest.0.contains("manifest.csv is required"));
        let not_sent = parse(&files(&[("manifest.csv", MANIFEST_USERS)])).unwrap_err();
        assert!(not_sent.0.contains("lists users.csv as bulk"));
        let bad_mode = parse(&files(&[(
            "manifest.csv",
            "propertyName,value\nfile.users,sometimes\n",
        )]))
        .unwrap_err();
        assert!(bad_mode.0.contains("must be bulk, delta or absent"));
        let wrong_version = parse(&files(&[(
            "manifest.csv",
            "propertyName,value\noneroster.version,1.2\n",
        )]))
        .unwrap_err();
        assert!(wrong_version.0.contains("OneRoster 1.1"));
        let no_header = parse(&files(&[
            ("manifest.csv", MANIFEST_USERS),
            ("users.csv", "sourcedId,role\nu1,student\n"),
        ]))
        .unwrap_err();
        assert!(
            no_header.0.contains(
                "has no enabledUser, orgSourcedIds, username, givenName, familyName columns"
            ),
            "{no_header}"
        );
    }

    #[test]
    fn org_types_and_roles_map_as_documented() {
        assert_eq!(map_org_type("District"), Ok(OrgKind::District));
        assert_eq!(map_org_type("school"), Ok(OrgKind::School));
        assert!(map_org_type("state").unwrap_err().contains("not imported"));
        assert!(
            map_org_type("campus")
                .unwrap_err()
                .contains("not a OneRoster org type")
        );
        assert_eq!(
            map_role("administrator"),
            RoleMapping::User(UserKind::Staff, vec![UserRole::Observer, UserRole::Admin])
        );
        assert_eq!(
            map_role("proctor"),
            RoleMapping::User(UserKind::Staff, vec![UserRole::Proctor])
        );
        assert_eq!(
            map_role("student"),
            RoleMapping::User(UserKind::Student, vec![UserRole::Learner])
        );
        assert_eq!(map_role("guardian"), RoleMapping::NotImported);
        assert_eq!(map_role("principal"), RoleMapping::Unknown);
    }
}
