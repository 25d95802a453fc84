//! The panes against a real server: demo data in SQLite behind the real
//! HTTP API, the real client, and the dashboard's own background tasks.
//! Keys go in as actions; the answers come back over the task channel
//! exactly as in the running program. Checks what the server then holds.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use seatdesk_client::{ApiClient, Cache};
use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery};
use seatdesk_core::{InventoryType, LicenseStatus, Role};
use seatdesk_server::{AppState, Db, RunningServer, ServerConfig};
use seatdesk_tui::action::{Action, SyncAction};
use seatdesk_tui::app::{App, Dialog, Effect, InventoryTab, Pane};
use seatdesk_tui::keymap::{Command, KeyMap};
use seatdesk_tui::tasks::Runner;
use seatdesk_tui::theme::Theme;
use seatdesk_tui::update::update;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::helpers;

/// How long one step may wait for the server before the test fails.
const STEP: Duration = Duration::from_secs(60);

struct Harness {
    app: App,
    runner: Runner,
    rx: UnboundedReceiver<Action>,
}

impl Harness {
    fn act(&mut self, action: Action) {
        for effect in update(&mut self.app, action) {
            if !matches!(effect, Effect::ClearTerminal) {
                self.runner.spawn(effect);
            }
        }
    }

    fn cmd(&mut self, command: Command) {
        self.act(Action::Run(command));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.act(Action::Text(KeyEvent::from(KeyCode::Char(c))));
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.act(Action::Text(KeyEvent::from(code)));
    }

    /// Feeds the tasks' answers to `update` until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        while !done(&self.app) {
            let action = tokio::time::timeout(STEP, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "waiting for {what}; message: {:?}",
                        self.app.message.as_ref().map(|m| &m.text)
                    )
                })
                .expect("the task channel stays open");
            self.act(action);
        }
    }

    fn message(&self) -> String {
        self.app
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    /// Searches the inventory for one order number and waits for the answer.
    async fn search_order(&mut self, order: &str) {
        self.cmd(Command::Filter);
        while !self.app.inventory.search.is_empty() {
            self.key(KeyCode::Backspace);
        }
        self.type_text(order);
        self.act(Action::Submit);
        self.until("the search", |a| {
            a.inventory.from_server && !a.inventory.loading
        })
        .await;
    }
}

