//! Dashboard figures, the help-desk access check and the discrepancy report,
//! over real HTTP on every backend: fixtures built through the API where an
//! endpoint exists and planted with SQL where none does (users, role rules,
//! trainings, user status, corrupted counters).

use chrono::{NaiveDate, Utc};
use reqwest::StatusCode;
use seatdesk_core::Role;
use seatdesk_core::api::dashboard::{
    AttentionReason, Dashboard, MAX_ATTENTION_ITEMS, ProductSummary,
};
use seatdesk_core::api::triage::{
    AccessCheck, AccessCondition, DiscrepancyKind, DiscrepancyReport,
};
use seatdesk_core::seats::{SeatCounts, week_index, week_start_ms};
use seatdesk_server::db::now_ms;
use seatdesk_server::db::sql::Value as SqlValue;
use seatdesk_server::db::types::Stamp;
use serde_json::{Value, json};

use crate::helpers::{
    self, Backend, Client, TestServer, account, days_from_today, license, org, product,
    several_servers,
};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn assign(server: &TestServer, license: i64, user: i64) -> i64 {
    let claim: Value = server
        .admin
        .post_ok(
            "/v1/seats",
            &json!({"license_id": license, "user_id": user}),
        )
        .await;
    claim["id"].as_i64().unwrap()
}

async fn claim(server: &TestServer, seat: i64) {
    let _: Value = server
        .admin
        .post_ok(&format!("/v1/seats/{seat}/claim"), &json!({}))
        .await;
}

async fn sql(server: &TestServer, text: &str, args: &[SqlValue]) {
    let mut query = seatdesk_server::db::query(text.to_string());
    for arg in args {
        query = query.bind(arg.clone());
    }
    query.execute(&server.db.pool).await.expect(text);
}

async fn set_user(server: &TestServer, user: i64, column: &str, value: &str) {
    seatdesk_server::db::query(format!("UPDATE users SET {column} = $1 WHERE id = $2"))
        .bind(value.to_string())
        .bind(user)
        .execute(&server.db.pool)
        .await
        .unwrap();
}

