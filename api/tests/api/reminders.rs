//! Abandoned carts: reminder steps on a clock the test controls, signed webhooks to a
//! real receiver on a port, two instances, recovery links and the staff's view.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use stockade_domain::settings::Secret;

use crate::commerce::{add, complete, guest_cart, start, stocked_variant};
use crate::helpers::{TestApp, TestDb};

const SECRET: &str = "whsec_reminders_test_secret_0001";

/// One post the receiver got: its headers of interest and body.
#[derive(Clone, Debug)]
struct Post {
    signature: Option<String>,
    delivery: Option<String>,
    topic: Option<String>,
    body: String,
}

/// A webhook receiver on a port: records every post and answers the statuses queued
/// (200 once they run out).
#[derive(Clone, Default)]
struct Receiver {
    posts: Arc<Mutex<Vec<Post>>>,
    answers: Arc<Mutex<Vec<u16>>>,
    /// When set, each post is held (up to 5 s) until this many are in flight at once.
    gather: Arc<Mutex<Option<usize>>>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    most_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let app = axum::Router::new().route("/hooks/cart", axum::routing::post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, format!("http://{addr}/hooks/cart"))
    }

    fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// The bodies received, parsed, after checking each signature.
    fn verified(&self) -> Vec<Value> {
        self.posts()
            .iter()
            .map(|p| {
                let verdict = stockade_domain::signing::verify(
                    p.signature.as_deref(),
                    p.body.as_bytes(),
                    &[Secret::new(SECRET.to_owned())],
                    Utc::now().timestamp(),
                );
                assert_eq!(verdict, Ok(()), "every post is signed with the secret");
                assert_eq!(p.topic.as_deref(), Some("cart.reminder"));
                let body: Value = serde_json::from_str(&p.body).expect("JSON body");
                assert_eq!(p.delivery.as_deref(), body["id"].as_str(), "the delivery id is in the header and the body");
                body
            })
            .collect()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    use std::sync::atomic::Ordering::SeqCst;
    let now = r.in_flight.fetch_add(1, SeqCst) + 1;
    r.most_in_flight.fetch_max(now, SeqCst);
    let gather = *r.gather.lock().unwrap();
    if let Some(n) = gather {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        // Released together once n were under way at the same time.
        while r.most_in_flight.load(SeqCst) < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    r.in_flight.fetch_sub(1, SeqCst);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    r.posts.lock().unwrap().push(Post {
        signature: header("stockade-signature"),
        delivery: header("stockade-delivery"),
        topic: header("stockade-topic"),
        body,
    });
    let mut answers = r.answers.lock().unwrap();
    let code = if answers.is_empty() { 200 } else { answers.remove(0) };
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

fn settings(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CART_REMINDER_WEBHOOK_URL", url.to_owned()),
        ("CART_REMINDER_WEBHOOK_SECRET", SECRET.to_owned()),
        ("CART_REMINDER_STEPS", "1h,24h,72h".to_owned()),
        ("CART_REMINDER_INTERVAL_SECS", "0".to_owned()),
        ("CART_RECOVERY_URL", "https://shop.example/recover/{token}".to_owned()),
    ]
}

async fn spawn(db: Arc<TestDb>, url: &str) -> TestApp {
    let owned = settings(url);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    TestApp::spawn_on(db, &pairs).await
}

/// A guest cart holding `quantity` of `variant` with an email given at checkout;
/// returns (cart, token).
async fn abandoned_guest_cart(app: &TestApp, variant: &str, quantity: i64) -> (Value, String) {
    let (cart, token) = guest_cart(app).await;
    let added = add(app, None, &cart, Some(&token), variant, quantity).await;
    assert_eq!(added["userErrors"], json!([]), "{added}");
    let started = start(app, None, &cart["id"], Some(&token), "").await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    (cart, token)
}

async fn pass(app: &TestApp, at: chrono::DateTime<Utc>) -> (usize, usize) {
    let report = app.services.reminders.run_pass(at, 200).await.expect("reminder pass");
    (report.reminders, report.deliveries.delivered)
}

#[tokio::test]
async fn each_step_is_sent_once_at_its_time_signed_with_a_recovery_link() {
    let (receiver, url) = Receiver::start().await;
    let app = spawn(Arc::new(TestDb::seeded()), &url).await;
    let (variant, _) = stocked_variant(&app, 10, 1_500).await;
    let (cart, _) = abandoned_guest_cart(&app, &variant, 2).await;
    // A guest cart with no email cannot be reached: it is abandoned, never reminded.
    let (silent, silent_token) = guest_cart(&app).await;
    add(&app, None, &silent, Some(&silent_token), &variant, 1).await;
    let t0 = Utc::now();
    backdate_unreachable(&app).await;

    assert_eq!(pass(&app, t0 + Duration::minutes(59)).await, (0, 0), "not idle long enough");
    assert_eq!(pass(&app, t0 + Duration::minutes(61)).await, (1, 1), "step 1 at one hour");
    assert_eq!(pass(&app, t0 + Duration::minutes(90)).await, (0, 0), "never twice for one step");
    assert_eq!(pass(&app, t0 + Duration::hours(25)).await, (1, 1), "step 2 at a day");
    assert_eq!(pass(&app, t0 + Duration::hours(73)).await, (1, 1), "step 3 at three days");
    assert_eq!(pass(&app, t0 + Duration::days(20)).await, (0, 0), "no step after the last");

    let bodies = receiver.verified();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies.iter().map(|b| b["reminder"]["step"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    let first = &bodies[0];
    assert_eq!(first["cart"]["email"], "buyer@example.com");
    assert_eq!(first["cart"]["lines"][0]["quantity"], 2);
    assert_eq!(first["cart"]["lines"][0]["unitPrice"], 1_500);
    assert_eq!(first["cart"]["subtotal"], 3_000);
    let token = first["recovery"]["token"].as_str().expect("a recovery token");
    assert_eq!(first["recovery"]["url"], format!("https://shop.example/recover/{token}"));
    assert!(!receiver.posts()[0].body.contains(SECRET), "the secret is never sent");

    // The outbox has one event per step, and the staff see the cart as reminded.
    let events: i64 = count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM outbox WHERE event_type = 'cart.reminder_sent'").await;
    assert_eq!(events, 3);
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    let q = "{ abandonedCarts(filter: REMINDED) { totalCount edges { node { cartId email remindersSent lineCount units subtotal { amount } recoveredOrder { id } } } }
               all: abandonedCarts { totalCount }
               webhookDeliveries(status: DELIVERED) { totalCount edges { node { topic status attempts lastStatus deliveredAt } } } }";
    let seen = app.gql_as(&staff.access_token, q, json!({})).await;
    assert!(seen.get("errors").is_none(), "{seen:#}");
    let node = &seen["data"]["abandonedCarts"]["edges"][0]["node"];
    assert_eq!(node["cartId"], cart["id"]);
    assert_eq!((node["remindersSent"].as_i64(), node["lineCount"].as_i64(), node["units"].as_i64()), (Some(3), Some(1), Some(2)));
    assert_eq!(node["recoveredOrder"], Value::Null);
    assert_eq!(seen["data"]["all"]["totalCount"], 2, "the unreachable cart counts as abandoned too");
    assert_eq!(seen["data"]["webhookDeliveries"]["totalCount"], 3);
    assert_eq!(seen["data"]["webhookDeliveries"]["edges"][0]["node"]["lastStatus"], 200);
    let guest = app.gql("{ abandonedCarts { totalCount } }", json!({})).await;
    assert_eq!(guest["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "staff only: {guest}");
}

/// Makes the carts without an email look idle for two hours to the staff's view (which
/// reads the real clock); they are never reminded, whatever the clock.
async fn backdate_unreachable(app: &TestApp) {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use stockade_domain::entity::cart;
    cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::val(Utc::now() - Duration::hours(2)))
        .filter(cart::Column::Email.is_null())
        .exec(app.database.conn())
        .await
        .expect("backdate");
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.database.conn();
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("query").expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

#[tokio::test]
async fn two_instances_racing_send_each_step_once() {
    let (receiver, url) = Receiver::start().await;
    let db = Arc::new(TestDb::seeded());
    let a = spawn(db.clone(), &url).await;
    let b = spawn(db, &url).await;
    let (variant, _) = stocked_variant(&a, 100, 900).await;
    for _ in 0..12 {
        abandoned_guest_cart(&a, &variant, 1).await;
    }
    let at = Utc::now() + Duration::minutes(61);
    let (ra, rb) = tokio::join!(pass(&a, at), pass(&b, at));
    assert_eq!(ra.0 + rb.0, 12, "every cart reminded once between the two: {ra:?} {rb:?}");
    let (ra, rb) = tokio::join!(pass(&a, at), pass(&b, at));
    assert_eq!((ra.0, rb.0), (0, 0));
    let bodies = receiver.verified();
    assert_eq!(bodies.len(), 12, "each reminder posted once");
    let mut carts: Vec<i64> = bodies.iter().map(|b| b["cart"]["id"].as_i64().unwrap()).collect();
    carts.sort_unstable();
    carts.dedup();
    assert_eq!(carts.len(), 12);
}

#[tokio::test]
async fn checked_out_emptied_and_opted_out_carts_get_no_further_reminder() {
    let (receiver, url) = Receiver::start().await;
    let app = spawn(Arc::new(TestDb::seeded()), &url).await;
    let (variant, _) = stocked_variant(&app, 20, 1_000).await;
    let (ordered, ordered_token) = abandoned_guest_cart(&app, &variant, 1).await;
    let (emptied, emptied_token) = abandoned_guest_cart(&app, &variant, 1).await;
    let t0 = Utc::now();
    assert_eq!(pass(&app, t0 + Duration::minutes(61)).await.0, 2);

    // Between steps: one is checked out, the other emptied.
    let done = complete(&app, None, &ordered["id"], Some(&ordered_token), "reminded-checkout-0001").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    let current = app
        .gql_ok("query($c: ID!, $t: String) { cart(id: $c, cartToken: $t) { version } }", json!({ "c": emptied["id"], "t": emptied_token }))
        .await;
    let removed = app
        .gql_ok(
            "mutation($c: ID!, $t: String, $v: Int!, $l: [ID!]!) { cartLinesRemove(cartId: $c, cartToken: $t, expectedVersion: $v, variantIds: $l) { userErrors { code } } }",
            json!({ "c": emptied["id"], "t": emptied_token, "v": current["cart"]["version"], "l": [variant] }),
        )
        .await;
    assert_eq!(removed["cartLinesRemove"]["userErrors"], json!([]));
    assert_eq!(pass(&app, Utc::now() + Duration::hours(25)).await.0, 0, "checked out and emptied carts are done");

    // An address that opted out through a reminder's link gets nothing more.
    let token = receiver.verified()[0]["recovery"]["token"].as_str().unwrap().to_owned();
    let q = "mutation($t: String!) { cartRemindersUnsubscribe(token: $t) { optedOut userErrors { code field } } }";
    assert_eq!(app.gql_ok(q, json!({ "t": token })).await["cartRemindersUnsubscribe"]["optedOut"], true);
    let bad = app.gql_ok(q, json!({ "t": "forged-token" })).await;
    assert_eq!(bad["cartRemindersUnsubscribe"]["userErrors"][0]["field"], json!(["token"]), "{bad}");
    abandoned_guest_cart(&app, &variant, 1).await; // the same buyer@example.com
    assert_eq!(pass(&app, Utc::now() + Duration::hours(2)).await.0, 0, "opted out");
    assert_eq!(receiver.posts().len(), 2);
}

#[tokio::test]
async fn a_recovery_link_restores_the_cart_once_per_device_and_reports_what_is_gone() {
    let (receiver, url) = Receiver::start().await;
    let app = spawn(Arc::new(TestDb::seeded()), &url).await;
    let (plenty, _) = stocked_variant(&app, 10, 1_000).await;
    let (scarce, scarce_id) = stocked_variant(&app, 3, 2_000).await;
    let (cart, token) = abandoned_guest_cart(&app, &plenty, 2).await;
    add(
        &app,
        None,
        &app.gql_ok("query($c: ID!, $t: String) { cart(id: $c, cartToken: $t) { id version } }", json!({ "c": cart["id"], "t": token }))
            .await["cart"],
        Some(&token),
        &scarce,
        3,
    )
    .await;
    assert_eq!(pass(&app, Utc::now() + Duration::minutes(61)).await.0, 1);
    let link = receiver.verified()[0]["recovery"]["token"].as_str().unwrap().to_owned();

    // Meanwhile the holds lapsed and another buyer took two of the three scarce units.
    app.inventory.sweep_expired_as_of(Utc::now() + Duration::hours(2), 100).await.unwrap();
    let (other, other_token) = guest_cart(&app).await;
    add(&app, None, &other, Some(&other_token), &scarce, 2).await;

    let recover = "mutation($t: String!, $d: String!) { cartRecover(token: $t, deviceId: $d) {
        cart { id lines { variantId quantity held } } cartToken shortfalls { variantId requested restored reason } userErrors { code field message } } }";
    let got = app.gql_ok(recover, json!({ "t": link, "d": "device-one-0001" })).await["cartRecover"].clone();
    assert_eq!(got["userErrors"], json!([]), "{got}");
    assert!(got["cartToken"].is_string(), "a new guest cart on this device");
    assert_ne!(got["cart"]["id"], cart["id"]);
    let lines = got["cart"]["lines"].as_array().unwrap();
    let qty = |v: &str| lines.iter().find(|l| l["variantId"] == v).map(|l| (l["quantity"].as_i64().unwrap(), l["held"].as_bool().unwrap()));
    assert_eq!(qty(&plenty), Some((2, true)));
    assert_eq!(qty(&scarce), Some((1, true)), "what is left of the scarce one");
    assert_eq!(got["shortfalls"], json!([{ "variantId": scarce, "requested": 3, "restored": 1, "reason": "OUT_OF_STOCK" }]));
    assert_eq!(crate::commerce::stock(&app, scarce_id).await, (3, 3), "never more held than there is");

    let again = app.gql_ok(recover, json!({ "t": link, "d": "device-one-0001" })).await["cartRecover"].clone();
    assert_eq!(again["userErrors"][0]["field"], json!(["token"]), "once per device: {again}");
    assert_eq!(again["cart"], Value::Null);
    let elsewhere = app.gql_ok(recover, json!({ "t": link, "d": "device-two-0002" })).await["cartRecover"].clone();
    assert_eq!(elsewhere["userErrors"], json!([]), "another device may: {elsewhere}");
    let forged = app.gql_ok(recover, json!({ "t": format!("{link}x"), "d": "device-three-03" })).await["cartRecover"].clone();
    assert_eq!(forged["userErrors"][0]["field"], json!(["token"]));
    let short_device = app.gql_ok(recover, json!({ "t": link, "d": "x" })).await["cartRecover"].clone();
    assert_eq!(short_device["userErrors"][0]["field"], json!(["deviceId"]));
    {
        // Past its lifetime the link restores nothing, on any device.
        use sea_orm::EntityTrait;
        use sea_orm::sea_query::Expr;
        use stockade_domain::entity::cart_reminder;
        let live = cart_reminder::Entity::find().all(app.database.conn()).await.unwrap()[0].link_expires_at;
        let set =
            |at: chrono::DateTime<Utc>| cart_reminder::Entity::update_many().col_expr(cart_reminder::Column::LinkExpiresAt, Expr::val(at));
        set(Utc::now() - Duration::minutes(1)).exec(app.database.conn()).await.unwrap();
        let expired = app.gql_ok(recover, json!({ "t": link, "d": "device-four-004" })).await["cartRecover"].clone();
        assert_eq!(expired["userErrors"][0]["message"], "this link has expired", "{expired}");
        set(live).exec(app.database.conn()).await.unwrap();
    }

    // The restored cart is bought: the abandoned cart counts as recovered, and no
    // further reminder goes out for it.
    let restored = &got["cart"];
    let restored_token = got["cartToken"].as_str().unwrap();
    start(&app, None, &restored["id"], Some(restored_token), "").await;
    let done = complete(&app, None, &restored["id"], Some(restored_token), "recovered-checkout-01").await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    pay(&app, &done["order"]["id"], done["orderToken"].as_str().unwrap()).await;
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    let seen = app
        .gql_as(
            &staff.access_token,
            "{ abandonedCarts(filter: RECOVERED) { edges { node { cartId recoveredOrder { id status } } } }
               abandonedCartSummary { reminded recovered recoveryRate remindersSent } }",
            json!({}),
        )
        .await;
    assert!(seen.get("errors").is_none(), "{seen:#}");
    let node = &seen["data"]["abandonedCarts"]["edges"][0]["node"];
    assert_eq!(node["cartId"], cart["id"]);
    assert_eq!(node["recoveredOrder"]["id"], done["order"]["id"]);
    assert_eq!(seen["data"]["abandonedCartSummary"], json!({ "reminded": 1, "recovered": 1, "recoveryRate": 1.0, "remindersSent": 1 }));
    assert_eq!(pass(&app, Utc::now() + Duration::hours(30)).await.0, 0, "a cart whose link was used is not reminded again");
}

async fn pay(app: &TestApp, order_id: &Value, order_token: &str) {
    let intent = app
        .gql_ok(
            "mutation($o: ID!, $t: String) { paymentIntentCreate(orderId: $o, token: $t) { clientSecret userErrors { code } } }",
            json!({ "o": order_id, "t": order_token }),
        )
        .await;
    let secret = intent["paymentIntentCreate"]["clientSecret"].as_str().expect("client secret");
    let paid = app
        .gql_ok(
            "mutation($s: String!) { testPaymentConfirm(clientSecret: $s, cardNumber: \"4242424242424242\") { order { status } userErrors { code } } }",
            json!({ "s": secret }),
        )
        .await;
    assert_eq!(paid["testPaymentConfirm"]["order"]["status"], "PAID", "{paid}");
}

#[tokio::test]
async fn a_failed_post_is_retried_with_backoff_and_the_log_says_why() {
    let (receiver, url) = Receiver::start().await;
    receiver.answers.lock().unwrap().extend([500, 503]);
    let app = spawn(Arc::new(TestDb::seeded()), &url).await;
    let (variant, _) = stocked_variant(&app, 10, 1_000).await;
    abandoned_guest_cart(&app, &variant, 1).await;
    let t = Utc::now() + Duration::minutes(61);
    assert_eq!(pass(&app, t).await, (1, 0), "answered 500: not delivered");
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    let log = "{ webhookDeliveries { edges { node { status attempts lastStatus lastError nextAttemptAt deliveredAt } } } }";
    let node = app.gql_as(&staff.access_token, log, json!({})).await["data"]["webhookDeliveries"]["edges"][0]["node"].clone();
    assert_eq!((node["status"].as_str(), node["attempts"].as_i64(), node["lastStatus"].as_i64()), (Some("PENDING"), Some(1), Some(500)));
    assert_eq!(node["lastError"], "answered HTTP 500");
    assert!(node["nextAttemptAt"].is_string());

    assert_eq!(pass(&app, Utc::now() + Duration::seconds(5)).await, (0, 0), "not before its backoff");
    assert_eq!(pass(&app, Utc::now() + Duration::seconds(31)).await, (0, 0), "second attempt answered 503");
    assert_eq!(pass(&app, Utc::now() + Duration::seconds(95)).await, (0, 1), "third attempt, after a longer wait, delivered");
    let node = app.gql_as(&staff.access_token, log, json!({})).await["data"]["webhookDeliveries"]["edges"][0]["node"].clone();
    assert_eq!((node["status"].as_str(), node["attempts"].as_i64(), node["lastStatus"].as_i64()), (Some("DELIVERED"), Some(3), Some(200)));
    assert_eq!(node["nextAttemptAt"], Value::Null);
    let bodies = receiver.verified();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b["reminder"]["id"] == bodies[0]["reminder"]["id"]), "the same reminder each time");
}

