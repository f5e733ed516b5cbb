//! Every list that can grow is a Relay connection, and every connection has a
//! `totalCount` that counts what its filter matches over all pages.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::commerce::stocked_variant;
use crate::helpers::TestApp;
use crate::payments::{DECLINED, confirm, pay, pending_order};

#[test]
fn every_connection_in_the_schema_has_a_total_count() {
    let sdl = stockade_graphql::sdl();
    let mut connections = 0;
    for block in sdl.split("\ntype ").skip(1) {
        let (name, body) = block.split_once('{').unwrap_or((block, ""));
        let name = name.split_whitespace().next().unwrap_or_default();
        if name.ends_with("Connection") {
            connections += 1;
            let fields = body.split('}').next().unwrap_or_default();
            assert!(fields.contains("\ttotalCount: Int!"), "{name} has no totalCount");
        }
    }
    assert!(connections >= 7, "found only {connections} connections");
}

/// `query` run as `token`, asserting no errors.
async fn data(app: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    let body = app.gql_as(token, query, vars).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

#[tokio::test]
async fn total_count_counts_every_page_under_the_filter() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).await;
    let t = admin.access_token.as_str();
    for _ in 0..3 {
        app.user(Role::Customer).await;
    }
    // Three declined orders: each is a failed-payment issue.
    let mut variant = None;
    for _ in 0..3 {
        let b = pending_order(&app, 5, 1).await;
        let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
        confirm(&app, &secret, DECLINED).await;
        variant = Some(b.variant);
    }
    let (stocked, _) = stocked_variant(&app, 7, 1_000).await;
    for code in ["one", "two", "three"] {
        data(
            &app,
            t,
            "mutation($c: String!) { couponCreate(input: { code: $c, percentOff: 10 }) { userErrors { code } } }",
            json!({ "c": code }),
        )
        .await;
    }

    let got = data(
        &app,
        t,
        "query($v: ID!, $s: ID!) {
            users(first: 1, filter: { roles: [CUSTOMER] }) { totalCount nodes { id } pageInfo { hasNextPage } }
            everyone: users(first: 1) { totalCount }
            orders(first: 2) { totalCount nodes { id } }
            paymentIssues(filter: FAILED, first: 1) { totalCount }
            inventory(first: 1, filter: { search: \"TEST-\" }) { totalCount }
            stockMovements(variantId: $v, first: 1) { totalCount }
            ledger: stockMovements(variantId: $v, first: 100) { nodes { reason } }
            restocked: stockMovements(variantId: $s, first: 1) { totalCount }
            coupons(first: 2) { totalCount nodes { code } pageInfo { hasNextPage } }
            products(first: 1) { totalCount }
        }",
        json!({ "v": variant, "s": stocked }),
    )
    .await;
    // The customers made here and none of the staff; one page of one, three in all.
    assert_eq!(got["users"]["totalCount"], 3, "{got:#}");
    assert_eq!(got["users"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(got["everyone"]["totalCount"], 4, "the customers and the admin");
    assert_eq!(got["orders"]["totalCount"], 3);
    assert_eq!(got["paymentIssues"]["totalCount"], 3);
    // Four test variants (three bought, one stocked), one per row.
    assert_eq!(got["inventory"]["totalCount"], 4);
    // One page of one row; the count is every row of the variant's ledger.
    let rows = got["ledger"]["nodes"].as_array().unwrap().len();
    assert!(rows > 1);
    assert_eq!(got["stockMovements"]["totalCount"], rows, "{got:#}");
    assert_eq!(got["restocked"]["totalCount"], 1);
    assert_eq!(got["coupons"]["totalCount"], 3);
    assert_eq!(got["coupons"]["nodes"], json!([{ "code": "THREE" }, { "code": "TWO" }]), "newest first");
    assert_eq!(got["coupons"]["pageInfo"]["hasNextPage"], true);
    assert!(got["products"]["totalCount"].as_i64().unwrap() > 1);

    // The next page of coupons goes on where the first stopped.
    let first = data(&app, t, "{ coupons(first: 2) { pageInfo { endCursor } } }", json!({})).await;
    let next = data(
        &app,
        t,
        "query($a: String) { coupons(first: 2, after: $a) { totalCount nodes { code } pageInfo { hasNextPage } } }",
        json!({ "a": first["coupons"]["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(next["coupons"], json!({ "totalCount": 3, "nodes": [{ "code": "ONE" }], "pageInfo": { "hasNextPage": false } }));
}
