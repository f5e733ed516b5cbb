//! Every type with an id is a `Node`: `node(id)` and `nodes(ids)` fetch it with the
//! access rule of the entry points that hand it out, and null (never an error) for
//! whoever could not reach it there.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::commerce::{ADDRESS, stocked_variant};
use crate::helpers::{TestApp, code};
use crate::payments::{DECLINED, SUCCEEDS, confirm, pay, pending_order};

/// Who may see an object.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Seen {
    /// Anyone.
    Public,
    /// Its customer and staff.
    OwnOrStaff,
    /// Its customer only (carts: staff reach none).
    OwnOnly,
    Staff,
}

fn encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

async fn as_who(app: &TestApp, token: Option<&str>, query: &str, vars: Value) -> Value {
    let body = match token {
        Some(t) => app.gql_as(t, query, vars).await,
        None => app.gql(query, vars).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

#[tokio::test]
async fn node_fetches_every_type_with_an_id_under_the_rule_of_its_entry_points() {
    let app = TestApp::spawn().await;
    let (owner, other, staff) = (app.user(Role::Customer).await, app.user(Role::Customer).await, app.user(Role::Staff).await);
    let (variant, _) = stocked_variant(&app, 10, 2_500).await;
    let a = Some(owner.access_token.as_str());
    let s = Some(staff.access_token.as_str());

    // The customer's paid order, with one payment, partly refunded by staff.
    let line = json!([{ "variantId": variant, "quantity": 2 }]);
    let cart = as_who(&app, a, "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id } } }", json!({ "l": line })).await;
    let cart_id = cart["cartCreate"]["cart"]["id"].clone();
    as_who(
        &app,
        a,
        &format!("mutation($c: ID!) {{ checkoutStart(cartId: $c, email: \"own@example.com\", shippingAddress: {ADDRESS}) {{ userErrors {{ code }} }} }}"),
        json!({ "c": cart_id }),
    )
    .await;
    let done = as_who(
        &app,
        a,
        "mutation($c: ID!) { checkoutComplete(cartId: $c, idempotencyKey: \"node-test-order\") { order { id } userErrors { code } } }",
        json!({ "c": cart_id }),
    )
    .await;
    let order = done["checkoutComplete"]["order"]["id"].clone();
    let intent = as_who(&app, a, "mutation($o: ID!) { paymentIntentCreate(orderId: $o) { clientSecret } }", json!({ "o": order })).await;
    let paid = as_who(
        &app,
        None,
        "mutation($s: String!, $c: String!) { testPaymentConfirm(clientSecret: $s, cardNumber: $c) { order { status version } } }",
        json!({ "s": intent["paymentIntentCreate"]["clientSecret"], "c": SUCCEEDS }),
    )
    .await;
    let version = paid["testPaymentConfirm"]["order"]["version"].clone();
    let refunded = as_who(
        &app,
        s,
        "mutation($o: ID!, $v: Int!) { orderRefund(orderId: $o, expectedVersion: $v, amount: 100, restock: false, reason: \"scratch\") {
            order { payments { id } refunds { id } } userErrors { code } } }",
        json!({ "o": order, "v": version }),
    )
    .await;
    let payment = refunded["orderRefund"]["order"]["payments"][0]["id"].clone();
    let refund = refunded["orderRefund"]["order"]["refunds"][0]["id"].clone();

    // The customer's next cart, open.
    let cart =
        as_who(&app, a, "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id lines { id } } } }", json!({ "l": line }))
            .await;
    let (cart_id, cart_line) = (cart["cartCreate"]["cart"]["id"].clone(), cart["cartCreate"]["cart"]["lines"][0]["id"].clone());

    // A guest's declined order: staff see it and its payment issue.
    let guest = pending_order(&app, 3, 1).await;
    let secret = pay(&app, &guest).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, DECLINED).await;

    // Staff data.
    let coupon = as_who(&app, s, "mutation { couponCreate(input: { code: \"nodes\", percentOff: 5 }) { coupon { id } } }", json!({})).await;
    let staff_view = as_who(
        &app,
        s,
        "query($v: ID!) {
            stockLocations { id }
            node(id: $v) { ... on Variant { stockLevels { id } product { id categories { id } } } }
            inventory(first: 1, filter: { search: \"TEST-\" }) { nodes { id } }
            stockMovements(variantId: $v, first: 50) { nodes { id reason reference { type id order { id } } } }
            paymentIssues(filter: FAILED, first: 5) { nodes { id } }
        }",
        json!({ "v": variant }),
    )
    .await;
    let sale =
        staff_view["stockMovements"]["nodes"].as_array().unwrap().iter().find(|m| m["reason"] == "SALE").expect("a sale row").clone();
    assert_eq!(sale["reference"]["type"], "ORDER");
    assert_eq!(sale["reference"]["id"], order, "an order reference is the order's global id");
    assert_eq!(sale["reference"]["order"]["id"], order, "and resolves to the order");
    let reserve = staff_view["stockMovements"]["nodes"].as_array().unwrap().iter().find(|m| m["reason"] == "RESERVE").unwrap().clone();
    assert!(reserve["reference"]["id"].as_str().unwrap().len() > 4, "a reservation key, not a bare row number: {reserve}");
    assert_eq!(reserve["reference"]["order"], Value::Null);

    let objects: Vec<(&str, Value, Seen)> = vec![
        ("Variant", json!(variant), Seen::Public),
        ("Product", staff_view["node"]["product"]["id"].clone(), Seen::Public),
        ("User", json!(owner.id), Seen::OwnOrStaff),
        ("Cart", cart_id, Seen::OwnOnly),
        ("CartLine", cart_line, Seen::OwnOnly),
        ("Order", order.clone(), Seen::OwnOrStaff),
        ("Payment", payment, Seen::OwnOrStaff),
        ("Refund", refund, Seen::OwnOrStaff),
        ("Order", guest.order["id"].clone(), Seen::Staff),
        ("PaymentIssue", staff_view["paymentIssues"]["nodes"][0]["id"].clone(), Seen::Staff),
        ("Coupon", coupon["couponCreate"]["coupon"]["id"].clone(), Seen::Staff),
        ("StockLocation", staff_view["stockLocations"][0]["id"].clone(), Seen::Staff),
        ("StockLevel", staff_view["node"]["stockLevels"][0]["id"].clone(), Seen::Staff),
        ("StockMovement", sale["id"].clone(), Seen::Staff),
        ("InventoryItem", staff_view["inventory"]["nodes"][0]["id"].clone(), Seen::Staff),
    ];
    let query = "query($id: ID!) { node(id: $id) { __typename id } }";
    for (typename, id, seen) in &objects {
        assert!(id.is_string(), "{typename}: no id to test: {staff_view:#}");
        for (who, token) in [("guest", None), ("owner", a), ("another customer", Some(other.access_token.as_str())), ("staff", s)] {
            let may = match seen {
                Seen::Public => true,
                Seen::OwnOrStaff => who == "owner" || who == "staff",
                Seen::OwnOnly => who == "owner",
                Seen::Staff => who == "staff",
            };
            let got = as_who(&app, token, query, json!({ "id": id })).await;
            if may {
                assert_eq!(got["node"], json!({ "__typename": typename, "id": id }), "{who} fetches the {typename}");
            } else {
                assert_eq!(got["node"], Value::Null, "{who} must not see the {typename} {id}");
            }
        }
    }

    // `nodes` answers in the order asked, with nulls where the viewer may not look.
    let ids: Vec<&Value> = objects.iter().map(|(_, id, _)| id).collect();
    let got = as_who(&app, a, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": ids })).await;
    let expected: Vec<Value> =
        objects.iter().map(|(t, id, seen)| if *seen == Seen::Staff { Value::Null } else { json!({ "__typename": t, "id": id }) }).collect();
    assert_eq!(got["nodes"], json!(expected));

    // A reservation key names no object; a malformed id is a typed error.
    let key = as_who(&app, s, query, json!({ "id": reserve["reference"]["id"] })).await;
    assert_eq!(key["node"], Value::Null);
    for bad in [encode("StockLevel:1:2:3"), encode("StockLevel:x"), encode("Nothing:1"), "%%".to_owned()] {
        let body = app.gql_as(&staff.access_token, query, json!({ "id": bad })).await;
        assert_eq!(code(&body["errors"][0]), "BAD_USER_INPUT", "{bad}: {body}");
    }
}
