//! The command palette: every key-map command by name, the panes by name
//! (`:claims TEXT`, `:teachers LICENSE`), and the verbs that need words
//! (`:user EMAIL`, `:older DAYS`, `:save NAME`, `:view NAME`). An email
//! typed on its own is `:user EMAIL`.

use crate::app::{App, Effect, Pane};
use crate::keymap::Command;

/// What a palette entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Command(Command),
    /// Go to the pane; its argument filters it (Claims, Audit, Inventory)
    /// or picks its license (Teachers, Codes).
    Pane(Pane),
    /// Find the user of an email in the Claims and check their access.
    User,
    /// Claims pending for more than N days (no number: off).
    Older,
    /// Save the Claims filters under a name.
    Save,
    /// Recall saved Claims filters.
    View,
}

/// One line of the palette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub help: String,
    pub verb: Verb,
}

const VERBS: &[(&str, &str, Verb)] = &[
    (
        "user",
        "find a user by email and check access (user EMAIL [PRODUCT])",
        Verb::User,
    ),
    (
        "older",
        "claims pending for over N days (older N; older: off)",
        Verb::Older,
    ),
    (
        "save",
        "save the Claims filters as a view (save NAME)",
        Verb::Save,
    ),
    ("view", "recall a saved Claims view (view NAME)", Verb::View),
];

fn pane_help(pane: Pane) -> &'static str {
    match pane {
        Pane::Dashboard => "go to the Dashboard",
        Pane::Claims => "go to Claims (claims TEXT filters them)",
        Pane::Teachers => "go to Teachers (teachers LICENSE: id or order number)",
        Pane::Codes => "go to Codes (codes LICENSE: id or order number)",
        Pane::Inventory => "go to Inventory (inventory TEXT searches)",
        Pane::Audit => "go to Audit (audit TEXT filters it)",
        Pane::Reclaim => "reclaim policies",
    }
}

/// Every entry whose name starts with the first word of `text`, exact
/// name first, then panes and verbs, then key-map commands. Saved view
/// names complete after `view `.
pub fn candidates(app: &App, text: &str) -> Vec<Candidate> {
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("").to_lowercase();
    if first.contains('@') {
        return vec![Candidate {
            name: format!("user {}", text.trim()),
            help: "find this user and check access".into(),
            verb: Verb::User,
        }];
    }
    if first == "view" && (text.ends_with(' ') || words.next().is_some()) {
        let typed = text.split_whitespace().nth(1).unwrap_or("");
        return app
            .views
            .iter()
            .filter(|v| v.name.starts_with(typed))
            .map(|v| Candidate {
                name: format!("view {}", v.name),
                help: v.describe(),
                verb: Verb::View,
            })
            .collect();
    }
    let mut found: Vec<Candidate> = Pane::ALL
        .iter()
        .map(|&pane| Candidate {
            name: pane.title().to_lowercase(),
            help: pane_help(pane).into(),
            verb: Verb::Pane(pane),
        })
        .chain(VERBS.iter().map(|(name, help, verb)| Candidate {
            name: (*name).into(),
            help: (*help).into(),
            verb: *verb,
        }))
        .chain(Command::TABLE.iter().map(|row| Candidate {
            name: row.1.into(),
            help: row.2.into(),
            verb: Verb::Command(row.0),
        }))
        .filter(|c| c.name.starts_with(&first))
        .collect();
    found.sort_by_key(|c| c.name != first);
    found
}

/// The name Tab completes to: the picked entry's.
pub(super) fn completion(app: &App, text: &str) -> Option<String> {
    let found = candidates(app, text);
    found
        .get(app.palette_pick.min(found.len().saturating_sub(1)))
        .map(|c| c.name.clone())
}

/// Runs what Enter picked: the highlighted entry, with the words typed
/// after the first as its arguments.
pub(super) fn run(app: &mut App) -> Vec<Effect> {
    // Untrimmed: "view " lists the saved views, "view" the verb.
    let found = candidates(app, &app.palette);
    let text = app.palette.trim().to_string();
    let Some(picked) = found
        .get(app.palette_pick.min(found.len().saturating_sub(1)))
        .cloned()
    else {
        super::notify(app, format!("no command named '{text}'"), true);
        return Vec::new();
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let args: Vec<&str> = if words.first().is_some_and(|w| w.contains('@')) {
        words.clone()
    } else if picked.verb == Verb::View && words.len() < 2 {
        // Picked from the list of saved views.
        picked.name.split_whitespace().skip(1).collect()
    } else {
        words.iter().skip(1).copied().collect()
    };
    match picked.verb {
        Verb::Command(Command::CheckAccess) if !args.is_empty() => {
            if let Some(reason) = app.blocked(Command::CheckAccess) {
                super::notify(app, format!("check access: disabled ({reason})"), true);
                return Vec::new();
            }
            super::triage::check_args(app, &args)
        }
        Verb::Command(command) => super::update(app, crate::action::Action::Run(command)),
        Verb::Pane(pane) => super::goto::open(app, pane, &args.join(" ")),
        Verb::User => super::triage::find_user(app, &args),
        Verb::Older => {
            super::views::older(app, &args);
            Vec::new()
        }
        Verb::Save => super::views::save(app, &args),
        Verb::View => super::views::recall(app, &args),
    }
}
