//! Many real clients racing for the same stock, the same idempotency key and the same
//! coupon; afterwards the invariants are checked against the database.

use std::sync::Arc;

use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use stockade_domain::actor::Actor;
use stockade_domain::entity::{coupon_redemption, order, order_line};
use stockade_domain::inventory::{Adjustment, MovementReason, StockChange};

use super::*;
use crate::helpers::{TestApp, TestDb};

/// Flash-sale traffic comes from one test client: per-IP budgets would throttle it.
const UNLIMITED: [(&str, &str); 2] = [("RATE_LIMIT_CHECKOUT_PER_MINUTE", "0"), ("RATE_LIMIT_BROWSE_PER_MINUTE", "0")];

async fn app() -> Arc<TestApp> {
    Arc::new(TestApp::spawn_with(TestDb::seeded(), &UNLIMITED).await)
}

/// Units of a variant in orders that still hold or took stock.
async fn units_ordered(app: &TestApp, variant_id: i64) -> (usize, i64) {
    let lines = order_line::Entity::find().filter(order_line::Column::VariantId.eq(variant_id)).all(app.database.conn()).await.unwrap();
    (lines.len(), lines.iter().map(|l| i64::from(l.quantity)).sum())
}

/// One shopper from cart to order: the order's id, or why not.
async fn shop(app: &TestApp, variant: &str, n: usize) -> Result<String, String> {
    let (cart, token) = guest_cart(app).await;
    let added = add(app, None, &cart, Some(&token), variant, 1).await;
    if let Some(code) = added["userErrors"][0]["code"].as_str() {
        return Err(code.to_owned());
    }
    let review = start(app, None, &cart["id"], Some(&token), "").await;
    assert_eq!(review["userErrors"], json!([]), "{review}");
    let done = complete(app, None, &cart["id"], Some(&token), &format!("flash-sale-shopper-{n:04}")).await;
    match done["order"]["id"].as_str() {
        Some(id) => Ok(id.to_owned()),
        None => Err(format!("{}", done["problems"])),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_shoppers_racing_for_ten_units_make_exactly_ten_orders() {
    let app = app().await;
    let (variant, vid) = stocked_variant(&app, 10, 4_900).await;

    let outcomes = join_all((0..100).map(|n| {
        let (app, variant) = (app.clone(), variant.clone());
        tokio::spawn(async move { shop(&app, &variant, n).await })
    }))
    .await;
    let outcomes: Vec<Result<String, String>> = outcomes.into_iter().map(|r| r.expect("no shopper panicked")).collect();
    let ordered: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let refused: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(ordered.len(), 10, "every unit sold once: {refused:?}");
    assert!(refused.iter().all(|code| *code == "OUT_OF_STOCK"), "the others were told why: {refused:?}");

    assert_eq!(units_ordered(&app, vid).await, (10, 10));
    assert_eq!(stock(&app, vid).await, (10, 10), "ten units reserved for ten orders awaiting payment, none oversold");
    assert_reconciles(&app).await;
}

/// Two api instances on one database (as behind a load balancer), each with its own
/// per-SKU gate, pool and caches: correctness must come from the database alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shoppers_split_over_two_instances_race_for_ten_units_and_make_exactly_ten_orders() {
    let db = Arc::new(TestDb::seeded());
    let a = Arc::new(TestApp::spawn_on(db.clone(), &UNLIMITED).await);
    let b = Arc::new(TestApp::spawn_on(db.clone(), &UNLIMITED).await);
    let (variant, vid) = stocked_variant(&a, 10, 4_900).await;

    let outcomes = join_all((0..80).map(|n| {
        let app = if n % 2 == 0 { a.clone() } else { b.clone() };
        let variant = variant.clone();
        tokio::spawn(async move { shop(&app, &variant, n).await })
    }))
    .await;
    let outcomes: Vec<Result<String, String>> = outcomes.into_iter().map(|r| r.expect("no shopper panicked")).collect();
    let ordered: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let refused: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(ordered.len(), 10, "exactly the stock sold, whichever instance took the order: {refused:?}");
    assert!(refused.iter().all(|code| *code == "OUT_OF_STOCK"), "the others were told why: {refused:?}");

    assert_eq!(units_ordered(&a, vid).await, (10, 10));
    assert_eq!(stock(&b, vid).await, (10, 10), "both instances see the same ten units reserved, none oversold");
    assert_reconciles(&a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_carts_with_lapsed_holds_race_to_complete_for_ten_units() {
    let app = app().await;
    let (variant, vid) = stocked_variant(&app, 30, 1_500).await;
    let mut carts = Vec::new();
    for _ in 0..30 {
        let (cart, token) = guest_cart(&app).await;
        assert_eq!(add(&app, None, &cart, Some(&token), &variant, 1).await["userErrors"], json!([]));
        start(&app, None, &cart["id"], Some(&token), "").await;
        carts.push((cart["id"].clone(), token));
    }
    // Every hold lapses; then a stock take finds only ten units.
    app.inventory.sweep_expired_as_of(chrono::Utc::now() + chrono::Duration::hours(1), 1_000).await.unwrap();
    let location = app.inventory.locations().await.unwrap()[0].id;
    let adjustment = Adjustment {
        variant_id: vid,
        location_id: location,
        change: StockChange::SetOnHand(10),
        reason: MovementReason::Adjustment,
        expected_version: None,
        note: "stock take".into(),
    };
    app.inventory.adjust(&adjustment, Actor::System).await.unwrap();

    let outcomes = join_all(carts.into_iter().enumerate().map(|(n, (cart, token))| {
        let app = app.clone();
        tokio::spawn(async move { complete(&app, None, &cart, Some(&token), &format!("lapsed-race-{n:04}")).await })
    }))
    .await;
    let payloads: Vec<Value> = outcomes.into_iter().map(|r| r.unwrap()).collect();
    let ordered = payloads.iter().filter(|p| p["order"].is_object()).count();
    assert_eq!(ordered, 10, "{payloads:#?}");
    for refused in payloads.iter().filter(|p| p["order"].is_null()) {
        assert_eq!(refused["problems"][0]["code"], "OUT_OF_STOCK", "{refused}");
        assert_eq!(refused["problems"][0]["available"], 0);
    }
    assert_eq!(units_ordered(&app, vid).await, (10, 10));
    assert_eq!(stock(&app, vid).await, (10, 10));
    assert_reconciles(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_checkout_makes_one_order_however_many_times_it_arrives() {
    let app = app().await;
    let (variant, vid) = stocked_variant(&app, 5, 2_000).await;
    let (cart, token) = guest_cart(&app).await;
    add(&app, None, &cart, Some(&token), &variant, 2).await;
    start(&app, None, &cart["id"], Some(&token), "").await;

    // A flaky network: the same request twenty times at once.
    let outcomes = join_all((0..20).map(|_| {
        let (app, cart_id, token) = (app.clone(), cart["id"].clone(), token.clone());
        tokio::spawn(async move { complete(&app, None, &cart_id, Some(&token), "retry-storm-key-0001").await })
    }))
    .await;
    let payloads: Vec<Value> = outcomes.into_iter().map(|r| r.unwrap()).collect();
    let first = &payloads[0];
    assert!(first["order"]["id"].is_string(), "{first}");
    for p in &payloads {
        assert_eq!(p["order"]["id"], first["order"]["id"], "every retry answers with the same order: {p}");
        assert_eq!(p["orderToken"], first["orderToken"], "and the same token");
    }
    assert_eq!(units_ordered(&app, vid).await, (1, 2), "one order, one line");
    assert_eq!(stock(&app, vid).await, (5, 2), "held once");

    // The same key for another cart is a client bug, reported as such.
    let (other, other_token) = guest_cart(&app).await;
    add(&app, None, &other, Some(&other_token), &variant, 1).await;
    start(&app, None, &other["id"], Some(&other_token), "").await;
    let reused = complete(&app, None, &other["id"], Some(&other_token), "retry-storm-key-0001").await;
    assert_eq!(reused["order"], Value::Null);
    assert_eq!(reused["userErrors"][0]["code"], "IDEMPOTENCY_KEY_REUSED", "{reused}");
    assert_eq!(units_ordered(&app, vid).await, (1, 2));
    assert_reconciles(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coupon_limited_to_five_uses_is_redeemed_five_times_by_fifty_racing_checkouts() {
    let app = app().await;
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    let (variant, vid) = stocked_variant(&app, 50, 3_000).await;
    let created = app
        .gql_as(
            &staff.access_token,
            "mutation { couponCreate(input: { code: \"first-five\", percentOff: 20, usageLimit: 5 }) { coupon { code usageLimit timesUsed minOrderValue { amount currencyCode } } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(created["data"]["couponCreate"]["coupon"]["code"], "FIRST-FIVE", "{created}");
    assert_eq!(created["data"]["couponCreate"]["coupon"]["minOrderValue"]["amount"], 0, "money, not a bare number");

    const APPLY: &str =
        "mutation($c: ID!, $t: String, $v: Int!) { cartCouponApply(cartId: $c, cartToken: $t, expectedVersion: $v, code: \"first-five\") {
        cart { version } userErrors { code field message } } }";
    let mut carts = Vec::new();
    for _ in 0..50 {
        let (cart, token) = guest_cart(&app).await;
        let cart = add(&app, None, &cart, Some(&token), &variant, 1).await["cart"].clone();
        let applied = app.gql_ok(APPLY, json!({ "c": cart["id"], "t": token, "v": cart["version"] })).await;
        assert_eq!(applied["cartCouponApply"]["userErrors"], json!([]), "{applied}");
        let review = start(&app, None, &cart["id"], Some(&token), "").await;
        assert_eq!(review["review"]["totals"]["discount"]["amount"], 600, "{review}");
        carts.push((cart["id"].clone(), token));
    }

    let outcomes = join_all(carts.into_iter().enumerate().map(|(n, (cart, token))| {
        let app = app.clone();
        tokio::spawn(async move { complete(&app, None, &cart, Some(&token), &format!("coupon-race-{n:04}")).await })
    }))
    .await;
    let payloads: Vec<Value> = outcomes.into_iter().map(|r| r.unwrap()).collect();
    let discounted: Vec<&Value> = payloads.iter().filter(|p| p["order"]["couponCode"] == "FIRST-FIVE").collect();
    assert_eq!(discounted.len(), 5, "{payloads:#?}");
    for p in payloads.iter().filter(|p| p["order"].is_null()) {
        let problem = &p["problems"][0];
        assert_eq!(problem["code"], "COUPON_INVALID", "{p}");
        assert_eq!(problem["message"], "coupon FIRST-FIVE has been used up", "the rest are told why");
    }
    let conn = app.database.conn();
    let coupon = stockade_domain::entity::coupon::Entity::find().one(conn).await.unwrap().unwrap();
    assert_eq!(coupon.times_used, 5, "the counter never passes the limit");
    assert_eq!(coupon_redemption::Entity::find().count(conn).await.unwrap(), 5);
    assert_eq!(order::Entity::find().filter(order::Column::CouponCode.eq("FIRST-FIVE")).count(conn).await.unwrap(), 5);
    assert_eq!(stock(&app, vid).await.1, 50, "the refused carts keep their holds for another try");
    assert_reconciles(&app).await;
}
