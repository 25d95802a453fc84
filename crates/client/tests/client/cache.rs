//! The local cache: bad files are rebuilt, deltas patch rows in place.

use chrono::{DateTime, Utc};
use seatdesk_client::cache::{Cache, Rebuilt, SCHEMA_VERSION};
use seatdesk_client::sync::{Refetch, apply_event};
use seatdesk_core::api::audit::AuditEvent;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::{SeatStatus, UserKind};
use serde_json::json;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn claim(id: i64, license_id: i64, status: SeatStatus) -> Claim {
    Claim {
        id,
        license_id,
        product_id: 1,
        product_name: "ConnectED".into(),
        user_id: id * 10,
        user_name: format!("Teacher {id}"),
        user_email: format!("t{id}@school.test"),
        user_kind: UserKind::Teacher,
        org_id: 2,
        org_name: "School".into(),
        status,
        assigned_at: at(1_700_000_000_000),
        assigned_by: "root".into(),
        claimed_at: None,
        expired_at: None,
        revoked_at: None,
        claimed_by: None,
        expired_by: None,
        revoked_by: None,
        redemption_code: None,
        students_assigned: 0,
        updated_at: at(1_700_000_000_000),
    }
}

fn event(seq: i64, action: &str, target: i64, after: serde_json::Value) -> AuditEvent {
    AuditEvent {
        seq,
        at: at(1_700_000_500_000),
        actor: "root".into(),
        action: action.into(),
        target_type: "seat".into(),
        target_id: target,
        before: None,
        after: Some(after),
        request_id: "r1".into(),
    }
}

async fn filled(path: &std::path::Path) -> Cache {
    let cache = Cache::open(path).await.unwrap();
    let mut write = cache.begin().await.unwrap();
    write
        .upsert_claim(&claim(1, 7, SeatStatus::Active))
        .await
        .unwrap();
    write
        .upsert_claim(&claim(2, 7, SeatStatus::Pending))
        .await
        .unwrap();
    write.set_synced(41, Utc::now()).await.unwrap();
    write.commit().await.unwrap();
    cache
}

#[tokio::test]
async fn a_new_cache_is_empty_and_a_reopened_one_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let cache = filled(&path).await;
    assert!(cache.rebuilt.is_none());
    cache.close().await;
    let cache = Cache::open(&path).await.unwrap();
    assert!(cache.rebuilt.is_none());
    let snapshot = cache.load().await.unwrap();
    assert_eq!(snapshot.claims.len(), 2);
    assert_eq!(snapshot.last_seq, 41);
}

#[tokio::test]
async fn a_corrupt_file_is_rebuilt_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    std::fs::write(
        &path,
        b"this is not a database, just garbage bytes ".repeat(200),
    )
    .unwrap();
    let cache = Cache::open(&path).await.unwrap();
    assert!(
        matches!(
            cache.rebuilt,
            Some(Rebuilt::Unreadable(_)) | Some(Rebuilt::IntegrityCheck(_))
        ),
        "{:?}",
        cache.rebuilt
    );
    let snapshot = cache.load().await.unwrap();
    assert!(snapshot.claims.is_empty());
    assert_eq!(snapshot.last_seq, 0);
    assert!(
        snapshot.last_sync.is_none(),
        "a rebuilt cache asks for a full sync"
    );
}

#[tokio::test]
async fn a_truncated_database_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let cache = filled(&path).await;
    cache.close().await;
    let _ = std::fs::remove_file(dir.path().join("p.sqlite-wal"));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len().min(1500)]).unwrap();
    let cache = Cache::open(&path).await.unwrap();
    assert!(cache.rebuilt.is_some());
    assert!(cache.load().await.unwrap().claims.is_empty());
}

#[tokio::test]
async fn an_old_schema_version_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let cache = filled(&path).await;
    // What an older seatdesk would have left behind.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    cache.close().await;
    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(
        cache.rebuilt,
        Some(Rebuilt::SchemaVersion { found: Some(0) })
    );
    assert!(cache.load().await.unwrap().claims.is_empty());
    assert_ne!(SCHEMA_VERSION, 0);
}