fn product_figures(dashboard: &Dashboard, product_id: i64) -> &ProductSummary {
    dashboard
        .products
        .iter()
        .find(|p| p.product_id == Some(product_id))
        .unwrap_or_else(|| panic!("product {product_id} missing from {dashboard:#?}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn dashboard_figures_are_exact_and_scoped() {
    for backend in helpers::backends() {
        dashboard_story(backend).await;
    }
}

async fn dashboard_story(backend: Backend) {
    let server = TestServer::start(backend).await;
    let district = org(&server, server.root_org, "district", "North District").await;
    let other = org(&server, server.root_org, "district", "South District").await;
    let (acct, other_acct) = (
        account(&server, district).await,
        account(&server, other).await,
    );
    let learn = product(&server, "LEARN-1", "learn", None).await;
    let observe = product(&server, "OBSERVE-1", "observe", None).await;
    let since = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    // Three licenses: expiring in 20 days, in 45 days, and 5 days into grace.
    let l1 = license(&server, acct, learn, 10, (since, days_from_today(20)), 30).await;
    let l2 = license(&server, acct, learn, 5, (since, days_from_today(45)), 0).await;
    let l3 = license(&server, acct, observe, 4, (since, days_from_today(-5)), 30).await;
    let far = license(
        &server,
        other_acct,
        learn,
        7,
        (since, days_from_today(400)),
        0,
    )
    .await;
    let mut users = Vec::new();
    for n in 1..=8 {
        users.push(
            server
                .insert_user(district, &format!("u{n}@north.example"), "teacher")
                .await,
        );
    }
    let stranger = server
        .insert_user(other, "s1@south.example", "teacher")
        .await;

    // L1: u1, u2 active; u3 claimed then expired; u4 revoked while pending; u5 pending.
    let l1_seats: Vec<i64> = {
        let mut seats = Vec::new();
        for user in &users[0..5] {
            seats.push(assign(&server, l1, *user).await);
        }
        seats
    };
    for seat in &l1_seats[0..3] {
        claim(&server, *seat).await;
    }
    let _: Value = server
        .admin
        .post_ok(&format!("/v1/seats/{}/expire", l1_seats[2]), &json!({}))
        .await;
    let revoked: Value = server
        .admin
        .post_ok("/v1/seats/revoke", &json!({"seat_ids": [l1_seats[3]]}))
        .await;
    assert_eq!(revoked["done"], 1, "{revoked}");
    // L2: u6 active. L3 (observe, full): u1 active, u6, u7, u8 pending.
    let l2_seat = assign(&server, l2, users[5]).await;
    claim(&server, l2_seat).await;
    let l3_first = assign(&server, l3, users[0]).await;
    claim(&server, l3_first).await;
    for user in &users[5..8] {
        assign(&server, l3, *user).await;
    }
    let far_seat = assign(&server, far, stranger).await;
    claim(&server, far_seat).await;

    // Claim times for the trend: two seats two weeks ago, one eleven weeks
    // ago (the oldest week shown), one thirteen weeks ago (outside).
    let week = week_index(now_ms());
    let hour = 3_600_000;
    for (seat, at) in [
        (l1_seats[0], week_start_ms(week - 2) + hour),
        (l1_seats[1], week_start_ms(week - 2) + 50 * hour),
        (l2_seat, week_start_ms(week - 11) + 1),
        (l3_first, week_start_ms(week - 12) + hour),
    ] {
        sql(
            &server,
            "UPDATE seats SET claimed_at = $1 WHERE id = $2",
            &[stamp(at), seat.into()],
        )
        .await;
    }

    let north = server.client_for(Role::Reporter, district).await;
    let dash: Dashboard = north.get_ok("/v1/dashboard").await;
    assert_eq!(dash.today, today());
    assert_eq!(
        dash.products.len(),
        2,
        "the other district's product figures leak: {dash:#?}"
    );

    let p1 = product_figures(&dash, learn);
    assert_eq!(
        p1.seats,
        SeatCounts {
            purchased: 15,
            consumed: 4,
            allocated: 0
        }
    );
    assert_eq!(p1.seats_available, 11);
    assert!(
        close(p1.usage_percent, 4.0 * 100.0 / 15.0),
        "{}",
        p1.usage_percent
    );
    assert_eq!(p1.licenses, 2);
    assert_eq!(p1.earliest_start, Some(since));
    assert_eq!(p1.latest_finish, Some(days_from_today(45)));
    assert_eq!(p1.min_remaining_days, Some(20));
    assert_eq!(
        (p1.expiring_30, p1.expiring_60, p1.expiring_90, p1.in_grace),
        (1, 2, 2, 0)
    );
    assert_eq!(
        (
            p1.claims.pending,
            p1.claims.active,
            p1.claims.expired,
            p1.claims.revoked
        ),
        (1, 3, 1, 1)
    );
    assert_eq!(p1.activation_rate, Some(0.75));
    let trend: Vec<i64> = p1.activations_per_week.iter().map(|w| w.count).collect();
    assert_eq!(
        trend,
        vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1],
        "oldest first, zero-filled"
    );
    assert_eq!(
        p1.activations_per_week[0].week_start,
        seatdesk_core::seats::week_start(week - 11)
    );

    let p2 = product_figures(&dash, observe);
    assert_eq!(
        p2.seats,
        SeatCounts {
            purchased: 4,
            consumed: 4,
            allocated: 0
        }
    );
    assert!(close(p2.usage_percent, 100.0));
    assert_eq!(
        p2.min_remaining_days, None,
        "a license in grace is not live"
    );
    assert_eq!((p2.expiring_30, p2.expiring_90, p2.in_grace), (0, 0, 1));
    assert_eq!((p2.claims.active, p2.claims.pending), (1, 3));
    assert_eq!(p2.activation_rate, Some(0.25));
    assert!(
        p2.activations_per_week.iter().all(|w| w.count == 0),
        "13 weeks ago is outside"
    );

    let totals = &dash.totals;
    assert_eq!(
        totals.seats,
        SeatCounts {
            purchased: 19,
            consumed: 8,
            allocated: 0
        }
    );
    assert_eq!(totals.seats_available, 11);
    assert_eq!(totals.licenses, 3);
    assert_eq!(
        (totals.expiring_30, totals.expiring_60, totals.in_grace),
        (1, 2, 1)
    );
    assert_eq!(totals.min_remaining_days, Some(20));
    assert_eq!(totals.activation_rate, Some(0.5));
    assert_eq!(
        totals
            .activations_per_week
            .iter()
            .map(|w| w.count)
            .sum::<i64>(),
        4
    );

    // Learn holders u1 u2 u5 u6; Observe holders u1 u6 u7 u8; both: u1 u6.
    assert_eq!(
        (
            dash.module_users.learn,
            dash.module_users.observe,
            dash.module_users.combined
        ),
        (4, 4, 2)
    );

    // In grace and full first (finishes soonest), then expiring in 20 days.
    let attention: Vec<(i64, Vec<AttentionReason>)> = dash
        .attention
        .iter()
        .map(|a| (a.license_id, a.reasons.clone()))
        .collect();
    assert_eq!(
        attention,
        vec![
            (
                l3,
                vec![AttentionReason::InGrace, AttentionReason::NearlyFull]
            ),
            (l1, vec![AttentionReason::ExpiringSoon]),
        ]
    );
    assert_eq!(dash.attention_more, 0);
    assert_eq!(dash.attention[1].remaining_days, 20);

    // Filters: one product; the other district only for its own token.
    let only_observe: Dashboard = north
        .get_ok(&format!("/v1/dashboard?product_id={observe}"))
        .await;
    assert_eq!(only_observe.totals.seats.purchased, 4);
    assert_eq!(only_observe.module_users.learn, 0);
    let south = server.client_for(Role::Reporter, other).await;
    let south_dash: Dashboard = south.get_ok("/v1/dashboard").await;
    assert_eq!(
        south_dash.totals.seats,
        SeatCounts {
            purchased: 7,
            consumed: 1,
            allocated: 0
        }
    );
    assert_eq!(south_dash.totals.licenses, 1);
    let everything: Dashboard = server.admin.get_ok("/v1/dashboard").await;
    assert_eq!(everything.totals.seats.purchased, 26);
    let by_account: Dashboard = server
        .admin
        .get_ok(&format!("/v1/dashboard?account_id={other_acct}"))
        .await;
    assert_eq!(by_account.totals.seats.purchased, 7);
    for path in [
        format!("/v1/dashboard?account_id={other_acct}"),
        format!("/v1/dashboard?org_id={other}"),
        "/v1/dashboard?product_id=999999".to_string(),
        "/v1/dashboard?org_id=999999".to_string(),
    ] {
        let reply = north.get(&path).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.problem_kind(), "not-found");
    }
    assert_eq!(
        north.get("/v1/dashboard?org_id=abc").await.status,
        StatusCode::BAD_REQUEST
    );

    // Handing 2 seats of L2 down to a school in the district: the district
    // still has 15 seats and 11 free; the school sees a license of 2.
    let school = org(&server, district, "school", "North High").await;
    let school_acct = account(&server, school).await;
    let _: Value = server
        .admin
        .post_ok(
            &format!("/v1/licenses/{l2}/allocations"),
            &json!({"account_id": school_acct, "seats": 2}),
        )
        .await;
    let after: Dashboard = north
        .get_ok(&format!("/v1/dashboard?product_id={learn}"))
        .await;
    let p1 = &after.products[0];
    assert_eq!(
        p1.seats,
        SeatCounts {
            purchased: 15,
            consumed: 4,
            allocated: 0
        }
    );
    assert_eq!(
        (p1.allocated_within, p1.seats_available, p1.licenses),
        (2, 11, 3)
    );
    let parent_only: Dashboard = north
        .get_ok(&format!("/v1/dashboard?account_id={acct}"))
        .await;
    let p1 = product_figures(&parent_only, learn);
    assert_eq!(
        p1.seats,
        SeatCounts {
            purchased: 15,
            consumed: 4,
            allocated: 2
        }
    );
    assert_eq!(p1.seats_available, 9);
    let school_dash: Dashboard = server
        .client_for(Role::Reporter, school)
        .await
        .get_ok("/v1/dashboard")
        .await;
    assert_eq!(
        school_dash.totals.seats,
        SeatCounts {
            purchased: 2,
            consumed: 0,
            allocated: 0
        }
    );

    // The attention list is capped and says how many more there are.
    for _ in 0..MAX_ATTENTION_ITEMS {
        license(
            &server,
            other_acct,
            observe,
            3,
            (since, days_from_today(10)),
            0,
        )
        .await;
    }
    let south_dash: Dashboard = south.get_ok("/v1/dashboard").await;
    assert_eq!(south_dash.totals.expiring_30, MAX_ATTENTION_ITEMS as i64);
    assert_eq!(south_dash.attention.len(), MAX_ATTENTION_ITEMS);
    assert_eq!(south_dash.attention_more, 0);
    license(
        &server,
        other_acct,
        learn,
        3,
        (since, days_from_today(5)),
        0,
    )
    .await;
    let south_dash: Dashboard = south.get_ok("/v1/dashboard").await;
    assert_eq!(south_dash.attention.len(), MAX_ATTENTION_ITEMS);
    assert_eq!(south_dash.attention_more, 1);
    assert_eq!(south_dash.attention[0].remaining_days, 5, "soonest first");

    // The endpoints are described in the generated OpenAPI document.
    let api: Value = reqwest::get(format!("{}/openapi.json", server.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in ["/v1/dashboard", "/v1/access-check", "/v1/discrepancies"] {
        assert!(
            api["paths"][path]["get"].is_object(),
            "{path} missing from /openapi.json"
        );
    }

    // A reporter reads the dashboard but may not triage.
    for path in [
        "/v1/access-check?user=u1@north.example&product=LEARN-1",
        "/v1/discrepancies",
    ] {
        let reply = north.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.problem_kind(), "forbidden");
    }
}

/// Finds one condition of an access check.
fn condition(check: &AccessCheck, name: AccessCondition) -> (bool, bool, String) {
    let found = check
        .conditions
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name:?} missing"));
    (found.pass, found.warning, found.reason.clone())
}

