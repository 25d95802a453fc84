//! The vocabulary both sides of seatdesk speak: domain enums, role rules,
//! seat arithmetic, code formats and the JSON wire types. No I/O lives here,
//! so the client and server cannot drift apart on what a field means.

pub mod api;
pub mod codes;
pub mod forecast;
pub mod problem;
pub mod role;
pub mod seats;
pub mod sheet;
pub mod vocab;

pub use problem::Problem;
pub use role::{Permission, Role};
pub use vocab::*;
