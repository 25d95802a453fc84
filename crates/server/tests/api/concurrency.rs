//! Many clients assigning, claiming, expiring, revoking, restoring and
//! allocating on the same few licenses at once, on every backend (and, on
//! PostgreSQL, through two server instances sharing one database).
//! Afterwards no license is over-allocated, every counter equals its rows,
//! every seat's history in the audit log replays to its current status, the
//! audit sequence has no gaps and the discrepancy report finds nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use seatdesk_server::db::types::JsonText;
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};

use crate::helpers::{Backend, Client, TestServer, backends, several_servers};

const WORKERS: u64 = 60;
const OPS_PER_WORKER: usize = 14;
/// Seat limits of the licenses everyone fights over.
const LIMITS: [i64; 3] = [3, 5, 8];
const USERS_PER_LICENSE: usize = 12;

struct Contested {
    id: i64,
    users: Vec<i64>,
    /// A purchasing account of a child org, to allocate seats down to.
    child_account: i64,
}

/// What the workers know and share: the licenses and every seat created so far.
struct Shared {
    licenses: Vec<Contested>,
    seats: Mutex<Vec<i64>>,
}

/// What succeeded, to show the run exercised every operation.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    assigned: usize,
    full: usize,
    claimed: usize,
    expired: usize,
    revoked: usize,
    restored: usize,
    allocated: usize,
    replayed: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.assigned += o.assigned;
        self.full += o.full;
        self.claimed += o.claimed;
        self.expired += o.expired;
        self.revoked += o.revoked;
        self.restored += o.restored;
        self.allocated += o.allocated;
        self.replayed += o.replayed;
    }
}

/// Sends a mutation; with `retry`, sends it again with the same key and
/// checks a success is replayed unchanged. 5xx and non-problem errors panic
/// inside [`Client::send`].
async fn mutate(
    client: &Client,
    path: &str,
    body: &Value,
    retry: Option<String>,
    tally: &mut Tally,
) -> (StatusCode, Value) {
    let reply = client
        .send(Method::POST, path, Some(body), retry.as_deref())
        .await;
    if let Some(key) = retry
        && reply.status.is_success()
    {
        let again = client
            .send(Method::POST, path, Some(body), Some(&key))
            .await;
        assert_eq!(
            (again.status, &again.body),
            (reply.status, &reply.body),
            "{path}: replay differs"
        );
        assert_eq!(
            again
                .headers
                .get("idempotent-replayed")
                .map(|v| v.to_str().unwrap()),
            Some("true")
        );
        tally.replayed += 1;
    }
    (reply.status, reply.body)
}

fn expect(path: &str, status: StatusCode, body: &Value, allowed: &[StatusCode]) {
    assert!(
        allowed.contains(&status),
        "{path}: unexpected {status}: {body}"
    );
}

