//! Background work of the Reclaim view and the Dashboard's reclaim line:
//! each request runs in its own task and reports back as a
//! [`ReclaimAction`].

use seatdesk_client::{ApiClient, ClientError, collect_pages, new_idempotency_key};
use seatdesk_core::api::MAX_PAGE_SIZE;
use seatdesk_core::api::reclaim::{
    PolicyQuery, ReclaimPolicy, ReclaimRun, ReclaimSummary, RunQuery, SummaryQuery,
};

use crate::action::{Action, ReclaimAction};
use crate::app::{POLICIES_MAX, RUNS_MAX, ReclaimEffect};

fn text(error: ClientError) -> String {
    error.to_string()
}

pub fn spawn(api: ApiClient, send: impl Fn(Action) + Send + 'static, effect: ReclaimEffect) {
    let send = move |action: ReclaimAction| send(Action::Reclaim(action));
    match effect {
        ReclaimEffect::LoadPolicies => {
            tokio::spawn(async move {
                let result = load_policies(&api).await.map_err(text);
                send(ReclaimAction::Loaded(result));
            });
        }
        ReclaimEffect::LoadSummary { query } => {
            tokio::spawn(async move {
                let result = api.reclaim_summary(&query).await.map_err(text);
                send(ReclaimAction::Summary { query, result });
            });
        }
        ReclaimEffect::DryRun { policy_id, check } => {
            tokio::spawn(async move {
                let result = api.reclaim_dry_run(policy_id).await.map_err(text);
                send(if check {
                    ReclaimAction::Checked { policy_id, result }
                } else {
                    ReclaimAction::Previewed { policy_id, result }
                });
            });
        }
        ReclaimEffect::Run { policy_id } => {
            tokio::spawn(async move {
                let result = api
                    .run_reclaim_policy(policy_id, &new_idempotency_key())
                    .await
                    .map_err(text);
                send(ReclaimAction::Ran { policy_id, result });
            });
        }
        ReclaimEffect::SetPaused { policy_id, paused } => {
            tokio::spawn(async move {
                let result = api
                    .set_reclaim_paused(policy_id, paused, &new_idempotency_key())
                    .await
                    .map_err(text);
                send(ReclaimAction::Toggled { policy_id, result });
            });
        }
        ReclaimEffect::LoadRuns { policy_id } => {
            tokio::spawn(async move {
                let result = load_runs(&api, policy_id).await.map_err(text);
                send(ReclaimAction::Runs { policy_id, result });
            });
        }
    }
}

/// Every policy up to [`POLICIES_MAX`] (and whether there were more), and
/// the unfiltered summary of what each could reclaim now.
async fn load_policies(
    api: &ApiClient,
) -> Result<(Vec<ReclaimPolicy>, bool, ReclaimSummary), ClientError> {
    let (policies, more) = collect_pages(Some(POLICIES_MAX), |cursor| {
        let api = api.clone();
        async move {
            let query = PolicyQuery {
                org_id: None,
                cursor,
                limit: Some(MAX_PAGE_SIZE),
            };
            api.reclaim_policies(&query).await
        }
    })
    .await?;
    let summary = api.reclaim_summary(&SummaryQuery::default()).await?;
    Ok((policies, more, summary))
}

async fn load_runs(api: &ApiClient, policy_id: i64) -> Result<Vec<ReclaimRun>, ClientError> {
    let (mut runs, _) = collect_pages(Some(RUNS_MAX), |cursor| {
        let api = api.clone();
        async move {
            let query = RunQuery {
                cursor,
                limit: Some(RUNS_MAX as u32),
            };
            api.reclaim_runs(policy_id, &query).await
        }
    })
    .await?;
    runs.truncate(RUNS_MAX);
    Ok(runs)
}