async fn check(client: &Client, user: &str, product: &str) -> AccessCheck {
    let check: AccessCheck = client
        .get_ok(&format!("/v1/access-check?user={user}&product={product}"))
        .await;
    let order: Vec<AccessCondition> = check.conditions.iter().map(|c| c.name).collect();
    assert_eq!(order, AccessCondition::ALL, "conditions in a fixed order");
    check
}

#[tokio::test]
async fn access_check_names_the_failing_condition() {
    for backend in helpers::backends() {
        access_story(backend).await;
    }
}

async fn access_story(backend: Backend) {
    let server = TestServer::start(backend).await;
    let district = org(&server, server.root_org, "district", "East District").await;
    let school = org(&server, district, "school", "East High").await;
    let elsewhere = org(&server, server.root_org, "district", "West District").await;
    let acct = account(&server, district).await;
    let since = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let open = (since, days_from_today(300));
    let observe = product(&server, "OBS", "observe", Some("Observe Basics")).await;
    let obs_license = license(&server, acct, observe, 20, open, 0).await;
    sql(
        &server,
        "INSERT INTO role_rules (org_id, org_path, role, product_id, created_at) \
         SELECT id, path, 'observer', $1, $3 FROM orgs WHERE id = $2",
        &[observe.into(), district.into(), Stamp::now().into()],
    )
    .await;

    let user = |email: &'static str, org: i64| {
        let server = &server;
        async move {
            let id = server.insert_user(org, email, "teacher").await;
            set_user(server, id, "roles", "observer,learner").await;
            set_user(server, id, "trainings", "Safety, Observe Basics").await;
            id
        }
    };
    // Everything in order: a school teacher covered by the district license.
    let good = user("good@east.example", school).await;
    let seat = assign(&server, obs_license, good).await;
    claim(&server, seat).await;
    let helpdesk = server.client_for(Role::Helpdesk, district).await;
    let ok = check(&helpdesk, "good@east.example", "OBS").await;
    assert!(ok.access, "{ok:#?}");
    assert_eq!(ok.summary, "access granted");
    assert!(
        condition(&ok, AccessCondition::Role)
            .2
            .contains("role observer maps to OBS")
    );
    assert!(
        condition(&ok, AccessCondition::Org)
            .2
            .contains(&format!("license {obs_license}"))
    );
    let by_id = check(&helpdesk, &good.to_string(), &observe.to_string()).await;
    assert_eq!(by_id.user_id, good);
    assert!(by_id.access);

    // Account: suspended.
    let suspended = user("suspended@east.example", district).await;
    let seat = assign(&server, obs_license, suspended).await;
    claim(&server, seat).await;
    set_user(&server, suspended, "status", "suspended").await;
    let result = check(&helpdesk, "suspended@east.example", "OBS").await;
    assert!(!result.access);
    assert_eq!(
        condition(&result, AccessCondition::AccountActive),
        (
            false,
            false,
            "user suspended@east.example is suspended".to_string()
        )
    );
    assert_eq!(
        result.summary,
        "no access: account active: user suspended@east.example is suspended"
    );
    assert!(
        condition(&result, AccessCondition::SeatHeld).0,
        "the other checks still run"
    );

    // Role: only a learner, while the district maps observer to OBS.
    let learner = user("learner@east.example", district).await;
    set_user(&server, learner, "roles", "learner").await;
    let result = check(&helpdesk, "learner@east.example", "OBS").await;
    let (pass, _, reason) = condition(&result, AccessCondition::Role);
    assert!(!pass);
    assert_eq!(
        reason,
        "the user's roles are learner; OBS needs one of: observer"
    );
    assert!(
        result.summary.starts_with("no access: role:"),
        "{}",
        result.summary
    );

    // Training missing; and no seat held.
    set_user(&server, learner, "roles", "observer").await;
    set_user(&server, learner, "trainings", "Safety").await;
    let result = check(&helpdesk, "learner@east.example", "OBS").await;
    assert_eq!(
        condition(&result, AccessCondition::Training),
        (
            false,
            false,
            "training 'Observe Basics' not completed (completed: safety)".into()
        )
    );
    assert_eq!(
        condition(&result, AccessCondition::SeatHeld),
        (false, false, "no live seat of OBS".to_string())
    );
    assert!(
        result.summary.starts_with("no access: seat held:"),
        "{}",
        result.summary
    );

    // Seat: pending passes with a warning; revoked fails and says when.
    let pending = user("pending@east.example", district).await;
    let pending_seat = assign(&server, obs_license, pending).await;
    let result = check(&helpdesk, "pending@east.example", "OBS").await;
    let (pass, warning, reason) = condition(&result, AccessCondition::SeatHeld);
    assert!(pass && warning);
    assert!(
        reason.starts_with(&format!("pending: assigned {}, not yet claimed", today())),
        "{reason}"
    );
    assert!(result.access);
    assert!(
        result.summary.starts_with("access granted, but: pending"),
        "{}",
        result.summary
    );
    let _: Value = server
        .admin
        .post_ok("/v1/seats/revoke", &json!({"seat_ids": [pending_seat]}))
        .await;
    let (pass, _, reason) = condition(
        &check(&helpdesk, "pending@east.example", "OBS").await,
        AccessCondition::SeatHeld,
    );
    assert!(!pass);
    assert!(
        reason.contains(&format!(
            "seat {pending_seat} on license {obs_license} was revoked on {}",
            today()
        )),
        "{reason}"
    );

    // Org: a user of another district is not covered by any license.
    let outsider = user("outsider@west.example", elsewhere).await;
    let _ = outsider;
    let result = server
        .admin
        .get_ok::<AccessCheck>("/v1/access-check?user=outsider@west.example&product=OBS")
        .await;
    assert_eq!(
        condition(&result, AccessCondition::Org),
        (
            false,
            false,
            "no license of OBS covers West District or its parent orgs".into()
        )
    );
    assert!(!condition(&result, AccessCondition::LicenseActive).0);
    assert!(
        result.summary.starts_with("no access: org:"),
        "{}",
        result.summary
    );
    // …and is invisible to the district's help desk.
    let reply = helpdesk
        .get("/v1/access-check?user=outsider@west.example&product=OBS")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // License standing, one product each (no role rule: no role required).
    let cases = [
        ("DEACT", (since, days_from_today(300)), 0, "deactivated"),
        ("EXPIRED", (since, days_from_today(-40)), 10, "expired"),
        (
            "LATER",
            (days_from_today(10), days_from_today(300)),
            0,
            "later",
        ),
        ("GRACE", (since, days_from_today(-3)), 30, "grace"),
    ];
    for (sku, dates, grace, case) in cases {
        let product_id = product(&server, sku, "learn", None).await;
        let license_id = license(&server, acct, product_id, 5, dates, grace).await;
        if case == "deactivated" {
            let _: Value = server
                .admin
                .post_ok(&format!("/v1/licenses/{license_id}/deactivate"), &json!({}))
                .await;
        }
        let result = check(&helpdesk, "good@east.example", sku).await;
        let role = condition(&result, AccessCondition::Role);
        assert_eq!(
            role,
            (
                true,
                false,
                format!("no role rule maps a role to {sku}: no role required")
            )
        );
        let (pass, warning, reason) = condition(&result, AccessCondition::LicenseActive);
        let label = format!("license {license_id} of East District");
        match case {
            "deactivated" => {
                assert!(!pass);
                assert_eq!(reason, format!("{label} is deactivated"));
            }
            "expired" => {
                assert!(!pass);
                assert_eq!(
                    reason,
                    format!(
                        "{label} expired on {} (grace ended {})",
                        days_from_today(-40),
                        days_from_today(-30)
                    )
                );
            }
            "later" => {
                assert!(!pass);
                assert_eq!(
                    reason,
                    format!("{label} not started until {}", days_from_today(10))
                );
            }
            _ => {
                assert!(pass && warning, "in grace passes with a warning");
                assert_eq!(
                    reason,
                    format!(
                        "{label} is in grace until {} (finished {})",
                        days_from_today(27),
                        days_from_today(-3)
                    )
                );
            }
        }
    }

    // Unknown names: 404 problem+json saying which one.
    let reply = helpdesk
        .get("/v1/access-check?user=nobody@east.example&product=OBS")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("user 'nobody@east.example'")
    );
    let reply = helpdesk
        .get("/v1/access-check?user=good@east.example&product=NOPE")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("product 'NOPE'")
    );
    let reply = helpdesk
        .get("/v1/access-check?user=good@east.example")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = helpdesk.get("/v1/access-check?user=&product=OBS").await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn group(
    report: &DiscrepancyReport,
    kind: DiscrepancyKind,
) -> &seatdesk_core::api::triage::DiscrepancyGroup {
    report.groups.iter().find(|g| g.kind == kind).unwrap()
}

