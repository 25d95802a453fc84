//! Alerts: finding the licenses and codes that need attention (shared by
//! `GET /v1/alerts` and the sweeper), and the sweeper that raises each new
//! alert once as an audit event, so webhooks subscribed to `alert` get it.

pub mod find;
pub mod sweep;
