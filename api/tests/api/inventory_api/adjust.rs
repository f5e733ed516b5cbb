//! Staff stock changes through the API: adjustments with optimistic locking,
//! transfers, thresholds, and every kind of bad input changing nothing.

use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use stockade_domain::actor::Actor;
use stockade_domain::entity::stock_movement;
use stockade_domain::inventory::{Owner, OwnerKind, ReserveLine};
use stockade_graphql::ids::NodeType;

use super::{ADJUST, Stock, raw};
use crate::helpers::{TestApp, code};

const TRANSFER: &str = r#"mutation($input: InventoryTransferInput!) { inventoryTransfer(input: $input) {
    from { onHand available version location { code } } to { onHand available version location { code } } reference
    userErrors { code field message } } }"#;

async fn ledger_rows(app: &TestApp) -> u64 {
    stock_movement::Entity::find().count(app.services.inventory.database().conn()).await.expect("count")
}

#[tokio::test]
async fn adjustments_are_versioned_and_transfers_move_unreserved_units() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let before = stock.level(&app, "main").await;
    let (v0, on_hand) = (before["version"].as_i64().unwrap(), before["onHand"].as_i64().unwrap());

    let added = stock
        .adjust(
            &app,
            json!({ "variantId": stock.variant, "locationId": stock.main, "delta": 5, "reason": "RESTOCK", "expectedVersion": v0 }),
        )
        .await;
    assert_eq!(added["userErrors"], json!([]));
    assert_eq!(added["stockLevel"]["onHand"].as_i64(), Some(on_hand + 5));
    assert_eq!(added["stockLevel"]["version"].as_i64(), Some(v0 + 1));

    // The same stale version again: a conflict carrying the level as it is now.
    let stale =
        stock.adjust(&app, json!({ "variantId": stock.variant, "locationId": stock.main, "setOnHand": 7, "expectedVersion": v0 })).await;
    let error = &stale["userErrors"][0];
    assert_eq!((error["code"].as_str(), error["currentVersion"].as_i64()), (Some("VERSION_CONFLICT"), Some(v0 + 1)), "{stale:#}");
    assert_eq!(error["field"], json!(["expectedVersion"]));
    assert_eq!(stale["stockLevel"], added["stockLevel"], "the current level comes with the conflict");

    let set = stock
        .adjust(&app, json!({ "variantId": stock.variant, "locationId": stock.main, "setOnHand": 7, "expectedVersion": v0 + 1 }))
        .await;
    assert_eq!(set["stockLevel"]["onHand"], 7, "{set:#}");

    // Units held by a cart cannot be counted away.
    let owner = Owner::new(OwnerKind::Cart, "cart-adjust").unwrap();
    let main_id = raw(&stock.main, NodeType::StockLocation);
    let line = ReserveLine { variant_id: stock.variant_id, quantity: 5, location_id: Some(main_id) };
    app.services.inventory.reserve(&[line], &owner, std::time::Duration::from_secs(600), Actor::Guest).await.unwrap();
    let v = stock.level(&app, "main").await["version"].clone();
    let below =
        stock.adjust(&app, json!({ "variantId": stock.variant, "locationId": stock.main, "setOnHand": 3, "expectedVersion": v })).await;
    let error = &below["userErrors"][0];
    assert_eq!((error["code"].as_str(), &error["field"]), (Some("INVALID"), &json!(["input", "setOnHand"])), "{below:#}");
    assert!(error["message"].as_str().unwrap().contains("5 are reserved"), "{error}");
    assert_eq!(stock.level(&app, "main").await["onHand"], 7, "nothing changed");

    // Transfers move available units only, in two ledger rows sharing a reference.
    let east = stock.level(&app, "east").await;
    let body = app
        .gql_as(
            &stock.staff.access_token,
            TRANSFER,
            json!({ "input": { "variantId": stock.variant, "fromLocationId": stock.east, "toLocationId": stock.main, "quantity": 2 } }),
        )
        .await;
    let moved = &body["data"]["inventoryTransfer"];
    assert_eq!(moved["userErrors"], json!([]), "{body:#}");
    assert_eq!(moved["from"]["onHand"].as_i64(), east["onHand"].as_i64().map(|n| n - 2));
    assert_eq!((moved["to"]["onHand"].as_i64(), moved["to"]["available"].as_i64()), (Some(9), Some(4)));
    let reference = moved["reference"].as_str().unwrap();
    let ledger = app
        .gql_as(
            &stock.staff.access_token,
            r#"query($v: ID!) { stockMovements(variantId: $v, first: 2) { edges { node { reason deltaOnHand reference { type id } } } } }"#,
            json!({ "v": stock.variant }),
        )
        .await;
    let rows: Vec<&Value> = ledger["data"]["stockMovements"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
    assert!(rows.iter().all(|r| r["reason"] == "TRANSFER" && r["reference"]["id"] == reference), "{ledger:#}");
    assert_eq!(rows.iter().map(|r| r["deltaOnHand"].as_i64().unwrap()).sum::<i64>(), 0);

    let report = app.services.inventory.verify().await.unwrap();
    assert!(report.is_ok(), "the ledger reconciles: {report}");
}

