//! Domain operations below the HTTP layer, each rule in one place: routes
//! extract, authorize, call these and render; alerts, roster imports and
//! the demo call them too, never a route module.
//!
//! | rule | home |
//! |---|---|
//! | subtree scope | [`scope::Scope`] |
//! | live seat statuses | [`live::live_seat`], [`live::is_live`] |
//! | seat take / release | [`seats::take_seat`], [`seats::release_seats`] |
//! | license usable for new seats | [`licenses::unusable_reason`] |
//! | allocation down the tree | [`licenses::allocate`] |
//! | revocation refusal (student edition) | [`revocation::students_block_sql`] |
//! | restore limits | [`restore::restore_seats`] |
//! | role rules | [`role_rules::apply_role_rules`] |
//! | request submission and decision | [`requests::submit`], [`requests::approve`] |
//! | dashboard figures | [`dashboard::compute`] |
//! | access check conditions | [`triage::access_check`] |
//! | code batches (promised seats) | [`codes::create_batch`] |
//! | redemption guessing limits | [`guessing::Attempt`] |
//! | reclaim rules, runs, seen reports | [`reclaim::Selection`], [`reclaim::run_policy`] |

pub mod claims;
pub mod codes;
pub mod dashboard;
pub mod guessing;
pub mod licenses;
pub mod live;
pub mod orgs;
pub mod reclaim;
pub mod redemption;
pub mod requests;
pub mod restore;
pub mod revocation;
pub mod role_rules;
pub mod scope;
pub mod seats;
pub mod triage;
pub mod users;
