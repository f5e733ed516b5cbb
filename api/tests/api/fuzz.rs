//! A bounded fuzz of the GraphQL endpoint (issue 11): generated documents go to the
//! real server over HTTP: token soup, brackets and values nested up to three times
//! the admitted depth, fragment webs with fan-out and cycles, alias floods, and
//! well-formed queries with mutated arguments. Every answer must be a well-formed
//! GraphQL response with typed errors (never `INTERNAL_SERVER_ERROR`), and the server
//! must still serve afterwards.
//!
//! `PROPTEST_CASES` sets the number of documents (default 192); a failing document is
//! shrunk and printed.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::helpers::{TestApp, code};

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    "...",
    "$v",
    "!",
    "=",
    "@include(if: true)",
    "@skip(if: $v)",
    ",",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "F0",
    "F1",
    "on",
    "Query",
    "products",
    "categories",
    "product",
    "slug",
    "totalCount",
    "nodes",
    "id",
    "name",
    "first",
    "after",
    "filter",
    "search",
    "\"a\"",
    "\"\\\"\"",
    "\"\\u00e9\"",
    "\"\"\"block \\\"\"\" \"\"\"",
    "1",
    "-1",
    "2147483648",
    "1.5e300",
    "true",
    "null",
    "PRICE_ASC",
    "__typename",
    "__schema",
    "__type",
    "types",
    "fields",
    "ofType",
    "kind",
    "#c\n",
    "cart",
    "cartCreate",
    "input",
    "lines",
    "variantId",
    "quantity",
    "node",
    "stockChanged",
    "ids",
    "\u{0}",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|t| t.join(" "))
}

/// An argument value nested `depth` levels through lists and input objects.
fn deep_value() -> impl Strategy<Value = String> {
    (prop::collection::vec(prop::bool::ANY, 0..320), prop::sample::select(&["\"a\"", "1", "null", "$v", "[]", "{}"][..])).prop_map(
        |(levels, leaf)| {
            let mut open = String::new();
            let mut close = String::new();
            for list in levels {
                if list {
                    open.push('[');
                    close.insert(0, ']');
                } else {
                    open.push_str("{ search: ");
                    close.insert_str(0, " }");
                }
            }
            format!("{{ products(filter: {{ search: {open}{leaf}{close} }}) {{ totalCount }} }}")
        },
    )
}

/// Selections nested `depth` levels, sometimes through inline fragments.
fn deep_selection() -> impl Strategy<Value = String> {
    (0usize..200, prop::bool::ANY).prop_map(|(depth, inline)| {
        let step = if inline { "... on Query { " } else { "products { nodes { " };
        let close = if inline { " }" } else { " } }" };
        format!("{{ {}__typename{} }}", step.repeat(depth), close.repeat(depth))
    })
}

/// Fragments spreading each other: fan-out, cycles, unknown names.
fn fragment_web() -> impl Strategy<Value = String> {
    (1usize..40, prop::collection::vec((0usize..40, 0usize..40, 1usize..4), 1..40)).prop_map(|(n, edges)| {
        let mut doc = String::from("query { ...F0 }\n");
        for i in 0..n {
            let spreads: String = edges
                .iter()
                .filter(|(from, _, _)| *from % n == i)
                .map(|(_, to, times)| format!("...F{} ", to % (n + 1)).repeat(*times))
                .collect();
            doc.push_str(&format!("fragment F{i} on Query {{ __typename {spreads}}}\n"));
        }
        doc
    })
}

fn alias_flood() -> impl Strategy<Value = String> {
    (0usize..3_000, prop::sample::select(&["products(first: 1) { totalCount }", "__typename", "categories { slug }"][..]))
        .prop_map(|(n, field)| format!("{{ {} }}", (0..n).map(|i| format!("a{i}: {field}")).collect::<Vec<_>>().join(" ")))
}

/// Real queries with arguments replaced by odd values.
fn mutated_arguments() -> impl Strategy<Value = String> {
    let value = prop::sample::select(
        &["-1", "0", "2147483647", "2147483648", "\"\"", "null", "\"x\"", "[1]", "{}", "1.5", "true", "RELEVANCE"][..],
    );
    (value.clone(), value.clone(), value).prop_map(|(a, b, c)| {
        format!(
            "{{ products(first: {a}, after: {b}, filter: {{ priceMin: {c}, attributes: [{{ name: {b}, values: [{c}] }}] }}) {{ totalCount nodes {{ slug }} }} product(slug: {a}) {{ name }} node(id: {b}) {{ id }} }}"
        )
    })
}

fn document() -> impl Strategy<Value = String> {
    prop_oneof![soup(), deep_value(), deep_selection(), fragment_web(), alias_flood(), mutated_arguments()]
}

async fn answer(app: &TestApp, query: &str) -> Result<(), TestCaseError> {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query, "variables": { "v": true } }))
        .send()
        .await
        .map_err(|e| TestCaseError::fail(format!("no answer (did the server die?): {e}")))?;
    let status = res.status().as_u16();
    let body: Value = res.json().await.map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
    prop_assert!(status == 200 || status == 400, "status {status}: {body}");
    prop_assert!(body.get("data").is_some() || body.get("errors").is_some(), "{body}");
    if let Some(errors) = body["errors"].as_array() {
        for error in errors {
            let code = code(error);
            prop_assert!(!code.is_empty() && code != "INTERNAL_SERVER_ERROR", "untyped or internal error: {error}");
        }
    }
    Ok(())
}

#[test]
fn generated_documents_get_typed_answers_and_never_stop_the_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let app = runtime.block_on(crate::helpers::TestApp::spawn_with(
        crate::helpers::TestDb::seeded(),
        &[("RATE_LIMIT_BROWSE_PER_MINUTE", "0"), ("RATE_LIMIT_CHECKOUT_PER_MINUTE", "0")],
    ));
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(192);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&document(), |query| runtime.block_on(answer(&app, &query)));
    runtime.block_on(async {
        let data = app.gql_ok("{ categories { slug } }", json!({})).await;
        assert!(data["categories"].is_array());
    });
    runtime.block_on(async move { drop(app) });
    if let Err(e) = result {
        panic!("{e}");
    }
}
