//! GraphQL over keep-alive HTTP/1.1 to the api instances, as a storefront sends it: one
//! shared connection pool, at most `connections` requests in flight (a browser's
//! connections, not one per buyer), a retryable `SERVICE_UNAVAILABLE` (HTTP 503, a full
//! stock queue or no database connection) retried after a short backoff and counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

pub const CART_CREATE: &str = "mutation($l: [CartLineInput!]) { cartCreate(lines: $l) { \
    cart { id version reservedUntil lines { id quantity held } } cartToken userErrors { code field message } } }";
pub const LINES_ADD: &str = "mutation($c: ID!, $t: String, $v: Int!, $l: [CartLineInput!]!) { \
    cartLinesAdd(cartId: $c, cartToken: $t, expectedVersion: $v, lines: $l) { \
    cart { id version reservedUntil lines { id quantity held } } userErrors { code field message } } }";
pub const CHECKOUT_START: &str = "mutation($c: ID!, $t: String, $e: String, $a: AddressInput) { \
    checkoutStart(cartId: $c, cartToken: $t, email: $e, shippingAddress: $a) { \
    review { ready problems { code field message } totals { total { formatted } } } userErrors { code field message } } }";
pub const CHECKOUT_COMPLETE: &str = "mutation($c: ID!, $t: String, $k: String!) { \
    checkoutComplete(cartId: $c, cartToken: $t, idempotencyKey: $k) { \
    order { id number status paymentDeadline totals { total { formatted } } } orderToken problems { code message } userErrors { code field message } } }";
pub const INTENT_CREATE: &str = "mutation($o: ID!, $t: String) { paymentIntentCreate(orderId: $o, token: $t) { \
    clientSecret gateway publishableKey payment { attempt status } userErrors { code message } } }";
pub const PAYMENT_CONFIRM: &str = "mutation($s: String!) { \
    testPaymentConfirm(clientSecret: $s, cardNumber: \"4242 4242 4242 4242\") { \
    payment { status } order { number status } userErrors { code message } } }";

/// Counters of what the instances answered besides a plain success.
#[derive(Default)]
pub struct Counters {
    /// Retryable `SERVICE_UNAVAILABLE` answers (each retried).
    pub unavailable: AtomicU64,
    /// `GATEWAY_UNAVAILABLE` answers of a payment step (each retried).
    pub gateway_unavailable: AtomicU64,
    /// Requests sent (retries included).
    pub requests: AtomicU64,
}

pub struct Gql {
    http: reqwest::Client,
    urls: Vec<String>,
    permits: Arc<Semaphore>,
    backoff: Duration,
    token: Option<String>,
    pub counters: Counters,
}

/// One step's answer: the `data` object and how long the step took (from its first send
/// to its final answer, retries and their backoff included).
pub struct Answer {
    pub data: Value,
    pub took: Duration,
}

impl Gql {
    pub fn new(bases: &[String], connections: usize, backoff: Duration) -> anyhow::Result<Gql> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(300))
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(Gql {
            http,
            urls: bases.iter().map(|b| format!("{}/graphql", b.trim_end_matches('/'))).collect(),
            permits: Arc::new(Semaphore::new(connections)),
            backoff,
            token: None,
            counters: Counters::default(),
        })
    }

    pub fn instances(&self) -> usize {
        self.urls.len()
    }

    pub fn with_token(mut self, token: String) -> Gql {
        self.token = Some(token);
        self
    }

    /// Opens up to `n` connections to each instance before a run, so the first requests
    /// of a run do not pay for TCP connects.
    pub async fn warm_up(self: &Arc<Self>, n: usize) {
        let mut tasks = tokio::task::JoinSet::new();
        for url in &self.urls {
            for _ in 0..n {
                let (me, url) = (self.clone(), url.replace("/graphql", "/healthz"));
                tasks.spawn(async move {
                    let _permit = me.permits.acquire().await;
                    if let Ok(response) = me.http.get(&url).send().await {
                        let _ = response.bytes().await;
                    }
                });
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Sends `query` to instance `instance` (modulo the count). `on_send` is called once,
    /// right before the first attempt goes out (after a connection is free): arrival
    /// order for the caller.
    pub async fn call_observed(&self, instance: usize, query: &str, variables: Value, on_send: impl FnOnce()) -> anyhow::Result<Answer> {
        let url = &self.urls[instance % self.urls.len()];
        let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))?;
        let mut on_send = Some(on_send);
        let mut started = None;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (status, bytes) = {
                let _permit = self.permits.acquire().await?;
                if let Some(f) = on_send.take() {
                    f();
                }
                started.get_or_insert_with(Instant::now);
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                let mut request = self.http.post(url).header("content-type", "application/json").body(body.clone());
                if let Some(token) = &self.token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.context("sending a request")?;
                let status = response.status().as_u16();
                (status, response.bytes().await.context("reading an answer")?)
            };
            let mut answer: Value =
                serde_json::from_slice(&bytes).with_context(|| format!("HTTP {status}: not JSON: {}", String::from_utf8_lossy(&bytes)))?;
            if status == 503 || answer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE" {
                self.counters.unavailable.fetch_add(1, Ordering::Relaxed);
                if Instant::now() > deadline {
                    bail!("still unavailable after two minutes: {answer}");
                }
                tokio::time::sleep(self.backoff).await;
                continue;
            }
            if status != 200 || !answer["errors"].is_null() {
                bail!("HTTP {status}: {answer}");
            }
            let data = answer["data"].take();
            let payload = data.as_object().and_then(|fields| fields.values().next());
            if payload.is_some_and(|p| p["userErrors"][0]["code"] == "GATEWAY_UNAVAILABLE") {
                self.counters.gateway_unavailable.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(self.backoff).await;
                continue;
            }
            return Ok(Answer { data, took: started.map_or(Duration::ZERO, |s| s.elapsed()) });
        }
    }

    pub async fn call(&self, instance: usize, query: &str, variables: Value) -> anyhow::Result<Answer> {
        self.call_observed(instance, query, variables, || {}).await
    }
}

/// The first user error's code of mutation `field`'s payload, if any.
pub fn user_error(data: &Value, field: &str) -> Option<String> {
    data[field]["userErrors"][0]["code"].as_str().map(str::to_owned)
}