async fn worker(clients: Vec<Client>, shared: Arc<Shared>, seed: u64) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();
    for op in 0..OPS_PER_WORKER {
        let client = clients.choose(&mut rng).unwrap();
        let license = shared.licenses.choose(&mut rng).unwrap();
        let known: Vec<i64> = shared.seats.lock().unwrap().clone();
        let retry = rng.random_bool(0.2).then(|| format!("w{seed}-{op}"));
        let roll = if known.is_empty() {
            0
        } else {
            rng.random_range(0..100)
        };
        match roll {
            0..35 => {
                let user = *license.users.choose(&mut rng).unwrap();
                let body = json!({"license_id": license.id, "user_id": user});
                let (status, reply) = mutate(client, "/v1/seats", &body, retry, &mut tally).await;
                expect(
                    "assign",
                    status,
                    &reply,
                    &[StatusCode::CREATED, StatusCode::CONFLICT],
                );
                if status == StatusCode::CREATED {
                    tally.assigned += 1;
                    shared
                        .seats
                        .lock()
                        .unwrap()
                        .push(reply["id"].as_i64().unwrap());
                } else if reply["type"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("no-seats-left")
                {
                    tally.full += 1;
                }
            }
            35..50 => {
                let seat = known.choose(&mut rng).unwrap();
                let path = format!("/v1/seats/{seat}/claim");
                let (status, reply) = mutate(client, &path, &json!({}), retry, &mut tally).await;
                expect(
                    &path,
                    status,
                    &reply,
                    &[StatusCode::OK, StatusCode::CONFLICT],
                );
                tally.claimed += usize::from(status == StatusCode::OK);
            }
            50..60 => {
                let seat = known.choose(&mut rng).unwrap();
                let path = format!("/v1/seats/{seat}/expire");
                let (status, reply) = mutate(client, &path, &json!({}), retry, &mut tally).await;
                expect(
                    &path,
                    status,
                    &reply,
                    &[StatusCode::OK, StatusCode::CONFLICT],
                );
                tally.expired += usize::from(status == StatusCode::OK);
            }
            60..95 => {
                let restore = roll >= 80;
                let mut ids: Vec<i64> = known.choose_multiple(&mut rng, 4).copied().collect();
                ids.shuffle(&mut rng);
                ids.truncate(rng.random_range(1..=ids.len()));
                let path = if restore {
                    "/v1/seats/restore"
                } else {
                    "/v1/seats/revoke"
                };
                let (status, reply) =
                    mutate(client, path, &json!({"seat_ids": ids}), retry, &mut tally).await;
                expect(path, status, &reply, &[StatusCode::OK]);
                let results = reply["results"].as_array().unwrap();
                assert_eq!(
                    results.len(),
                    ids.len(),
                    "{path}: one result per id: {reply}"
                );
                let done = reply["done"].as_u64().unwrap() as usize;
                if restore {
                    tally.restored += done;
                } else {
                    tally.revoked += done;
                }
            }
            _ => {
                let path = format!("/v1/licenses/{}/allocations", license.id);
                let body = json!({"account_id": license.child_account, "seats": 1});
                let (status, reply) = mutate(client, &path, &body, retry, &mut tally).await;
                expect(
                    &path,
                    status,
                    &reply,
                    &[StatusCode::CREATED, StatusCode::CONFLICT],
                );
                tally.allocated += usize::from(status == StatusCode::CREATED);
            }
        }
    }
    tally
}