#[tokio::test]
async fn bad_input_gets_typed_errors_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let level = stock.level(&app, "main").await;
    let (version, on_hand) = (level["version"].as_i64().unwrap(), level["onHand"].as_i64().unwrap());
    let rows_before = ledger_rows(&app).await;
    let base = json!({ "variantId": stock.variant, "locationId": stock.main, "expectedVersion": version });
    let with = |extra: Value| {
        let mut input = base.clone();
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    };
    let cases: Vec<(Value, &str, Value)> = vec![
        (with(json!({ "delta": 0 })), "INVALID", json!(["input", "delta"])),
        (with(json!({ "delta": 2_000_000 })), "INVALID", json!(["input", "delta"])),
        (with(json!({ "delta": -2_000_000 })), "INVALID", json!(["input", "delta"])),
        (with(json!({ "delta": -(on_hand + 1) })), "INVALID", json!(["input", "delta"])),
        (with(json!({ "setOnHand": -1 })), "INVALID", json!(["input", "setOnHand"])),
        (with(json!({ "setOnHand": 200_000_000 })), "INVALID", json!(["input", "setOnHand"])),
        (with(json!({ "delta": 1, "setOnHand": 3 })), "INVALID", json!(["input", "setOnHand"])),
        (with(json!({})), "INVALID", json!(["input", "delta"])),
        (with(json!({ "delta": 1, "expectedVersion": -1 })), "INVALID", json!(["expectedVersion"])),
        (with(json!({ "delta": 1, "note": "x".repeat(501) })), "INVALID", json!(["input", "note"])),
        (with(json!({ "delta": 1, "variantId": NodeType::Variant.id(99_999_999).0 })), "NOT_FOUND", json!(["input", "variantId"])),
        (with(json!({ "delta": 1, "locationId": NodeType::StockLocation.id(99_999).0 })), "NOT_FOUND", json!(["input", "locationId"])),
        (with(json!({ "delta": 1, "variantId": NodeType::Product.id(1).0 })), "INVALID", json!(["input", "variantId"])),
        (with(json!({ "delta": 1, "locationId": "not-an-id" })), "INVALID", json!(["input", "locationId"])),
    ];
    for (input, expected, field) in cases {
        let payload = stock.adjust(&app, input.clone()).await;
        let error = &payload["userErrors"][0];
        assert_eq!((error["code"].as_str(), &error["field"]), (Some(expected), &field), "{input}: {payload:#}");
        assert!(payload["stockLevel"].is_null(), "{payload:#}");
    }
    let unknown_reason =
        app.gql_as(&stock.staff.access_token, ADJUST, json!({ "input": with(json!({ "delta": 1, "reason": "STOLEN" })) })).await;
    assert_eq!(code(&unknown_reason["errors"][0]), "GRAPHQL_VALIDATION_FAILED", "{unknown_reason:#}");

    let transfer = |extra: Value| {
        let mut input = json!({ "variantId": stock.variant, "fromLocationId": stock.main, "toLocationId": stock.east, "quantity": 1 });
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        input
    };
    let transfers: Vec<(Value, &str, Value)> = vec![
        (transfer(json!({ "quantity": 0 })), "INVALID", json!(["input", "quantity"])),
        (transfer(json!({ "quantity": -3 })), "INVALID", json!(["input", "quantity"])),
        (transfer(json!({ "quantity": 2_000_000 })), "INVALID", json!(["input", "quantity"])),
        (transfer(json!({ "toLocationId": stock.main })), "INVALID", json!(["input", "toLocationId"])),
        (transfer(json!({ "fromLocationId": NodeType::StockLocation.id(99_999).0 })), "NOT_FOUND", json!(["input", "fromLocationId"])),
        (transfer(json!({ "quantity": 999_999 })), "OUT_OF_STOCK", Value::Null),
    ];
    for (input, expected, field) in transfers {
        let body = app.gql_as(&stock.staff.access_token, TRANSFER, json!({ "input": input })).await;
        let error = &body["data"]["inventoryTransfer"]["userErrors"][0];
        assert_eq!((error["code"].as_str(), &error["field"]), (Some(expected), &field), "{input}: {body:#}");
    }
    let set = r#"mutation($v: ID!, $t: Int) { lowStockThresholdSet(variantId: $v, threshold: $t) { userErrors { code field } } }"#;
    for (vars, expected, field) in [
        (json!({ "v": stock.variant, "t": -1 }), "INVALID", json!(["threshold"])),
        (json!({ "v": NodeType::Variant.id(99_999_999).0, "t": 3 }), "NOT_FOUND", json!(["variantId"])),
    ] {
        let body = app.gql_as(&stock.staff.access_token, set, vars).await;
        let error = &body["data"]["lowStockThresholdSet"]["userErrors"][0];
        assert_eq!((error["code"].as_str(), &error["field"]), (Some(expected), &field), "{body:#}");
    }

    assert_eq!(ledger_rows(&app).await, rows_before, "no ledger row written");
    let after = stock.level(&app, "main").await;
    assert_eq!((after["version"].as_i64(), after["onHand"].as_i64()), (Some(version), Some(on_hand)), "the level is untouched");
}

