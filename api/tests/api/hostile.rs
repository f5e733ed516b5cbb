//! Hostile requests (issue 11): each is refused with a typed client error, changes
//! nothing, and the server keeps serving everyone else.

use std::time::Duration;

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use stockade_graphql::ids::NodeType;

use crate::helpers::{TestApp, TestDb, code};
use crate::ws::{Protocol, Ws};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `query` asking for `application/graphql-response+json` (request errors are 4xx).
async fn post(app: &TestApp, query: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("accept", GRAPHQL_RESPONSE)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, query: &str) -> (u16, Value) {
    let res = app.client.get(app.url("/graphql")).header("accept", GRAPHQL_RESPONSE).query(&[("query", query)]).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// The server still answers a normal query and its health check.
async fn still_serving(app: &TestApp) {
    let data = app.gql_ok("{ categories { slug } }", json!({})).await;
    assert!(!data["categories"].as_array().unwrap().is_empty());
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

fn nested_list(depth: usize) -> String {
    format!("{{ products(filter: {{ search: {}\"a\"{} }}) {{ totalCount }} }}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_object(depth: usize) -> String {
    format!(
        "{{ products(filter: {}{}) {{ totalCount }} }}",
        "{ search: \"a\", nested: ".repeat(depth) + "{ search: \"a\" }",
        " }".repeat(depth)
    )
}

#[tokio::test]
async fn deeply_nested_literals_are_refused_over_post_get_and_websockets() {
    let app = TestApp::spawn().await;
    for query in [nested_list(2_000), nested_object(1_500), format!("{{ {}__typename{} }}", "a { ".repeat(3_000), " }".repeat(3_000))] {
        let (status, body) = post(&app, &query).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(code(&body["errors"][0]), "QUERY_TOO_DEEP", "{body}");
        assert!(body.get("data").is_none());
    }
    for query in [nested_list(2_000), nested_object(400)] {
        let (status, body) = get(&app, &query).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(code(&body["errors"][0]), "QUERY_TOO_DEEP", "{body}");
    }
    // Over application/json the refusal is a 200 with the same typed error.
    let body = app.gql(&nested_list(2_000), json!({})).await;
    assert_eq!(code(&body["errors"][0]), "QUERY_TOO_DEEP");

    for protocol in [Protocol::TransportWs, Protocol::LegacyWs] {
        let mut ws = Ws::connect_with(app.addr, None, protocol).await;
        ws.subscribe("deep", &nested_list(2_000), json!({})).await;
        assert_eq!(code(&ws.next_error("deep").await), "QUERY_TOO_DEEP");
        ws.subscribe("deeper", &format!("subscription {}", nested_object(1_500)), json!({})).await;
        assert_eq!(code(&ws.next_error("deeper").await), "QUERY_TOO_DEEP");
        // The same socket serves the next operation.
        ws.subscribe("ok", "{ categories { slug } }", json!({})).await;
        let payload = ws.next_payload("ok", Duration::from_secs(5)).await;
        assert!(payload["data"]["categories"].is_array(), "{payload}");
    }

    // The deepest nesting admitted goes through the parser and the validator and gets
    // an ordinary validation error: the bound sits well below what the stack can take.
    let (status, body) = post(&app, &nested_list(stockade_graphql::guard::MAX_NESTING - 4)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body["errors"][0]), "GRAPHQL_VALIDATION_FAILED", "{body}");
    let (_, body) = post(&app, &nested_object(stockade_graphql::guard::MAX_NESTING / 2 - 4)).await;
    assert_eq!(code(&body["errors"][0]), "GRAPHQL_VALIDATION_FAILED", "{body}");
    still_serving(&app).await;
}

/// `fragment Fn on Query { ...Fn-1 ...Fn-1 }`: 1 KB that expands to 2^n fields.
fn fan_out(n: usize, leaf: &str) -> String {
    let mut query = format!("query {{ ...F{n} }}\nfragment F0 on Query {{ {leaf} }}\n");
    for i in 1..=n {
        query.push_str(&format!("fragment F{i} on Query {{ ...F{p} ...F{p} }}\n", p = i - 1));
    }
    query
}

#[tokio::test]
async fn fragment_fan_out_is_refused_before_anything_expands_it() {
    let app = TestApp::spawn().await;
    for leaf in ["__typename", "categories { slug }"] {
        let (status, body) = post(&app, &fan_out(30, leaf)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(code(&body["errors"][0]), "QUERY_TOO_COMPLEX", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("fields"), "{body}");
    }
    // A small fan-out is an ordinary query.
    let data = app.gql_ok(&fan_out(3, "__typename"), json!({})).await;
    assert_eq!(data["__typename"], "Query");
    still_serving(&app).await;
}

#[tokio::test]
async fn root_fields_are_capped_so_aliases_cannot_multiply_queries() {
    let app = TestApp::spawn().await;
    let aliases: String = (0..5_000).map(|i| format!("a{i}: products(first: 1) {{ totalCount }} ")).collect();
    let (status, body) = post(&app, &format!("{{ {aliases} }}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body["errors"][0]), "QUERY_TOO_COMPLEX");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("root fields"), "{body}");
    let twenty: String = (0..20).map(|i| format!("a{i}: products(first: 1) {{ totalCount }} ")).collect();
    let data = app.gql_ok(&format!("{{ {twenty} }}"), json!({})).await;
    assert!(data["a19"]["totalCount"].as_i64().unwrap() > 0);
}

/// graphql-js 16's `getIntrospectionQuery` with every option on, as GraphiQL,
/// graphql-codegen and gql.tada send it.
pub const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}
"#;

#[tokio::test]
async fn standard_introspection_works_and_recursive_introspection_does_not() {
    let app = TestApp::spawn().await;
    let (status, body) = post(&app, INTROSPECTION_QUERY).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Product"), "the schema's types are listed");

    let fan_out = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let (status, body) = post(&app, fan_out).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body["errors"][0]), "QUERY_TOO_DEEP", "{body}");

    let off = TestApp::spawn_with(TestDb::seeded(), &[("GRAPHQL_INTROSPECTION", "false")]).await;
    let (status, body) = post(&off, INTROSPECTION_QUERY).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body["errors"][0]), "INTROSPECTION_DISABLED", "{body}");
    assert_eq!(off.gql_ok("{ __typename }", json!({})).await["__typename"], "Query", "__typename is not introspection");
}

