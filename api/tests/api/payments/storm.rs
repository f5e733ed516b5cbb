//! A webhook storm: about a thousand signed Stripe events for 140 orders, with about 30%
//! sent twice, shuffled (so many arrive out of order) and sent by 16 senders at once.
//! Every payment must end where its intent's last state says, every event be applied
//! once, no money be counted twice and no stock be sold twice.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use stockade_domain::entity::{gateway_event, payment};

use super::stand_in::StripeStandIn;
use super::webhook::{intent_event, send, stripe_app};
use super::*;
use crate::commerce::{assert_reconciles, stock};

const ORDERS: usize = 140;
const SENDERS: usize = 16;

/// A small deterministic generator (xorshift64*): the same storm on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The intent as Stripe would send it in an event of `kind`.
fn intent_in(intent: &Value, kind: &str) -> Value {
    let mut i = intent.clone();
    match kind {
        "payment_intent.requires_action" => i["status"] = json!("requires_action"),
        "payment_intent.processing" => i["status"] = json!("processing"),
        "payment_intent.payment_failed" => {
            i["status"] = json!("requires_payment_method");
            i["last_payment_error"] = json!({ "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds." });
        }
        "payment_intent.succeeded" | "charge.succeeded" => {
            i["status"] = json!("succeeded");
            i["amount_received"] = i["amount"].clone();
        }
        _ => {}
    }
    i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_duplicated_shuffled_concurrent_webhooks_applies_each_event_once() {
    let stripe = StripeStandIn::start().await;
    let app =
        Arc::new(stripe_app(&stripe, &[("RATE_LIMIT_CHECKOUT_PER_MINUTE", "0"), ("RATE_LIMIT_CHECKOUT_ACCOUNT_PER_MINUTE", "0")]).await);
    let mut rng = Rng(0x5eed_cafe_f00d_0001);

    // Each order's intent goes through a life: two in three are paid in the end (some
    // after a decline), one in three is declined for good. Stripe also sends events we
    // do not act on.
    let mut orders = Vec::new();
    let mut events: Vec<(String, String)> = Vec::new(); // (event id, body)
    for n in 0..ORDERS {
        let b = pending_order(&app, 3, 1).await;
        let intent_id = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
        let intent = stripe.intent(&intent_id);
        let paid = n % 3 != 2;
        let mut life = vec!["payment_intent.created", "payment_intent.requires_action"];
        if paid {
            if n % 2 == 0 {
                life.push("payment_intent.payment_failed");
            }
            life.extend(["payment_intent.processing", "payment_intent.succeeded", "charge.succeeded"]);
        } else {
            life.extend(["payment_intent.processing", "payment_intent.payment_failed"]);
        }
        for (step, kind) in life.iter().enumerate() {
            let id = format!("evt_storm_{n}_{step}");
            events.push((id.clone(), intent_event(&id, kind, &intent_in(&intent, kind))));
        }
        orders.push((b, intent_id, paid));
    }
    let distinct = events.len();
    let duplicates: Vec<(String, String)> = events.iter().filter(|_| rng.below(10) < 3).cloned().collect();
    events.extend(duplicates);
    for i in (1..events.len()).rev() {
        let j = rng.below(i + 1);
        events.swap(i, j);
    }
    assert!(events.len() >= 900, "{} events", events.len());

    let queue = Arc::new(Mutex::new(events));
    let outcomes = Arc::new(Mutex::new(HashMap::<String, Vec<String>>::new()));
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (app, queue, outcomes) = (app.clone(), queue.clone(), outcomes.clone());
            tokio::spawn(async move {
                loop {
                    let Some((id, body)) = queue.lock().unwrap().pop() else { return };
                    let (status, answer) = send(&app, &body).await;
                    assert_eq!(status, 200, "{id}: {answer}");
                    let outcome = answer["outcome"].as_str().expect("an outcome").to_owned();
                    outcomes.lock().unwrap().entry(id).or_default().push(outcome);
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }

    // Each event was taken once; every repeat was recognised as one.
    let outcomes = outcomes.lock().unwrap().clone();
    assert_eq!(outcomes.len(), distinct);
    for (id, seen) in &outcomes {
        let first: Vec<_> = seen.iter().filter(|o| *o != "duplicate").collect();
        assert_eq!(first.len(), 1, "{id} was applied {} times: {seen:?}", first.len());
    }
    let stored = gateway_event::Entity::find()
        .filter(gateway_event::Column::EventId.starts_with("evt_storm_"))
        .all(app.database.conn())
        .await
        .unwrap();
    assert_eq!(stored.len(), distinct, "each event stored once");
    assert_eq!(stored.iter().map(|e| &e.event_id).collect::<HashSet<_>>().len(), distinct);

    // Every payment ends where its intent's last state says, whatever order the events came in.
    let mut paid_total = 0;
    for (b, intent_id, paid) in &orders {
        let order = order_of(&app, b).await;
        let total = order["totals"]["total"]["amount"].as_i64().unwrap();
        let payments = order["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1, "one attempt: {order}");
        if *paid {
            assert_eq!(
                (order["status"].as_str(), payments[0]["status"].as_str()),
                (Some("PAID"), Some("SUCCEEDED")),
                "{intent_id}: {order}"
            );
            assert_eq!(payments[0]["amountReceived"]["amount"], total, "{order}");
            assert_eq!(stock(&app, b.variant_id).await, (2, 0), "{intent_id}: one unit sold, once");
            paid_total += total;
        } else {
            assert_eq!(
                (order["status"].as_str(), payments[0]["status"].as_str()),
                (Some("PAYMENT_FAILED"), Some("FAILED")),
                "{intent_id}: {order}"
            );
            assert_eq!(stock(&app, b.variant_id).await, (3, 0), "{intent_id}: its hold given back");
        }
        assert!(!order["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "duplicate_payment"), "{order}");
    }
    // The money counted is the money paid: no payment received twice.
    let received: i64 = payment::Entity::find().all(app.database.conn()).await.unwrap().iter().map(|p| p.amount_received).sum();
    assert_eq!(received, paid_total);
    assert_reconciles(&app).await;
}
