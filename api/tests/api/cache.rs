//! The response cache for public catalog queries.

use serde_json::json;

use crate::helpers::{TestApp, TestDb};

const LISTING: &str = "query Listing { products(first: 5) { edges { node { slug variants { sku price { amount } } } } } }";

async fn post(app: &TestApp, body: serde_json::Value) -> (Option<String>, serde_json::Value) {
    let res = app.client.post(app.url("/graphql")).json(&body).send().await.unwrap();
    let cache = res.headers().get("x-cache").map(|v| v.to_str().unwrap().to_owned());
    (cache, res.json().await.unwrap())
}

#[tokio::test]
async fn repeated_public_queries_are_answered_from_memory() {
    let app = TestApp::spawn().await;
    let (first, body1) = post(&app, json!({ "query": LISTING })).await;
    let before = app.metrics.statements();
    let (second, body2) = post(&app, json!({ "query": LISTING })).await;
    assert_eq!(first.as_deref(), Some("miss"));
    assert_eq!(second.as_deref(), Some("hit"));
    assert_eq!(body1, body2);
    assert_eq!(app.metrics.statements(), before, "a hit runs no SQL");

    let (other_vars, _) =
        post(&app, json!({ "query": "query($n: Int) { products(first: $n) { edges { node { slug } } } }", "variables": { "n": 2 } })).await;
    assert_eq!(other_vars.as_deref(), Some("miss"), "variables are part of the key");

    let res = app.client.get(app.url("/graphql")).query(&[("query", LISTING)]).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "max-age=30", "GET answers carry the hint for HTTP caches");

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"stockade_graphql_response_cache_total{result="hit"}"#), "{metrics}");
}

#[tokio::test]
async fn concurrent_misses_compute_once() {
    let app = TestApp::spawn().await;
    let before = app.metrics.statements();
    let bodies = futures::future::join_all((0..20).map(|_| post(&app, json!({ "query": LISTING })))).await;
    let per_execution = {
        // One uncached execution of the same query, on a fresh server, for comparison.
        let other = TestApp::spawn_with(TestDb::seeded(), &[("RESPONSE_CACHE_ENTRIES", "0")]).await;
        post(&other, json!({ "query": LISTING })).await; // warm the pool
        let b = other.metrics.statements();
        post(&other, json!({ "query": LISTING })).await;
        other.metrics.statements() - b
    };
    assert!(bodies.windows(2).all(|w| w[0].1 == w[1].1));
    let ran = app.metrics.statements() - before;
    assert!(ran <= per_execution + 4, "20 identical concurrent requests ran {ran} statements; one execution runs {per_execution}");
}

#[tokio::test]
async fn errors_private_roots_and_disabled_caches_are_never_shared() {
    let app = TestApp::spawn().await;
    let bad = json!({ "query": "{ products(first: 101) { edges { node { slug } } } }" });
    assert_eq!(post(&app, bad.clone()).await.0.as_deref(), Some("miss"));
    assert_eq!(post(&app, bad).await.0.as_deref(), Some("miss"), "errors are not cached");

    let node = json!({ "query": "{ node(id: \"UHJvZHVjdDox\") { id } }" });
    assert_eq!(post(&app, node.clone()).await.0, None, "node can return any type: never cached");
    let fragment = json!({ "query": "{ ...F } fragment F on Query { products(first: 1) { edges { cursor } } }" });
    assert_eq!(post(&app, fragment).await.0, None, "root fragments are not inspected, so not cached");

    let off = TestApp::spawn_with(TestDb::seeded(), &[("RESPONSE_CACHE_ENTRIES", "0")]).await;
    assert_eq!(post(&off, json!({ "query": LISTING })).await.0, None);
    assert_eq!(post(&off, json!({ "query": LISTING })).await.0, None);
}
