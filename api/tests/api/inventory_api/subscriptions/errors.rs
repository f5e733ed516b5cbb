//! Refused and malformed subscriptions get a clean error on the operation; the socket
//! stays open for the next one.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_graphql::ids::NodeType;

use super::{INVENTORY_EVENTS, STOCK_CHANGED};
use crate::helpers::{TestApp, TestDb, code};
use crate::inventory_api::Stock;
use crate::ws::Ws;

#[tokio::test]
async fn unauthorised_and_malformed_subscriptions_get_typed_errors_on_an_open_socket() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("STOCK_SUBSCRIPTION_MAX_VARIANTS", "2")]).await;
    let stock = Stock::on(&app).await;
    let customer = app.user(Role::Customer).await;

    let mut guest = Ws::connect(app.addr, None).await;
    guest.subscribe("feed", INVENTORY_EVENTS, json!({})).await;
    let refused = guest.next_error("feed").await;
    assert_eq!(code(&refused), "UNAUTHENTICATED", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("sign in"), "{refused}");

    let mut shopper = Ws::connect(app.addr, Some(&customer.access_token)).await;
    shopper.subscribe("feed", INVENTORY_EVENTS, json!({})).await;
    assert_eq!(code(&shopper.next_error("feed").await), "FORBIDDEN");

    let other = NodeType::Variant.id(99_999_999).0;
    let product = NodeType::Product.id(1).0;
    let cases: [(Value, &str, &str); 5] = [
        (json!([]), "BAD_USER_INPUT", "at least one"),
        (json!([other]), "NOT_FOUND", "unknown variant ids"),
        (json!([product]), "BAD_USER_INPUT", "expected a Variant id"),
        (json!(["garbage"]), "BAD_USER_INPUT", "not a valid id"),
        (json!([stock.variant, NodeType::Variant.id(2).0, NodeType::Variant.id(3).0]), "BAD_USER_INPUT", "at most 2"),
    ];
    for (i, (ids, expected, says)) in cases.into_iter().enumerate() {
        let id = format!("s{i}");
        guest.subscribe(&id, STOCK_CHANGED, json!({ "ids": ids })).await;
        let error = guest.next_error(&id).await;
        assert_eq!(code(&error), expected, "{ids}: {error}");
        assert!(error["message"].as_str().unwrap().contains(says), "{ids}: {error}");
    }
    let unknown_location = NodeType::StockLocation.id(99_999).0;
    let mut staff = Ws::connect(app.addr, Some(&stock.staff.access_token)).await;
    staff.subscribe("feed", INVENTORY_EVENTS, json!({ "location": unknown_location })).await;
    assert_eq!(code(&staff.next_error("feed").await), "NOT_FOUND");

    // The same sockets still serve valid subscriptions (duplicates count once).
    guest.subscribe("ok", STOCK_CHANGED, json!({ "ids": [stock.variant, stock.variant] })).await;
    let snapshot = guest.next_data("ok", "stockChanged", std::time::Duration::from_secs(5)).await;
    assert_eq!(snapshot["kind"], "SNAPSHOT");
}

#[tokio::test]
async fn a_websocket_message_over_the_body_limit_closes_only_that_socket() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("GRAPHQL_MAX_BODY_BYTES", "4096")]).await;
    let stock = Stock::on(&app).await;
    let mut big = Ws::connect(app.addr, None).await;
    big.subscribe("1", &format!("{{ __typename }} # {}", "x".repeat(8000)), json!({})).await;
    assert!(big.next(std::time::Duration::from_secs(5)).await.is_none(), "the oversized message ends its connection");

    let mut other = Ws::connect(app.addr, None).await;
    other.subscribe("ok", STOCK_CHANGED, json!({ "ids": [stock.variant] })).await;
    assert_eq!(other.next_data("ok", "stockChanged", std::time::Duration::from_secs(5)).await["kind"], "SNAPSHOT");
}
