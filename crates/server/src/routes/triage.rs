//! Help-desk triage: the access check that answers "why can't this user get
//! into this product?" condition by condition, and the report of stored
//! figures that disagree with the rows behind them.

pub mod access_check;
pub mod discrepancies;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(access_check::routes())
        .merge(discrepancies::routes())
}
