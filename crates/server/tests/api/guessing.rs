//! The redemption guessing limits over real HTTP: per client address
//! (given in `X-Forwarded-For`, trusted), per token, per email and per
//! code family, each answered with 429, problem+json and `Retry-After`;
//! and one address, even in a concurrent burst across replicas, never
//! locking out the other addresses of its token. Every story runs on every configured backend.

use std::time::Duration;

use reqwest::StatusCode;
use seatdesk_core::Role;
use seatdesk_core::codes::{ALPHABET, CodeShape, generate, normalize, validate};
use seatdesk_server::domain::guessing::RedeemLimits;
use seatdesk_server::{AppState, Db, ServerConfig};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, Client, Fixture, Reply, TestServer, backends, scalar, several_servers,
};

const WINDOW: Duration = Duration::from_secs(600);

fn config(limits: RedeemLimits) -> ServerConfig {
    ServerConfig {
        trust_forwarded_for: true,
        redeem: limits,
        ..ServerConfig::default()
    }
}

async fn start(backend: Backend, limits: RedeemLimits) -> TestServer {
    TestServer::start_with(backend, config(limits)).await
}

/// A license with two teachers (`gus{tag}@…`, `hal{tag}@…`; emails are
/// unique server-wide) and its master code.
async fn teachers_license(server: &TestServer, tag: &str) -> (Fixture, String) {
    let fixture = server.license_fixture(5, "teacher").await;
    for name in ["gus", "hal"] {
        let email = format!("{name}{tag}@school.example");
        server.insert_user(fixture.org_id, &email, "teacher").await;
    }
    let license: Value = server
        .admin
        .get_ok(&format!("/v1/licenses/{}", fixture.license_id))
        .await;
    let master = license["master_code"].as_str().unwrap().to_string();
    (fixture, master)
}

async fn redeem(client: &Client, code: &str, email: &str) -> Reply {
    client
        .post("/v1/redeem", &json!({"code": code, "email": email}))
        .await
}

/// A well-formed master code that exists nowhere (as good as certain).
async fn guess(client: &Client, email: &str) -> Reply {
    let code = generate(&mut rand::rng(), CodeShape::Master);
    redeem(client, &code, email).await
}

/// A well-formed code that differs from `code` only in its last four
/// characters (three drawn at random, then the check character).
fn sibling(code: &str) -> String {
    let canonical = normalize(code);
    let keep = &canonical[..canonical.len() - 4];
    let random = generate(&mut rand::rng(), CodeShape::Master);
    let middle = &random[..3];
    ALPHABET
        .chars()
        .map(|check| format!("{keep}{middle}{check}"))
        .find(|candidate| validate(candidate).is_ok() && *candidate != canonical)
        .expect("one check character fits")
}

/// Asserts a 429 refusal naming `limit`, and returns its `Retry-After`.
fn assert_limited(reply: &Reply, limit: &str) -> i64 {
    assert_eq!(
        (reply.status, reply.problem_kind().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
        "{}",
        reply.body
    );
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.contains(limit), "{detail}");
    let retry: i64 = reply
        .headers
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=WINDOW.as_secs() as i64).contains(&retry),
        "Retry-After {retry}"
    );
    assert!(detail.contains(&format!("in {retry} seconds")), "{detail}");
    retry
}