#[tokio::test]
async fn posts_go_out_several_at_once_so_a_slow_receiver_does_not_hold_up_the_pass() {
    let (receiver, url) = Receiver::start().await;
    *receiver.gather.lock().unwrap() = Some(3);
    let app = spawn(Arc::new(TestDb::seeded()), &url).await;
    let (variant, _) = stocked_variant(&app, 10, 1_000).await;
    for _ in 0..3 {
        abandoned_guest_cart(&app, &variant, 1).await;
    }
    assert_eq!(pass(&app, Utc::now() + Duration::minutes(61)).await, (3, 3));
    let most = receiver.most_in_flight.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(most, 3, "the three posts were under way together");
}

#[tokio::test]
async fn reminders_are_off_without_a_webhook_and_customers_opt_out_for_themselves() {
    let app = TestApp::spawn().await;
    let (variant, _) = stocked_variant(&app, 10, 1_000).await;
    abandoned_guest_cart(&app, &variant, 1).await;
    assert_eq!(pass(&app, Utc::now() + Duration::hours(2)).await, (0, 0), "no webhook configured: nothing to send with");

    let customer = app.user(stockade_domain::accounts::Role::Customer).await;
    let q = "mutation($o: Boolean!) { cartRemindersOptOut(optOut: $o) { optedOut userErrors { code } } }";
    let out = app.gql_as(&customer.access_token, q, json!({ "o": true })).await;
    assert_eq!(out["data"]["cartRemindersOptOut"]["optedOut"], true, "{out}");
    assert!(app.services.reminders.opted_out(&customer.email).await.unwrap());
    let back = app.gql_as(&customer.access_token, q, json!({ "o": false })).await;
    assert_eq!(back["data"]["cartRemindersOptOut"]["optedOut"], false);
    assert!(!app.services.reminders.opted_out(&customer.email).await.unwrap());
    let guest = app.gql(q, json!({ "o": true })).await;
    assert_eq!(guest["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{guest}");
}
