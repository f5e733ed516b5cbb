//! Reading stock through the API: public availability, staff levels, the inventory
//! list, the ledger, and what it costs in SQL statements.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use super::Stock;
use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn shoppers_see_availability_and_staff_see_levels_per_location() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let node = stock.levels(&app).await;
    let levels = node["stockLevels"].as_array().unwrap();
    assert_eq!(levels.len(), 2, "the demo catalog stocks both locations: {node:#}");
    let sum: i64 = levels.iter().map(|l| l["available"].as_i64().unwrap()).sum();
    assert!(levels.iter().all(|l| l["version"].as_i64().unwrap() >= 1 && !l["updatedAt"].is_null()));

    let public = app
        .gql_ok(r#"query($id: ID!) { node(id: $id) { ... on Variant { availableQuantity inStock } } }"#, json!({ "id": stock.variant }))
        .await;
    assert_eq!(public["node"]["availableQuantity"].as_i64(), Some(sum));
    assert_eq!(public["node"]["inStock"], sum > 0);

    // A listing with stock is cached for 2 s at most (not the catalog's 30 s).
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ products(first: 2) { edges { node { variants { sku availableQuantity inStock } } } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "max-age=2");
    let without_stock =
        app.client.get(app.url("/graphql")).query(&[("query", "{ products(first: 2) { edges { node { name } } } }")]).send().await.unwrap();
    assert_eq!(without_stock.headers()["cache-control"], "max-age=30");
}

#[tokio::test]
async fn a_listing_with_stock_needs_the_same_statements_for_5_and_50_products() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("RESPONSE_CACHE_ENTRIES", "0")]).await;
    let staff = app.user(Role::Staff).await;
    const PUBLIC: &str = r#"query($first: Int) { products(first: $first) { edges { node {
        name variants { sku availableQuantity inStock price { amount } } } } } }"#;
    const STAFF: &str = r#"query($first: Int) { products(first: $first) { edges { node {
        name variants { sku availableQuantity inStock lowStockThreshold { value isDefault }
          stockLevels { version available location { code } } } } } } }"#;
    for (query, token) in [(PUBLIC, None), (STAFF, Some(staff.access_token.as_str()))] {
        let mut counts = Vec::new();
        for first in [5, 50] {
            let run = || async {
                let body = match token {
                    Some(t) => app.gql_as(t, query, json!({ "first": first })).await,
                    None => app.gql(query, json!({ "first": first })).await,
                };
                assert!(body.get("errors").is_none(), "{body:#}");
                body
            };
            run().await;
            let before = app.metrics.statements();
            let body = run().await;
            counts.push(app.metrics.statements() - before);
            let variants: Vec<&Value> = body["data"]["products"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e["node"]["variants"].as_array().unwrap())
                .collect();
            assert!(variants.iter().any(|v| v["availableQuantity"].as_i64().unwrap() > 0));
        }
        assert_eq!(counts[0], counts[1], "statements for 5 vs 50 products (staff: {}): {counts:?}", token.is_some());
    }
}

const INVENTORY: &str = r#"query($filter: InventoryFilter, $first: Int, $after: String) {
    inventory(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { sku onHand reserved available lowStockThreshold lowStock
        variant { id sku } product { name } levels { location { code } available } } } } }"#;

