//! GraphQL over HTTP: media types, status codes, limits, GET, WebSocket, operator
//! endpoints.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, code};

async fn post_raw(app: &TestApp, content_type: Option<&str>, accept: Option<&str>, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let mut req = app.client.post(app.url("/graphql")).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_requests_get_400_with_a_typed_error() {
    let app = TestApp::spawn().await;
    for body in ["{not json", "[]", r#"[{"query":"{ categories { slug } }"}]"#, r#"{"variables":{}}"#, r#"{"query": 5}"#] {
        let (status, json) = post_raw(&app, Some("application/json"), None, body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(code(&json["errors"][0]), "BAD_REQUEST", "{body}: {json}");
    }
}

#[tokio::test]
async fn wrong_content_type_is_415_and_unacceptable_accept_is_406() {
    let app = TestApp::spawn().await;
    let (status, json) = post_raw(&app, Some("text/plain"), None, r#"{"query":"{ categories { slug } }"}"#).await;
    assert_eq!(status, 415);
    assert_eq!(code(&json["errors"][0]), "BAD_REQUEST");
    let (status, _) = post_raw(&app, None, None, r#"{"query":"{ categories { slug } }"}"#).await;
    assert_eq!(status, 415, "a POST without Content-Type is refused");
    let (status, _) = post_raw(&app, Some("application/json"), Some("text/xml"), r#"{"query":"{ categories { slug } }"}"#).await;
    assert_eq!(status, 406);
    let (status, json) =
        post_raw(&app, Some("application/json; charset=utf-8"), Some("*/*"), r#"{"query":"{ categories { slug } }"}"#).await;
    assert_eq!(status, 200);
    assert!(json["data"]["categories"].is_array());
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::spawn_with(crate::helpers::TestDb::seeded(), &[("GRAPHQL_MAX_BODY_BYTES", "2048")]).await;
    let query = format!("{{ categories {{ slug }} }} # {}", "x".repeat(4096));
    let (status, json) = post_raw(&app, Some("application/json"), None, json!({ "query": query }).to_string()).await;
    assert_eq!(status, 413);
    assert_eq!(code(&json["errors"][0]), "BAD_REQUEST");
}

#[tokio::test]
async fn request_errors_follow_the_accepted_media_type() {
    let app = TestApp::spawn().await;
    let bad = json!({ "query": "{ nope }" }).to_string();
    let (status, json) = post_raw(&app, Some("application/json"), Some("application/graphql-response+json"), bad.clone()).await;
    assert_eq!(status, 400, "validation errors are 4xx with graphql-response+json");
    assert!(json.get("data").is_none(), "no data entry on a request error: {json}");
    assert_eq!(code(&json["errors"][0]), "GRAPHQL_VALIDATION_FAILED");

    let (status, json) = post_raw(&app, Some("application/json"), Some("application/json"), bad).await;
    assert_eq!(status, 200, "legacy application/json answers 200");
    assert_eq!(code(&json["errors"][0]), "GRAPHQL_VALIDATION_FAILED");

    let res = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ categories { slug } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
}

#[tokio::test]
async fn parse_errors_unknown_operations_and_limits_have_codes() {
    let app = TestApp::spawn().await;
    let err = app.gql_err("{ categories { slug ", json!({})).await;
    assert_eq!(code(&err), "GRAPHQL_PARSE_FAILED");

    let body = json!({ "query": "query A { categories { slug } } query B { categories { name } }", "operationName": "C" });
    let res: Value = app.client.post(app.url("/graphql")).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(code(&res["errors"][0]), "OPERATION_NOT_FOUND");
    let body = json!({ "query": "query A { categories { slug } } query B { categories { name } }", "operationName": "B" });
    let res: Value = app.client.post(app.url("/graphql")).json(&body).send().await.unwrap().json().await.unwrap();
    assert!(res["data"]["categories"][0]["name"].is_string());

    // Deep but cheap: a chain of single objects.
    let deep = format!("{{ category(slug: \"men-shirts\") {}slug{} }}", "parent { ".repeat(12), " }".repeat(12));
    let err = app.gql_err(&deep, json!({})).await;
    assert_eq!(code(&err), "QUERY_TOO_DEEP", "{err}");

    let complex = "{ products(first: 100) { edges { node { variants { sku title price { amount currencyCode formatted } compareAtPrice { amount } attributes { name value } product { name slug brand } } images { url altText } categories { slug name children { slug name } } } } } }";
    let err = app.gql_err(complex, json!({})).await;
    assert_eq!(code(&err), "QUERY_TOO_COMPLEX", "{err}");
}

#[tokio::test]
async fn get_runs_queries_refuses_mutations_and_serves_graphiql() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/graphql")).query(&[("query", "{ categories { slug } }")]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["data"]["categories"][0]["slug"], "men");

    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "query($s: String!) { category(slug: $s) { name } }"), ("variables", r#"{"s":"kids"}"#)])
        .send()
        .await
        .unwrap();
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["data"]["category"]["name"], "Kids");

    let res = app.client.get(app.url("/graphql")).query(&[("query", "mutation { x }")]).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");

    let res =
        app.client.get(app.url("/graphql")).query(&[("query", "{ categories { slug } }"), ("variables", "[1]")]).send().await.unwrap();
    assert_eq!(res.status(), 400);

    let res = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("GraphiQL"));

    let res = app.client.delete(app.url("/graphql")).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

/// GraphiQL needs nothing from the internet: the page names only this server's assets,
/// each with the integrity of what the server then serves, under a policy that allows
/// nothing else. (`frontend-sample/e2e` runs it in Chromium with the network cut off.)
#[tokio::test]
async fn graphiql_is_served_from_the_server_itself() {
    use base64::Engine;
    use sha2::Digest;
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    let page = res.text().await.unwrap();
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//unpkg"), "{page}");
    let mut assets = 0;
    for part in page.split("=\"/graphiql/").skip(1) {
        let (file, rest) = part.split_once('"').unwrap();
        let integrity = rest.split("integrity=\"").nth(1).and_then(|r| r.split('"').next()).expect("an integrity");
        let res = app.client.get(app.url(&format!("/graphiql/{file}"))).send().await.unwrap();
        assert_eq!(res.status(), 200, "{file}");
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        let kind = if file.ends_with(".css") { "text/css" } else { "text/javascript" };
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with(kind), "{file}");
        let body = res.bytes().await.unwrap();
        let sha384 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(&body));
        assert_eq!(integrity, format!("sha384-{sha384}"), "{file}");
        assets += 1;
    }
    assert_eq!(assets, 5, "GraphiQL's script and style, React, React DOM, and the start script");
    assert_eq!(app.client.get(app.url("/graphiql/../Cargo.toml")).send().await.unwrap().status(), 404);
    assert_eq!(app.client.get(app.url("/graphiql/graphiql.min.js")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn graphiql_and_introspection_can_be_switched_off() {
    let app = TestApp::spawn_with(crate::helpers::TestDb::seeded(), &[("GRAPHIQL", "false"), ("GRAPHQL_INTROSPECTION", "false")]).await;
    let res = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(app.client.get(app.url("/graphiql/start.js")).send().await.unwrap().status(), 404, "nor its assets");
    let body = app.gql("{ __schema { types { name } } }", json!({})).await;
    assert_eq!(body["data"]["__schema"], Value::Null, "introspection answers nothing: {body}");
    assert!(app.gql_ok("{ categories { slug } }", json!({})).await["categories"].is_array());
}

#[tokio::test]
async fn operator_endpoints_report_health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["checks"]["database"], "ok");

    let body = json!({ "query": "query CategoryTree { categories { slug } }", "operationName": "CategoryTree" });
    app.client.post(app.url("/graphql")).json(&body).send().await.unwrap();
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in [
        r#"stockade_graphql_operations_total{operation="CategoryTree",kind="query",outcome="ok"} 1"#,
        r#"stockade_http_requests_total{method="POST",route="/graphql",status="200"}"#,
        "stockade_graphql_operation_duration_seconds_bucket",
        "stockade_db_statements_total",
        "stockade_db_pool_connections",
        "stockade_db_pool_max_connections 8",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app.client.get(app.url("/healthz")).header("x-request-id", "bad id with spaces").send().await.unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(generated, "bad id with spaces");
    assert_eq!(generated.len(), 36, "a UUID");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");

    let res = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn websocket_speaks_graphql_transport_ws() {
    let app = TestApp::spawn().await;
    let mut request = format!("ws://{}/graphql", app.addr).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.expect("websocket connects");
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");

    ws.send(Message::Text(json!({ "type": "connection_init" }).to_string().into())).await.unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");

    let subscribe =
        json!({ "type": "subscribe", "id": "1", "payload": { "query": "{ category(slug: \"women\") { name children { slug } } }" } });
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let next = next_json(&mut ws).await;
    assert_eq!(next["type"], "next");
    assert_eq!(next["payload"]["data"]["category"]["name"], "Women");
    assert_eq!(next_json(&mut ws).await["type"], "complete");
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg =
            tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.expect("message in time").expect("open").expect("ok");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn a_request_that_passed_validation_once_answers_the_same_again_and_others_are_still_checked() {
    // No response cache: every request below is executed.
    let app = TestApp::spawn_with(crate::helpers::TestDb::seeded(), &[("RESPONSE_CACHE_ENTRIES", "0")]).await;
    let query = "query Page($n: Int) { products(first: $n) { edges { node { slug price: priceRange { min { amount } } } } } }";
    let bad = app.gql(query, json!({ "n": "two" })).await;
    assert!(bad.get("data").is_none() && bad["errors"][0]["extensions"]["code"].is_string(), "{bad:#}");

    let first = app.gql(query, json!({ "n": 2 })).await;
    assert!(first.get("errors").is_none(), "{first:#}");
    // The same request again runs without the rules it passed, and answers the same.
    assert_eq!(app.gql(query, json!({ "n": 2 })).await, first);
    // Other variables for the same document are validated in full, as before.
    assert_eq!(app.gql(query, json!({ "n": "two" })).await, bad);
    let other = app.gql(query, json!({ "n": 3 })).await;
    assert_eq!(other["data"]["products"]["edges"].as_array().map(Vec::len), Some(3));
    // And the repeat was the only request that skipped them.
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in [r#"stockade_graphql_validations_total{result="skipped"} 1"#, r#"stockade_graphql_validations_total{result="checked"} 4"#]
    {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
}
