//! The claims report against a naive model: every filter, sort and order
//! the Claims pane and `seatdesk claims` offer, walked through all pages
//! with assorted page sizes, must give exactly the seats an in-memory
//! filter and sort of every claim gives, on each backend. The seats' name
//! sort key is kept by triggers (migration 0013), so a renamed user and a
//! seat assigned over the API are in the data too.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use seatdesk_core::Role;
use seatdesk_server::demo;
use serde_json::{Value, json};

use crate::helpers::{self, Client, TestServer};

const SCALE: u64 = 1_500;

/// One claim as the model sees it.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    license_id: i64,
    product_id: i64,
    account_id: i64,
    org_path: String,
    status: String,
    assigned_ms: i64,
    claimed_ms: i64,
    name_key: String,
    haystack_name: String,
    email: String,
}

/// A seat as the database holds it, before the model's lowercasing.
#[derive(sqlx::FromRow)]
struct StoredSeat {
    id: i64,
    license_id: i64,
    product_id: i64,
    account_id: i64,
    org_path: String,
    status: String,
    assigned_ms: i64,
    claimed_ms: Option<i64>,
    given_name: String,
    family_name: String,
    email: String,
}

async fn model(server: &TestServer) -> Vec<Row> {
    let ms = |c: &str| server.db.backend.epoch_ms(c);
    let rows: Vec<StoredSeat> = seatdesk_server::db::query_as(format!(
        "SELECT s.id, s.license_id, l.product_id, l.account_id, l.org_path, s.status, \
             {} AS assigned_ms, {} AS claimed_ms, u.given_name, u.family_name, u.email \
             FROM seats s JOIN licenses l ON l.id = s.license_id JOIN users u ON u.id = s.user_id",
        ms("s.assigned_at"),
        ms("s.claimed_at")
    ))
    .fetch_all(&server.db.pool)
    .await
    .expect("model rows");
    rows.into_iter()
        .map(|seat| Row {
            id: seat.id,
            license_id: seat.license_id,
            product_id: seat.product_id,
            account_id: seat.account_id,
            org_path: seat.org_path,
            status: seat.status,
            assigned_ms: seat.assigned_ms,
            claimed_ms: seat.claimed_ms.unwrap_or(0),
            name_key: format!("{} {}", seat.family_name, seat.given_name).to_lowercase(),
            haystack_name: format!("{} {}", seat.given_name, seat.family_name).to_lowercase(),
            email: seat.email.to_lowercase(),
        })
        .collect()
}

/// One report query and what it means for the model.
#[derive(Debug, Clone, Default)]
struct Case {
    statuses: Vec<&'static str>,
    scope: Option<String>,
    product: Option<i64>,
    license: Option<i64>,
    account: Option<i64>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    q: Option<String>,
    sort: &'static str,
    order: Option<&'static str>,
}

impl Case {
    fn url(&self, limit: usize) -> String {
        let stamp = |t: &DateTime<Utc>| {
            t.to_rfc3339_opts(SecondsFormat::Secs, true)
                .replace('+', "%2B")
        };
        let mut parts = vec![format!("limit={limit}"), format!("sort={}", self.sort)];
        if !self.statuses.is_empty() {
            parts.push(format!("status={}", self.statuses.join(",")));
        }
        if let Some(order) = self.order {
            parts.push(format!("order={order}"));
        }
        for (name, value) in [
            ("product_id", self.product),
            ("license_id", self.license),
            ("account_id", self.account),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name}={v}"));
            }
        }
        if let Some(t) = &self.from {
            parts.push(format!("from={}", stamp(t)));
        }
        if let Some(t) = &self.to {
            parts.push(format!("to={}", stamp(t)));
        }
        if let Some(q) = &self.q {
            parts.push(format!("q={q}"));
        }
        format!("/v1/claims?{}", parts.join("&"))
    }

    /// The model's answer: filter, then sort by the key and id.
    fn expected(&self, rows: &[Row]) -> Vec<i64> {
        let mut kept: Vec<&Row> = rows
            .iter()
            .filter(|r| self.statuses.is_empty() || self.statuses.contains(&r.status.as_str()))
            .filter(|r| {
                self.scope
                    .as_ref()
                    .is_none_or(|p| r.org_path.starts_with(p))
            })
            .filter(|r| self.product.is_none_or(|p| r.product_id == p))
            .filter(|r| self.license.is_none_or(|l| r.license_id == l))
            .filter(|r| self.account.is_none_or(|a| r.account_id == a))
            .filter(|r| {
                self.from
                    .is_none_or(|t| r.assigned_ms >= t.timestamp_millis())
            })
            .filter(|r| self.to.is_none_or(|t| r.assigned_ms < t.timestamp_millis()))
            .filter(|r| {
                self.q.as_ref().is_none_or(|q| {
                    r.haystack_name.contains(q.as_str()) || r.email.contains(q.as_str())
                })
            })
            .collect();
        let descending = match self.order {
            Some("asc") => false,
            Some(_) => true,
            None => self.sort != "name",
        };
        kept.sort_by(|a, b| {
            let by_key = match self.sort {
                "name" => a.name_key.cmp(&b.name_key),
                "claimed_at" => a.claimed_ms.cmp(&b.claimed_ms),
                _ => a.assigned_ms.cmp(&b.assigned_ms),
            };
            by_key.then(a.id.cmp(&b.id))
        });
        if descending {
            kept.reverse();
        }
        kept.into_iter().map(|r| r.id).collect()
    }
}

