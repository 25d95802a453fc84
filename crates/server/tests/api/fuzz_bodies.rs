//! Fuzzing every mutation endpoint the OpenAPI document lists, over real
//! HTTP against a real server (SQLite): arbitrary JSON trees, a valid body
//! with fields removed, retyped, nulled, blown up or added, raw non-JSON
//! text, and odd path ids. Whatever arrives, the answer is never a 5xx, an
//! error is `application/problem+json` with a matching status, and a 4xx
//! (or a dry run) changes nothing: the audit head does not move.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use reqwest::Method;
use seatdesk_server::ServerConfig;
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestServer, audit_head};

/// Cases per endpoint (`FUZZ_CASES` overrides).
const DEFAULT_CASES: u32 = 96;

/// Ids of real things, so mutated bodies reach past "not found".
#[derive(Debug, Clone)]
struct Ids {
    org: i64,
    account: i64,
    child_account: i64,
    product: i64,
    license: i64,
    users: Vec<i64>,
    seats: Vec<i64>,
    batch: i64,
    request: i64,
    /// A second pending request, for the reject endpoint.
    other_request: i64,
    /// An unused activation code of `batch`.
    code: String,
    webhook: i64,
    role_rule: i64,
}

impl Ids {
    /// The real id a path's `{id}` names.
    fn for_path(&self, path: &str) -> i64 {
        let area = path
            .trim_start_matches("/v1/")
            .split('/')
            .next()
            .unwrap_or("");
        match area {
            "code-batches" => self.batch,
            "licenses" => self.license,
            "requests" if path.ends_with("/reject") => self.other_request,
            "requests" => self.request,
            "role-rules" => self.role_rule,
            "seats" => self.seats[0],
            "users" => self.users[0],
            "webhooks" => self.webhook,
            _ => 1,
        }
    }
}

async fn fixtures(server: &TestServer) -> Ids {
    let fx = server.license_fixture(50, "teacher").await;
    let school: Value = server
        .admin
        .post_ok(
            "/v1/orgs",
            &json!({"parent_id": fx.org_id, "kind": "school", "name": "Fuzz School"}),
        )
        .await;
    let child: Value = server
        .admin
        .post_ok(
            "/v1/accounts",
            &json!({"org_id": school["id"], "name": "Fuzz", "number": "PA-FUZZ-1"}),
        )
        .await;
    let mut users = Vec::new();
    let mut seats = Vec::new();
    for i in 0..4 {
        let user = server
            .insert_user(fx.org_id, &format!("fuzz{i}@fuzz.example"), "teacher")
            .await;
        users.push(user);
        if i < 2 {
            let claim: Value = server
                .admin
                .post_ok(
                    "/v1/seats",
                    &json!({"license_id": fx.license_id, "user_id": user}),
                )
                .await;
            seats.push(claim["id"].as_i64().unwrap());
        }
    }
    let batch: Value = server
        .admin
        .post_ok(
            &format!("/v1/licenses/{}/code-batches", fx.license_id),
            &json!({"count": 2, "users_per_code": 1, "duration_days": 30}),
        )
        .await;
    let request: Value = server
        .admin
        .post_ok(
            "/v1/requests",
            &json!({"kind": "renewal", "license_id": fx.license_id, "new_code": true,
                    "start_date": "2100-01-01", "finish_date": "2100-12-31"}),
        )
        .await;
    let other_request: Value = server
        .admin
        .post_ok(
            "/v1/requests",
            &json!({"kind": "new_license", "account_id": fx.account_id, "inventory_type": "seat_pool",
                    "students": 10, "product_id": fx.product_id}),
        )
        .await;
    let codes: Value = server
        .admin
        .get_ok(&format!("/v1/code-batches/{}?limit=1", batch["id"]))
        .await;
    let webhook: Value = server
        .admin
        .post_ok(
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["seat"]}),
        )
        .await;
    let rule: Value = server
        .admin
        .post_ok(
            "/v1/role-rules",
            &json!({"org_id": fx.org_id, "role": "admin", "product_id": fx.product_id}),
        )
        .await;
    let id = |v: &Value| v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"));
    Ids {
        org: fx.org_id,
        account: fx.account_id,
        child_account: id(&child),
        product: fx.product_id,
        license: fx.license_id,
        users,
        seats,
        batch: id(&batch),
        request: id(&request),
        other_request: id(&other_request),
        code: codes["codes"][0]["code"]
            .as_str()
            .expect("a code")
            .to_string(),
        webhook: id(&webhook["webhook"]),
        role_rule: id(&rule),
    }
}