#[tokio::test]
async fn staff_list_inventory_by_text_location_and_low_stock_and_read_the_ledger() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let token = stock.staff.access_token.clone();
    let list = |filter: Value, first: i64, after: Value| {
        let token = token.clone();
        let app = &app;
        async move {
            let body = app.gql_as(&token, INVENTORY, json!({ "filter": filter, "first": first, "after": after })).await;
            assert!(body.get("errors").is_none(), "{body:#}");
            body["data"]["inventory"].clone()
        }
    };
    let page1 = list(json!({}), 3, Value::Null).await;
    let page2 = list(json!({}), 3, page1["pageInfo"]["endCursor"].clone()).await;
    let skus =
        |page: &Value| page["edges"].as_array().unwrap().iter().map(|e| e["node"]["sku"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let (first, second) = (skus(&page1), skus(&page2));
    assert_eq!(first.len(), 3);
    assert!(page1["pageInfo"]["hasNextPage"].as_bool().unwrap());
    assert!(first.last().unwrap() < second.first().unwrap(), "SKU order across pages: {first:?} {second:?}");
    let item = &page1["edges"][0]["node"];
    assert_eq!(item["variant"]["sku"], item["sku"]);
    assert!(item["levels"].as_array().unwrap().len() <= 2);

    let sku = stock.levels(&app).await["sku"].as_str().unwrap().to_owned();
    let found = list(json!({ "search": sku.to_lowercase() }), 10, Value::Null).await;
    assert!(skus(&found).contains(&sku), "search by SKU: {found:#}");
    let at_east = list(json!({ "search": sku, "locationId": stock.east }), 10, Value::Null).await;
    let east_level = stock.level(&app, "east").await;
    let at_east = at_east["edges"].as_array().unwrap().iter().find(|e| e["node"]["sku"] == sku.as_str()).expect("listed").clone();
    assert_eq!(at_east["node"]["available"], east_level["available"], "counted at the east depot only");

    // A threshold above the stock makes it low; setting it back to the default does not.
    let set = r#"mutation($v: ID!, $t: Int) { lowStockThresholdSet(variantId: $v, threshold: $t) {
        lowStockThreshold { value isDefault } variant { sku } userErrors { code } } }"#;
    let high = app.gql_as(&token, set, json!({ "v": stock.variant, "t": 1_000_000 })).await;
    assert_eq!(high["data"]["lowStockThresholdSet"]["lowStockThreshold"], json!({ "value": 1_000_000, "isDefault": false }));
    let low = list(json!({ "search": sku, "lowStock": true }), 10, Value::Null).await;
    assert!(skus(&low).contains(&sku));
    let reset = app.gql_as(&token, set, json!({ "v": stock.variant, "t": null })).await;
    assert_eq!(reset["data"]["lowStockThresholdSet"]["lowStockThreshold"]["isDefault"], true);
    assert!(skus(&list(json!({ "search": sku, "lowStock": false }), 10, Value::Null).await).contains(&sku));

    // The ledger, newest first, with reason, actor and after-values.
    let level = stock.level(&app, "main").await;
    let adjusted = stock
        .adjust(
            &app,
            json!({ "variantId": stock.variant, "locationId": stock.main, "delta": -2, "reason": "ADJUSTMENT",
            "expectedVersion": level["version"], "note": "damaged in transit" }),
        )
        .await;
    assert_eq!(adjusted["userErrors"], json!([]));
    let ledger = app
        .gql_as(
            &token,
            r#"query($v: ID!, $l: ID) { stockMovements(variantId: $v, locationId: $l, first: 2) { edges { node {
                reason deltaOnHand deltaReserved onHandAfter availableAfter versionAfter note at
                actor { type user { email } } reference { type id } location { code } variant { sku } } } } }"#,
            json!({ "v": stock.variant, "l": stock.main }),
        )
        .await;
    let newest = &ledger["data"]["stockMovements"]["edges"][0]["node"];
    assert_eq!(newest["reason"], "ADJUSTMENT", "{ledger:#}");
    assert_eq!(newest["deltaOnHand"], -2);
    assert_eq!(newest["onHandAfter"].as_i64(), level["onHand"].as_i64().map(|n| n - 2));
    assert_eq!(newest["versionAfter"].as_i64(), level["version"].as_i64().map(|v| v + 1));
    assert_eq!(newest["actor"], json!({ "type": "STAFF", "user": { "email": stock.staff.email } }));
    assert_eq!(newest["reference"], json!({ "type": "ADJUSTMENT", "id": null }));
    assert_eq!((newest["note"].as_str(), newest["location"]["code"].as_str()), (Some("damaged in transit"), Some("main")));
    let seeded = &ledger["data"]["stockMovements"]["edges"][1]["node"];
    assert_eq!((seeded["reason"].as_str(), seeded["actor"]["type"].as_str()), (Some("RESTOCK"), Some("SYSTEM")), "{ledger:#}");
}
