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