#[tokio::test]
async fn discrepancy_report_finds_each_planted_kind() {
    for backend in helpers::backends() {
        discrepancy_story(backend).await;
    }
}

async fn discrepancy_story(backend: Backend) {
    let server = TestServer::start(backend).await;
    let district = org(&server, server.root_org, "district", "Lake District").await;
    let other = org(&server, server.root_org, "district", "Hill District").await;
    let acct = account(&server, district).await;
    let since = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let open = (since, days_from_today(300));
    let sku = product(&server, "DISC", "learn", None).await;
    let first = license(&server, acct, sku, 10, open, 0).await;
    let second = license(&server, acct, sku, 10, open, 0).await;
    let small = license(&server, acct, sku, 2, open, 0).await;
    let mut users = Vec::new();
    for n in 1..=5 {
        let id = server
            .insert_user(district, &format!("d{n}@lake.example"), "teacher")
            .await;
        users.push(id);
    }
    let archived_seat = assign(&server, first, users[0]).await;
    let suspended_seat = assign(&server, first, users[1]).await;
    claim(&server, suspended_seat).await;
    assign(&server, first, users[2]).await;
    assign(&server, small, users[3]).await;
    assign(&server, small, users[4]).await;

    let helpdesk = server.client_for(Role::Helpdesk, district).await;
    let clean: DiscrepancyReport = helpdesk.get_ok("/v1/discrepancies").await;
    assert_eq!(clean.total, 0, "{clean:#?}");
    let kinds: Vec<DiscrepancyKind> = clean.groups.iter().map(|g| g.kind).collect();
    assert_eq!(kinds, DiscrepancyKind::ALL);

    // Plant one of each.
    set_user(&server, users[0], "status", "archived").await;
    set_user(&server, users[1], "status", "suspended").await;
    assign(&server, second, users[2]).await; // duplicate of users[2]'s seat on `first`
    sql(
        &server,
        "UPDATE licenses SET seats_consumed = seats_consumed + 2 WHERE id = $1",
        &[first.into()],
    )
    .await;
    sql(
        &server,
        "UPDATE licenses SET seats_allocated = 3 WHERE id = $1",
        &[second.into()],
    )
    .await;
    let extra = server
        .insert_user(district, "extra@lake.example", "teacher")
        .await;
    sql(
        &server,
        "INSERT INTO seats (license_id, user_id, status, source, assigned_at, assigned_by, claimed_at, updated_at) \
         VALUES ($1, $2, 'active', 'planted', $3, 'test', $3, $3)",
        &[small.into(), extra.into(), Stamp::now().into()],
    )
    .await;

    let report: DiscrepancyReport = helpdesk.get_ok("/v1/discrepancies").await;
    let archived = group(&report, DiscrepancyKind::ArchivedUserHoldingSeat);
    assert_eq!((archived.total, archived.more), (1, 0));
    let item = &archived.items[0];
    assert_eq!(
        (item.user_id, item.seat_id, item.license_id),
        (Some(users[0]), Some(archived_seat), Some(first))
    );
    assert_eq!(
        item.detail,
        format!(
            "archived user d1@lake.example holds pending seat {archived_seat} of license {first}"
        )
    );
    let suspended = group(&report, DiscrepancyKind::SuspendedUserHoldingSeat);
    assert_eq!(suspended.total, 1);
    assert_eq!(suspended.items[0].seat_id, Some(suspended_seat));
    assert!(
        suspended.items[0]
            .detail
            .starts_with("suspended user d2@lake.example holds active seat")
    );

    let duplicates = group(&report, DiscrepancyKind::DuplicateAssignment);
    assert_eq!(duplicates.total, 1);
    let item = &duplicates.items[0];
    assert_eq!(
        (item.user_id, item.product_id, item.expected, item.actual),
        (Some(users[2]), Some(sku), Some(1), Some(2))
    );

    // `first` stores 5 for 3 rows; `small` stores 2 for 3 rows.
    let consumed = group(&report, DiscrepancyKind::ConsumedMismatch);
    assert_eq!(consumed.total, 2);
    let figures: Vec<(Option<i64>, Option<i64>, Option<i64>)> = consumed
        .items
        .iter()
        .map(|i| (i.license_id, i.expected, i.actual))
        .collect();
    assert_eq!(
        figures,
        vec![
            (Some(first), Some(3), Some(5)),
            (Some(small), Some(3), Some(2))
        ]
    );
    assert_eq!(
        consumed.items[0].detail,
        format!("license {first} stores 5 seats consumed but has 3 live seat rows")
    );

    let allocated = group(&report, DiscrepancyKind::AllocatedMismatch);
    assert_eq!(allocated.total, 1);
    let item = &allocated.items[0];
    assert_eq!(
        (item.license_id, item.expected, item.actual),
        (Some(second), Some(0), Some(3))
    );

    let over = group(&report, DiscrepancyKind::OverAllocated);
    assert_eq!(over.total, 1);
    let item = &over.items[0];
    assert_eq!(
        (item.license_id, item.expected, item.actual),
        (Some(small), Some(2), Some(3))
    );
    assert_eq!(report.total, 7);

    // Capped output says how many more.
    let capped: DiscrepancyReport = helpdesk.get_ok("/v1/discrepancies?limit=1").await;
    let consumed = group(&capped, DiscrepancyKind::ConsumedMismatch);
    assert_eq!(
        (consumed.total, consumed.items.len(), consumed.more),
        (2, 1, 1)
    );
    assert_eq!(capped.total, 7);

    // The whole tree's report counts the user kinds from the trigger-kept
    // holders and lists them walking only as far as it needs: the same
    // answer as the district's scoped finders, capped or not.
    let whole: DiscrepancyReport = server.admin.get_ok("/v1/discrepancies").await;
    assert_eq!(whole, report);
    let whole: DiscrepancyReport = server.admin.get_ok("/v1/discrepancies?limit=1").await;
    assert_eq!(whole, capped);
    // Past the cap the whole tree's archived/suspended counts say "at
    // least"; the duplicate count (from the holders) stays exact.
    let mut conn = server.db.pool.acquire().await.unwrap();
    let root = seatdesk_server::domain::scope::Scope::root();
    for (cap, at_least) in [(0, true), (1, false)] {
        let counted =
            seatdesk_server::domain::triage::discrepancies_capped(&mut conn, &root, 50, cap)
                .await
                .unwrap();
        for kind in [
            DiscrepancyKind::ArchivedUserHoldingSeat,
            DiscrepancyKind::SuspendedUserHoldingSeat,
        ] {
            let g = group(&counted, kind);
            assert_eq!(
                (g.total, g.at_least, g.items.len()),
                (cap, at_least, 1),
                "{kind:?} cap {cap}"
            );
        }
        let duplicates = group(&counted, DiscrepancyKind::DuplicateAssignment);
        assert_eq!((duplicates.total, duplicates.at_least), (1, false));
        assert_eq!(counted.at_least, at_least);
    }

    // Another district's help desk sees none of it.
    let hill = server.client_for(Role::Helpdesk, other).await;
    let theirs: DiscrepancyReport = hill.get_ok("/v1/discrepancies").await;
    assert_eq!(theirs.total, 0);
    assert_eq!(
        hill.get("/v1/discrepancies?limit=x").await.status,
        StatusCode::BAD_REQUEST
    );
}