/// One mutation endpoint of the OpenAPI document.
#[derive(Debug, Clone)]
struct Endpoint {
    method: Method,
    path: String,
    /// A body that passes the schema, with real ids (absent: no body).
    base: Option<Value>,
    /// Every property name the schema knows, with a well-typed example.
    fields: Vec<(String, Value)>,
    /// Takes `?dry_run=true`, which must then change nothing.
    dry_run: bool,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A well-typed example of `schema` for a field called `name`, using real
/// ids where the name says what it refers to. Objects get their required
/// fields only; mutations add the others.
fn example(doc: &Value, schema: &Value, name: &str, ids: &Ids, context: &str) -> Value {
    let schema = resolve(doc, schema);
    for combinator in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get(combinator).and_then(Value::as_array) {
            if combinator != "allOf" {
                let first = parts
                    .iter()
                    .find(|p| resolve(doc, p)["type"] != "null")
                    .unwrap_or(&parts[0]);
                return example(doc, first, name, ids, context);
            }
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(fields) = example(doc, part, name, ids, context) {
                    merged.extend(fields);
                }
            }
            return Value::Object(merged);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str().unwrap_or("") {
        "object" => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (field, property) in properties {
                    if required.contains(&field.as_str()) {
                        out.insert(field.clone(), example(doc, property, field, ids, context));
                    }
                }
            }
            Value::Object(out)
        }
        "array" if name == "seat_ids" => json!([ids.seats[1]]),
        "array" if name == "events" => json!(["seat"]),
        "array" => json!([example(doc, &schema["items"], name, ids, context)]),
        "integer" => json!(match name {
            "license_id" => ids.license,
            "account_id" if context.contains("allocations") => ids.child_account,
            "account_id" => ids.account,
            "org_id" | "parent_id" => ids.org,
            "product_id" => ids.product,
            "user_id" => ids.users[2],
            "count" | "users_per_code" | "seats" => 1,
            "duration_days" | "grace_days" => 30,
            _ => 5,
        }),
        "number" => json!(1.5),
        "boolean" => json!(false),
        "string" => json!(match (name, schema["format"].as_str()) {
            ("start_date", _) => "2100-01-01",
            (_, Some("date")) => "2100-12-31",
            (_, Some("date-time")) => "2100-01-01T00:00:00Z",
            ("email", _) if context == "/v1/users" => "fuzz-new@fuzz.example",
            ("email", _) => "fuzz3@fuzz.example",
            ("url", _) => "http://127.0.0.1:9/fuzz",
            ("code", _) => return json!(ids.code),
            _ => "Fuzz",
        }),
        _ => Value::Null,
    }
}

fn collect_fields(
    doc: &Value,
    schema: &Value,
    ids: &Ids,
    context: &str,
    out: &mut BTreeMap<String, Value>,
) {
    let schema = resolve(doc, schema);
    for combinator in ["allOf", "oneOf", "anyOf"] {
        for part in schema
            .get(combinator)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_fields(doc, part, ids, context, out);
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (field, property) in properties {
            out.entry(field.clone())
                .or_insert_with(|| example(doc, property, field, ids, context));
            collect_fields(doc, property, ids, context, out);
        }
    }
}