#[tokio::test]
async fn twenty_concurrent_adjustments_with_the_same_version_one_wins() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let version = stock.level(&app, "main").await["version"].as_i64().unwrap();
    let input = json!({ "variantId": stock.variant, "locationId": stock.main, "delta": 1, "expectedVersion": version });
    let results = futures::future::join_all((0..20).map(|_| stock.adjust(&app, input.clone()))).await;

    let winners: Vec<&Value> = results.iter().filter(|p| p["userErrors"] == json!([])).collect();
    assert_eq!(winners.len(), 1, "exactly one adjustment wins: {results:#?}");
    let won = &winners[0]["stockLevel"];
    assert_eq!(won["version"].as_i64(), Some(version + 1));
    for lost in results.iter().filter(|p| p["userErrors"] != json!([])) {
        let error = &lost["userErrors"][0];
        assert_eq!(error["code"], "VERSION_CONFLICT", "{lost:#}");
        assert_eq!(error["currentVersion"].as_i64(), Some(version + 1));
        assert_eq!(&lost["stockLevel"], won, "each loser gets the current level");
    }
    let after = stock.level(&app, "main").await;
    assert_eq!(after["version"].as_i64(), Some(version + 1), "one change only");
}

/// What a normalised client cache needs: every object a change touches comes back with
/// the id the cached list used, carrying the new numbers and version.
#[tokio::test]
async fn adjust_and_transfer_answers_carry_the_ids_of_the_cached_list_rows() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let t = stock.staff.access_token.as_str();
    let list = "query($f: InventoryFilter) { inventory(first: 100, filter: $f) { nodes { id onHand variant { id }
        levels { id version onHand location { id } } } } }";
    let row = |body: &Value| {
        body["data"]["inventory"]["nodes"].as_array().unwrap().iter().find(|n| n["variant"]["id"] == stock.variant).cloned().unwrap()
    };
    let all = row(&app.gql_as(t, list, json!({})).await);
    let at_east = row(&app.gql_as(t, list, json!({ "f": { "locationId": stock.east } })).await);
    assert_ne!(all["id"], at_east["id"], "a row counted at one location is not the all-locations row");
    let east_level = all["levels"].as_array().unwrap().iter().find(|l| l["location"]["id"] == stock.east).cloned().unwrap();

    let adjust = "mutation($input: InventoryAdjustInput!) { inventoryAdjust(input: $input) {
        stockLevel { id version onHand } inventoryItems { id onHand } userErrors { code } } }";
    let input = json!({ "variantId": stock.variant, "locationId": stock.east, "delta": 3, "expectedVersion": east_level["version"] });
    let done = app.gql_as(t, adjust, json!({ "input": input })).await["data"]["inventoryAdjust"].clone();
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["stockLevel"]["id"], east_level["id"], "the cached level is updated in place");
    assert_eq!(done["stockLevel"]["version"].as_i64(), east_level["version"].as_i64().map(|v| v + 1));
    let items = done["inventoryItems"].as_array().unwrap();
    let onhand = |id: &Value| items.iter().find(|i| &i["id"] == id).map(|i| i["onHand"].as_i64().unwrap());
    assert_eq!(onhand(&all["id"]), all["onHand"].as_i64().map(|n| n + 3), "the all-locations row: {done}");
    assert_eq!(onhand(&at_east["id"]), at_east["onHand"].as_i64().map(|n| n + 3), "the row of a list filtered by the location");

    // A stale version: the conflict answer carries the level as it is now, same id.
    let stale = app.gql_as(t, adjust, json!({ "input": input })).await["data"]["inventoryAdjust"].clone();
    assert_eq!((stale["userErrors"][0]["code"].as_str(), &stale["stockLevel"]["id"]), (Some("VERSION_CONFLICT"), &east_level["id"]));

    let transfer = "mutation($input: InventoryTransferInput!) { inventoryTransfer(input: $input) {
        from { id } to { id } inventoryItems { id onHand } userErrors { code } } }";
    let input = json!({ "variantId": stock.variant, "fromLocationId": stock.east, "toLocationId": stock.main, "quantity": 1 });
    let moved = app.gql_as(t, transfer, json!({ "input": input })).await["data"]["inventoryTransfer"].clone();
    assert_eq!(moved["userErrors"], json!([]), "{moved}");
    assert_eq!(moved["from"]["id"], east_level["id"]);
    let ids: Vec<&Value> = moved["inventoryItems"].as_array().unwrap().iter().map(|i| &i["id"]).collect();
    assert_eq!(ids.len(), 3, "all locations, the source and the destination: {moved}");
    assert!(ids.contains(&&all["id"]) && ids.contains(&&at_east["id"]));
}