#[tokio::test]
async fn operations_over_a_websocket_count_against_the_browse_limit() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("RATE_LIMIT_BROWSE_PER_MINUTE", "5")]).await;
    let mut ws = Ws::connect(app.addr, None).await;
    let mut limited = None;
    for i in 0..12 {
        let id = format!("q{i}");
        ws.subscribe(&id, "{ categories { slug } }", json!({})).await;
        let message = ws.next(Duration::from_secs(5)).await.expect("an answer");
        if message["type"] == "error" {
            limited = Some(message["payload"][0].clone());
            break;
        }
        assert!(message["payload"]["errors"].is_null(), "{message}");
        let done = ws.next(Duration::from_secs(5)).await.expect("complete");
        assert_eq!(done["type"], "complete");
    }
    let limited = limited.expect("the browse limit applies to WebSocket operations");
    assert_eq!(code(&limited), "RATE_LIMITED", "{limited}");
    assert!(limited["extensions"]["retryAfter"].as_u64().unwrap() >= 1);
    // Mutations over the socket are charged too: the limit is reached already.
    ws.subscribe("m", "mutation { cartCreate(input: {}) { cart { id } userErrors { code } } }", json!({})).await;
    assert_eq!(code(&ws.next_error("m").await), "RATE_LIMITED");
}

const STOCK: &str = "subscription($ids: [ID!]!) { stockChanged(variantIds: $ids) { kind } }";

#[tokio::test]
async fn websocket_protocol_violations_close_with_graphql_transport_ws_codes() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("WS_INIT_TIMEOUT_SECS", "1")]).await;
    let within = Duration::from_secs(5);

    let mut ws = Ws::connect(app.addr, None).await;
    ws.send_text("{not json").await;
    assert_eq!(ws.closed_with(within).await.map(|c| c.0), Some(4400));

    let mut ws = Ws::connect(app.addr, None).await;
    ws.send(json!({ "type": "x".repeat(300) })).await;
    let (close, reason) = ws.closed_with(within).await.expect("closed");
    assert_eq!(close, 4400);
    assert!(reason.len() <= 123, "a close reason fits a close frame: {reason}");

    let mut ws = Ws::connect_raw(app.addr).await;
    ws.send(json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ __typename }" } })).await;
    assert_eq!(ws.closed_with(within).await.map(|c| c.0), Some(4401));

    let mut ws = Ws::connect_raw(app.addr).await;
    ws.send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer forged.token.value" } })).await;
    assert_eq!(ws.closed_with(within).await.map(|c| c.0), Some(4403));

    let mut ws = Ws::connect_raw(app.addr).await;
    assert_eq!(ws.closed_with(within).await.map(|c| c.0), Some(4408), "no connection_init in time");

    let mut ws = Ws::connect(app.addr, None).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.closed_with(within).await.map(|c| c.0), Some(4429));

    let variant = NodeType::Variant.id(1).0;
    let mut ws = Ws::connect(app.addr, None).await;
    ws.subscribe("live", STOCK, json!({ "ids": [variant] })).await;
    assert_eq!(ws.next_data("live", "stockChanged", within).await["kind"], "SNAPSHOT");
    ws.subscribe("live", STOCK, json!({ "ids": [variant] })).await;
    assert_eq!(ws.closed_with(within).await.map(|c| c.0), Some(4409), "a second operation with a running id");

    // After `complete`, an id may be used again.
    let mut ws = Ws::connect(app.addr, None).await;
    ws.subscribe("again", STOCK, json!({ "ids": [variant] })).await;
    assert_eq!(ws.next_data("again", "stockChanged", within).await["kind"], "SNAPSHOT");
    ws.stop("again").await;
    ws.subscribe("again", STOCK, json!({ "ids": [variant] })).await;
    assert_eq!(ws.next_data("again", "stockChanged", within).await["kind"], "SNAPSHOT");
    still_serving(&app).await;
}