fn endpoints(doc: &Value, ids: &Ids) -> Vec<Endpoint> {
    let mut found = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().unwrap() {
            let method = match method.as_str() {
                "post" => Method::POST,
                "patch" => Method::PATCH,
                "put" => Method::PUT,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let (base, fields) = if schema.is_null() {
                (None, Vec::new())
            } else {
                let mut fields = BTreeMap::new();
                collect_fields(doc, schema, ids, path, &mut fields);
                let mut base = example(doc, schema, "", ids, path);
                complete(&mut base, &method, path, ids);
                (Some(base), fields.into_iter().collect())
            };
            let dry_run = operation["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "dry_run"));
            found.push(Endpoint {
                dry_run,
                method,
                path: path.clone(),
                base,
                fields,
            });
        }
    }
    // What takes the fixtures away (deleting, deactivating) goes last, so
    // the other endpoints are fuzzed against things that exist and work.
    found.sort_by_key(|e| {
        (
            e.method == Method::DELETE || e.path.ends_with("/deactivate"),
            e.path.clone(),
        )
    });
    found
}

/// What the schema alone cannot say for a body to be accepted: one of two
/// optional fields, a change to make, a roster to import.
fn complete(base: &mut Value, method: &Method, path: &str, ids: &Ids) {
    match (method.as_str(), path) {
        ("POST", "/v1/seats") => base["user_id"] = json!(ids.users[2]),
        ("PATCH", "/v1/users/{id}") => base["given_name"] = json!("Fuzzy"),
        ("POST", "/v1/imports/oneroster") => {
            let dir = format!(
                "{}/../../assets/oneroster/sample",
                env!("CARGO_MANIFEST_DIR")
            );
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
                let entry = entry.unwrap();
                let text = std::fs::read_to_string(entry.path()).unwrap();
                base["files"][entry.file_name().to_string_lossy().as_ref()] = json!(text);
            }
        }
        _ => {}
    }
}

/// Strings that have broken parsers and databases before.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z@. \\-]{0,24}",
        Just(String::new()),
        Just("   ".to_string()),
        Just("\u{0}".to_string()),
        Just("x".repeat(100_000)),
        Just("💺🎓\u{202e}שלום\u{301}".to_string()),
        Just("' OR 1=1; DROP TABLE seats; --".to_string()),
        Just("%_\\".to_string()),
        Just("2026-02-30".to_string()),
        Just("-0001-01-01".to_string()),
        Just("9999-12-31T23:59:60Z".to_string()),
        Just("https://".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("http://[::1]:0/".to_string()),
    ]
}

fn nasty_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MAX as u64 + 1)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(0.5)),
        Just(json!(2_147_483_648_i64)),
        Just(json!(10_000_001)),
    ]
}

fn arbitrary_json(keys: Vec<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        nasty_number(),
        nasty_string().prop_map(Value::from),
    ];
    let key = prop_oneof![prop::sample::select(keys), "[a-z_]{0,12}"];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    /// Adds a field the schema knows (well-typed or not) or one it does not.
    Add(String, Value),
}

fn mutation(fields: Vec<(String, Value)>) -> BoxedStrategy<Mutation> {
    let evil = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        nasty_number(),
        nasty_string().prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
        Just(json!([1, "two", null])),
        Just(Value::Array(vec![json!(1); 20_000])),
        Just(json!({"nested": {"deeper": [{"id": -1}]}})),
    ];
    let mut options = vec![
        Just(Mutation::Remove).boxed(),
        evil.clone().prop_map(Mutation::Replace).boxed(),
        ("[a-z_]{1,10}", evil.clone())
            .prop_map(|(k, v)| Mutation::Add(k, v))
            .boxed(),
    ];
    if !fields.is_empty() {
        let known = prop::sample::select(fields);
        options.push(known.clone().prop_map(|(k, v)| Mutation::Add(k, v)).boxed());
        options.push(
            (known, evil)
                .prop_map(|((k, _), v)| Mutation::Add(k, v))
                .boxed(),
        );
    }
    prop::strategy::Union::new(options).boxed()
}