#[tokio::test]
async fn seat_events_patch_rows_or_ask_for_a_refetch() {
    let dir = tempfile::tempdir().unwrap();
    let cache = filled(&dir.path().join("p.sqlite")).await;
    let mut refetch = Refetch::default();
    let mut write = cache.begin().await.unwrap();
    // A revocation carries status and time: patched in place.
    let revoke = event(
        42,
        "seat.revoke",
        1,
        json!({"status": "revoked", "license_id": 7, "user_id": 10, "revoked_at": 1_700_000_400_000i64, "revoked_by": "ops"}),
    );
    apply_event(&mut write, &revoke, &mut refetch)
        .await
        .unwrap();
    // An assignment carries the whole claim: inserted.
    let mut new = claim(3, 7, SeatStatus::Pending);
    new.user_name = "New Teacher".into();
    let assign = event(43, "seat.assign", 3, serde_json::to_value(&new).unwrap());
    apply_event(&mut write, &assign, &mut refetch)
        .await
        .unwrap();
    // An event for a seat the cache never saw, without a full claim: refetch.
    let unknown = event(
        44,
        "seat.restore",
        99,
        json!({"status": "active", "license_id": 8, "user_id": 5}),
    );
    apply_event(&mut write, &unknown, &mut refetch)
        .await
        .unwrap();
    write.set_synced(44, Utc::now()).await.unwrap();
    write.commit().await.unwrap();

    let snapshot = cache.load().await.unwrap();
    let by_id = |id| snapshot.claims.iter().find(|c| c.id == id).unwrap();
    assert_eq!(by_id(1).status, SeatStatus::Revoked);
    assert_eq!(by_id(1).revoked_at, Some(at(1_700_000_400_000)));
    assert_eq!(by_id(1).revoked_by.as_deref(), Some("ops"));
    assert_eq!(by_id(2).status, SeatStatus::Pending, "untouched");
    assert_eq!(by_id(3).user_name, "New Teacher");
    assert_eq!(snapshot.last_seq, 44);
    assert!(refetch.claims_of.contains(&8) && !refetch.claims_of.contains(&7));
    assert!(refetch.licenses.contains(&7) && refetch.licenses.contains(&8));

    // A teacher's student count changing names neither status nor claim:
    // the seat's license's claims are read again (they used to be skipped,
    // leaving the count stale until a full sync).
    let mut refetch = Refetch::default();
    let mut write = cache.begin().await.unwrap();
    let students = event(
        45,
        "seat.student_assign",
        2,
        json!({"students_assigned": 3}),
    );
    apply_event(&mut write, &students, &mut refetch)
        .await
        .unwrap();
    let never_seen = event(
        46,
        "seat.student_assign",
        500,
        json!({"students_assigned": 1}),
    );
    apply_event(&mut write, &never_seen, &mut refetch)
        .await
        .unwrap();
    drop(write);
    assert_eq!(
        refetch.claims_of.iter().copied().collect::<Vec<_>>(),
        vec![7]
    );
}

/// Damage deep inside a large file passes the cheap checks at open (which
/// read a few pages whatever the size) and is found by the background
/// integrity check, which rebuilds the cache empty so a full sync follows.
#[tokio::test]
async fn damage_found_after_open_rebuilds_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let cache = Cache::open(&path).await.unwrap();
    let mut write = cache.begin().await.unwrap();
    for id in 1..=3000 {
        let mut row = claim(id, 1 + id % 5, SeatStatus::Active);
        row.user_name = format!("Teacher {id} with a long enough name to fill pages");
        row.claimed_at = Some(at(1_700_000_000_000 + id * 86_400_000));
        write.upsert_claim(&row).await.unwrap();
    }
    write.set_synced(77, Utc::now()).await.unwrap();
    write.commit().await.unwrap();
    assert_eq!(cache.head().await.unwrap().claims, 3000);
    cache.close().await;
    // Overwrite a page in the middle of the file (a leaf of the claims).
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 40 * 4096, "{}", bytes.len());
    let page = bytes.len() / 4096 / 2;
    for (i, b) in bytes[page * 4096..(page + 1) * 4096].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let cache = Cache::open(&path).await.unwrap();
    assert!(cache.rebuilt.is_none(), "{:?}", cache.rebuilt);
    let head = cache.head().await.unwrap();
    assert_eq!(head.claims, 3000, "the load is sized from the stored total");
    let other = cache.clone();
    let verdict = cache.verify().await.unwrap();
    assert!(
        matches!(verdict, Some(Rebuilt::IntegrityCheck(_))),
        "{verdict:?}"
    );
    // Every clone (the sync, the loader) now works on the new empty file.
    let snapshot = other.load().await.unwrap();
    assert!(snapshot.claims.is_empty());
    assert!(
        snapshot.last_sync.is_none(),
        "a rebuilt cache asks for a full sync"
    );
    assert_eq!(other.head().await.unwrap().claims, 0);
    assert_eq!(cache.verify().await.unwrap(), None);
}