async fn contested_license(server: &TestServer, seats: i64, n: usize) -> Contested {
    let fx = server.license_fixture(seats, "teacher").await;
    let mut users = Vec::new();
    for i in 0..USERS_PER_LICENSE {
        users.push(
            server
                .insert_user(fx.org_id, &format!("c{n}u{i}@race.example"), "teacher")
                .await,
        );
    }
    let school: Value = server
        .admin
        .post_ok(
            "/v1/orgs",
            &json!({"parent_id": fx.org_id, "kind": "school", "name": format!("School {n}")}),
        )
        .await;
    let account: Value = server
        .admin
        .post_ok(
            "/v1/accounts",
            &json!({"org_id": school["id"], "name": "School", "number": format!("PA-race-{n}")}),
        )
        .await;
    Contested {
        id: fx.license_id,
        users,
        child_account: account["id"].as_i64().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_clients_never_over_allocate_and_the_audit_log_tells_every_seat_story() {
    let _serial = several_servers().await;
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let mut licenses = Vec::new();
        for (n, &seats) in LIMITS.iter().enumerate() {
            licenses.push(contested_license(&server, seats, n).await);
        }
        // A second server on the same database: stateless replicas must
        // enforce the same limits as one (PostgreSQL is the multi-replica backend).
        let replica = match backend {
            Backend::Postgres => {
                let db = Db::connect(&server.db_url).await.expect("second pool");
                let running = seatdesk_server::spawn(
                    AppState::new(db, ServerConfig::default()),
                    "127.0.0.1:0".parse().unwrap(),
                )
                .await
                .expect("bind");
                Some(running)
            }
            Backend::Sqlite => None,
        };
        let mut clients = vec![server.admin.clone()];
        if let Some(replica) = &replica {
            clients.push(Client::new(&replica.url(), &server.admin.token));
        }
        let shared = Arc::new(Shared {
            licenses,
            seats: Mutex::new(Vec::new()),
        });
        let tasks: Vec<_> = (0..WORKERS)
            .map(|seed| tokio::spawn(worker(clients.clone(), shared.clone(), seed)))
            .collect();
        let mut tally = Tally::default();
        for task in tasks {
            tally += task.await.expect("a worker failed");
        }
        eprintln!("{backend:?}: {tally:?}");
        assert!(
            tally.full > 0,
            "{backend:?}: the licenses never filled up: {tally:?}"
        );
        assert!(
            tally.assigned > 0
                && tally.claimed > 0
                && tally.revoked > 0
                && tally.restored > 0
                && tally.replayed > 0,
            "{backend:?}: not every operation succeeded at least once: {tally:?}"
        );

        server.assert_counts_match_rows().await;
        let seats: Vec<i64> = shared.seats.lock().unwrap().clone();
        assert_eq!(seats.len(), tally.assigned, "{backend:?}");
        assert_seat_histories(&server, &seats).await;
        assert_allocation_histories(&server, &shared.licenses, tally.allocated).await;
        assert_gap_free_audit(&server).await;
        let report: Value = server.admin.get_ok("/v1/discrepancies").await;
        assert_eq!(report["total"], 0, "{backend:?}: {report}");
        for license in &shared.licenses {
            let view: Value = server
                .admin
                .get_ok(&format!("/v1/licenses/{}", license.id))
                .await;
            let s = &view["seats"];
            let used = s["consumed"].as_i64().unwrap() + s["allocated"].as_i64().unwrap();
            assert!(
                used <= s["purchased"].as_i64().unwrap(),
                "{backend:?}: {view}"
            );
        }
        drop(replica);
    }
}

/// seq, seat id, action, before, after.
type SeatEvent = (
    i64,
    i64,
    String,
    Option<JsonText<Value>>,
    Option<JsonText<Value>>,
);

/// Replays each seat's events in seq order: it starts with one assign, each
/// event's `before` is the status the previous one left, a restore puts back
/// what the revoke took, and the last status is the row's status.
async fn assert_seat_histories(server: &TestServer, seats: &[i64]) {
    let events: Vec<SeatEvent> = seatdesk_server::db::query_as(
        "SELECT seq, target_id, action, before_json, after_json FROM audit_events \
         WHERE target_type = 'seat' ORDER BY seq",
    )
    .fetch_all(&server.db.pool)
    .await
    .unwrap();
    let status_of = |json: &Option<JsonText<Value>>| -> String {
        let value = json.as_ref().map_or(&Value::Null, |j| &j.0);
        value["status"].as_str().unwrap_or_default().to_string()
    };
    let mut state: HashMap<i64, (String, Option<String>)> = HashMap::new();
    for (seq, seat, action, before, after) in &events {
        let (after, before) = (status_of(after), status_of(before));
        match action.as_str() {
            "seat.assign" => {
                assert!(
                    !state.contains_key(seat),
                    "seq {seq}: seat {seat} assigned twice"
                );
                assert_eq!(after, "pending", "seq {seq}");
                state.insert(*seat, (after, None));
            }
            other => {
                let (current, before_revoke) = state.get(seat).cloned().unwrap_or_else(|| {
                    panic!("seq {seq}: {other} of seat {seat} before its assign")
                });
                assert_eq!(
                    before, current,
                    "seq {seq}: {other} of seat {seat} starts from the wrong status"
                );
                let allowed = match other {
                    "seat.claim" => current == "pending" && after == "active",
                    "seat.expire" => {
                        matches!(current.as_str(), "pending" | "active") && after == "expired"
                    }
                    "seat.revoke" => current != "revoked" && after == "revoked",
                    "seat.restore" => {
                        current == "revoked" && Some(&after) == before_revoke.as_ref()
                    }
                    _ => panic!("seq {seq}: unexpected seat event {other}"),
                };
                assert!(
                    allowed,
                    "seq {seq}: seat {seat}: {other} took {current} to {after}"
                );
                let before_revoke = (other == "seat.revoke").then_some(current);
                state.insert(*seat, (after, before_revoke));
            }
        }
    }
    let rows: Vec<(i64, String)> = seatdesk_server::db::query_as("SELECT id, status FROM seats")
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        seats.len(),
        "every seat row was answered to a client"
    );
    for (id, status) in rows {
        assert!(seats.contains(&id), "seat {id} was never reported created");
        let (replayed, _) = state
            .get(&id)
            .unwrap_or_else(|| panic!("seat {id} has no events"));
        assert_eq!(
            replayed, &status,
            "seat {id}: the audit log ends at {replayed}, the row says {status}"
        );
    }
}

