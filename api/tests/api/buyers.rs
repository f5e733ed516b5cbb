//! Guests buying through the public API of a server under test (a child process or an
//! in-process instance), the way a storefront does: cart, checkout, payment with a card
//! that succeeds. A step answered with a retryable `SERVICE_UNAVAILABLE` (503), or a
//! payment step with the `GATEWAY_UNAVAILABLE` user error, is retried as a storefront
//! would (same idempotency key, same client secret); any other error fails the test; a
//! broken connection means the buyer lost contact with the shop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::commerce::ADDRESS;
use crate::helpers::code;

/// What one buyer was told.
#[derive(Debug)]
pub enum Told {
    /// The order is paid (its id).
    Paid(String),
    OutOfStock,
    /// The instance went away mid-way: the buyer was told nothing final.
    LostContact,
}

/// One shop front (a server's base URL) and what its buyers saw.
pub struct Shop {
    pub client: reqwest::Client,
    pub base: String,
    /// Answers that were a retryable 503 `SERVICE_UNAVAILABLE`.
    pub unavailable: AtomicUsize,
    /// Payment steps answered `GATEWAY_UNAVAILABLE` (the test gateway keeps its
    /// intents in the shop's database).
    pub gateway_unavailable: AtomicUsize,
}

impl Shop {
    pub fn new(base: &str) -> Shop {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        Shop { client, base: base.to_owned(), unavailable: AtomicUsize::new(0), gateway_unavailable: AtomicUsize::new(0) }
    }

    /// One operation; a 503 or `GATEWAY_UNAVAILABLE` is retried shortly (not after the
    /// whole Retry-After, so the test does not idle) for up to a minute. `Err` is a lost
    /// connection.
    async fn call(&self, query: &str, variables: &Value) -> Result<Value, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let res = self
                .client
                .post(format!("{}/graphql", self.base))
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = res.status().as_u16();
            let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            let body: Value = res.json().await.map_err(|e| e.to_string())?;
            if status == 503 {
                assert_eq!(code(&body["errors"][0]), "SERVICE_UNAVAILABLE", "a 503 says why: {body}");
                assert!(retry_after.is_some_and(|s| s >= 1), "a 503 says when to retry: {body}");
                self.unavailable.fetch_add(1, Ordering::Relaxed);
                assert!(Instant::now() < deadline, "still unavailable after a minute: {body}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            assert_eq!(status, 200, "{body}");
            assert!(body["errors"].is_null(), "only SERVICE_UNAVAILABLE may fail a step: {body}");
            let data = body["data"].clone();
            let payload = data.as_object().and_then(|fields| fields.values().next()).cloned().unwrap_or_default();
            if payload["userErrors"][0]["code"] == "GATEWAY_UNAVAILABLE" {
                self.gateway_unavailable.fetch_add(1, Ordering::Relaxed);
                assert!(Instant::now() < deadline, "the gateway is still unavailable after a minute: {body}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            return Ok(data);
        }
    }

    /// A guest buying one unit of `variant`; `n` tells the buyers apart.
    pub async fn buy(&self, variant: &str, n: usize) -> Told {
        self.try_buy(variant, n).await.unwrap_or(Told::LostContact)
    }

    async fn try_buy(&self, variant: &str, n: usize) -> Result<Told, String> {
        let created = self
            .call(
                "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { cart { id } cartToken userErrors { code } } }",
                &json!({ "l": [{ "variantId": variant, "quantity": 1 }] }),
            )
            .await?;
        let created = &created["cartCreate"];
        if created["userErrors"][0]["code"] == "OUT_OF_STOCK" {
            return Ok(Told::OutOfStock);
        }
        assert_eq!(created["userErrors"], json!([]), "{created}");
        let (cart, token) = (created["cart"]["id"].clone(), created["cartToken"].clone());
        let started = self
            .call(
                &format!("mutation($c: ID!, $t: String) {{ checkoutStart(cartId: $c, cartToken: $t, email: \"buyer{n}@example.com\", shippingAddress: {ADDRESS}) {{ userErrors {{ code }} }} }}"),
                &json!({ "c": cart, "t": token }),
            )
            .await?;
        assert_eq!(started["checkoutStart"]["userErrors"], json!([]), "{started}");
        let done = self
            .call(
                "mutation($c: ID!, $t: String, $k: String!) { checkoutComplete(cartId: $c, cartToken: $t, idempotencyKey: $k) { order { id } orderToken problems { code } userErrors { code message } } }",
                &json!({ "c": cart, "t": token, "k": format!("buyer-{n}-{}", uuid::Uuid::new_v4()) }),
            )
            .await?;
        let done = &done["checkoutComplete"];
        if done["problems"][0]["code"] == "OUT_OF_STOCK" {
            return Ok(Told::OutOfStock);
        }
        let order_id = done["order"]["id"].as_str().unwrap_or_else(|| panic!("{done}")).to_owned();
        let intent = self
            .call(
                "mutation($o: ID!, $t: String) { paymentIntentCreate(orderId: $o, token: $t) { clientSecret userErrors { code } } }",
                &json!({ "o": order_id, "t": done["orderToken"] }),
            )
            .await?;
        let secret = intent["paymentIntentCreate"]["clientSecret"].clone();
        assert!(secret.is_string(), "{intent}");
        let paid = self
            .call(
                "mutation($s: String!) { testPaymentConfirm(clientSecret: $s, cardNumber: \"4242 4242 4242 4242\") { order { status } userErrors { code } } }",
                &json!({ "s": secret }),
            )
            .await?;
        let status = paid["testPaymentConfirm"]["order"]["status"].as_str().unwrap_or_default().to_owned();
        assert!(status == "PAID" || status == "NEEDS_ATTENTION", "{paid}");
        Ok(if status == "PAID" { Told::Paid(order_id) } else { Told::LostContact })
    }
}
