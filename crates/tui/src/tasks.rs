//! Runs [`Effect`]s as tokio tasks; each reports back as an [`Action`] on
//! the loop's channel. Nothing here touches the screen or the state.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use seatdesk_client::cache::{CachedDashboard, Rebuilt, is_corruption};
use seatdesk_client::sync;
use seatdesk_client::{ApiClient, Cache, new_idempotency_key};
use seatdesk_core::api::BulkResult;
use tokio::sync::mpsc::UnboundedSender;

use crate::action::{Action, AuditAction, BulkAction, DashboardAction, SearchAction, SyncAction};
use crate::app::{CHUNK, Effect};
use crate::model;

mod panes;
mod reclaim;

/// Claims per chunk streamed from the cache at start-up.
const LOAD_CHUNK: usize = 16_384;

/// Replaces a damaged cache with an empty one and says so; the next sync
/// (which the message asks for) fills it from the server.
async fn rebuild(cache: &Cache, send: &impl Fn(Action), why: String) {
    let why = Rebuilt::IntegrityCheck(why);
    match cache.rebuild(&why).await {
        Ok(()) => send(Action::Sync(SyncAction::CacheRebuilt(why.to_string()))),
        Err(error) => tracing::error!(%error, "rebuilding the cache"),
    }
}

/// Audit events the Audit pane loads.
const AUDIT_PAGE: u32 = 500;

#[derive(Clone)]
pub struct Runner {
    pub api: ApiClient,
    pub cache: Cache,
    pub tx: UnboundedSender<Action>,
    /// Generation of the newest search asked for; older ones stop early.
    pub latest_search: Arc<AtomicU64>,
}