/// Every id of the report, page by page.
async fn walk(client: &Client, case: &Case, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = case.url(limit);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client.get_ok(&url).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit, "{url}: {} rows", items.len());
        ids.extend(items.iter().map(|c| c["id"].as_i64().expect("id")));
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit, "{url}: a short page before the end");
                cursor = Some(next.to_string());
            }
            None => return ids,
        }
    }
}

#[tokio::test]
async fn every_filter_sort_and_order_pages_through_exactly_the_models_claims() {
    const STATUSES: [&str; 4] = ["pending", "active", "expired", "revoked"];
    for backend in helpers::backends() {
        let server = TestServer::start_with(
            backend,
            seatdesk_server::ServerConfig {
                feed_cache: false,
                ..seatdesk_server::ServerConfig::default()
            },
        )
        .await;
        demo::load(&server.db, SCALE, Utc::now().date_naive())
            .await
            .expect("demo load");

        // A rename moves a user's seats in the name order; a seat assigned
        // over the API gets its key from the insert trigger.
        let (user, license): (i64, i64) = seatdesk_server::db::query_as(
            "SELECT s.user_id, s.license_id FROM seats s ORDER BY s.id LIMIT 1",
        )
        .fetch_one(&server.db.pool)
        .await
        .unwrap();
        let renamed = server
            .admin
            .send(
                reqwest::Method::PATCH,
                &format!("/v1/users/{user}"),
                Some(&json!({"given_name": "Aaron", "family_name": "Aardvark"})),
                None,
            )
            .await;
        assert!(renamed.status.is_success(), "{:?}", renamed.body);
        let newcomer = helpers::scalar(
            &server,
            &format!(
                "SELECT u.id FROM users u WHERE NOT EXISTS \
                 (SELECT 1 FROM seats s WHERE s.user_id = u.id AND s.license_id = {license}) \
                 ORDER BY u.id DESC LIMIT 1"
            ),
        )
        .await;
        let assigned = server
            .admin
            .post(
                "/v1/seats",
                &json!({"license_id": license, "user_id": newcomer}),
            )
            .await;
        assert!(assigned.status.is_success(), "{:?}", assigned.body);

        let rows = model(&server).await;
        assert!(rows.iter().any(|r| r.name_key == "aardvark aaron"));
        let keys_kept: i64 = helpers::scalar(
            &server,
            "SELECT COUNT(*) FROM seats s JOIN users u ON u.id = s.user_id \
             WHERE s.name_key IS NULL OR s.name_key <> LOWER(u.family_name || ' ' || u.given_name)",
        )
        .await;
        assert_eq!(keys_kept, 0, "name keys disagree with user names");

        // Filter values from the data: busy and quiet products, licenses
        // and accounts, a district and a school below it.
        let mut rng = StdRng::seed_from_u64(11);
        let pick = |rng: &mut StdRng, f: fn(&Row) -> i64| rows.choose(rng).map(f).unwrap();
        let org_paths: Vec<String> = seatdesk_server::db::query_scalar(
            "SELECT DISTINCT o.path FROM orgs o JOIN licenses l ON l.org_path LIKE o.path || '%' \
             WHERE o.parent_id IS NOT NULL",
        )
        .fetch_all(&server.db.pool)
        .await
        .unwrap();
        let mut scoped: Vec<(String, Client)> = Vec::new();
        for path in org_paths.iter().take(6) {
            let org = helpers::scalar(
                &server,
                &format!("SELECT id FROM orgs WHERE path = '{path}'"),
            )
            .await;
            scoped.push((
                path.clone(),
                server.client_for(Role::SystemAdmin, org).await,
            ));
        }
        let now = Utc::now();
        let family = rows.choose(&mut rng).unwrap().name_key.clone();
        let family = family.split(' ').next().unwrap().to_string();
        let texts = [
            family,
            "an".to_string(),
            "students.".to_string(),
            "zzqx".to_string(),
        ];

        let mut checked = 0;
        for mask in 0..16u32 {
            for sort in ["assigned_at", "claimed_at", "name"] {
                for order in [None, Some("asc"), Some("desc")] {
                    for round in 0..3 {
                        let mut case = Case {
                            statuses: STATUSES
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| mask & (1 << i) != 0)
                                .map(|(_, s)| *s)
                                .collect(),
                            sort,
                            order,
                            ..Case::default()
                        };
                        let mut client = &server.admin;
                        match rng.random_range(0..6) {
                            1 => case.product = Some(pick(&mut rng, |r| r.product_id)),
                            2 => case.license = Some(pick(&mut rng, |r| r.license_id)),
                            3 => case.account = Some(pick(&mut rng, |r| r.account_id)),
                            4 | 5 => {
                                let (path, c) = scoped.choose(&mut rng).unwrap();
                                case.scope = Some(path.clone());
                                client = c;
                            }
                            _ => {}
                        }
                        if round == 2 && rng.random_bool(0.5) {
                            // Two license filters at once.
                            case.product = Some(pick(&mut rng, |r| r.product_id));
                        }
                        match rng.random_range(0..6) {
                            1 => case.from = Some(now - Duration::days(90)),
                            2 => case.to = Some(now - Duration::days(180)),
                            3 => {
                                case.from = Some(now - Duration::days(120));
                                case.to = Some(now - Duration::days(60));
                            }
                            4 | 5 => case.q = Some(texts.choose(&mut rng).unwrap().clone()),
                            _ => {}
                        }
                        let expected = case.expected(&rows);
                        // Small pages, but no more than about 30 of them.
                        let limit = [1usize, 3, 10, 100]
                            .choose(&mut rng)
                            .copied()
                            .unwrap()
                            .max(expected.len() / 30 + 1)
                            .min(1000);
                        let got = walk(client, &case, limit).await;
                        assert_eq!(
                            got,
                            expected,
                            "{backend:?} {} (limit {limit}, scope {:?})",
                            case.url(limit),
                            case.scope
                        );
                        checked += 1;
                    }
                }
            }
        }
        eprintln!("{backend:?}: {checked} reports checked against the model");
    }
}

