//! The server goes away while the dashboard runs: a real `seatdesk serve`
//! process is SIGKILLed under the dashboard's real sync loop (the TUI's
//! background runner, the client, its SQLite cache). The dashboard keeps its
//! rows, shows the stale-data banner and refuses changes; when a server
//! comes back on the same port over the same database, the next sync clears
//! the banner and brings in what changed meanwhile.

use std::time::{Duration, Instant};

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use seatdesk_client::{ApiClient, Cache};
use seatdesk_core::SeatStatus;
use seatdesk_tui::action::Action;
use seatdesk_tui::app::{App, Effect, Pane};
use seatdesk_tui::keymap::{Command, KeyMap};
use seatdesk_tui::tasks::Runner;
use seatdesk_tui::theme::Theme;
use seatdesk_tui::update::update;
use seatdesk_tui::view::{banner_text, render};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::helpers::{ServerProcess, cli_token, free_port, get_ok, post_ok};

/// Plain HTTP calls for the fixture and for changes made behind the dashboard's back.
struct Http {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Http {
    async fn post(&self, path: &str, body: Value) -> Value {
        post_ok(
            &self.http,
            &format!("{}{path}", self.url),
            &self.token,
            body,
        )
        .await
    }
}

/// Sends background results into `update` and runs the effects it asks
/// for, as the dashboard's loop does, until `done` holds.
async fn settle(
    app: &mut App,
    runner: &Runner,
    rx: &mut UnboundedReceiver<Action>,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(app) {
        let left = deadline.saturating_duration_since(Instant::now());
        let action = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for: {what}"))
            .expect("runner channel open");
        dispatch(app, runner, action);
    }
}

fn dispatch(app: &mut App, runner: &Runner, action: Action) -> usize {
    let effects = update(app, action);
    let count = effects.len();
    for effect in effects {
        runner.spawn(effect);
    }
    count
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|frame| render(app, frame)).unwrap();
    terminal.backend().to_string()
}

