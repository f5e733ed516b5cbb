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

#[tokio::test]
async fn signed_in_answers_are_private_and_never_shared_with_other_viewers() {
    let app = TestApp::spawn().await;
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    let customer = app.user(stockade_domain::accounts::Role::Customer).await;
    // A draft: staff see it, shoppers do not.
    let create = "mutation { productCreate(input: { name: \"Unreleased Jacket\" }) { product { status } userErrors { code } } }";
    let created = app.gql_as(&staff.access_token, create, json!({})).await;
    assert_eq!(created["data"]["productCreate"]["product"]["status"], "DRAFT", "{created}");
    let count = "{ product(slug: \"unreleased-jacket\") { status } }";
    let get = |token: Option<String>| {
        let mut req = app.client.get(app.url("/graphql")).query(&[("query", count)]);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.unwrap();
            let header =
                |name: &str| res.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join(", ");
            let (cache_control, vary, x_cache) = (header("cache-control"), header("vary"), header("x-cache"));
            let body: serde_json::Value = res.json().await.unwrap();
            (body["data"]["product"]["status"].as_str().unwrap_or("none").to_owned(), cache_control, vary, x_cache)
        }
    };
    // The public answer first, twice: cached in memory and publicly cacheable.
    let (public, cc, vary, _) = get(None).await;
    assert_eq!((cc.as_str(), get(None).await.3.as_str()), ("max-age=30", "hit"));
    assert!(vary.contains("Authorization"), "a shared cache must key public answers by credentials: {vary}");

    // Staff see the draft too: never from the shared entry, never publicly cacheable.
    for _ in 0..2 {
        let (n, cc, vary, x_cache) = get(Some(staff.access_token.clone())).await;
        assert_eq!((public.as_str(), n.as_str()), ("none", "DRAFT"), "staff see drafts; the anonymous entry is not served to them");
        assert_eq!(cc, "private, no-store");
        assert!(vary.contains("Authorization"), "{vary}");
        assert_eq!(x_cache, "", "signed-in requests bypass the shared response cache");
    }
    // A customer's answer is private too, and the public entry is still the public one.
    let (n, cc, _, x_cache) = get(Some(customer.access_token.clone())).await;
    assert_eq!((n.as_str(), cc.as_str(), x_cache.as_str()), ("none", "private, no-store", ""));
    let (n, cc, _, x_cache) = get(None).await;
    assert_eq!((n.as_str(), cc.as_str(), x_cache.as_str()), ("none", "max-age=30", "hit"));

    // POST answers follow the same rules.
    let res = app.client.post(app.url("/graphql")).bearer_auth(&staff.access_token).json(&json!({ "query": count })).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "private, no-store");
}