/// A date window under the name or claimed sort is answered three ways:
/// read whole from the assignment index and sorted when it holds few seats
/// (every window of this small world), by walking the sort's index and
/// checking the window in each entry, or status by status both ways at once
/// (a bound of 40 seats: the busy statuses walked, the rest read whole).
/// All must give the same pages.
#[tokio::test]
async fn a_date_window_read_whole_pages_like_the_walk_of_the_sort_index() {
    use seatdesk_core::api::seats::{ClaimQuery, ClaimSort};
    use seatdesk_server::domain::scope::Scope;
    use seatdesk_server::store::claims::{
        ClaimCursor, ClaimReport, FEW_WINDOW_SEATS, claim_report_with,
    };
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        demo::load(&server.db, SCALE, Utc::now().date_naive())
            .await
            .expect("demo load");
        let now = Utc::now();
        let windows = [
            (Some(now - Duration::days(120)), None),
            (None, Some(now - Duration::days(30))),
            (
                Some(now - Duration::days(200)),
                Some(now - Duration::days(20)),
            ),
        ];
        let statuses = [vec![], vec![seatdesk_core::SeatStatus::Active]];
        let mut compared = 0;
        for (from, to) in windows {
            for sort in [ClaimSort::Name, ClaimSort::ClaimedAt] {
                for descending in [false, true] {
                    for statuses in &statuses {
                        let query = ClaimQuery {
                            from,
                            to,
                            sort: Some(sort),
                            ..ClaimQuery::default()
                        };
                        let mut pages: Vec<Vec<i64>> = Vec::new();
                        for few in [FEW_WINDOW_SEATS, 0, 40] {
                            let mut ids = Vec::new();
                            let mut after = None;
                            loop {
                                let report = ClaimReport {
                                    query: &query,
                                    statuses: statuses.clone(),
                                    descending,
                                    after,
                                    limit: 37,
                                };
                                let rows = claim_report_with(
                                    &server.db.pool,
                                    &Scope::root(),
                                    &report,
                                    few,
                                )
                                .await
                                .expect("report")
                                .into_rows()
                                .expect("rows");
                                let more = rows.len() > 37;
                                let page: Vec<_> = rows.into_iter().take(37).collect();
                                ids.extend(page.iter().map(|r| r.id));
                                let Some(last) = page.last().filter(|_| more) else {
                                    break;
                                };
                                let key = last.sort_key.clone().unwrap_or_default();
                                after = Some(match sort {
                                    ClaimSort::Name => ClaimCursor::Text(key, last.id),
                                    _ => ClaimCursor::Number(key.parse().expect("ms"), last.id),
                                });
                            }
                            pages.push(ids);
                        }
                        assert!(
                            !pages[0].is_empty(),
                            "{backend:?} {query:?}: an empty window"
                        );
                        assert_eq!(
                            pages[0], pages[1],
                            "{backend:?} {query:?} desc {descending}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 24);
    }
}
