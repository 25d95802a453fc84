//! Demo data: fills a fresh database with a realistic, deterministic
//! licensing world (CCI Learning's centers and McGraw-Hill-style districts,
//! their products, licenses, people, claims in every status and codes), at
//! any scale up to millions of claims, for `seatdesk demo`, `seatdesk serve
//! --demo-data` and benchmarks.
//!
//! Loading is a planned bulk write, not a replay of API calls: the plan is
//! drawn from a fixed-seed generator (same scale and day → same rows), ids
//! are assigned up front, counters are written already equal to the rows
//! they count, and everything goes in inside one write transaction, so a
//! failed load leaves nothing behind: multi-row INSERTs on SQLite; on
//! PostgreSQL COPY into tables stripped of their secondary indexes and
//! foreign keys, which are built back and checked once at the end.

mod catalog;
mod codes;
mod licenses;
mod names;
mod people;
mod seats;
mod structure;
mod tree;

use std::time::{Duration, Instant};

use crate::db::Conn;
use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;
use seatdesk_core::SeatStatus;
use serde::Serialize;

use crate::db::types::Stamp;
use crate::db::{Backend, Db};
use crate::store::audit::{self, NewEvent};
use crate::store::counters;
use crate::store::demo as store;

/// The generator's seed: the demo is the same world every time.
pub const SEED: u64 = 0x5EA7_DE5C;

/// The scale `seatdesk demo` loads by default: a few seconds of loading.
pub const DEFAULT_CLAIMS: u64 = 20_000;

/// The largest scale accepted.
pub const MAX_CLAIMS: u64 = 20_000_000;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database is not empty ({licenses} licenses, {users} users, {products} products); \
         demo data is loaded only into a fresh database"
    )]
    NotEmpty {
        licenses: i64,
        users: i64,
        products: i64,
    },
    #[error("the demo scale must be between 1 and {MAX_CLAIMS} claims, not {0}")]
    BadScale(u64),
    #[error("loading demo data failed: {0}")]
    Db(#[from] sqlx::Error),
}

/// Seat rows written, per status.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SeatTally {
    pub pending: u64,
    /// Of the pending, how many were assigned months ago.
    pub long_pending: u64,
    pub active: u64,
    pub expired: u64,
    pub revoked: u64,
    pub redemption_codes: u64,
}

impl SeatTally {
    fn add(&mut self, status: SeatStatus, long_pending: bool) {
        match status {
            SeatStatus::Pending => self.pending += 1,
            SeatStatus::Active => self.active += 1,
            SeatStatus::Expired => self.expired += 1,
            SeatStatus::Revoked => self.revoked += 1,
        }
        if long_pending {
            self.long_pending += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.pending + self.active + self.expired + self.revoked
    }
}

/// What a load wrote; also the `after` of its `demo.load` audit event.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub seed: u64,
    pub today: String,
    pub requested_claims: u64,
    /// The root org everything hangs under: a system_admin token for it
    /// sees the whole demo.
    pub root_org_id: i64,
    pub root_org_path: String,
    pub orgs: u64,
    pub accounts: u64,
    pub products: u64,
    pub licenses: u64,
    pub users: u64,
    pub seats: SeatTally,
    pub master_codes: u64,
    pub resource_codes: u64,
    pub code_batches: u64,
    pub activation_codes: u64,
    pub role_rules: u64,
    pub requests: u64,
    /// Ids of the special cases, for demos and tests.
    pub renewal_license_id: i64,
    pub requested_license_id: i64,
    pub deactivated_license_id: i64,
    pub depleted_license_id: i64,
    pub parent_license_id: i64,
}

/// A load's result: what was written and how long it took.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub summary: Summary,
    pub elapsed: Duration,
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "{} claims ({} active, {} pending, {} expired, {} revoked) on {} licenses for {} users \
             in {} orgs, {} codes, in {:.1}s",
            s.seats.total(),
            s.seats.active,
            s.seats.pending,
            s.seats.expired,
            s.seats.revoked,
            s.licenses,
            s.users,
            s.orgs,
            s.master_codes + s.resource_codes + s.activation_codes + s.seats.redemption_codes,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Next ids of one table, read from the database before the load.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NextId(i64);

impl NextId {
    fn take(&mut self) -> i64 {
        self.take_many(1)
    }

    /// Reserves `n` consecutive ids and returns the first.
    fn take_many(&mut self, n: i64) -> i64 {
        let first = self.0;
        self.0 += n;
        first
    }
}

