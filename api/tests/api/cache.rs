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

const NEWEST: &str = "{ products(first: 1, sortBy: NEWEST) { edges { node { name variants { id availableQuantity inStock } } } } }";

/// The newest product's first variant as a cached listing shows it: (x-cache, available).
async fn newest(app: &TestApp) -> (String, i64) {
    let (cache, body) = post(app, json!({ "query": NEWEST })).await;
    let available =
        body["data"]["products"]["edges"][0]["node"]["variants"][0]["availableQuantity"].as_i64().unwrap_or_else(|| panic!("{body}"));
    (cache.unwrap_or_default(), available)
}

#[tokio::test]
async fn a_cached_answer_showing_stock_lives_until_that_stock_changes() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("EVENTS_PUBLISHER", "on")]).await;
    let mut events = app.bus.subscribe();
    let (variant, variant_id) = crate::commerce::stocked_variant(&app, 1, 1_000).await;
    let (_, other_id) = crate::commerce::stocked_variant(&app, 5, 1_000).await;
    // Their restocks are published before anything is cached.
    stock_event(&mut events, variant_id).await;
    stock_event(&mut events, other_id).await;
    // The newest product is `other`'s; list `variant`'s through a query of its own.
    let mine = format!(
            "{{ products(first: 1, filter: {{ search: \"{}\" }}) {{ edges {{ node {{ variants {{ id availableQuantity }} }} }} }} }}",
            app.gql_ok("query($id: ID!) { node(id: $id) { ... on Variant { product { name } } } }", json!({ "id": variant })).await["node"]
                ["product"]["name"]
                .as_str()
                .unwrap()
        );
    let read = async || {
        let (cache, body) = post(&app, json!({ "query": mine })).await;
        (cache.unwrap_or_default(), body["data"]["products"]["edges"][0]["node"]["variants"][0]["availableQuantity"].as_i64().unwrap_or(-1))
    };
    assert_eq!(read().await, ("miss".into(), 1));
    assert_eq!(newest(&app).await.0, "miss");

    // Past the 2 s an HTTP cache may keep stock, the answer is still served from memory.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(read().await, ("hit".into(), 1), "stock no longer cuts the life of a cached answer");
    let res = app.client.get(app.url("/graphql")).query(&[("query", mine.as_str())]).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "max-age=2", "HTTP caches, which hear no events, keep stock 2 s at most");

    // A guest takes the last unit; once its stock event is out, the next read shows it
    // sold out, while the listing of another variant stays cached.
    let cart = app
        .gql_ok(
            "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { userErrors { code } } }",
            json!({ "l": [{ "variantId": variant, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(cart["cartCreate"]["userErrors"], json!([]));
    stock_event(&mut events, variant_id).await;
    assert_eq!(until_showing(0, read).await, ("patched".into(), 0), "the change refilled the cached answer's stock");
    assert_eq!(read().await, ("hit".into(), 0), "the patched answer is kept");
    assert_eq!(newest(&app).await, ("hit".into(), 5), "answers about other variants stay cached");

    // From then on its stock is known from the events themselves: a restock at a
    // location where it had no stock yet (a level the patch above did not read) shows.
    let east = app.inventory.locations().await.unwrap().last().unwrap().id;
    app.inventory.restock(variant_id, east, 2, stockade_domain::actor::Actor::System, "second location").await.unwrap();
    stock_event(&mut events, variant_id).await;
    assert_eq!(until_showing(2, read).await, ("patched".into(), 2), "patched from the event");
    assert_eq!(read().await, ("hit".into(), 2));

    // A patched answer is the answer a fresh computation gives, byte for byte apart
    // from the stock it shows.
    let (_, patched) = post(&app, json!({ "query": NEWEST })).await;
    // Another text of the same query: a key of its own, computed now.
    let fresh = app.gql_ok(&format!("{NEWEST} "), json!({})).await;
    assert_eq!(patched["data"], fresh);
}

/// What `read` answers once it shows `units`. The cache hears a stock event on its own
/// subscription, a moment after the test's: a few reads at most.
async fn until_showing<F: Future<Output = (String, i64)>>(units: i64, read: impl Fn() -> F) -> (String, i64) {
    let mut after = read().await;
    for _ in 0..50 {
        if after.1 == units {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = read().await;
    }
    after
}

/// Waits for the next stock event of `variant_id` on the bus.
async fn stock_event(events: &mut stockade_domain::events::Subscription, variant_id: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let message =
            tokio::time::timeout(deadline - std::time::Instant::now(), events.recv()).await.expect("the stock event is published").unwrap();
        if let stockade_domain::events::BusMessage::Event(e) = message
            && stockade_domain::inventory::stock_event_target(&e).map(|(v, _)| v) == Some(variant_id)
        {
            return;
        }
    }
}

#[tokio::test]
async fn without_an_event_publisher_answers_showing_stock_live_only_as_long_as_their_hint() {
    // Tests run without a publisher unless they ask for one: no stock event would come.
    let app = TestApp::spawn().await;
    crate::commerce::stocked_variant(&app, 3, 1_000).await;
    assert_eq!(newest(&app).await, ("miss".into(), 3));
    assert_eq!(newest(&app).await, ("hit".into(), 3));
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(newest(&app).await, ("miss".into(), 3), "gone after its 2 s hint");
}

#[tokio::test]
async fn a_stock_change_on_one_instance_drops_the_cached_answer_on_another() {
    let Some(redis) = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) else {
        crate::helpers::skip("cache::a_stock_change_on_one_instance_drops_the_cached_answer_on_another", "TEST_REDIS_URL is not set");
        return;
    };
    let db = std::sync::Arc::new(TestDb::seeded());
    let channel = format!("stockade:test:{}", uuid::Uuid::new_v4().simple());
    let common = [("REDIS_URL", redis.as_str()), ("REDIS_EVENTS_CHANNEL", channel.as_str())];
    let a = TestApp::spawn_on(db.clone(), &[common[0], common[1], ("EVENTS_PUBLISHER", "on")]).await;
    let b = TestApp::spawn_on(db, &common).await;
    let connected = || {
        a.bus.health() == stockade_domain::events::BusHealth::Connected && b.bus.health() == stockade_domain::events::BusHealth::Connected
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !connected() {
        assert!(std::time::Instant::now() < deadline, "both instances reach Redis");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut on_b = b.bus.subscribe();
    let (variant, variant_id) = crate::commerce::stocked_variant(&a, 2, 1_000).await;
    stock_event(&mut on_b, variant_id).await;
    assert_eq!(newest(&b).await, ("miss".into(), 2));
    assert_eq!(newest(&b).await, ("hit".into(), 2));

    a.gql_ok(
        "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { userErrors { code } } }",
        json!({ "l": [{ "variantId": variant, "quantity": 2 }] }),
    )
    .await;
    stock_event(&mut on_b, variant_id).await;
    assert_eq!(until_showing(0, || newest(&b)).await, ("patched".into(), 0), "B refilled its cached answer on A's event");
}
