//! The Claims filter's streamed search: starting it, and its first screen,
//! progress and complete result arriving from the background task.

use std::sync::Arc;

use crate::action::SearchAction;
use crate::app::{App, Effect, Matched};
use crate::model;

/// Starts the search for the Claims pane's query (a newer one makes any
/// running search give up). The rows shown stay until its first screen.
/// `narrow`: the last complete result may stand for every row (not after
/// the rows changed).
pub(super) fn start(app: &mut App, narrow: bool) -> Effect {
    let job = model::search_job(app, narrow);
    let view = &mut app.claims_view;
    view.searching = true;
    view.partial = None;
    view.found = 0;
    view.search_order = view.order_version;
    Effect::Search {
        generation: view.generation,
        job,
    }
}

/// Results of the Claims search; those of an older query are dropped.
pub(super) fn on_search(app: &mut App, search: SearchAction) {
    let view = &mut app.claims_view;
    match search {
        SearchAction::FirstScreen {
            generation,
            indices,
            found,
        } => {
            // Only a search in today's order has a meaningful first screen,
            // and a re-search of the same query (new rows from a sync)
            // keeps its complete, slightly older, result on screen instead.
            let again = view.matched.as_ref().is_some_and(|m| m.query == view.query);
            if generation == view.generation
                && view.searching
                && view.search_order == view.order_version
                && !again
            {
                view.partial = Some(Arc::new(indices));
                view.found = found;
                model::rebuild_claims(app);
            }
        }
        SearchAction::Progress { generation, found } => {
            if generation == view.generation && view.searching {
                view.found = found;
            }
        }
        SearchAction::Matched {
            generation,
            indices,
        } => {
            if generation == view.generation {
                let ranks = model::ranks(&app.claims, &view.query, &indices).map(Arc::new);
                let view = &mut app.claims_view;
                view.matched = Some(Matched {
                    query: view.query.clone(),
                    indices: Arc::new(indices),
                    order: view.search_order,
                    ranks,
                });
                view.searching = false;
                view.partial = None;
                // The cursor stays: the first screen is a prefix of this.
                model::rebuild_claims(app);
            }
        }
    }
}