/// Next free id of every table the demo writes. The demo assigns ids itself
/// so rows can point at each other without a round trip per row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ids {
    org: NextId,
    account: NextId,
    product: NextId,
    license: NextId,
    user: NextId,
    seat: NextId,
    batch: NextId,
    code: NextId,
    request: NextId,
    role_rule: NextId,
}

async fn next_id(conn: &mut Conn, table: &store::Table) -> Result<NextId, sqlx::Error> {
    Ok(NextId(store::max_id(conn, table).await? + 1))
}

impl Ids {
    async fn read(conn: &mut Conn) -> Result<Ids, sqlx::Error> {
        Ok(Ids {
            org: next_id(conn, &store::ORGS).await?,
            account: next_id(conn, &store::ACCOUNTS).await?,
            product: next_id(conn, &store::PRODUCTS).await?,
            license: next_id(conn, &store::LICENSES).await?,
            user: next_id(conn, &store::USERS).await?,
            seat: next_id(conn, &store::SEATS).await?,
            batch: next_id(conn, &store::CODE_BATCHES).await?,
            code: next_id(conn, &store::CODES).await?,
            request: next_id(conn, &store::REQUESTS).await?,
            role_rule: next_id(conn, &store::ROLE_RULES).await?,
        })
    }
}

/// Refuses unless the database holds no licenses, users or products (orgs
/// and tokens made to bootstrap are fine: the demo hangs under the root).
async fn ensure_fresh(conn: &mut Conn) -> Result<(), DemoError> {
    let licenses = store::row_count(conn, &store::LICENSES).await?;
    let users = store::row_count(conn, &store::USERS).await?;
    let products = store::row_count(conn, &store::PRODUCTS).await?;
    if licenses + users + products > 0 {
        return Err(DemoError::NotEmpty {
            licenses,
            users,
            products,
        });
    }
    Ok(())
}

/// The oldest root org, if any: the demo hangs under it.
async fn existing_root(conn: &mut Conn) -> Result<Option<tree::ExistingRoot>, sqlx::Error> {
    let row = store::oldest_root(conn).await?;
    Ok(row.map(|(id, name, path)| tree::ExistingRoot { id, name, path }))
}