#[tokio::test]
async fn shutdown_closes_websockets_with_going_away() {
    let app = TestApp::spawn().await;
    let mut ws = Ws::connect(app.addr, None).await;
    let variant = NodeType::Variant.id(1).0;
    ws.subscribe("live", STOCK, json!({ "ids": [variant] })).await;
    assert_eq!(ws.next_data("live", "stockChanged", Duration::from_secs(5)).await["kind"], "SNAPSHOT");
    let stopping = tokio::spawn(app.stop());
    assert_eq!(ws.closed_with(Duration::from_secs(10)).await.map(|c| c.0), Some(1001));
    tokio::time::timeout(Duration::from_secs(15), stopping).await.expect("the server stops in bounded time").unwrap();
}

#[tokio::test]
async fn client_mistakes_are_typed_client_errors_not_server_errors() {
    let app = TestApp::spawn().await;
    let post_with = |query: &'static str, variables: Value| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(app.url("/graphql"))
                .header("accept", GRAPHQL_RESPONSE)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let cases: [(&str, Value, &str); 4] = [
        ("query($s: String!) { product(slug: $s) { name } }", json!({}), "$s"),
        (
            "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id } } }",
            json!({ "l": [{ "variantId": NodeType::Variant.id(1).0, "quantity": 2_147_483_648u64 }] }),
            "Int",
        ),
        ("query($f: ProductFilter) { products(filter: $f) { totalCount } }", json!({ "f": { "priceMin": 99_999_999_999u64 } }), "Int"),
        ("mutation { cartCreate(lines: [{ variantId: \"x\", quantity: 2147483648 }]) { cart { id } } }", json!({}), "Int"),
    ];
    for (query, variables, says) in cases {
        let (status, body) = post_with(query, variables).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.get("data").is_none(), "a request error has no data: {body}");
        let error = &body["errors"][0];
        assert!(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].contains(&code(error)), "{query}: {body}");
        assert!(error["message"].as_str().unwrap().contains(says), "{query}: {body}");
    }
    // Nothing was created by the refused cartCreate.
    let carts: i64 = stockade_domain::entity::cart::Entity::find().count(app.database.conn()).await.unwrap() as i64;
    assert_eq!(carts, 0);

    // Attribute filters are counted, and a hostile name is not echoed back whole.
    let many: Vec<Value> = (0..700).map(|i| json!({ "name": format!("a{i}"), "values": ["x"] })).collect();
    let body = app.gql("query($f: ProductFilter) { products(filter: $f) { totalCount } }", json!({ "f": { "attributes": many } })).await;
    assert_eq!(code(&body["errors"][0]), "BAD_USER_INPUT", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 10"), "{body}");
    let long = "X".repeat(100_000);
    let body = app
        .gql(
            "query($f: ProductFilter) { products(filter: $f) { totalCount } }",
            json!({ "f": { "attributes": [{ "name": long, "values": ["x"] }] } }),
        )
        .await;
    assert_eq!(code(&body["errors"][0]), "BAD_USER_INPUT", "{body}");
    assert!(body.to_string().len() < 2_000, "the 100 KB name is not echoed: {} bytes", body.to_string().len());

    // Oversized request targets and headers get JSON bodies too.
    let res = app.client.get(app.url(&format!("/graphql?query={}", "a".repeat(40_000)))).send().await.unwrap();
    assert_eq!(res.status(), 414);
    assert_eq!(code(&res.json::<Value>().await.unwrap()["errors"][0]), "BAD_REQUEST");
    let res = app.client.get(app.url("/healthz")).header("x-padding", "p".repeat(70_000)).send().await.unwrap();
    assert_eq!(res.status(), 431);
    assert_eq!(code(&res.json::<Value>().await.unwrap()["errors"][0]), "BAD_REQUEST");
    still_serving(&app).await;
}
