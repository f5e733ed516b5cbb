//! A shopper's flows end to end: guest and customer checkout, merging at sign-in,
//! price changes, lapsed holds, bad input.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use super::*;
use crate::helpers::{TestApp, code};

#[tokio::test]
async fn a_guest_checks_out_with_an_email_and_sees_the_order_by_token() {
    let app = TestApp::spawn().await;
    let (variant, vid) = stocked_variant(&app, 5, 2_500).await;
    let (cart, token) = guest_cart(&app).await;

    let added = add(&app, None, &cart, Some(&token), &variant, 2).await;
    assert_eq!(added["userErrors"], json!([]), "{added}");
    let line = &added["cart"]["lines"][0];
    assert_eq!((line["quantity"].as_i64(), line["held"].as_bool(), line["heldQuantity"].as_i64()), (Some(2), Some(true), Some(2)));
    assert!(line["reservedUntil"].is_string() && added["cart"]["reservedUntil"] == line["reservedUntil"]);
    assert_eq!(stock(&app, vid).await, (5, 2), "added units are held");

    let review = start(&app, None, &cart["id"], Some(&token), "").await;
    assert_eq!(review["userErrors"], json!([]));
    let review = &review["review"];
    assert_eq!(review["problems"], json!([]), "{review}");
    assert_eq!(review["ready"], true);
    assert_eq!(
        review["totals"],
        json!({ "subtotal": { "amount": 5000 }, "discount": { "amount": 0 }, "shipping": { "amount": 599 }, "tax": { "amount": 0 }, "total": { "amount": 5599 } })
    );

    let done = complete(&app, None, &cart["id"], Some(&token), "guest-checkout-0001").await;
    let order = &done["order"];
    assert_eq!(order["status"], "PENDING_PAYMENT", "{done}");
    assert_eq!(order["totals"]["total"]["amount"], 5599);
    assert_eq!(order["lines"][0]["quantity"], 2);
    assert_eq!(order["timeline"][0]["kind"], "created");
    assert_eq!(stock(&app, vid).await, (5, 2), "the holds moved to the order, still reserved");
    let order_token = done["orderToken"].as_str().expect("guests get an order token");

    let q = "query($id: ID!, $t: String) { order(id: $id, token: $t) { number status } }";
    assert_eq!(app.gql_ok(q, json!({ "id": order["id"], "t": order_token })).await["order"]["status"], "PENDING_PAYMENT");
    assert_eq!(app.gql_ok(q, json!({ "id": order["id"], "t": "wrong" })).await["order"], Value::Null);
    assert_eq!(app.gql_ok(q, json!({ "id": order["id"] })).await["order"], Value::Null, "no token, no order");

    let emptied = app
        .gql_ok(
            &format!("query($c: ID!, $t: String) {{ cart(id: $c, cartToken: $t) {{ {CART} }} }}"),
            json!({ "c": cart["id"], "t": token }),
        )
        .await;
    assert_eq!(emptied["cart"]["status"], "CONVERTED");
    assert_eq!(emptied["cart"]["lines"], json!([]));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn an_order_with_nothing_to_pay_is_paid_at_checkout() {
    let app = TestApp::spawn().await;
    let (variant, vid) = stocked_variant(&app, 3, 0).await;
    let (cart, token) = guest_cart(&app).await;
    add(&app, None, &cart, Some(&token), &variant, 1).await;
    let review = start(&app, None, &cart["id"], Some(&token), "").await;
    assert_eq!(review["review"]["totals"]["total"]["amount"], 0, "{review}");

    let done = complete(&app, None, &cart["id"], Some(&token), "free-checkout-0001").await;
    let order = &done["order"];
    assert_eq!(order["status"], "PAID", "no gateway takes a zero amount: {done}");
    let last = order["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["toStatus"].as_str(), last["actorType"].as_str()), (Some("PAID"), Some("SYSTEM")), "{last}");
    assert_eq!(stock(&app, vid).await, (2, 0), "the unit is sold, not left held");

    let again = complete(&app, None, &cart["id"], Some(&token), "free-checkout-0001").await;
    assert_eq!((again["order"]["id"].clone(), again["order"]["status"].as_str()), (order["id"].clone(), Some("PAID")), "replayed");
    let pay = app
        .gql(
            "mutation($o: ID!, $t: String) { paymentIntentCreate(orderId: $o, token: $t) { clientSecret userErrors { code message } } }",
            json!({ "o": order["id"], "t": done["orderToken"] }),
        )
        .await;
    assert!(pay.get("errors").is_none(), "{pay:#}");
    assert_eq!(pay["data"]["paymentIntentCreate"]["userErrors"][0]["code"], "ALREADY_PAID", "{pay:#}");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_guest_cart_merges_into_the_customers_cart_at_sign_in() {
    let app = TestApp::spawn().await;
    let (a, aid) = stocked_variant(&app, 10, 1_000).await;
    let (b, _) = stocked_variant(&app, 10, 3_000).await;
    let customer = app.user(Role::Customer).await;

    // The customer already has one unit of A in their cart.
    let mine = app.gql_as(&customer.access_token, &format!("mutation {{ cartCreate {{ cart {{ {CART} }} cartToken }} }}"), json!({})).await;
    let mine = &mine["data"]["cartCreate"];
    assert_eq!(mine["cartToken"], Value::Null, "customer carts have no token");
    add(&app, Some(&customer.access_token), &mine["cart"], None, &a, 1).await;

    // As a guest on another device they add 2 of A and 1 of B, then sign in.
    let (cart, token) = guest_cart(&app).await;
    let cart = add(&app, None, &cart, Some(&token), &a, 2).await["cart"].clone();
    add(&app, None, &cart, Some(&token), &b, 1).await;
    let signed = app
        .gql_ok(
            "mutation($e: String!, $p: String!, $g: GuestCartInput) { tokenCreate(email: $e, password: $p, guestCart: $g) { accessToken userErrors { code } } }",
            json!({ "e": customer.email, "p": customer.password, "g": { "id": cart["id"], "token": token } }),
        )
        .await;
    assert_eq!(signed["tokenCreate"]["userErrors"], json!([]));
    let access = signed["tokenCreate"]["accessToken"].as_str().unwrap();

    let merged = app.gql_as(access, &format!("{{ myCart {{ {CART} }} }}"), json!({})).await;
    let lines = merged["data"]["myCart"]["lines"].as_array().unwrap().clone();
    let qty = |v: &str| lines.iter().find(|l| l["variantId"] == v).map(|l| l["quantity"].as_i64().unwrap());
    assert_eq!((qty(&a), qty(&b)), (Some(3), Some(1)), "quantities combined");
    assert!(lines.iter().all(|l| l["held"] == true), "holds carried over: {lines:?}");
    assert_eq!(stock(&app, aid).await, (10, 3), "no double holds after the merge");
    let guest_view =
        app.gql_ok("query($c: ID!, $t: String) { cart(id: $c, cartToken: $t) { status } }", json!({ "c": cart["id"], "t": token })).await;
    assert_eq!(guest_view["cart"]["status"], "MERGED");

    let my_cart = &merged["data"]["myCart"];
    let review = start(&app, Some(access), &my_cart["id"], None, "").await;
    assert_eq!(review["review"]["ready"], true, "{review}");
    let order = complete(&app, Some(access), &my_cart["id"], None, "customer-checkout-0001").await;
    assert_eq!(order["order"]["status"], "PENDING_PAYMENT");
    assert_eq!(order["orderToken"], Value::Null, "customers see their orders by signing in");

    let listed = app.gql_as(access, "{ orders(first: 10) { edges { node { id status } } } }", json!({})).await;
    assert_eq!(listed["data"]["orders"]["edges"][0]["node"]["id"], order["order"]["id"]);

    // Another customer sees none of it.
    let other = app.user(Role::Customer).await;
    let theirs = app.gql_as(&other.access_token, "{ orders(first: 10) { edges { node { id } } } }", json!({})).await;
    assert_eq!(theirs["data"]["orders"]["edges"], json!([]));
    let peek = app.gql_as(&other.access_token, "query($id: ID!) { order(id: $id) { id } }", json!({ "id": order["order"]["id"] })).await;
    assert_eq!(peek["data"]["order"], Value::Null, "another customer's order is not found");
    let cart_peek = app.gql_as(&other.access_token, "query($c: ID!) { cart(id: $c) { id } }", json!({ "c": my_cart["id"] })).await;
    assert_eq!(cart_peek["data"]["cart"], Value::Null, "another customer's cart is not found");
    let filtered = app
        .gql_as(
            &other.access_token,
            "query($c: ID!) { orders(filter: { customerId: $c }) { edges { node { id } } } }",
            json!({ "c": customer.id }),
        )
        .await;
    assert_eq!(code(&filtered["errors"][0]), "FORBIDDEN");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_price_change_must_be_accepted_before_completing() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let (variant, _) = stocked_variant(&app, 5, 2_000).await;
    let (cart, token) = guest_cart(&app).await;
    add(&app, None, &cart, Some(&token), &variant, 1).await;

    let v = app.gql_ok("query($id: ID!) { node(id: $id) { ... on Variant { version } } }", json!({ "id": variant })).await;
    let reprice = "mutation($i: VariantUpdateInput!) { variantUpdate(input: $i) { userErrors { code } } }";
    app.gql_as(&staff.access_token, reprice, json!({ "i": { "id": variant, "expectedVersion": v["node"]["version"], "price": 2_400 } }))
        .await;

    let review = start(&app, None, &cart["id"], Some(&token), "").await;
    let problem = &review["review"]["problems"][0];
    assert_eq!(problem["code"], "PRICE_CHANGED", "{review}");
    assert_eq!((problem["previousPrice"]["amount"].as_i64(), problem["currentPrice"]["amount"].as_i64()), (Some(2_000), Some(2_400)));
    let refused = complete(&app, None, &cart["id"], Some(&token), "price-change-0001").await;
    assert_eq!(refused["order"], Value::Null);
    assert_eq!(refused["problems"][0]["code"], "PRICE_CHANGED");

    let accepted = start(&app, None, &cart["id"], Some(&token), ", acceptPriceChanges: true").await;
    assert_eq!(accepted["review"]["ready"], true, "{accepted}");
    let done = complete(&app, None, &cart["id"], Some(&token), "price-change-0002").await;
    assert_eq!(done["order"]["lines"][0]["unitPrice"]["amount"], 2_400, "ordered at the accepted price");
}

#[tokio::test]
async fn a_lapsed_hold_stays_in_the_cart_marked_and_can_be_renewed() {
    let app = TestApp::spawn().await;
    let (variant, vid) = stocked_variant(&app, 3, 1_000).await;
    let (cart, token) = guest_cart(&app).await;
    add(&app, None, &cart, Some(&token), &variant, 2).await;

    // The holds expire (the sweeper runs as if half an hour passed).
    let swept = app.inventory.sweep_expired_as_of(chrono::Utc::now() + chrono::Duration::minutes(30), 100).await.unwrap();
    assert!(swept >= 1);
    let q = format!("query($c: ID!, $t: String) {{ cart(id: $c, cartToken: $t) {{ {CART} }} }}");
    let lapsed = app.gql_ok(&q, json!({ "c": cart["id"], "t": token })).await["cart"].clone();
    assert_eq!(lapsed["holdsLapsed"], true);
    assert_eq!(
        (lapsed["lines"][0]["quantity"].as_i64(), lapsed["lines"][0]["held"].as_bool()),
        (Some(2), Some(false)),
        "kept, marked not held"
    );
    assert_eq!(stock(&app, vid).await, (3, 0));

    // Someone else takes 2 of the 3 meanwhile: only 1 can be held again.
    let (other, other_token) = guest_cart(&app).await;
    add(&app, None, &other, Some(&other_token), &variant, 2).await;
    const EXTEND: &str = "mutation($c: ID!, $t: String) { cartReservationExtend(cartId: $c, cartToken: $t) {
        cart { holdsLapsed lines { held heldQuantity } } shortfalls { variantId available } userErrors { code } } }";
    let renewed = app.gql_ok(EXTEND, json!({ "c": cart["id"], "t": token })).await["cartReservationExtend"].clone();
    assert_eq!(renewed["shortfalls"], json!([{ "variantId": variant, "available": 1 }]), "{renewed}");
    assert_eq!(renewed["cart"]["holdsLapsed"], true);
    let review = start(&app, None, &cart["id"], Some(&token), "").await;
    let problem = &review["review"]["problems"][0];
    assert_eq!((problem["code"].as_str(), problem["available"].as_i64()), (Some("OUT_OF_STOCK"), Some(1)), "{review}");

    // They release theirs; now both units can be held again and the order goes through.
    let other_cart = app.gql_ok(&q, json!({ "c": other["id"], "t": other_token })).await["cart"].clone();
    let remove = "mutation($c: ID!, $t: String, $v: Int!, $ids: [ID!]!) { cartLinesRemove(cartId: $c, cartToken: $t, expectedVersion: $v, variantIds: $ids) { userErrors { code } } }";
    app.gql_ok(remove, json!({ "c": other["id"], "t": other_token, "v": other_cart["version"], "ids": [variant] })).await;
    let renewed = app.gql_ok(EXTEND, json!({ "c": cart["id"], "t": token })).await["cartReservationExtend"].clone();
    assert_eq!(renewed["shortfalls"], json!([]));
    assert_eq!(renewed["cart"]["lines"][0]["held"], true);
    assert_eq!(complete(&app, None, &cart["id"], Some(&token), "lapsed-hold-0001").await["order"]["status"], "PENDING_PAYMENT");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn two_tabs_editing_one_cart_get_a_version_conflict_with_the_current_cart() {
    let app = TestApp::spawn().await;
    let (variant, vid) = stocked_variant(&app, 10, 1_000).await;
    let (cart, token) = guest_cart(&app).await;
    let first = add(&app, None, &cart, Some(&token), &variant, 1).await;
    assert_eq!(first["userErrors"], json!([]));
    let stale = add(&app, None, &cart, Some(&token), &variant, 1).await;
    assert_eq!(stale["userErrors"][0]["code"], "VERSION_CONFLICT");
    assert_eq!(stale["userErrors"][0]["currentVersion"], first["cart"]["version"]);
    assert_eq!(stale["cart"]["lines"][0]["quantity"], 1, "the payload carries the current cart");
    assert_eq!(stock(&app, vid).await, (10, 1), "the stale edit held nothing");
}

#[tokio::test]
async fn bad_cart_and_checkout_input_gets_typed_errors_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (variant, vid) = stocked_variant(&app, 20, 1_000).await;
    let (cart, token) = guest_cart(&app).await;
    let cart = add(&app, None, &cart, Some(&token), &variant, 1).await["cart"].clone();

    for quantity in [0, -3, 11, 5_000_000] {
        let payload = add(&app, None, &cart, Some(&token), &variant, quantity).await;
        assert_eq!(payload["userErrors"][0]["code"], "INVALID", "{quantity}: {payload}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["lines", "0", "quantity"]), "{quantity}");
    }
    let unknown = add(&app, None, &cart, Some(&token), &stockade_id("Variant", 999_999), 1).await;
    assert_eq!(unknown["userErrors"][0]["code"], "NOT_FOUND");
    assert_eq!(unknown["userErrors"][0]["field"], json!(["lines", "0", "variantId"]));
    let wrong_kind = add(&app, None, &cart, Some(&token), cart["id"].as_str().unwrap(), 1).await;
    assert_eq!(wrong_kind["userErrors"][0]["code"], "INVALID");
    assert_eq!(wrong_kind["userErrors"][0]["field"], json!(["lines", "0", "variantId"]));

    // The line to blame is named by its place in the request.
    let (second, _) = stocked_variant(&app, 5, 500).await;
    let q = "mutation($c: ID!, $t: String, $v: Int!, $l: [CartLineInput!]!) { cartLinesAdd(cartId: $c, cartToken: $t, expectedVersion: $v, lines: $l) { userErrors { code field } } }";
    for (lines, code, field) in [
        (
            json!([{ "variantId": variant, "quantity": 1 }, { "variantId": second, "quantity": 0 }]),
            "INVALID",
            json!(["lines", "1", "quantity"]),
        ),
        (
            json!([{ "variantId": second, "quantity": 1 }, { "variantId": second, "quantity": 2 }]),
            "INVALID",
            json!(["lines", "1", "variantId"]),
        ),
        (
            json!([{ "variantId": variant, "quantity": 1 }, { "variantId": stockade_id("Variant", 999_999), "quantity": 1 }]),
            "NOT_FOUND",
            json!(["lines", "1", "variantId"]),
        ),
        (
            json!([{ "variantId": second, "quantity": 1 }, { "variantId": variant, "quantity": 50 }]),
            "INVALID",
            json!(["lines", "1", "quantity"]),
        ),
    ] {
        let got = app.gql_ok(q, json!({ "c": cart["id"], "t": token, "v": cart["version"], "l": lines })).await;
        assert_eq!(got["cartLinesAdd"]["userErrors"][0]["code"], code, "{lines}: {got}");
        assert_eq!(got["cartLinesAdd"]["userErrors"][0]["field"], field, "{lines}: {got}");
    }
    let update = "mutation($c: ID!, $t: String, $v: Int!, $l: [CartLineInput!]!) { cartLinesUpdate(cartId: $c, cartToken: $t, expectedVersion: $v, lines: $l) { userErrors { code field } } }";
    let got = app.gql_ok(update, json!({ "c": cart["id"], "t": token, "v": cart["version"], "l": [{ "variantId": variant, "quantity": 2 }, { "variantId": second, "quantity": 1 }] })).await;
    assert_eq!(got["cartLinesUpdate"]["userErrors"][0]["field"], json!(["lines", "1", "variantId"]), "not in the cart: {got}");
    let remove = "mutation($c: ID!, $t: String, $v: Int!, $ids: [ID!]!) { cartLinesRemove(cartId: $c, cartToken: $t, expectedVersion: $v, variantIds: $ids) { userErrors { code field } } }";
    let got = app.gql_ok(remove, json!({ "c": cart["id"], "t": token, "v": cart["version"], "ids": [variant, cart["id"]] })).await;
    assert_eq!(got["cartLinesRemove"]["userErrors"][0]["field"], json!(["variantIds", "1"]), "{got}");
    assert_eq!(stock(&app, vid).await, (20, 1), "none of it held anything");

    // Someone else's cart, or the right cart with a wrong token: not found, and (even
    // with the cart's current version in hand) nothing of it changes.
    let (other, other_token) = guest_cart(&app).await;
    let foreign = add(&app, None, &other, Some(&token), &variant, 1).await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND");
    let bad_token = add(&app, None, &cart, Some("not-the-token"), &variant, 1).await;
    assert_eq!(bad_token["userErrors"][0]["code"], "NOT_FOUND");
    let as_owner = app
        .gql_ok(
            &format!("query($c: ID!, $t: String) {{ cart(id: $c, cartToken: $t) {{ {CART} }} }}"),
            json!({ "c": other["id"], "t": other_token }),
        )
        .await;
    assert_eq!(as_owner["cart"], other, "the foreign edit left the cart as it was");
    assert_eq!(stock(&app, vid).await, (20, 1), "and held nothing");

    let bad_address = "mutation($c: ID!, $t: String) { checkoutStart(cartId: $c, cartToken: $t, email: \"a@example.com\", shippingAddress: { name: \"A\", country: \"US\", postalCode: \"ABCDE\" }) {
        review { ready problems { code field } } userErrors { code field } } }";
    let review = app.gql_ok(bad_address, json!({ "c": cart["id"], "t": token })).await;
    let fields: Vec<&Value> = review["checkoutStart"]["review"]["problems"].as_array().unwrap().iter().map(|p| &p["field"]).collect();
    for f in ["line1", "city", "region", "postalCode"] {
        assert!(fields.contains(&&json!(["shippingAddress", f])), "{f} missing from {fields:?}");
    }
    let bad_email =
        "mutation($c: ID!, $t: String) { checkoutStart(cartId: $c, cartToken: $t, email: \"nope\") { userErrors { code field } } }";
    let err = app.gql_ok(bad_email, json!({ "c": cart["id"], "t": token })).await;
    assert_eq!(err["checkoutStart"]["userErrors"][0]["field"], json!(["email"]));

    let coupon = "mutation($c: ID!, $t: String, $v: Int!) { cartCouponApply(cartId: $c, cartToken: $t, expectedVersion: $v, code: \"NOSUCHCODE\") { userErrors { code field } } }";
    let current = app
        .gql_ok(
            &format!("query($c: ID!, $t: String) {{ cart(id: $c, cartToken: $t) {{ {CART} }} }}"),
            json!({ "c": cart["id"], "t": token }),
        )
        .await;
    let err = app.gql_ok(coupon, json!({ "c": cart["id"], "t": token, "v": current["cart"]["version"] })).await;
    assert_eq!(err["cartCouponApply"]["userErrors"][0]["field"], json!(["code"]));

    let bad_key = complete(&app, None, &cart["id"], Some(&token), "short").await;
    assert_eq!(bad_key["userErrors"][0]["field"], json!(["idempotencyKey"]));

    let after = app
        .gql_ok(
            &format!("query($c: ID!, $t: String) {{ cart(id: $c, cartToken: $t) {{ {CART} }} }}"),
            json!({ "c": cart["id"], "t": token }),
        )
        .await;
    assert_eq!(after["cart"]["lines"][0]["quantity"], 1, "nothing changed");
    assert_eq!(stock(&app, vid).await, (20, 1));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn cart_create_with_a_line_that_cannot_be_had_creates_nothing() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use stockade_domain::entity::cart;
    let app = TestApp::spawn().await;
    let customer = app.user(Role::Customer).await;
    let (plenty, plenty_id) = stocked_variant(&app, 10, 1_000).await;
    let (scarce, scarce_id) = stocked_variant(&app, 1, 1_000).await;
    let create = "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id } cartToken userErrors { code field } } }";
    let carts = async || cart::Entity::find().count(app.database.conn()).await.unwrap();
    let before = carts().await;
    for (lines, code, field) in [
        (json!([{ "variantId": plenty, "quantity": 1 }, { "variantId": scarce, "quantity": 2 }]), "OUT_OF_STOCK", Value::Null),
        (
            json!([{ "variantId": plenty, "quantity": 1 }, { "variantId": scarce, "quantity": -1 }]),
            "INVALID",
            json!(["lines", "1", "quantity"]),
        ),
        (
            json!([{ "variantId": plenty, "quantity": 1 }, { "variantId": stockade_id("Variant", 999_999), "quantity": 1 }]),
            "NOT_FOUND",
            json!(["lines", "1", "variantId"]),
        ),
        (
            json!([{ "variantId": plenty, "quantity": 1 }, { "variantId": stockade_id("Cart", 1), "quantity": 1 }]),
            "INVALID",
            json!(["lines", "1", "variantId"]),
        ),
    ] {
        for token in [None, Some(customer.access_token.as_str())] {
            let got = match token {
                Some(t) => app.gql_as(t, create, json!({ "l": lines })).await,
                None => app.gql(create, json!({ "l": lines })).await,
            };
            let payload = &got["data"]["cartCreate"];
            assert_eq!(payload["userErrors"][0]["code"], code, "{lines}: {got}");
            assert_eq!(payload["userErrors"][0]["field"], field, "{lines}: {got}");
            assert_eq!((&payload["cart"], &payload["cartToken"]), (&Value::Null, &Value::Null), "no cart: {got}");
        }
    }
    assert_eq!(carts().await, before, "no cart was created");
    assert_eq!((stock(&app, plenty_id).await, stock(&app, scarce_id).await), ((10, 0), (1, 0)), "nothing held");
    let ok = app.gql(create, json!({ "l": [{ "variantId": plenty, "quantity": 2 }, { "variantId": scarce, "quantity": 1 }] })).await;
    assert_eq!(ok["data"]["cartCreate"]["userErrors"], json!([]), "{ok}");
    assert_eq!((stock(&app, plenty_id).await, stock(&app, scarce_id).await), ((10, 2), (1, 1)), "all held at once");
    assert_eq!(carts().await, before + 1);
}