/// The dashboard and claims pages are cached against the audit feed head: a
/// write through a second server process on the same database must show in
/// the first server's next answer, and an unchanged database gets the same.
#[tokio::test]
async fn cached_answers_show_writes_made_through_another_server() {
    let _serial = several_servers().await;
    for backend in helpers::backends() {
        let server = TestServer::start(backend).await;
        let fx = server.license_fixture(10, "teacher").await;
        let elsewhere_fx = server.license_fixture(10, "teacher").await;
        let outsider = server.client_for(Role::Reporter, elsewhere_fx.org_id).await;
        let db = seatdesk_server::Db::connect(&server.db_url).await.unwrap();
        let other = seatdesk_server::spawn(
            seatdesk_server::AppState::new(db, seatdesk_server::ServerConfig::default()),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let elsewhere = Client::new(&other.url(), &server.admin.token);
        let users: Vec<i64> = two_users(&server, fx.org_id, backend).await;

        let first: Dashboard = server.admin.get_ok("/v1/dashboard").await;
        let again: Dashboard = server.admin.get_ok("/v1/dashboard").await;
        assert_eq!(first, again, "nothing changed, so the same answer");
        let pending = first.totals.claims.pending;
        let page = "/v1/claims?limit=10";
        let empty: Value = server.admin.get_ok(page).await;
        assert_eq!(empty["items"].as_array().unwrap().len(), 0);
        let empty_again: Value = server.admin.get_ok(page).await;
        assert_eq!(empty, empty_again);

        // Assign through the other server: the first one's cached answer is stale.
        let mut seats = Vec::new();
        for &user in &users {
            let claim: Value = elsewhere
                .post_ok(
                    "/v1/seats",
                    &json!({"license_id": fx.license_id, "user_id": user}),
                )
                .await;
            seats.push(claim["id"].as_i64().unwrap());
        }
        let after: Dashboard = server.admin.get_ok("/v1/dashboard").await;
        assert_eq!(after.totals.claims.pending, pending + users.len() as i64);
        let claims: Value = server.admin.get_ok(page).await;
        assert_eq!(claims["items"].as_array().unwrap().len(), 2);
        assert!(
            claims["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["status"] == "pending")
        );
        // The same query string at the same head, from another subtree: not
        // the cached page.
        let theirs: Value = outsider.get_ok(page).await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
        assert_eq!(after.totals.seats.consumed, first.totals.seats.consumed + 2);

        // A bulk revoke through the other server, then a narrowed view.
        let _: Value = elsewhere
            .post_ok("/v1/seats/revoke", &json!({"seat_ids": [seats[0]]}))
            .await;
        let revoked: Dashboard = server.admin.get_ok("/v1/dashboard").await;
        assert_eq!(
            revoked.totals.claims.revoked,
            after.totals.claims.revoked + 1
        );
        assert_eq!(
            revoked.totals.claims.pending,
            after.totals.claims.pending - 1
        );
        let narrowed: Dashboard = server
            .admin
            .get_ok(&format!("/v1/dashboard?product_id={}", fx.product_id))
            .await;
        assert_eq!(narrowed.totals.claims.revoked, 1);
        assert_eq!(narrowed.totals.claims.pending, 1);
        let claims: Value = server.admin.get_ok(page).await;
        let revoked_row = claims["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == seats[0])
            .expect("the revoked seat is listed");
        assert_eq!(revoked_row["status"], "revoked");
        other.handle.abort();
    }
}

/// Two users of `org`, planted with SQL (no endpoint creates users).
async fn two_users(server: &TestServer, org: i64, backend: Backend) -> Vec<i64> {
    let tag = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "pg",
    };
    let mut users = Vec::new();
    for i in 0..2 {
        users.push(
            server
                .insert_user(org, &format!("cache{i}-{tag}@cache.example"), "teacher")
                .await,
        );
    }
    users
}

/// Unix milliseconds as the instant a statement binds.
fn stamp(ms: i64) -> SqlValue {
    Stamp::try_from(ms).expect("a test instant in range").into()
}
