//! A payment the gateway took is never lost (issue 11 items 8 and 9): an outcome that
//! was not applied (the process died between the gateway's answer and applying it,
//! or applying failed) is read back from the gateway before the order could expire,
//! and a buyer retrying a confirmation that went through is told its outcome.

use serde_json::json;
use stockade_domain::payments::PaymentGateway;

use super::late::deadline_passes;
use super::*;
use crate::commerce::{assert_reconciles, stock};
use crate::helpers::TestApp;

const CARD_OK: &str = "4242 4242 4242 4242";

#[tokio::test]
async fn an_outcome_lost_before_it_was_applied_is_read_back_before_the_order_expires() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 3, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    // The gateway takes the money, then the process dies before applying it: the
    // in-memory hand-over is gone.
    let gateway = app.services.payments.test_gateway().expect("the test gateway");
    let intent = gateway.confirm(&secret, CARD_OK).await.unwrap();
    assert!(!gateway.take_deliveries(&intent.id).is_empty(), "the outcome was on its way");
    assert_eq!(order_of(&app, &b).await["status"], "PENDING_PAYMENT", "nothing applied yet");

    deadline_passes(&app, &b).await;
    assert_eq!(app.services.payments.expire_unpaid(100).await.unwrap(), 0, "a paid order is not expired");
    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "PAID", "{order}");
    assert_eq!(order["payments"][0]["status"], "SUCCEEDED", "{order}");
    assert_eq!(stock(&app, b.variant_id).await, (2, 0), "sold, never released to someone else");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn confirming_again_after_a_lost_answer_reports_the_payment_not_an_error() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 3, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    let first = confirm(&app, &secret, CARD_OK).await;
    assert_eq!(first["order"]["status"], "PAID", "{first}");
    // The buyer's answer was lost; they press Pay again (even with another card).
    for card in [CARD_OK, "4000 0000 0000 0002"] {
        let again = confirm(&app, &secret, card).await;
        assert_eq!(again["userErrors"], json!([]), "{again}");
        assert_eq!(again["order"]["status"], "PAID", "{again}");
        assert_eq!(again["payment"]["status"], "SUCCEEDED", "{again}");
    }
    let order = order_of(&app, &b).await;
    assert_eq!(order["payments"].as_array().unwrap().len(), 1, "one attempt, paid once: {order}");
    assert_eq!(order["payments"][0]["amountReceived"]["amount"], order["totals"]["total"]["amount"]);

    // Asking to pay a paid order says so, with its own code.
    let again = pay(&app, &b).await;
    assert_eq!(again["userErrors"][0]["code"], "ALREADY_PAID", "{again}");
    assert_eq!(stock(&app, b.variant_id).await, (2, 0));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn an_apply_that_failed_is_repaired_when_the_buyer_retries() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 3, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    // The gateway answered, applying it failed, and the events are gone.
    let gateway = app.services.payments.test_gateway().expect("the test gateway");
    let intent = gateway.confirm(&secret, CARD_OK).await.unwrap();
    drop(gateway.take_deliveries(&intent.id));
    // The buyer retries: the stored outcome is read back and applied.
    let again = confirm(&app, &secret, CARD_OK).await;
    assert_eq!(again["order"]["status"], "PAID", "{again}");
    assert_eq!(stock(&app, b.variant_id).await, (2, 0));
}

#[tokio::test]
async fn two_databases_with_the_same_secret_never_share_an_idempotency_key() {
    use sea_orm::{EntityTrait, QueryOrder};
    let secret = [("JWT_SECRET", "the same secret on a fresh or restored database, 32+ chars")];
    let mut keys = Vec::new();
    for _ in 0..2 {
        let app = TestApp::spawn_with(crate::helpers::TestDb::seeded(), &secret).await;
        let b = pending_order(&app, 3, 1).await;
        pay(&app, &b).await;
        let payment = stockade_domain::entity::payment::Entity::find()
            .order_by_asc(stockade_domain::entity::payment::Column::Id)
            .one(app.database.conn())
            .await
            .unwrap()
            .expect("a payment");
        assert_eq!((payment.order_id, payment.attempt), (1, 1), "both are order #1, attempt 1");
        keys.push(payment.idempotency_key);
    }
    assert_ne!(keys[0], keys[1], "order #1 of another database must not replay this one's payment at the gateway");
}