/// Every path into `value`: object keys and array indices.
fn paths(value: &Value, prefix: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(json!(k));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate().take(4) {
                prefix.push(json!(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

fn apply(mut body: Value, mutations: &[(prop::sample::Index, Mutation)]) -> Value {
    for (index, mutation) in mutations {
        let mut all = Vec::new();
        paths(&body, &mut Vec::new(), &mut all);
        let path = &all[index.index(all.len())];
        match mutation {
            Mutation::Replace(v) => *at(&mut body, path) = v.clone(),
            Mutation::Remove => match path.split_last() {
                None => body = Value::Null,
                Some((last, parent)) => match (at(&mut body, parent), last) {
                    (Value::Object(map), Value::String(k)) => {
                        map.remove(k);
                    }
                    (Value::Array(items), Value::Number(i)) => {
                        items.remove(i.as_u64().unwrap() as usize);
                    }
                    _ => {}
                },
            },
            Mutation::Add(k, v) => {
                if let Value::Object(map) = at(&mut body, path) {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
    }
    body
}

/// What one case sends.
#[derive(Debug, Clone)]
enum Payload {
    Json(Value),
    /// Raw text, with this content type.
    Raw(String, &'static str),
    Nothing,
}

#[derive(Debug, Clone)]
struct Case {
    path_id: String,
    query: &'static str,
    idempotency_key: Option<String>,
    payload: Payload,
}

fn case(endpoint: &Endpoint, real_id: i64) -> impl Strategy<Value = Case> {
    let keys: Vec<String> = endpoint
        .fields
        .iter()
        .map(|(k, _)| k.clone())
        .chain(["id".into()])
        .collect();
    let base = endpoint.base.clone().unwrap_or(json!({}));
    let mutated = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            mutation(endpoint.fields.clone()),
        ),
        1..4,
    )
    .prop_map(move |m| Payload::Json(apply(base.clone(), &m)));
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let raw = prop_oneof![
        Just(Payload::Nothing),
        Just(Payload::Raw(String::new(), "application/json")),
        Just(Payload::Raw("{".into(), "application/json")),
        Just(Payload::Raw("{\"a\":1,}".into(), "application/json")),
        Just(Payload::Raw("\u{feff}{}".into(), "application/json")),
        Just(Payload::Raw(deep, "application/json")),
        Just(Payload::Raw("{\"seat_ids\": [1]}".into(), "text/plain")),
        Just(Payload::Raw(
            "seat_ids=1".into(),
            "application/x-www-form-urlencoded"
        )),
        any::<String>().prop_map(|s| Payload::Raw(s, "application/json")),
    ];
    let payload = prop_oneof![
        6 => mutated,
        3 => arbitrary_json(keys).prop_map(Payload::Json),
        1 => raw,
    ];
    let real = real_id.to_string();
    let path_id = prop_oneof![
        6 => Just(real),
        1 => prop_oneof![
            Just("0".to_string()),
            Just("-1".to_string()),
            Just(i64::MAX.to_string()),
            Just("9223372036854775808".to_string()),
            Just("abc".to_string()),
            Just("1.5".to_string()),
            Just("%F0%9F%92%BA".to_string()),
            Just("%00".to_string()),
            any::<i64>().prop_map(|i| i.to_string()),
        ],
    ];
    let query = prop::sample::select(vec![
        "",
        "",
        "",
        "?dry_run=true",
        "?dry_run=maybe",
        "?dry_run=false&x=%ZZ",
    ]);
    let key = prop::option::weighted(0.2, "[A-Za-z0-9-]{0,300}");
    (path_id, query, key, payload).prop_map(|(path_id, query, idempotency_key, payload)| Case {
        path_id,
        query,
        idempotency_key,
        payload,
    })
}

/// Sends one case; fails it on a 5xx, a non-problem error, or a change made
/// by a request that was refused or only a dry run.
async fn check(
    server: &TestServer,
    http: &reqwest::Client,
    endpoint: &Endpoint,
    case: &Case,
) -> Result<u16, TestCaseError> {
    let path = endpoint.path.replace("{id}", &case.path_id);
    let url = format!("{}{}{}", server.url, path, case.query);
    let mut request = http
        .request(endpoint.method.clone(), &url)
        .bearer_auth(&server.admin.token);
    if let Some(key) = &case.idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request = match &case.payload {
        Payload::Json(value) => request.json(value),
        Payload::Raw(text, content_type) => request
            .header("content-type", *content_type)
            .body(text.clone()),
        Payload::Nothing => request,
    };
    let before = audit_head(server).await;
    let response = request
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("{} {path}: no answer: {e}", endpoint.method)))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.unwrap_or_default();
    let after = audit_head(server).await;
    let what = format!(
        "{} {path}{} answered {status}: {}",
        endpoint.method,
        case.query,
        text.chars().take(300).collect::<String>()
    );
    prop_assert!(!status.is_server_error(), "{}", what);
    if status.is_client_error() {
        prop_assert_eq!(
            content_type.as_str(),
            "application/problem+json",
            "{}",
            what
        );
        let problem: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{what}: not JSON: {e}")))?;
        prop_assert_eq!(
            problem["status"].as_u64(),
            Some(u64::from(status.as_u16())),
            "{}",
            what
        );
        prop_assert!(
            problem["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:seatdesk:problem:")),
            "{}",
            what
        );
        prop_assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            what
        );
        prop_assert_eq!(before, after, "a refused request changed data: {}", what);
    }
    if status.is_success() && endpoint.dry_run && case.query == "?dry_run=true" {
        prop_assert_eq!(before, after, "a dry run changed data: {}", what);
    }
    Ok(status.as_u16())
}

#[test]
fn every_mutation_endpoint_survives_fuzzed_bodies_without_a_5xx_or_a_change_on_refusal() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ServerConfig {
        // No background audit events while the head is being watched.
        alert_sweep: Duration::from_secs(24 * 3600),
        // Its webhook fixture points at a loopback port.
        webhook_allow_private: true,
        ..ServerConfig::default()
    };
    let server = runtime.block_on(TestServer::start_with(Backend::Sqlite, config));
    let ids = runtime.block_on(fixtures(&server));
    let doc: Value = runtime.block_on(server.admin.get_ok("/openapi.json"));
    let endpoints = endpoints(&doc, &ids);
    let with_body = endpoints.iter().filter(|e| e.base.is_some()).count();
    assert!(
        with_body >= 20,
        "only {with_body} endpoints with a JSON body in the OpenAPI document"
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(DEFAULT_CASES);

    // The unmutated bodies first: they must be answered too, and most of
    // them accepted, or the mutations would never get past validation.
    let mut accepted = Vec::new();
    for endpoint in &endpoints {
        let base = Case {
            path_id: ids.for_path(&endpoint.path).to_string(),
            query: "",
            idempotency_key: None,
            payload: endpoint
                .base
                .clone()
                .map_or(Payload::Nothing, Payload::Json),
        };
        let status = runtime
            .block_on(check(&server, &http, endpoint, &base))
            .unwrap_or_else(|e| {
                panic!(
                    "{} {} with its base body: {e}",
                    endpoint.method, endpoint.path
                )
            });
        eprintln!(
            "{status} {} {} {}",
            endpoint.method,
            endpoint.path,
            endpoint
                .base
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default()
        );
        if status < 300 {
            accepted.push(endpoint.path.clone());
        }
    }
    assert!(
        accepted.len() * 3 >= endpoints.len() * 2,
        "only {} of {} base bodies were accepted: {accepted:?}",
        accepted.len(),
        endpoints.len()
    );

    for endpoint in &endpoints {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let started = std::time::Instant::now();
        let strategy = case(endpoint, ids.for_path(&endpoint.path));
        let result = runner.run(&strategy, |case| {
            runtime
                .block_on(check(&server, &http, endpoint, &case))
                .map(|_| ())
        });
        if let Err(error) = result {
            match error {
                TestError::Fail(reason, case) => {
                    let shown = format!("{case:?}");
                    panic!(
                        "{} {}: {reason}\nminimal case: {}",
                        endpoint.method,
                        endpoint.path,
                        shown.chars().take(2_000).collect::<String>()
                    )
                }
                TestError::Abort(reason) => {
                    panic!("{} {}: aborted: {reason}", endpoint.method, endpoint.path)
                }
            }
        }
        eprintln!(
            "fuzzed {} {}: {cases} cases in {:?}",
            endpoint.method,
            endpoint.path,
            started.elapsed()
        );
    }
    drop(server);
}