/// Each allocation is one `license.allocate` on the child and one
/// `license.update` on the parent whose before/after chain ends at the
/// parent's stored `seats_allocated`.
async fn assert_allocation_histories(
    server: &TestServer,
    licenses: &[Contested],
    allocated: usize,
) {
    let children: i64 = seatdesk_server::db::query_scalar(
        "SELECT COUNT(*) FROM licenses WHERE parent_license_id IS NOT NULL",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    assert_eq!(children as usize, allocated);
    for license in licenses {
        let events: Vec<(i64, JsonText<Value>, JsonText<Value>)> = seatdesk_server::db::query_as(
            "SELECT seq, before_json, after_json FROM audit_events \
             WHERE target_type = 'license' AND action = 'license.update' AND target_id = $1 ORDER BY seq",
        )
        .bind(license.id)
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
        let mut current = 0;
        for (seq, JsonText(before), JsonText(after)) in events {
            assert_eq!(
                before["seats_allocated"], current,
                "seq {seq}: license {}",
                license.id
            );
            current = after["seats_allocated"].as_i64().unwrap();
        }
        let stored: i64 =
            seatdesk_server::db::query_scalar("SELECT seats_allocated FROM licenses WHERE id = $1")
                .bind(license.id)
                .fetch_one(&server.db.pool)
                .await
                .unwrap();
        assert_eq!(
            current, stored,
            "license {}: the audit log and the counter disagree",
            license.id
        );
    }
}

/// Seq numbers run 1..=N with no gap or repeat, and the head counter is N.
async fn assert_gap_free_audit(server: &TestServer) {
    let (count, min, max): (i64, i64, i64) = seatdesk_server::db::query_as(
        "SELECT COUNT(*), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM audit_events",
    )
    .fetch_one(&server.db.pool)
    .await
    .unwrap();
    let distinct: i64 =
        seatdesk_server::db::query_scalar("SELECT COUNT(DISTINCT seq) FROM audit_events")
            .fetch_one(&server.db.pool)
            .await
            .unwrap();
    let head: i64 = seatdesk_server::db::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
    assert_eq!(
        (min, max, distinct, head),
        (1, count, count, count),
        "audit seq has gaps or repeats"
    );
}

/// A burst of allocations from one license, half through each server on
/// PostgreSQL: exactly the free seats are handed down, and the parent's
/// audit trail counts up one by one to the stored figure (each event
/// reports the count its own change left, not one read before a wait).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_allocations_hands_down_exactly_the_free_seats_with_a_true_audit_trail() {
    const SEATS: i64 = 12;
    const REQUESTS: usize = 30;
    let _serial = several_servers().await;
    for backend in backends() {
        let server = TestServer::start(backend).await;
        let license = contested_license(&server, SEATS, 0).await;
        let replica = match backend {
            Backend::Postgres => Some(
                seatdesk_server::spawn(
                    AppState::new(
                        Db::connect(&server.db_url).await.expect("second pool"),
                        ServerConfig::default(),
                    ),
                    "127.0.0.1:0".parse().unwrap(),
                )
                .await
                .expect("bind"),
            ),
            Backend::Sqlite => None,
        };
        let mut clients = vec![server.admin.clone()];
        if let Some(replica) = &replica {
            clients.push(Client::new(&replica.url(), &server.admin.token));
        }
        let path = format!("/v1/licenses/{}/allocations", license.id);
        let body = json!({"account_id": license.child_account, "seats": 1});
        let tasks: Vec<_> = (0..REQUESTS)
            .map(|i| {
                let (client, path, body) = (
                    clients[i % clients.len()].clone(),
                    path.clone(),
                    body.clone(),
                );
                tokio::spawn(async move { client.post(&path, &body).await.status })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                StatusCode::CREATED => created += 1,
                StatusCode::CONFLICT => {}
                other => panic!("{backend:?}: unexpected {other}"),
            }
        }
        assert_eq!(created, SEATS as usize, "{backend:?}");
        assert_allocation_histories(&server, std::slice::from_ref(&license), created).await;
        server.assert_counts_match_rows().await;
        drop(replica);
    }
}