/// A demo server over SQLite, the real client and tasks, and an app that
/// has done its first sync; `size` is the terminal.
async fn start(
    dir: &std::path::Path,
    size: (u16, u16),
) -> (Harness, seatdesk_server::demo::Summary, RunningServer) {
    seatdesk_client::install_crypto();
    let db = Db::connect(&format!("sqlite://{}", dir.join("server.db").display()))
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let demo = seatdesk_server::demo::load(&db, 2_000, today)
        .await
        .unwrap()
        .summary;
    let mut conn = db.pool.acquire().await.unwrap();
    let (_, token) = seatdesk_server::tokens::insert_token(
        &mut conn,
        "ops",
        Role::SystemAdmin,
        demo.root_org_id,
    )
    .await
    .unwrap();
    drop(conn);
    let server = seatdesk_server::spawn(
        AppState::new(db, ServerConfig::default()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let api = ApiClient::new(&server.url(), &token).unwrap();
    let cache = Cache::open(&dir.join("cache.db")).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(
        "test",
        false,
        KeyMap::default(),
        Theme { mono: true },
        chrono::Utc::now(),
    );
    app.home = Some(dir.to_path_buf());
    let mut h = Harness {
        app,
        runner: Runner {
            api,
            cache,
            tx,
            latest_search: Default::default(),
        },
        rx,
    };
    h.act(Action::Resize {
        width: size.0,
        height: size.1,
    });
    h.app.sync.in_flight = true;
    for effect in [Effect::Sync, Effect::LoadMe, Effect::LoadAccounts] {
        h.runner.spawn(effect);
    }
    h.until("the first sync, the token and the alerts", |a| {
        a.sync.loaded && !a.sync.in_flight && a.me.is_some() && a.alerts.loaded
    })
    .await;
    (h, demo, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_codes_requests_and_triage_against_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, demo, server) = start(dir.path(), (80, 24)).await;
    let api = h.runner.api.clone();
    assert_eq!(h.app.licenses.len() as u64, demo.licenses);
    assert!(
        !h.app.alerts.items.is_empty(),
        "the demo has licenses in grace and nearly full pools"
    );
    // Inventory: the server's table, then its filters.
    h.cmd(Command::GoPane(Pane::Inventory.index()));
    h.until("the inventory", |a| {
        a.inventory.from_server && !a.inventory.loading
    })
    .await;
    assert_eq!(h.app.inventory.rows.len() as u64, demo.licenses);
    for _ in 0..3 {
        h.cmd(Command::CycleOrderStatus); // available, expired, requested
    }
    h.until("requested licenses", |a| {
        a.inventory.from_server && !a.inventory.loading
    })
    .await;
    assert!(
        h.app
            .inventory
            .rows
            .iter()
            .any(|l| l.id == demo.requested_license_id)
    );
    h.cmd(Command::CycleOrderStatus);
    h.cmd(Command::CycleOrderStatus);
    assert_eq!(h.app.inventory.order_status, None);

    // Activate the demo's deactivated license by its order number.
    let deactivated = api.license(demo.deactivated_license_id).await.unwrap();
    assert_eq!(deactivated.status, LicenseStatus::Deactivated);
    h.search_order(&deactivated.order_number).await;
    assert_eq!(h.app.inventory.rows.len(), 1);
    h.cmd(Command::ToggleLicense);
    assert!(matches!(h.app.dialog, Some(Dialog::Confirm { .. })));
    h.act(Action::Submit);
    h.until("the activation", |a| a.inventory.toggling.is_empty())
        .await;
    assert_eq!(h.app.inventory.rows[0].status, LicenseStatus::Active);
    assert_eq!(
        api.license(deactivated.id).await.unwrap().status,
        LicenseStatus::Active,
        "{}",
        h.message()
    );

    // A User Activation Codes order: its batches, a new batch, an export.
    h.cmd(Command::Back);
    h.until("the full inventory", |a| {
        a.inventory.from_server && !a.inventory.loading
    })
    .await;
    let uac = h
        .app
        .inventory
        .rows
        .iter()
        .position(|l| {
            l.inventory_type == InventoryType::UserActivationCodes
                && l.status == LicenseStatus::Active
                && l.seats_available >= 4
                && l.remaining_days > 0
        })
        .expect("an active UAC order with seats left");
    let license_id = h.app.inventory.rows[uac].id;
    h.app.inventory.list.cursor = uac;
    h.cmd(Command::Open);
    assert_eq!(h.app.pane, Pane::Codes);
    h.until("the batches", |a| !a.codes.loading).await;
    assert!(h.app.codes.error.is_none(), "{:?}", h.app.codes.error);
    let before = h.app.codes.batches.len();
    h.cmd(Command::NewBatch);
    for _ in 0..3 {
        h.key(KeyCode::Backspace);
    }
    h.type_text("2");
    h.act(Action::Submit);
    h.until("the new batch", |a| a.dialog.is_none() && !a.codes.loading)
        .await;
    assert!(h.message().contains("created batch"), "{}", h.message());
    assert_eq!(h.app.codes.batches.len(), before + 1);
    let batch = h.app.codes.selected_batch().unwrap().clone();
    assert_eq!((batch.license_id, batch.code_count), (license_id, 2));
    h.cmd(Command::Export);
    h.act(Action::Submit);
    h.until("the export", |a| !a.codes.exporting).await;
    let path = dir.path().join(format!("seatdesk-batch-{}.xlsx", batch.id));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}: {}", h.message()));
    assert!(bytes.starts_with(b"PK"), "an .xlsx is a zip");
    // Again to the same path: refused, the file untouched.
    h.cmd(Command::Export);
    h.act(Action::Submit);
    h.until("the second export", |a| !a.codes.exporting).await;
    assert!(h.message().contains("already exists"), "{}", h.message());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // The batch's options change after its codes exist (PATCH), and a
    // reload from the server shows the change.
    let benchmark = batch.options.enable_benchmark;
    h.cmd(Command::EditBatch);
    h.key(KeyCode::Char(' '));
    h.act(Action::Submit);
    h.until("the options saved", |a| a.dialog.is_none()).await;
    assert!(h.message().contains("saved the options"), "{}", h.message());
    h.cmd(Command::Refresh);
    h.until("the batches again", |a| !a.codes.loading).await;
    let saved = h
        .app
        .codes
        .batches
        .iter()
        .find(|b| b.id == batch.id)
        .unwrap();
    assert_eq!(saved.options.enable_benchmark, !benchmark);
    assert_eq!(saved.code_count, batch.code_count);

    // The access check of a user who holds a seat.
    let claim = h
        .app
        .claims
        .iter()
        .find(|c| c.status == seatdesk_core::SeatStatus::Active)
        .unwrap()
        .clone();
    let sku = h
        .app
        .licenses
        .iter()
        .find(|l| l.id == claim.license_id)
        .unwrap()
        .product_sku
        .clone();
    h.cmd(Command::Palette);
    h.type_text(&format!("check {} {sku}", claim.user_email));
    h.act(Action::Submit);
    h.until("the access check", |a| {
        matches!(
            &a.dialog,
            Some(Dialog::Access {
                result: Some(_),
                ..
            })
        )
    })
    .await;
    let Some(Dialog::Access {
        result: Some(Ok(check)),
        ..
    }) = &h.app.dialog
    else {
        panic!("{:?}", h.app.dialog)
    };
    assert_eq!(check.conditions.len(), 6);
    assert!(
        check
            .conditions
            .iter()
            .any(|c| c.name == seatdesk_core::api::triage::AccessCondition::SeatHeld && c.pass)
    );
    h.cmd(Command::Back);

    // Pending requests of child orgs: approve one.
    h.cmd(Command::GoPane(Pane::Inventory.index()));
    h.cmd(Command::NextTab);
    assert_eq!(h.app.inventory.tab, InventoryTab::Requests);
    h.until("the requests", |a| a.inventory.requests_loaded)
        .await;
    let pending = h.app.inventory.requests.len();
    assert!(pending > 0, "the demo has pending requests");
    let id = h.app.inventory.requests[0].id;
    h.cmd(Command::Approve);
    h.act(Action::Submit);
    h.until("the decision", |a| a.dialog.is_none()).await;
    assert!(h.message().contains("approved"), "{}", h.message());
    assert_eq!(h.app.inventory.requests.len(), pending - 1);
    let decided = api.request(id).await.unwrap();
    assert_eq!(decided.status, seatdesk_core::RequestStatus::Approved);
    server.handle.abort();
}

/// The Dashboard pane's product lines must be the server's: each figure of
/// `GET /v1/dashboard` for the view, on the row of its product.
fn assert_screen_shows(h: &Harness, expected: &Dashboard, view: &str) {
    assert_eq!(
        h.app.dashboard.products(),
        expected.products.as_slice(),
        "{view}: the pane holds the server's answer"
    );
    let screen = helpers::screen(&h.app);
    let rows = usize::from(h.app.size.1 / 2).saturating_sub(3);
    for product in expected.products.iter().take(rows) {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("│{} ", product.name)))
            .unwrap_or_else(|| panic!("{view}: no row for {}:\n{screen}", product.name));
        let cells: Vec<&str> = line.split_whitespace().collect();
        for figure in [
            product.seats.purchased.to_string(),
            product.seats.consumed.to_string(),
            product.seats_available.to_string(),
            product
                .min_remaining_days
                .map_or("-".to_string(), |d| d.to_string()),
        ] {
            assert!(
                cells.contains(&figure.as_str()),
                "{view}: {} shows {figure}? {line}",
                product.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_the_servers_figures_for_every_view_and_keeps_them_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _demo, server) = start(dir.path(), (200, 50)).await;
    let api = h.runner.api.clone();
    let shown = |query: DashboardQuery| {
        move |a: &App| {
            a.dashboard.shows(&query) && !a.dashboard.from_cache && a.dashboard.loading.is_none()
        }
    };
    h.until("the dashboard", shown(DashboardQuery::default()))
        .await;
    let all = api.dashboard(&DashboardQuery::default()).await.unwrap();
    assert!(all.products.len() > 3, "the demo has many products");
    assert_screen_shows(&h, &all, "all accounts");

    // Every purchasing account, as the switcher (`o`) walks them.
    let accounts = h.app.accounts.len();
    assert!(accounts > 2, "the demo has several accounts");
    for _ in 0..accounts {
        h.cmd(Command::CycleAccount);
        let query = h.app.dashboard_query();
        assert!(query.account_id.is_some());
        h.until("an account's dashboard", shown(query.clone()))
            .await;
        let expected = api.dashboard(&query).await.unwrap();
        assert_screen_shows(&h, &expected, &format!("account {:?}", query.account_id));
    }
    h.cmd(Command::CycleAccount);
    assert_eq!(
        h.app.account, None,
        "the switcher comes back to all accounts"
    );

    // Every org subtree the token sees.
    let orgs = api.orgs().await.unwrap();
    for org in &orgs {
        h.app.org = Some(org.id);
        h.cmd(Command::Refresh);
        let query = h.app.dashboard_query();
        h.until("an org's dashboard", shown(query.clone())).await;
        let expected = api.dashboard(&query).await.unwrap();
        assert_screen_shows(&h, &expected, &format!("org {}", org.name));
    }
    h.app.org = None;
    h.cmd(Command::Refresh);
    h.until("the dashboard again", shown(DashboardQuery::default()))
        .await;

    // The server goes away: a new start paints the cached figures. A
    // shutdown, not an abort: aborting the accept loop leaves the client's
    // kept-alive connection served.
    server.shutdown(std::time::Duration::from_secs(5)).await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cache = h.runner.cache.clone();
    let mut offline = Harness {
        app: App::new(
            "test",
            false,
            KeyMap::default(),
            Theme { mono: true },
            chrono::Utc::now(),
        ),
        runner: Runner {
            api: h.runner.api.clone(),
            cache: cache.clone(),
            tx,
            latest_search: Default::default(),
        },
        rx,
    };
    offline.act(Action::Resize {
        width: 200,
        height: 50,
    });
    let head = cache.head().await.unwrap();
    offline.act(Action::Sync(SyncAction::Opened(Box::new(head))));
    offline
        .until("the cached dashboard", |a| {
            a.dashboard.shows(&DashboardQuery::default()) && a.dashboard.loading.is_none()
        })
        .await;
    assert!(offline.app.dashboard.from_cache);
    assert_screen_shows(&offline, &all, "offline, from the cache");
}
