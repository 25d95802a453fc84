//! The key map: which key runs which command in which pane. It is data, so
//! a profile's `[keys]` table can rebind anything and the help overlay is
//! generated from the bindings in force.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use seatdesk_core::Permission;

use crate::app::Pane;

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
    PrevLicense,
    NextLicense,
    PrevTab,
    NextTab,
    Open,
    NewBatch,
    CycleOrderStatus,
    CycleInventoryType,
    ToggleLicense,
    RequestLicense,
    Renew,
    Approve,
    Reject,
    CheckAccess,
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

const CLAIMS: &[Pane] = &[Pane::Claims];
const TEACHERS: &[Pane] = &[Pane::Teachers];
const CODES: &[Pane] = &[Pane::Codes];
const INVENTORY: &[Pane] = &[Pane::Inventory];
const TABBED: &[Pane] = &[Pane::Codes, Pane::Inventory];
const LICENSED: &[Pane] = &[Pane::Teachers, Pane::Codes];
const USERS: &[Pane] = &[Pane::Claims, Pane::Teachers];
const FILTERABLE: &[Pane] = &[
    Pane::Claims,
    Pane::Teachers,
    Pane::Codes,
    Pane::Inventory,
    Pane::Audit,
];
const EXPORTABLE: &[Pane] = &[Pane::Claims, Pane::Teachers, Pane::Codes];