impl Runner {
    /// Starts `effect` in the background. `ClearTerminal` is the loop's own.
    pub fn spawn(&self, effect: Effect) {
        let this = self.clone();
        let send = move |action: Action| {
            let _ = this.tx.send(action);
        };
        let api = self.api.clone();
        let cache = self.cache.clone();
        match effect {
            Effect::Sync => {
                tokio::spawn(async move {
                    match sync::sync(&api, &cache).await {
                        Ok(report) => {
                            if report.full {
                                match cache.load().await {
                                    Ok(snapshot) => {
                                        send(Action::Sync(SyncAction::Loaded(Box::new(snapshot))))
                                    }
                                    Err(error) => tracing::error!(%error, "reading the cache"),
                                }
                            } else if report.changed > 0 {
                                // Deltas: reload only the rows they touched.
                                match cache.load_patch(&report.touched).await {
                                    Ok(patch) => {
                                        send(Action::Sync(SyncAction::Patched(Box::new(patch))))
                                    }
                                    Err(error) => tracing::error!(%error, "reading the cache"),
                                }
                            }
                            send(Action::Sync(SyncAction::Done {
                                changed: report.changed,
                                at: Utc::now(),
                            }));
                        }
                        Err(error) => {
                            tracing::warn!(%error, "sync failed");
                            if let seatdesk_client::ClientError::Cache(db) = &error
                                && is_corruption(db)
                            {
                                rebuild(&cache, &send, db.to_string()).await;
                            }
                            send(Action::Sync(SyncAction::Failed {
                                offline: error.is_offline(),
                                error: error.to_string(),
                            }));
                        }
                    }
                });
            }
            Effect::LoadClaims { generation } => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = cache
                        .claims_in_chunks(
                            LOAD_CHUNK,
                            |chunk| {
                                let _ =
                                    tx.send(Action::Sync(SyncAction::Claims { generation, chunk }));
                            },
                            |total| {
                                let _ = tx.send(Action::Sync(SyncAction::ClaimsDone {
                                    generation,
                                    result: Ok(total),
                                }));
                            },
                        )
                        .await;
                    if let Err(error) = result {
                        tracing::error!(%error, "reading the cache");
                        send(Action::Sync(SyncAction::ClaimsDone {
                            generation,
                            result: Err(error.to_string()),
                        }));
                        if is_corruption(&error) {
                            rebuild(&cache, &send, error.to_string()).await;
                        }
                    }
                });
            }
            Effect::VerifyCache => {
                tokio::spawn(async move {
                    match cache.verify().await {
                        Ok(None) => tracing::info!("cache integrity check passed"),
                        Ok(Some(why)) => {
                            send(Action::Sync(SyncAction::CacheRebuilt(why.to_string())))
                        }
                        Err(error) => tracing::warn!(%error, "cache integrity check did not run"),
                    }
                });
            }
            Effect::LoadAccounts => {
                tokio::spawn(async move {
                    let result = async {
                        let orgs = api.orgs().await?;
                        let accounts = api.accounts().await?;
                        Ok::<_, seatdesk_client::ClientError>(
                            accounts
                                .into_iter()
                                .map(|a| {
                                    let org = orgs
                                        .iter()
                                        .find(|o| o.id == a.org_id)
                                        .map_or("?", |o| o.name.as_str());
                                    (a.id, format!("{org} / {} ({})", a.name, a.number))
                                })
                                .collect(),
                        )
                    }
                    .await;
                    send(Action::Accounts(result.map_err(|e| e.to_string())));
                });
            }
            Effect::LoadDashboard { query } => {
                tokio::spawn(async move {
                    match cache.dashboard(&query).await {
                        Ok(cached) => send(Action::Dashboard(DashboardAction::Cached {
                            query: query.clone(),
                            cached,
                        })),
                        Err(error) => tracing::warn!(%error, "reading the cached dashboard"),
                    }
                    let fetched = api
                        .dashboard(&query)
                        .await
                        .map(|dashboard| CachedDashboard {
                            dashboard,
                            fetched_at: Utc::now(),
                        });
                    if let Ok(fresh) = &fetched
                        && let Err(error) = cache.store_dashboard(&query, fresh).await
                    {
                        tracing::warn!(%error, "caching the dashboard");
                    }
                    send(Action::Dashboard(DashboardAction::Fetched {
                        query,
                        offline: fetched.as_ref().is_err_and(|e| e.is_offline()),
                        result: fetched.map_err(|e| e.to_string()),
                    }));
                });
            }
            Effect::LoadMe => {
                tokio::spawn(async move {
                    send(Action::Me(api.me().await.map_err(|e| e.to_string())));
                });
            }
            Effect::Search { generation, job } => {
                self.latest_search.store(generation, Ordering::Relaxed);
                let latest = self.latest_search.clone();
                let tx = self.tx.clone();
                // A blocking thread runs the scan (itself spread over the
                // cores) and reports the first screen as soon as it exists.
                tokio::task::spawn_blocking(move || {
                    let report = |progress| {
                        let _ = tx.send(Action::Search(match progress {
                            model::Progress::FirstScreen { indices, shown } => {
                                SearchAction::FirstScreen {
                                    generation,
                                    indices,
                                    found: shown,
                                }
                            }
                            model::Progress::Count { shown } => SearchAction::Progress {
                                generation,
                                found: shown,
                            },
                        }));
                    };
                    let stale = || latest.load(Ordering::Relaxed) != generation;
                    if let Some(indices) = job.run(stale, report) {
                        let _ = tx.send(Action::Search(SearchAction::Matched {
                            generation,
                            indices,
                        }));
                    }
                });
            }
            Effect::RevokeDryRun { chunks } => {
                tokio::spawn(async move {
                    let mut results = Vec::new();
                    for chunk in chunks {
                        match api.revoke_dry_run(chunk).await {
                            Ok(answer) => results.extend(answer.results),
                            Err(error) => {
                                send(Action::Bulk(BulkAction::RevokeChecked(Err(
                                    error.to_string()
                                ))));
                                return;
                            }
                        }
                    }
                    send(Action::Bulk(BulkAction::RevokeChecked(Ok(
                        BulkResult::from_results(results),
                    ))));
                });
            }
            Effect::Revoke { chunks } => {
                tokio::spawn(async move {
                    for chunk in chunks {
                        // One key per chunk: a retry of this chunk is a replay.
                        let key = new_idempotency_key();
                        let result = api.revoke(chunk.clone(), &key).await;
                        if let Err(error) = &result {
                            tracing::warn!(%error, "revoke chunk failed");
                        }
                        send(Action::Bulk(BulkAction::RevokeChunk(
                            result.map_err(|e| (chunk, e.to_string())),
                        )));
                    }
                    send(Action::Bulk(BulkAction::RevokeFinished));
                });
            }
            Effect::Restore { ids } => {
                tokio::spawn(async move {
                    let mut results = Vec::new();
                    for chunk in ids.chunks(CHUNK) {
                        match api.restore(chunk.to_vec(), &new_idempotency_key()).await {
                            Ok(answer) => results.extend(answer.results),
                            Err(error) => {
                                send(Action::Bulk(BulkAction::Restored(Err(error.to_string()))));
                                return;
                            }
                        }
                    }
                    send(Action::Bulk(BulkAction::Restored(Ok(
                        BulkResult::from_results(results),
                    ))));
                });
            }
            Effect::LoadAudit => {
                tokio::spawn(async move {
                    let result = api
                        .audit(None, AUDIT_PAGE)
                        .await
                        .map(|p| p.items)
                        .map_err(|e| e.to_string());
                    send(Action::Audit(AuditAction::Loaded(result)));
                });
            }
            Effect::Export { path, csv } => {
                tokio::spawn(async move {
                    let rows = csv.lines().count().saturating_sub(1);
                    let result = tokio::fs::write(&path, csv).await;
                    send(Action::Notice(match result {
                        Ok(()) => Ok(format!("exported {rows} rows to {}", path.display())),
                        Err(e) => Err(format!("cannot write {}: {e}", path.display())),
                    }));
                });
            }
            Effect::SaveViews { path, views } => {
                tokio::spawn(async move {
                    let result = async {
                        let json = serde_json::to_vec_pretty(&views).map_err(|e| e.to_string())?;
                        if let Some(dir) = path.parent() {
                            tokio::fs::create_dir_all(dir)
                                .await
                                .map_err(|e| e.to_string())?;
                        }
                        tokio::fs::write(&path, json)
                            .await
                            .map_err(|e| e.to_string())
                    }
                    .await;
                    if let Err(error) = result {
                        send(Action::Notice(Err(format!(
                            "cannot keep the saved views in {}: {error}",
                            path.display()
                        ))));
                    }
                });
            }
            Effect::ClearTerminal => {}
            Effect::Reclaim(effect) => reclaim::spawn(api, send, effect),
            other => panes::spawn(api, send, other),
        }
    }
}
