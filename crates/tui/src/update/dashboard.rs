//! The Dashboard's figures arriving: the cache's copy first, then the
//! server's answer. Each belongs to one view (account filter); an answer
//! for a view the user has already left is dropped.

use crate::action::DashboardAction;
use crate::app::{App, Effect};

/// Asks for the current view's figures unless a fetch for it is running.
pub(super) fn load(app: &mut App) -> Vec<Effect> {
    let query = app.dashboard_query();
    if app.dashboard.loading.as_ref() == Some(&query) {
        return Vec::new();
    }
    app.dashboard.loading = Some(query.clone());
    let mut effects = vec![Effect::LoadDashboard { query }];
    effects.extend(super::reclaim::load_summary(app));
    effects
}

/// Switches the pane to the current view: figures of another view are
/// never shown under this one's label.
pub(super) fn switch_view(app: &mut App) -> Vec<Effect> {
    let query = app.dashboard_query();
    if app.dashboard.query != query {
        app.dashboard.data = None;
        app.dashboard.error = None;
        app.dashboard.query = query;
    }
    load(app)
}

pub(super) fn on_dashboard(app: &mut App, action: DashboardAction) -> Vec<Effect> {
    let current = app.dashboard_query();
    match action {
        DashboardAction::Cached { query, cached } => {
            // A fresh answer already shown beats the cache's copy.
            if query == current
                && let Some(cached) = cached
                && !app.dashboard.shows(&query)
            {
                app.dashboard.query = query;
                app.dashboard.data = Some(cached);
                app.dashboard.from_cache = true;
            }
        }
        DashboardAction::Fetched {
            query,
            result,
            offline,
        } => {
            if app.dashboard.loading.as_ref() == Some(&query) {
                app.dashboard.loading = None;
            }
            if query != current {
                return Vec::new();
            }
            match result {
                Ok(fresh) => {
                    app.dashboard.query = query;
                    app.dashboard.data = Some(fresh);
                    app.dashboard.from_cache = false;
                    app.dashboard.error = None;
                }
                // Offline: the banner says so and the cached copy stays.
                Err(_) if offline => {}
                Err(error) => app.dashboard.error = Some(error),
            }
        }
    }
    let height = app.list_height();
    let len = app.dashboard.products().len();
    app.dash_list.scroll(len, height);
    Vec::new()
}