/// Fills a fresh database with about `claims` seat rows and everything
/// around them, as the world looks on `today`. The same `claims` and
/// `today` on an equally fresh database give the same rows.
pub async fn load(db: &Db, claims: u64, today: NaiveDate) -> Result<DemoSummary, DemoError> {
    if claims == 0 || claims > MAX_CLAIMS {
        return Err(DemoError::BadScale(claims));
    }
    let started = Instant::now();
    let mut tx = db.begin_write().await?;
    let conn: &mut Conn = &mut tx.tx;
    ensure_fresh(conn).await?;
    if db.backend == Backend::Sqlite {
        // Seats carry six indexes; a page cache that holds them turns
        // random index inserts from disk reads into memory writes.
        store::set_page_cache(conn, true).await?;
    }
    let deferred = match db.backend {
        Backend::Postgres => Some(store::defer_for_load(conn).await?),
        Backend::Sqlite => None,
    };
    let root = existing_root(conn).await?;
    let mut ids = Ids::read(conn).await?;
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut codes = codes::CodeSet::default();
    let today_ms = tree::day_ms(today);
    let created = today_ms - 730 * people::DAY_MS;

    // Scale: districts carry most seats, centers the rest. Their numbers
    // grow with the square root of the scale, so a small demo still shows a
    // few of each and a large one has neither thousands of orgs nor
    // absurdly large licenses.
    let root_claims = (claims as f64).sqrt();
    let district_count = ((root_claims / 40.0) as usize).clamp(2, 60);
    let center_count = ((root_claims / 30.0) as usize).clamp(3, 80);
    let district_budget = claims as f64 * 0.78 / district_count as f64;
    let center_budget = claims as f64 * 0.22 / center_count as f64;

    let mut tree = tree::build(&mut rng, &mut ids, root, district_count, center_count);
    let first_product = ids.product.take_many(catalog::PRODUCTS.len() as i64);
    let inventory = licenses::build(
        &mut rng,
        &mut ids,
        &mut codes,
        &mut tree,
        today,
        district_budget,
        center_budget,
    );
    people::number_people(&mut tree, &mut ids);
    debug_assert!(licenses::slices_fit(
        &inventory,
        &tree.districts,
        &tree.centers
    ));

    let root_org = &tree.orgs[tree.root];
    let mut summary = Summary {
        seed: SEED,
        today: today.to_string(),
        requested_claims: claims,
        root_org_id: root_org.id,
        root_org_path: root_org.path.clone(),
        orgs: tree.orgs.iter().filter(|o| o.insert).count() as u64,
        accounts: tree.accounts.len() as u64,
        products: catalog::PRODUCTS.len() as u64,
        licenses: inventory.licenses.len() as u64,
        renewal_license_id: inventory.specials.renewal,
        requested_license_id: inventory.specials.requested,
        deactivated_license_id: inventory.specials.deactivated,
        depleted_license_id: inventory.specials.depleted,
        parent_license_id: inventory.specials.parent,
        ..Summary::default()
    };

    structure::orgs_and_accounts(conn, &tree, created).await?;
    structure::products(conn, first_product).await?;
    structure::licenses(conn, &tree, &inventory, first_product, created).await?;
    structure::license_codes(
        conn,
        &mut rng,
        &mut ids,
        &mut codes,
        &inventory,
        created,
        &mut summary,
    )
    .await?;
    summary.role_rules =
        structure::role_rules(conn, &mut ids, &tree, first_product, created).await?;
    summary.requests =
        structure::requests(conn, &mut ids, &tree, &inventory, first_product, today_ms).await?;
    let (users, names) = people::write(conn, &mut rng, &tree, today_ms).await?;
    summary.users = users;
    // Seat counters: rebuilt in one pass after the rows instead of a
    // trigger call per INSERT (PostgreSQL; SQLite's triggers stay on).
    counters::pause(conn).await?;
    summary.seats = seats::write(
        conn,
        &mut rng,
        &mut ids,
        &mut codes,
        &seats::SeatPlan {
            tree: &tree,
            licenses: &inventory.licenses,
            names: &names,
        },
        today_ms,
    )
    .await?;
    counters::rebuild(conn).await?;

    if let Some(deferred) = deferred {
        store::restore_after_load(conn, deferred).await?;
        store::advance_sequences(conn).await?;
    }
    reclaim_policies(conn, &summary, Stamp::now()).await?;

    // One event for the whole load, not one per row: a million seat events
    // would bury the log and flood every client's change feed, while the
    // rows themselves are the record of what was loaded. Clients that sync
    // from the feed see this event and reload their lists.
    let event = NewEvent {
        action: "demo.load",
        target_type: "org",
        target_id: summary.root_org_id,
        org_path: summary.root_org_path.clone(),
        before: None,
        after: serde_json::to_value(&summary).ok(),
    };
    audit::append(
        conn,
        &[event],
        "demo",
        &format!("demo-load-{SEED:x}"),
        Stamp::now(),
    )
    .await?;
    if db.backend == Backend::Sqlite {
        store::set_page_cache(conn, false).await?;
    }
    tx.commit().await?;
    if db.backend == Backend::Postgres {
        // Without statistics on the freshly loaded tables PostgreSQL plans
        // the claims report as a join and sort of every seat (seconds a
        // page at 100,000 claims) instead of an index walk, until
        // autovacuum gets round to analysing them.
        store::analyze(&db.pool).await?;
    }
    Ok(DemoSummary {
        summary,
        elapsed: started.elapsed(),
    })
}

/// Reclaim policies of the demo's root org, so the dashboard and the
/// reclaim views have candidates to show: two running daily (the first run
/// a day after the load) and one paused.
async fn reclaim_policies(
    conn: &mut Conn,
    summary: &Summary,
    now: Stamp,
) -> Result<(), sqlx::Error> {
    use seatdesk_core::api::reclaim::{DEFAULT_INTERVAL_MINUTES, ReclaimRule};
    let policies = [
        (
            "Never claimed for 60 days",
            ReclaimRule::PendingOverDays,
            Some(60),
            false,
        ),
        ("Archived users", ReclaimRule::ArchivedUser, None, false),
        (
            "Suspended for 30 days",
            ReclaimRule::SuspendedOverDays,
            Some(30),
            true,
        ),
    ];
    for (name, rule, days, paused) in policies {
        let next = now.saturating_add(chrono::TimeDelta::minutes(DEFAULT_INTERVAL_MINUTES));
        let row = crate::store::reclaim::NewPolicyRow {
            name,
            org_id: summary.root_org_id,
            org_path: &summary.root_org_path,
            product_id: None,
            license_id: None,
            rule,
            days,
            interval_minutes: DEFAULT_INTERVAL_MINUTES,
            paused,
            created_at: now,
            created_by: "demo",
            next_run_at: (!paused).then_some(next),
        };
        crate::store::reclaim::insert_policy(conn, &row).await?;
    }
    Ok(())
}