/// The claim total the start-up load is sized by follows every kind of
/// write, in the transaction of the rows.
#[tokio::test]
async fn the_claim_total_follows_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let cache = filled(&dir.path().join("p.sqlite")).await;
    let total = || async { cache.head().await.unwrap().claims };
    let rows = || async { cache.load().await.unwrap().claims.len() as u64 };
    assert_eq!(total().await, rows().await);
    let before = total().await;

    let mut write = cache.begin().await.unwrap();
    write
        .upsert_claim(&claim(1, 8, SeatStatus::Revoked))
        .await
        .unwrap();
    write
        .upsert_claim(&claim(99, 9, SeatStatus::Active))
        .await
        .unwrap();
    write.commit().await.unwrap();
    assert_eq!(total().await, before + 1, "one new claim, one moved");
    let mut write = cache.begin().await.unwrap();
    write.delete_license(9).await.unwrap();
    // Not committed: nothing changes, the total included.
    drop(write);
    assert_eq!(total().await, before + 1);
    let mut write = cache.begin().await.unwrap();
    write.delete_license(9).await.unwrap();
    write.commit().await.unwrap();
    assert_eq!(total().await, rows().await);
}

/// The server's dashboard answers are kept per view, replaced by newer
/// ones, and forgotten by a full reload (they may belong to other data).
#[tokio::test]
async fn dashboards_are_kept_per_view() {
    use seatdesk_client::cache::CachedDashboard;
    use seatdesk_core::api::dashboard::{Dashboard, DashboardQuery, ModuleUsers, ProductSummary};
    let dir = tempfile::tempdir().unwrap();
    let cache = filled(&dir.path().join("p.sqlite")).await;
    let product = |name: &str, purchased| ProductSummary {
        product_id: Some(1),
        sku: Some("SKU".into()),
        name: name.into(),
        module: None,
        seats: seatdesk_core::seats::SeatCounts {
            purchased,
            consumed: 1,
            allocated: 0,
        },
        seats_available: purchased - 1,
        usage_percent: 0.0,
        allocated_within: 0,
        licenses: 1,
        earliest_start: None,
        latest_finish: None,
        min_remaining_days: Some(12),
        expiring_30: 1,
        expiring_60: 1,
        expiring_90: 1,
        in_grace: 0,
        claims: Default::default(),
        activation_rate: None,
        activations_per_week: Vec::new(),
        forecast: None,
    };
    let answer = |purchased| CachedDashboard {
        dashboard: Dashboard {
            today: at(0).date_naive(),
            totals: product("All", purchased),
            products: vec![product("ALEKS", purchased)],
            module_users: ModuleUsers::default(),
            attention: Vec::new(),
            attention_more: 0,
        },
        fetched_at: at(1_700_000_000_000),
    };
    let all = DashboardQuery::default();
    let account = DashboardQuery {
        account_id: Some(3),
        ..DashboardQuery::default()
    };
    assert_eq!(cache.dashboard(&all).await.unwrap(), None);
    cache.store_dashboard(&all, &answer(10)).await.unwrap();
    cache.store_dashboard(&account, &answer(4)).await.unwrap();
    assert_eq!(cache.dashboard(&all).await.unwrap(), Some(answer(10)));
    assert_eq!(cache.dashboard(&account).await.unwrap(), Some(answer(4)));
    cache.store_dashboard(&all, &answer(12)).await.unwrap();
    assert_eq!(cache.dashboard(&all).await.unwrap(), Some(answer(12)));
    let mut write = cache.begin().await.unwrap();
    write.clear().await.unwrap();
    write.commit().await.unwrap();
    assert_eq!(cache.dashboard(&all).await.unwrap(), None);
}