impl Command {
    /// Every command with its config name, help text, scope, whether it
    /// changes data on the server, and its default keys.
    pub const TABLE: &'static [(
        Command,
        &'static str,
        &'static str,
        Scope,
        bool,
        &'static str,
    )] = &[
        (
            Command::Help,
            "help",
            "show this help",
            Scope::Global,
            false,
            "?",
        ),
        (
            Command::Palette,
            "palette",
            "command palette",
            Scope::Global,
            false,
            ":",
        ),
        (
            Command::Filter,
            "filter",
            "filter / search the list",
            Scope::Panes(FILTERABLE),
            false,
            "/",
        ),
        (
            Command::Back,
            "back",
            "back, cancel or clear",
            Scope::Global,
            false,
            "esc",
        ),
        (
            Command::NextPane,
            "next_pane",
            "next pane",
            Scope::Global,
            false,
            "tab",
        ),
        (
            Command::PrevPane,
            "prev_pane",
            "previous pane",
            Scope::Global,
            false,
            "backtab",
        ),
        (
            Command::GoPane(0),
            "pane_1",
            "Dashboard pane",
            Scope::Global,
            false,
            "1",
        ),
        (
            Command::GoPane(1),
            "pane_2",
            "Claims pane",
            Scope::Global,
            false,
            "2",
        ),
        (
            Command::GoPane(2),
            "pane_3",
            "Teachers pane",
            Scope::Global,
            false,
            "3",
        ),
        (
            Command::GoPane(3),
            "pane_4",
            "Codes pane",
            Scope::Global,
            false,
            "4",
        ),
        (
            Command::GoPane(4),
            "pane_5",
            "Inventory pane",
            Scope::Global,
            false,
            "5",
        ),
        (
            Command::GoPane(5),
            "pane_6",
            "Audit pane",
            Scope::Global,
            false,
            "6",
        ),
        (Command::Up, "up", "move up", Scope::Global, false, "k,up"),
        (
            Command::Down,
            "down",
            "move down",
            Scope::Global,
            false,
            "j,down",
        ),
        (
            Command::PageUp,
            "page_up",
            "page up",
            Scope::Global,
            false,
            "pgup",
        ),
        (
            Command::PageDown,
            "page_down",
            "page down",
            Scope::Global,
            false,
            "pgdn",
        ),
        (
            Command::Top,
            "top",
            "first row",
            Scope::Global,
            false,
            "g,home",
        ),
        (
            Command::Bottom,
            "bottom",
            "last row",
            Scope::Global,
            false,
            "G,end",
        ),
        (
            Command::Mark,
            "mark",
            "mark / unmark the row",
            Scope::Panes(TEACHERS),
            false,
            "space",
        ),
        (
            Command::MarkRange,
            "mark_range",
            "mark a range from the last mark",
            Scope::Panes(TEACHERS),
            false,
            "v",
        ),
        (
            Command::MarkAll,
            "mark_all",
            "mark all shown rows",
            Scope::Panes(TEACHERS),
            false,
            "A",
        ),
        (
            Command::Revoke,
            "revoke",
            "revoke the marked seats",
            Scope::Panes(TEACHERS),
            true,
            "D",
        ),
        (
            Command::Undo,
            "undo",
            "undo the last bulk revocation",
            Scope::Panes(TEACHERS),
            true,
            "u",
        ),
        (
            Command::Refresh,
            "refresh",
            "sync with the server now",
            Scope::Global,
            false,
            "r",
        ),
        (
            Command::Export,
            "export",
            "export the shown rows to CSV",
            Scope::Panes(EXPORTABLE),
            false,
            "e",
        ),
        (
            Command::Redraw,
            "redraw",
            "redraw the screen",
            Scope::Global,
            false,
            "ctrl-l",
        ),
        (Command::Quit, "quit", "quit", Scope::Global, false, "q"),
        (
            Command::ToggleActive,
            "toggle_active",
            "show / hide Active claims",
            Scope::Panes(CLAIMS),
            false,
            "a",
        ),
        (
            Command::TogglePending,
            "toggle_pending",
            "show / hide Pending claims",
            Scope::Panes(CLAIMS),
            false,
            "p",
        ),
        (
            Command::ToggleExpired,
            "toggle_expired",
            "show / hide Expired claims",
            Scope::Panes(CLAIMS),
            false,
            "x",
        ),
        (
            Command::ToggleRevoked,
            "toggle_revoked",
            "show / hide Revoked claims",
            Scope::Panes(CLAIMS),
            false,
            "R",
        ),
        (
            Command::CycleProduct,
            "product",
            "next product filter",
            Scope::Panes(CLAIMS),
            false,
            "P",
        ),
        (
            Command::CycleAccount,
            "account",
            "switch purchasing account (org / account)",
            Scope::Global,
            false,
            "o",
        ),
        (
            Command::CycleDateRange,
            "date_range",
            "assigned within 7 / 30 / 90 / 365 days / any time",
            Scope::Panes(CLAIMS),
            false,
            "d",
        ),
        (
            Command::CycleSort,
            "sort",
            "sort by assignment / claim date",
            Scope::Panes(CLAIMS),
            false,
            "s",
        ),
        (
            Command::PrevLicense,
            "prev_license",
            "previous license",
            Scope::Panes(LICENSED),
            false,
            "[",
        ),
        (
            Command::NextLicense,
            "next_license",
            "next license",
            Scope::Panes(LICENSED),
            false,
            "]",
        ),
        (
            Command::PrevTab,
            "prev_tab",
            "previous tab (code kind / licenses-requests)",
            Scope::Panes(TABBED),
            false,
            "h,left",
        ),
        (
            Command::NextTab,
            "next_tab",
            "next tab (code kind / licenses-requests)",
            Scope::Panes(TABBED),
            false,
            "l,right",
        ),
        (
            Command::Open,
            "open",
            "open the license's codes",
            Scope::Panes(INVENTORY),
            false,
            "enter",
        ),
        (
            Command::NewBatch,
            "new_batch",
            "generate an activation-code batch",
            Scope::Panes(CODES),
            true,
            "n",
        ),
        (
            Command::CycleOrderStatus,
            "order_status",
            "next order status filter",
            Scope::Panes(INVENTORY),
            false,
            "s",
        ),
        (
            Command::CycleInventoryType,
            "inventory_type",
            "next inventory type filter",
            Scope::Panes(INVENTORY),
            false,
            "t",
        ),
        (
            Command::ToggleLicense,
            "toggle_license",
            "activate / deactivate the license",
            Scope::Panes(INVENTORY),
            true,
            "a",
        ),
        (
            Command::RequestLicense,
            "request_license",
            "request a new license",
            Scope::Panes(INVENTORY),
            true,
            "n",
        ),
        (
            Command::Renew,
            "renew",
            "request a renewal of the license",
            Scope::Panes(INVENTORY),
            true,
            "R",
        ),
        (
            Command::Approve,
            "approve",
            "approve the request",
            Scope::Panes(INVENTORY),
            true,
            "y",
        ),
        (
            Command::Reject,
            "reject",
            "reject the request",
            Scope::Panes(INVENTORY),
            true,
            "x",
        ),
        (
            Command::CheckAccess,
            "check",
            "check access of the row's user (:check EMAIL PRODUCT)",
            Scope::Panes(USERS),
            false,
            "c",
        ),
    ];

    fn row(
        self,
    ) -> &'static (
        Command,
        &'static str,
        &'static str,
        Scope,
        bool,
        &'static str,
    ) {
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
            Command::NewBatch => Some(Permission::ManageCodes),
            Command::ToggleLicense => Some(Permission::ToggleLicense),
            Command::RequestLicense | Command::Renew => Some(Permission::SubmitRequest),
            Command::Approve | Command::Reject => Some(Permission::DecideRequest),
            Command::CheckAccess => Some(Permission::Triage),
            _ => None,
        }
    }

    /// Needs the server to answer: disabled while offline.
    pub fn needs_server(self) -> bool {
        self.mutates() || self == Command::CheckAccess
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