fn status_of(app: &App, email: &str) -> Option<SeatStatus> {
    app.claims
        .iter()
        .find(|c| &*c.user_email == email)
        .map(|c| c.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_survives_the_server_going_away_and_catches_up_when_it_returns() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("server.db").display());
    let port = free_port();
    let token = cli_token(&db_url, "Offline District");
    let server = ServerProcess::start(port, &db_url).await;
    let url = format!("http://127.0.0.1:{port}");
    let http = Http {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        url: url.clone(),
        token: token.clone(),
    };

    // Three teachers holding seats of one license.
    let me = get_ok(&http.http, &format!("{url}/v1/me"), &token).await;
    let org = me["org_id"].clone();
    let account = http
        .post(
            "/v1/accounts",
            json!({"org_id": org, "name": "Main", "number": "PA-OFF-1"}),
        )
        .await;
    let product = http
        .post("/v1/products", json!({"sku": "CE-OFF", "name": "ConnectED Teacher", "family": "ConnectED", "edition": "teacher", "module": "none"}))
        .await;
    let license = http
        .post("/v1/licenses", json!({"account_id": account["id"], "product_id": product["id"], "order_number": "ORD-OFF",
            "inventory_type": "seat_pool", "seats_purchased": 10, "start_date": "2020-01-01", "finish_date": "2099-12-31"}))
        .await;
    let mut seats = Vec::new();
    let mut dev = Value::Null;
    for name in ["ada", "ben", "cleo", "dev"] {
        let user = http
            .post(
                "/v1/users",
                json!({"org_id": org, "email": format!("{name}@offline.example"),
                "given_name": name, "family_name": "Okafor", "kind": "teacher"}),
            )
            .await;
        if name == "dev" {
            dev = user["user"]["id"].clone();
        } else {
            let claim = http
                .post(
                    "/v1/seats",
                    json!({"license_id": license["id"], "user_id": user["user"]["id"]}),
                )
                .await;
            seats.push(claim["id"].as_i64().unwrap());
        }
    }

    // The dashboard as `seatdesk tui` builds it, minus the terminal.
    let cache = Cache::open(&dir.path().join("cache.db")).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner {
        api: ApiClient::new(&url, &token).unwrap(),
        cache: cache.clone(),
        tx,
        latest_search: Default::default(),
    };
    let mut app = App::new(
        "offline",
        false,
        KeyMap::default(),
        Theme { mono: true },
        Utc::now(),
    );
    dispatch(
        &mut app,
        &runner,
        Action::Resize {
            width: 120,
            height: 30,
        },
    );
    dispatch(
        &mut app,
        &runner,
        Action::Run(Command::GoPane(Pane::Claims.index())),
    );
    assert_eq!(
        dispatch(&mut app, &runner, Action::Run(Command::Refresh)),
        1,
        "a first sync starts"
    );
    settle(
        &mut app,
        &runner,
        &mut rx,
        "the first sync and the token's permissions",
        |app| !app.sync.in_flight && app.sync.last_sync.is_some() && app.me.is_some(),
    )
    .await;
    assert_eq!(app.claims.len(), 3);
    let shown = screen(&app);
    assert!(banner_text(&app).is_none());
    assert!(!shown.contains("OFFLINE"), "{shown}");
    for email in [
        "ada@offline.example",
        "ben@offline.example",
        "cleo@offline.example",
    ] {
        assert_eq!(status_of(&app, email), Some(SeatStatus::Pending));
    }
    assert!(shown.contains("ada Okafor"), "{shown}");
    assert!(app.blocked(Command::Revoke).is_none());

    // The server dies. The next sync cannot reach it.
    server.kill();
    assert_eq!(
        dispatch(&mut app, &runner, Action::Run(Command::Refresh)),
        1
    );
    settle(&mut app, &runner, &mut rx, "the failed sync", |app| {
        !app.sync.in_flight
    })
    .await;
    let banner = banner_text(&app).expect("the stale-data banner");
    assert!(
        banner.contains("OFFLINE") && banner.contains("synced"),
        "{banner}"
    );
    let shown = screen(&app);
    assert!(shown.contains("OFFLINE: cached data"), "{shown}");
    for name in ["ada Okafor", "ben Okafor", "cleo Okafor"] {
        assert!(
            shown.contains(name),
            "the cached rows stay on screen: {shown}"
        );
    }
    assert_eq!(app.claims.len(), 3, "no row is lost");
    // Changes are refused while offline, and nothing is sent.
    assert!(app.blocked(Command::Revoke).unwrap().contains("offline"));
    dispatch(&mut app, &runner, Action::Run(Command::Mark));
    let effects = update(&mut app, Action::Run(Command::Revoke));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Revoke { .. })) && app.dialog.is_none(),
        "a revocation was started while offline"
    );
    assert!(app.message.as_ref().unwrap().text.contains("disabled"));
    // The automatic retry fails the same way and keeps the banner.
    let later = app.now + chrono::Duration::seconds(6);
    assert_eq!(
        dispatch(&mut app, &runner, Action::Tick(later)),
        1,
        "a retry is due"
    );
    settle(&mut app, &runner, &mut rx, "the failed retry", |app| {
        !app.sync.in_flight
    })
    .await;
    assert!(banner_text(&app).is_some());
    assert_eq!(app.claims.len(), 3);

    // A server comes back on the same port over the same database, and
    // someone changes things before the dashboard looks again.
    let server = ServerProcess::start(port, &db_url).await;
    let revoked = http
        .post("/v1/seats/revoke", json!({"seat_ids": [seats[0]]}))
        .await;
    assert_eq!(revoked["done"], 1);
    http.post(
        "/v1/seats",
        json!({"license_id": license["id"], "user_id": dev}),
    )
    .await;

    let later = app.now + chrono::Duration::seconds(6);
    assert_eq!(
        dispatch(&mut app, &runner, Action::Tick(later)),
        1,
        "the next retry is due"
    );
    settle(
        &mut app,
        &runner,
        &mut rx,
        "the sync after the server returned",
        |app| !app.sync.in_flight && app.sync.offline.is_none(),
    )
    .await;
    assert!(banner_text(&app).is_none());
    assert!(app.message.as_ref().unwrap().text.contains("back online"));
    assert!(
        app.blocked(Command::Revoke).is_none(),
        "changes are allowed again"
    );
    assert_eq!(
        status_of(&app, "ada@offline.example"),
        Some(SeatStatus::Revoked)
    );
    assert_eq!(
        status_of(&app, "dev@offline.example"),
        Some(SeatStatus::Pending)
    );
    assert_eq!(app.claims.len(), 4);
    let shown = screen(&app);
    assert!(!shown.contains("OFFLINE"), "{shown}");
    assert!(
        shown.contains("dev Okafor"),
        "the new seat is on screen: {shown}"
    );
    // The cache on disk caught up too: a restart paints the same rows.
    let snapshot = cache.load().await.unwrap();
    assert_eq!(snapshot.claims.len(), 4);
    drop(server);
    cache.close().await;
}
