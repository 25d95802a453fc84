//! Background work of the Codes and Inventory panes, forms, the access
//! check and alerts. Each task sends one or more actions back; none touches
//! the state.

use std::path::PathBuf;

use seatdesk_client::{ApiClient, ClientError, collect_pages, new_idempotency_key};
use seatdesk_core::RequestStatus;
use seatdesk_core::api::alerts::AlertQuery;
use seatdesk_core::api::codes::{CodeQuery, ExportFormat, PageQuery};
use seatdesk_core::api::inventory::LicenseQuery;
use seatdesk_core::api::requests::{Approval, Rejection, RequestQuery};
use tokio::io::AsyncWriteExt;

use crate::action::{Action, CodesAction, InventoryAction};
use crate::app::{CODES_MAX, CodeTab, CodesData, Effect, INVENTORY_MAX};

/// Rows asked for per page.
const PAGE: u32 = 500;
/// Pending requests listed at most.
const REQUESTS_MAX: usize = 2_000;

fn text(error: ClientError) -> String {
    error.to_string()
}

/// Starts one of this module's effects; any other effect is a routing bug,
/// logged and dropped.
pub fn spawn(api: ApiClient, send: impl Fn(Action) + Send + 'static, effect: Effect) {
    match effect {
        Effect::LoadInventory { generation, query } => {
            tokio::spawn(async move { load_inventory(api, send, generation, query).await });
        }
        Effect::LoadRequests => {
            tokio::spawn(async move {
                let result = load_requests(&api).await.map_err(text);
                send(Action::Inventory(InventoryAction::Requests(result)));
            });
        }
        Effect::LoadProducts => {
            tokio::spawn(async move {
                let result = api.products().await.map_err(text);
                send(Action::Inventory(InventoryAction::Products(result)));
            });
        }
        Effect::LoadCodes {
            generation,
            license_id,
            tab,
        } => {
            tokio::spawn(async move {
                let result = load_codes(&api, license_id, tab).await.map_err(text);
                send(Action::Codes(CodesAction::Loaded { generation, result }));
            });
        }
        Effect::CreateBatch { license_id, batch } => {
            tokio::spawn(async move {
                let result = api
                    .create_code_batch(license_id, &batch, &new_idempotency_key())
                    .await
                    .map_err(text);
                send(Action::Codes(CodesAction::BatchCreated(result)));
            });
        }
        Effect::PatchBatch { batch_id, patch } => {
            tokio::spawn(async move {
                let result = api
                    .patch_code_batch(batch_id, &patch, &new_idempotency_key())
                    .await
                    .map_err(text);
                send(Action::Codes(CodesAction::BatchUpdated(result)));
            });
        }
        Effect::ExportBatch {
            batch_id,
            format,
            path,
        } => {
            tokio::spawn(async move {
                let result = export_batch(&api, batch_id, format, &path).await;
                if let Err(error) = &result {
                    tracing::warn!(%error, "batch export failed");
                }
                send(Action::Codes(CodesAction::Exported(result)));
            });
        }
        Effect::SetLicenseActive { license_id, active } => {
            tokio::spawn(async move {
                let result = api
                    .set_license_active(license_id, active, &new_idempotency_key())
                    .await
                    .map_err(text);
                send(Action::Inventory(InventoryAction::Toggled {
                    license_id,
                    result,
                }));
            });
        }
        Effect::SubmitRequest(request) => {
            tokio::spawn(async move {
                let result = api
                    .create_request(&request, &new_idempotency_key())
                    .await
                    .map_err(text);
                send(Action::Inventory(InventoryAction::Submitted(result)));
            });
        }
        Effect::Decide {
            request_id,
            approve,
            comments,
            seats,
        } => {
            tokio::spawn(async move {
                let key = new_idempotency_key();
                let comments = comments.trim().to_string();
                let result = if approve {
                    let approval = Approval {
                        approval_comments: (!comments.is_empty()).then_some(comments),
                        seats,
                    };
                    api.approve_request(request_id, &approval, &key).await
                } else {
                    let rejection = Rejection {
                        approval_comments: comments,
                    };
                    api.reject_request(request_id, &rejection, &key).await
                };
                send(Action::Inventory(InventoryAction::Decided {
                    request_id,
                    result: result.map_err(text),
                }));
            });
        }
        Effect::AccessCheck { user, product } => {
            tokio::spawn(async move {
                let result = api.access_check(&user, &product).await.map_err(text);
                send(Action::Access {
                    user,
                    product,
                    result,
                });
            });
        }
        Effect::LoadAlerts => {
            tokio::spawn(async move {
                let result = api.alerts(&AlertQuery::default()).await.map_err(text);
                send(Action::Alerts(result));
            });
        }
        Effect::Probe => {
            tokio::spawn(async move {
                let result = api.probe().await.map_err(text);
                send(Action::Probed(result));
            });
        }
        other => tracing::error!(?other, "not a pane effect"),
    }
}