#[tokio::test]
async fn a_guessing_address_is_limited_while_other_addresses_of_the_same_token_still_redeem() {
    for backend in backends() {
        let limits = RedeemLimits {
            window: WINDOW,
            per_address: 3,
            ..RedeemLimits::DEFAULT
        };
        let server = start(backend, limits).await;
        let (fixture, master) = teachers_license(&server, "").await;
        let integration = server.client_for(Role::OrgAdmin, fixture.org_id).await;
        let attacker = integration.coming_from("203.0.113.7");
        let school = integration.coming_from("198.51.100.9");
        for _ in 0..3 {
            let reply = guess(&attacker, "gus@school.example").await;
            assert_eq!(reply.problem_kind(), "code-unknown");
        }
        // Even the right code is refused there now, before it is looked up.
        let reply = redeem(&attacker, &master, "hal@school.example").await;
        assert_limited(&reply, "from your address");
        // The address is limited whatever token it uses.
        let other_token = server
            .client_for(Role::OrgAdmin, fixture.org_id)
            .await
            .coming_from("203.0.113.7");
        assert_limited(
            &guess(&other_token, "gus@school.example").await,
            "from your address",
        );
        // The integration's own address, same token, carries on.
        let reply = redeem(&school, &master, "hal@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let reply = redeem(&school, &master, "gus@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_from_one_address_across_replicas_charges_its_token_no_more_than_the_address_limit()
{
    let _serial = several_servers().await;
    for backend in backends() {
        let limits = RedeemLimits {
            window: WINDOW,
            per_address: 3,
            per_token: 5,
            per_email: 1000,
            per_code: 1000,
        };
        let server = start(backend, limits.clone()).await;
        let (fixture, master) = teachers_license(&server, "").await;
        let integration = server.client_for(Role::OrgAdmin, fixture.org_id).await;
        // Three more replicas on the same database.
        let mut replicas = Vec::new();
        for _ in 0..3 {
            let db = Db::connect(&server.db_url).await.expect("replica pool");
            let running = seatdesk_server::spawn(
                AppState::new(db, config(limits.clone())),
                "127.0.0.1:0".parse().unwrap(),
            )
            .await
            .expect("bind");
            replicas.push(running);
        }
        let attackers: Vec<Client> = std::iter::once(server.url.clone())
            .chain(replicas.iter().map(|r| r.url()))
            .map(|url| Client::new(&url, &integration.token).coming_from("203.0.113.7"))
            .collect();
        let burst: Vec<Reply> = futures::future::join_all(
            (0..40).map(|i| guess(&attackers[i % attackers.len()], "gus@school.example")),
        )
        .await;
        for reply in &burst {
            assert!(
                ["code-unknown", "rate-limited"].contains(&reply.problem_kind().as_str()),
                "{}",
                reply.body
            );
        }
        // Each replica runs three of the address's attempts at a time; the
        // rest wait, then meet the count: at most two counted and three
        // running on each of four replicas are ever tried.
        let failed = burst
            .iter()
            .filter(|r| r.problem_kind() == "code-unknown")
            .count();
        eprintln!("{backend:?}: {failed} of 40 guesses tried on 4 replicas");
        assert!((3..=2 + 4 * 3).contains(&failed), "{failed} guesses tried");
        // However many were tried, the token was charged three: below its
        // limit of five.
        let charged = scalar(
            &server,
            "SELECT COUNT(*) FROM redeem_failures WHERE rate_key LIKE 'token:%'",
        )
        .await;
        assert_eq!(charged, 3);
        let from_attacker = scalar(
            &server,
            "SELECT COUNT(*) FROM redeem_failures WHERE rate_key = 'addr:203.0.113.7'",
        )
        .await;
        assert_eq!(from_attacker, failed as i64);
        for attacker in &attackers {
            assert_limited(
                &redeem(attacker, &master, "hal@school.example").await,
                "from your address",
            );
        }
        let school = integration.coming_from("198.51.100.9");
        let reply = redeem(&school, &master, "hal@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        // A second guessing address takes the token to its limit: then the
        // token is refused from everywhere.
        let second = integration.coming_from("2001:db8:7:7::1");
        for _ in 0..2 {
            assert_eq!(
                guess(&second, "gus@school.example").await.problem_kind(),
                "code-unknown"
            );
        }
        assert_limited(
            &redeem(&school, &master, "gus@school.example").await,
            "with this token",
        );
        for replica in replicas {
            replica.handle.abort();
        }
    }
}

#[tokio::test]
async fn guesses_at_one_codes_ending_are_limited_from_whatever_address() {
    for backend in backends() {
        let limits = RedeemLimits {
            window: WINDOW,
            per_code: 3,
            ..RedeemLimits::DEFAULT
        };
        let server = start(backend, limits).await;
        let (_, master) = teachers_license(&server, "").await;
        let (_, other_master) = teachers_license(&server, "2").await;
        for i in 1..=3 {
            let guesser = server.admin.coming_from(&format!("203.0.113.{i}"));
            let reply = redeem(&guesser, &sibling(&master), "gus@school.example").await;
            assert_eq!(reply.problem_kind(), "code-unknown", "{}", reply.body);
        }
        let school = server.admin.coming_from("198.51.100.9");
        assert_limited(
            &redeem(&school, &master, "hal@school.example").await,
            "at this code",
        );
        // Another code is not limited, from the same address and token.
        let reply = redeem(&school, &other_master, "hal2@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        // A mistyped code (a failed check character) is no guess: it tells
        // a guesser nothing, so it counts nowhere.
        let mut mistyped = normalize(&other_master);
        let check = mistyped.pop().unwrap();
        mistyped.push(if check == '2' { '3' } else { '2' });
        for _ in 0..5 {
            let reply = redeem(&school, &mistyped, "gus2@school.example").await;
            assert_eq!(reply.problem_kind(), "code-mistyped", "{}", reply.body);
        }
        let reply = redeem(&school, &other_master, "gus2@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
}

#[tokio::test]
async fn an_email_guessed_at_from_several_addresses_is_limited_for_every_caller() {
    for backend in backends() {
        let limits = RedeemLimits {
            window: WINDOW,
            per_address: 2,
            per_email: 3,
            ..RedeemLimits::DEFAULT
        };
        let server = start(backend, limits).await;
        let (_, master) = teachers_license(&server, "").await;
        let [a, b, c, d] = ["203.0.113.1", "203.0.113.2", "198.51.100.9", "203.0.113.4"]
            .map(|addr| server.admin.coming_from(addr));
        for _ in 0..2 {
            assert_eq!(
                guess(&a, "gus@school.example").await.problem_kind(),
                "code-unknown"
            );
        }
        assert_limited(&guess(&a, "gus@school.example").await, "from your address");
        // One address alone cannot lock out an email.
        let reply = redeem(&c, &master, "gus@school.example").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        for guesser in [&b, &b, &d] {
            assert_eq!(
                guess(guesser, "hal@school.example").await.problem_kind(),
                "code-unknown"
            );
        }
        assert_limited(
            &redeem(&c, &master, "hal@school.example").await,
            "for this email",
        );
    }
}
