//! Automatic persisted queries as Apollo Client and urql send them: a hash alone, the
//! standard `PersistedQueryNotFound` answer, the document registered with its hash,
//! then the hash alone in a short, CDN-cacheable GET.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, TestDb, code};

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn extension(hash: &str) -> String {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string()
}

/// A GET with the given parameters: (status, Cache-Control, x-cache, body).
async fn get(app: &TestApp, params: &[(&str, &str)]) -> (u16, String, String, Value) {
    let res = app.client.get(app.url("/graphql")).query(params).send().await.unwrap();
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (status, cache_control, cache) = (res.status().as_u16(), header("cache-control"), header("x-cache"));
    (status, cache_control, cache, res.json().await.unwrap())
}

#[tokio::test]
async fn a_hash_alone_runs_a_registered_query_and_is_cacheable() {
    let app = TestApp::spawn().await;
    let query = "query Shelf { products(first: 2) { totalCount edges { node { name } } } }";
    let hash = sha256(query);
    let ext = extension(&hash);

    let (status, cache_control, _, body) = get(&app, &[("extensions", &ext)]).await;
    assert_eq!(status, 200, "clients expect 200 for a miss: {body}");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(code(&body["errors"][0]), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(cache_control, "private, no-cache, must-revalidate", "a miss is never cached");

    // The client sends the document with its hash once (Apollo Client over POST).
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }))
        .send()
        .await
        .unwrap();
    let registered: Value = res.json().await.unwrap();
    assert!(registered["data"]["products"]["totalCount"].as_i64().unwrap() > 0, "{registered}");

    let (status, cache_control, first, body) = get(&app, &[("extensions", &ext), ("operationName", "Shelf")]).await;
    assert_eq!((status, body["data"].clone(), cache_control.as_str()), (200, registered["data"].clone(), "max-age=30"), "{body}");
    let (_, _, again, _) = get(&app, &[("extensions", &ext), ("operationName", "Shelf")]).await;
    assert_eq!((first.as_str(), again.as_str()), ("miss", "hit"), "the response cache serves hashed GETs too");

    // Variables still travel with the hash.
    let with_vars = "query Some($n: Int) { products(first: $n) { edges { node { name } } } }";
    app.client
        .get(app.url("/graphql"))
        .query(&[("query", with_vars), ("extensions", &extension(&sha256(with_vars)))])
        .send()
        .await
        .unwrap();
    let (_, _, _, body) = get(&app, &[("extensions", &extension(&sha256(with_vars))), ("variables", r#"{"n":1}"#)]).await;
    assert_eq!(body["data"]["products"]["edges"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn a_wrong_hash_a_bad_extension_or_a_refused_document_registers_nothing() {
    let app = TestApp::spawn().await;
    let query = "{ categories { slug } }";
    let wrong = sha256("{ products { totalCount } }");
    let (status, _, _, body) = get(&app, &[("query", query), ("extensions", &extension(&wrong))]).await;
    assert_eq!((status, code(&body["errors"][0])), (400, "BAD_REQUEST"), "{body}");
    assert_eq!(body["errors"][0]["message"], "provided sha does not match query");
    let (_, _, _, body) = get(&app, &[("extensions", &extension(&wrong))]).await;
    assert_eq!(code(&body["errors"][0]), "PERSISTED_QUERY_NOT_FOUND", "the wrong hash did not register the document");

    for ext in
        [r#"{"persistedQuery":{"version":2,"sha256Hash":"00"}}"#, r#"{"persistedQuery":{"version":1,"sha256Hash":"zz"}}"#, "[1]", "{"]
    {
        let (status, _, _, body) = get(&app, &[("extensions", ext)]).await;
        assert_eq!((status, code(&body["errors"][0])), (400, "BAD_REQUEST"), "{ext}: {body}");
    }

    // A document the server refuses (here: too deep) is not kept under its hash.
    let deep = format!("{{ categories {{ {}slug{} }} }}", "children { ".repeat(14), " }".repeat(14));
    let (_, _, _, body) = get(&app, &[("query", &deep), ("extensions", &extension(&sha256(&deep)))]).await;
    assert_eq!(code(&body["errors"][0]), "QUERY_TOO_DEEP", "{body}");
    let (_, _, _, body) = get(&app, &[("extensions", &extension(&sha256(&deep)))]).await;
    assert_eq!(code(&body["errors"][0]), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn persisted_queries_can_be_switched_off() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("PERSISTED_QUERIES_ENTRIES", "0")]).await;
    let (status, _, _, body) = get(&app, &[("extensions", &extension(&sha256("{ __typename }")))]).await;
    assert_eq!((status, code(&body["errors"][0])), (200, "PERSISTED_QUERY_NOT_SUPPORTED"), "{body}");
    let plain = app.gql_ok("{ __typename }", json!({})).await;
    assert_eq!(plain["__typename"], "Query", "plain requests are unaffected");
}
