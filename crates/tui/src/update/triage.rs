//! The access check overlay (from a user row or `:check EMAIL PRODUCT`)
//! and the Dashboard's alerts.

use seatdesk_core::api::alerts::Alerts;
use seatdesk_core::api::triage::AccessCheck;

use super::notify;
use crate::app::{ALERTS_EVERY, App, Dialog, Effect, Pane};

/// Opens the overlay and starts the check.
pub(super) fn check(app: &mut App, user: String, product: String) -> Vec<Effect> {
    app.dialog = Some(Dialog::Access {
        user: user.clone(),
        product: product.clone(),
        result: None,
    });
    vec![Effect::AccessCheck { user, product }]
}

/// `c` on a Claims or Teachers row: that user and that row's product.
pub(super) fn check_row(app: &mut App) -> Vec<Effect> {
    let row = match app.pane {
        Pane::Claims => app.claims_view.rows.get(app.claims_view.list.cursor),
        Pane::Teachers => app.teachers.rows.get(app.teachers.list.cursor),
        _ => None,
    };
    match row.and_then(|&i| app.claims.get(i as usize)) {
        Some(claim) => {
            let product = product_name(app, claim.product_id);
            check(app, claim.user_email.to_string(), product)
        }
        None => {
            notify(
                app,
                "check access: pick a user row, or run :check EMAIL PRODUCT".into(),
                true,
            );
            Vec::new()
        }
    }
}

/// How the access check names a product: the SKU reads better than the
/// id; both are accepted.
fn product_name(app: &App, product_id: i64) -> String {
    app.licenses
        .iter()
        .find(|l| l.product_id == product_id)
        .map_or_else(|| product_id.to_string(), |l| l.product_sku.clone())
}

/// `:user EMAIL [PRODUCT]` (or an email alone in the palette): the Claims
/// filtered to that user, their exact matches ranked first, and the access
/// check of the product given or of their most relevant claim (a live
/// seat before an ended one, the newest first).
pub(super) fn find_user(app: &mut App, args: &[&str]) -> Vec<Effect> {
    let Some(email) = args.first().map(|e| e.trim_matches(['<', '>', ',', ';'])) else {
        notify(app, "usage: user EMAIL [PRODUCT]".into(), true);
        return Vec::new();
    };
    let email = email.to_string();
    let mut effects = super::goto::open(app, Pane::Claims, &email);
    let best = app
        .claims
        .iter()
        .filter(|c| c.user_email.eq_ignore_ascii_case(&email))
        .max_by_key(|c| (c.status.consumes_seat(), c.assigned_at, c.id))
        .map(|c| c.product_id);
    let product = match (args.get(1), best) {
        (Some(product), _) => (*product).to_string(),
        (None, Some(id)) => product_name(app, id),
        (None, None) => {
            notify(
                app,
                format!(
                    "{email} holds no seat in the cached claims; :user {email} PRODUCT checks one product"
                ),
                true,
            );
            return effects;
        }
    };
    if let Some(reason) = app.blocked(crate::keymap::Command::CheckAccess) {
        notify(app, format!("check access: disabled ({reason})"), true);
        return effects;
    }
    effects.extend(check(app, email, product));
    effects
}

/// The palette's `check EMAIL PRODUCT` (`check EMAIL`: as `user EMAIL`).
pub(super) fn check_args(app: &mut App, args: &[&str]) -> Vec<Effect> {
    match args {
        [] => check_row(app),
        [_] => find_user(app, args),
        [user, product] => check(app, (*user).to_string(), (*product).to_string()),
        _ => {
            notify(
                app,
                "usage: check EMAIL PRODUCT (the product's SKU or id)".into(),
                true,
            );
            Vec::new()
        }
    }
}

pub(super) fn on_access(
    app: &mut App,
    user: String,
    product: String,
    answer: Result<AccessCheck, String>,
) {
    if let Some(Dialog::Access {
        user: u,
        product: p,
        result,
    }) = &mut app.dialog
        && *u == user
        && *p == product
    {
        if let Err(error) = &answer {
            tracing::warn!(%error, %user, %product, "access check failed");
        }
        *result = Some(answer);
    }
}

/// Whether the alerts are due again after a sync that changed `changed` rows.
pub(super) fn alerts_due(app: &App, changed: usize) -> bool {
    !app.alerts.loading
        && (changed > 0
            || app
                .alerts
                .fetched_at
                .is_none_or(|at| app.now - at >= ALERTS_EVERY))
}

pub(super) fn load_alerts(app: &mut App) -> Vec<Effect> {
    if app.alerts.loading {
        return Vec::new();
    }
    app.alerts.loading = true;
    vec![Effect::LoadAlerts]
}

pub(super) fn on_alerts(app: &mut App, result: Result<Alerts, String>) {
    app.alerts.loading = false;
    match result {
        Ok(alerts) => {
            app.alerts.items = alerts.items;
            app.alerts.truncated = alerts.truncated;
            app.alerts.loaded = true;
            app.alerts.error = None;
            app.alerts.fetched_at = Some(app.now);
        }
        Err(error) => {
            tracing::warn!(%error, "loading alerts failed");
            app.alerts.error = Some(error);
            app.alerts.fetched_at = Some(app.now);
        }
    }
}