/// Pages through `/v1/licenses`, sending each page as it arrives so the
/// table fills in while the rest loads.
async fn load_inventory(
    api: ApiClient,
    send: impl Fn(Action),
    generation: u64,
    mut query: LicenseQuery,
) {
    let mut loaded = 0;
    query.limit = Some(PAGE);
    loop {
        match api.licenses(&query).await {
            Ok(page) => {
                loaded += page.items.len();
                let more = page.next_cursor.is_some();
                let truncated = more && loaded >= INVENTORY_MAX;
                let last = !more || truncated;
                send(Action::Inventory(InventoryAction::Page {
                    generation,
                    items: page.items,
                    last,
                    truncated,
                }));
                if last {
                    return;
                }
                query.cursor = page.next_cursor;
            }
            Err(error) => {
                tracing::warn!(%error, "loading the inventory failed");
                send(Action::Inventory(InventoryAction::Failed {
                    generation,
                    offline: error.is_offline(),
                    error: error.to_string(),
                }));
                return;
            }
        }
    }
}

async fn load_requests(
    api: &ApiClient,
) -> Result<Vec<seatdesk_core::api::requests::LicenseRequest>, ClientError> {
    let (items, _) = collect_pages(Some(REQUESTS_MAX), |cursor| async move {
        let query = RequestQuery {
            status: Some(RequestStatus::Pending),
            limit: Some(PAGE),
            cursor,
            ..RequestQuery::default()
        };
        api.requests(&query).await
    })
    .await?;
    Ok(items)
}

/// A tab's rows and whether more exist than were loaded.
async fn load_codes(
    api: &ApiClient,
    license_id: i64,
    tab: CodeTab,
) -> Result<(CodesData, bool), ClientError> {
    let limit = Some(PAGE);
    match tab.kind() {
        Some(kind) => {
            let (items, more) = collect_pages(Some(CODES_MAX), |cursor| async move {
                let query = CodeQuery {
                    kind: Some(kind),
                    cursor,
                    limit,
                };
                api.codes(license_id, &query).await
            })
            .await?;
            Ok((CodesData::Codes(items), more))
        }
        None => {
            let (items, more) = collect_pages(Some(CODES_MAX), |cursor| async move {
                api.code_batches(license_id, &PageQuery { cursor, limit })
                    .await
            })
            .await?;
            Ok((CodesData::Batches(items), more))
        }
    }
}

/// Fetches the export and writes it to a new file: an existing file is
/// never overwritten, so a mistyped path loses nothing.
async fn export_batch(
    api: &ApiClient,
    batch_id: i64,
    format: ExportFormat,
    path: &PathBuf,
) -> Result<String, String> {
    let bytes = api
        .export_code_batch(batch_id, format)
        .await
        .map_err(|e| format!("export of batch {batch_id} failed: {e}"))?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!("{} already exists; choose another path", path.display())
            } else {
                format!("cannot write {}: {e}", path.display())
            }
        })?;
    file.write_all(&bytes)
        .await
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.flush()
        .await
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!(
        "exported batch {batch_id} to {} ({} bytes)",
        path.display(),
        bytes.len()
    ))
}