#[tokio::test]
async fn a_cart_says_which_coupon_it_carries_until_it_is_removed() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let created = app
        .gql_as(
            &staff.access_token,
            "mutation { couponCreate(input: { code: \"spring-10\", percentOff: 10 }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(created["data"]["couponCreate"]["userErrors"], json!([]), "{created}");
    let (variant, _) = stocked_variant(&app, 5, 2_500).await;
    let (cart, token) = guest_cart(&app).await;
    let cart = add(&app, None, &cart, Some(&token), &variant, 1).await["cart"].clone();
    assert_eq!(cart["couponCode"], Value::Null, "no coupon yet: {cart}");

    const APPLY: &str = "mutation($c: ID!, $t: String, $v: Int!, $code: String!) { cartCouponApply(cartId: $c, cartToken: $t, expectedVersion: $v, code: $code) {
        cart { version couponCode } userErrors { code } } }";
    let applied = app.gql_ok(APPLY, json!({ "c": cart["id"], "t": token, "v": cart["version"], "code": " Spring-10 " })).await;
    let applied = &applied["cartCouponApply"];
    assert_eq!(applied["userErrors"], json!([]), "{applied}");
    assert_eq!(applied["cart"]["couponCode"], "SPRING-10", "the code as the shop knows it, whatever case it was typed in");

    let refused = app.gql_ok(APPLY, json!({ "c": cart["id"], "t": token, "v": applied["cart"]["version"], "code": "NOSUCHCODE" })).await;
    assert_eq!(refused["cartCouponApply"]["userErrors"][0]["code"], "INVALID", "{refused}");
    let read = app
        .gql_ok("query($c: ID!, $t: String) { cart(id: $c, cartToken: $t) { version couponCode } }", json!({ "c": cart["id"], "t": token }))
        .await;
    assert_eq!(read["cart"]["couponCode"], "SPRING-10", "a refused code leaves the applied one: {read}");

    let removed = app
        .gql_ok(
            "mutation($c: ID!, $t: String, $v: Int!) { cartCouponRemove(cartId: $c, cartToken: $t, expectedVersion: $v) { cart { couponCode } userErrors { code } } }",
            json!({ "c": cart["id"], "t": token, "v": read["cart"]["version"] }),
        )
        .await;
    assert_eq!(removed["cartCouponRemove"]["userErrors"], json!([]), "{removed}");
    assert_eq!(removed["cartCouponRemove"]["cart"]["couponCode"], Value::Null);
}
