//! The seatdesk terminal dashboard. State lives in [`app::App`]; input and
//! background results arrive as [`action::Action`]s; [`update::update`]
//! changes the state and asks for [`app::Effect`]s; [`view::render`] draws.
//! Nothing in update or render waits on the network or the disk.

pub mod action;
pub mod app;
pub mod edit;
pub mod form;
pub mod keymap;
pub mod model;
pub mod tasks;
pub mod theme;
pub mod update;
pub mod view;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{WrapErr, eyre};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use seatdesk_client::config::{ConfigFile, cache_dir, config_file, resolve};
use seatdesk_client::{ApiClient, Cache, Overrides};

use crate::action::{Action, SyncAction};
use crate::app::{App, Effect};
use crate::keymap::KeyMap;
use crate::tasks::Runner;
use crate::theme::Theme;

/// How often the clock ticks: enough for a spinner, low for SSH.
const TICK: Duration = Duration::from_millis(250);

/// What the command line passes in.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// Profile name (`--profile`); the config's default otherwise.
    pub profile: Option<String>,
    /// `--readonly`: no key changes anything on the server.
    pub readonly: bool,
    /// Connect to this server instead of a configured profile, keeping the
    /// cache in its own directory (`seatdesk demo`).
    pub direct: Option<DirectConnection>,
}

/// A server given on the spot rather than by a profile.
#[derive(Debug, Clone)]
pub struct DirectConnection {
    pub url: String,
    pub token: String,
    pub cache_dir: std::path::PathBuf,
}

/// Writes tracing output to `seatdesk.log` in the cache dir, never the screen.
fn init_logging(dir: &Path) {
    let _ = std::fs::create_dir_all(dir);
    if let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("seatdesk.log"))
    {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("SEATDESK_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .try_init();
    }
}

/// Starts the dashboard: paints from the cache at once, then syncs in the
/// background. Returns when the user quits.
pub async fn run(options: TuiOptions) -> color_eyre::Result<()> {
    let _ = color_eyre::install();
    seatdesk_client::install_crypto();
    let path = config_file();
    let (profile, cache_dir) = match &options.direct {
        Some(direct) => (
            seatdesk_client::config::ResolvedProfile {
                name: "demo".into(),
                url: direct.url.clone(),
                token: direct.token.clone(),
                readonly: false,
                keys: Default::default(),
            },
            direct.cache_dir.clone(),
        ),
        None => {
            let config = ConfigFile::load(&path)?;
            let profile = resolve(
                &config,
                &path,
                options.profile.as_deref(),
                &Overrides::from_env(),
            )?;
            (profile, cache_dir())
        }
    };
    let keymap = KeyMap::with_overrides(&profile.keys)
        .map_err(|e| eyre!("{}: profile '{}': {e}", path.display(), profile.name))?;
    init_logging(&cache_dir);
    let api = ApiClient::new(&profile.url, &profile.token)?;
    let cache = Cache::open(&profile.cache_path(&cache_dir))
        .await
        .wrap_err("opening the local cache")?;
    let mut app = App::new(
        &profile.name,
        options.readonly || profile.readonly,
        keymap,
        Theme::from_env(),
        Utc::now(),
    );
    app.home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    // Saved views belong to the profile, beside its cache.
    let views_path = profile.cache_path(&cache_dir).with_extension("views.json");
    match update::load_views(&views_path) {
        Ok(views) => app.views = views,
        Err(error) => tracing::warn!(%error, "saved views not loaded"),
    }
    app.views_path = Some(views_path);
    if let Some(reason) = &cache.rebuilt {
        tracing::warn!(?reason, "cache rebuilt");
        app.message = Some(app::Message {
            text: "the local cache was unreadable or outdated and has been rebuilt".into(),
            error: false,
        });
    }
    // Only what the dashboard shows: the claims stream in after the first
    // frame (the effects below), the integrity check runs after it too.
    let head = cache.head().await.wrap_err("reading the local cache")?;
    let mut after_paint =
        update::update(&mut app, Action::Sync(SyncAction::Opened(Box::new(head))));
    after_paint.push(Effect::VerifyCache);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner {
        api,
        cache,
        tx,
        latest_search: Default::default(),
    };
    let mut terminal = ratatui::init();
    // A pasted list of emails arrives whole, not as keys (its new lines
    // would otherwise press Enter).
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
    let result = event_loop(&mut terminal, &mut app, &runner, rx, after_paint).await;
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    ratatui::restore();
    runner.cache.close().await;
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    runner: &Runner,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Action>,
    after_paint: Vec<Effect>,
) -> color_eyre::Result<()> {
    let size = terminal.size()?;
    handle(
        app,
        runner,
        terminal,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
    )?;
    draw(terminal, app)?;
    app.dirty = false;
    for effect in after_paint {
        runner.spawn(effect);
    }
    for effect in [Effect::Sync, Effect::LoadMe, Effect::LoadAccounts] {
        if matches!(effect, Effect::Sync) {
            app.sync.in_flight = true;
        }
        runner.spawn(effect);
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        if app.dirty {
            draw(terminal, app)?;
            app.dirty = false;
        }
        let action = tokio::select! {
            biased;
            _ = &mut ctrl_c => Action::Interrupt,
            Some(action) = rx.recv() => action,
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    match update::map_key(app, key) {
                        Some(action) => action,
                        None => continue,
                    }
                }
                Some(Ok(Event::Resize(width, height))) => Action::Resize { width, height },
                Some(Ok(Event::Paste(text))) => Action::Paste(text),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
            _ = tick.tick() => Action::Tick(Utc::now()),
        };
        handle(app, runner, terminal, action)?;
        // Drain what is already queued before drawing once.
        while let Ok(action) = rx.try_recv() {
            handle(app, runner, terminal, action)?;
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

fn handle(
    app: &mut App,
    runner: &Runner,
    terminal: &mut ratatui::DefaultTerminal,
    action: Action,
) -> color_eyre::Result<()> {
    for effect in update::update(app, action) {
        match effect {
            Effect::ClearTerminal => {
                terminal.clear()?;
                app.dirty = true;
            }
            other => runner.spawn(other),
        }
    }
    Ok(())
}

/// Draws one frame inside a synchronized update, so SSH never shows a half-drawn screen.
fn draw(terminal: &mut ratatui::DefaultTerminal, app: &App) -> color_eyre::Result<()> {
    let mut out = std::io::stdout();
    crossterm::execute!(out, crossterm::terminal::BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::render(app, frame))?;
    crossterm::execute!(out, crossterm::terminal::EndSynchronizedUpdate)?;
    out.flush()?;
    Ok(())
}
