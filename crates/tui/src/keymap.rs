//! The key map: which key runs which command in which pane. It is data, so
//! a profile's `[keys]` table can rebind anything and the help overlay is
//! generated from the bindings in force.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use seatdesk_core::Permission;

use crate::app::Pane;

mod table;

/// A row of [`Command::TABLE`]: command, config name, help text, scope,
/// whether it changes data on the server, default keys.
pub type Row = (
    Command,
    &'static str,
    &'static str,
    Scope,
    bool,
    &'static str,
);

/// Something a key can do. `name` is what the config file and the command
/// palette call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Help,
    Palette,
    Filter,
    Back,
    NextPane,
    PrevPane,
    GoPane(usize),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Mark,
    MarkRange,
    MarkAll,
    Revoke,
    Undo,
    Refresh,
    Export,
    Redraw,
    Quit,
    ToggleActive,
    TogglePending,
    ToggleExpired,
    ToggleRevoked,
    CycleProduct,
    CycleSort,
    CycleDateRange,
    CycleAccount,
    PickAccount,
    PrevLicense,
    NextLicense,
    PrevTab,
    NextTab,
    Open,
    OpenTeachers,
    NewBatch,
    EditBatch,
    EditOrder,
    CycleOrderStatus,
    CycleInventoryType,
    ToggleLicense,
    RequestLicense,
    Renew,
    Approve,
    Reject,
    CheckAccess,
    Reclaim,
    ReclaimPreview,
    ReclaimRun,
    ReclaimPause,
    ReclaimHistory,
}

/// Where a command applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Panes(&'static [Pane]),
}

impl Scope {
    pub fn applies(self, pane: Pane) -> bool {
        match self {
            Scope::Global => true,
            Scope::Panes(panes) => panes.contains(&pane),
        }
    }
}

impl Command {
    /// Every command with its config name, help text, scope, whether it
    /// changes data on the server, and its default keys.
    pub const TABLE: &'static [Row] = table::TABLE;

    fn row(self) -> &'static Row {
        Command::TABLE
            .iter()
            .find(|row| row.0 == self)
            .unwrap_or(&Command::TABLE[0])
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn description(self) -> &'static str {
        self.row().2
    }

    pub fn scope(self) -> Scope {
        self.row().3
    }

    /// Changes data on the server: disabled by `--readonly`.
    pub fn mutates(self) -> bool {
        self.row().4
    }

    /// What the token's role must allow for this command to run.
    pub fn permission(self) -> Option<Permission> {
        match self {
            Command::Revoke | Command::Undo => Some(Permission::ManageSeats),
            Command::NewBatch | Command::EditBatch => Some(Permission::ManageCodes),
            Command::ToggleLicense => Some(Permission::ToggleLicense),
            Command::RequestLicense | Command::Renew => Some(Permission::SubmitRequest),
            Command::Approve | Command::Reject => Some(Permission::DecideRequest),
            Command::CheckAccess => Some(Permission::Triage),
            // The server's dry run of a policy is a run's permission too.
            Command::ReclaimPreview | Command::ReclaimRun | Command::ReclaimPause => {
                Some(Permission::ManageSeats)
            }
            _ => None,
        }
    }

    /// Needs the server to answer: disabled while offline.
    pub fn needs_server(self) -> bool {
        self.mutates()
            || matches!(
                self,
                Command::CheckAccess | Command::ReclaimPreview | Command::ReclaimHistory
            )
    }

    pub fn by_name(name: &str) -> Option<Command> {
        Command::TABLE
            .iter()
            .find(|row| row.1 == name)
            .map(|row| row.0)
    }
}

/// One key with its modifiers, as written in the config (`ctrl-l`, `D`, `space`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub fn parse(text: &str) -> Result<Key, String> {
        let text = text.trim();
        let (ctrl, rest) = match text
            .strip_prefix("ctrl-")
            .or_else(|| text.strip_prefix("C-"))
        {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let code = match rest.to_ascii_lowercase().as_str() {
            "esc" | "escape" => KeyCode::Esc,
            "enter" | "return" => KeyCode::Enter,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key '{text}'")),
                }
            }
        };
        Ok(Key { code, ctrl })
    }

    pub fn from_event(event: &KeyEvent) -> Key {
        Key {
            code: event.code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "S-Tab".to_string(),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Backspace => "Bksp".to_string(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// The bindings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    pub bindings: Vec<(Command, Vec<Key>)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap {
            bindings: Command::TABLE
                .iter()
                .map(|row| {
                    let keys = row
                        .5
                        .split(',')
                        .filter_map(|k| Key::parse(k).ok())
                        .collect();
                    (row.0, keys)
                })
                .collect(),
        }
    }
}

impl KeyMap {
    /// Defaults with a profile's `[keys]` table applied: `name = "X"` or
    /// `name = "X,Y"` replaces that command's keys. Unknown names or keys
    /// are errors so a typo does not silently leave a default.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        for (name, keys) in overrides {
            let command = Command::by_name(name)
                .ok_or_else(|| format!("unknown command '{name}' in [keys]"))?;
            let keys = keys
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(Key::parse)
                .collect::<Result<Vec<_>, _>>()?;
            for (bound, old) in &mut map.bindings {
                if *bound == command {
                    *old = keys.clone();
                }
            }
        }
        Ok(map)
    }

    /// The command `key` runs in `pane`; pane-specific bindings win.
    pub fn lookup(&self, key: Key, pane: Pane) -> Option<Command> {
        let matches = |scoped: bool| {
            self.bindings.iter().find(|(command, keys)| {
                matches!(command.scope(), Scope::Panes(_)) == scoped
                    && command.scope().applies(pane)
                    && keys.contains(&key)
            })
        };
        matches(true).or_else(|| matches(false)).map(|(c, _)| *c)
    }

    pub fn keys_for(&self, command: Command) -> String {
        self.bindings
            .iter()
            .find(|(c, _)| *c == command)
            .map(|(_, keys)| keys.iter().map(|k| k.label()).collect::<Vec<_>>().join("/"))
            .unwrap_or_default()
    }
}
