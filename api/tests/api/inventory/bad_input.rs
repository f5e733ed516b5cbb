//! Bad input gets a typed error naming the field, and writes nothing.

use std::time::Duration;

use stockade_domain::actor::Actor;
use stockade_domain::error::{Error, ErrorCode};
use stockade_domain::inventory::{Adjustment, MovementReason, Owner, OwnerKind, ReleaseTarget, ReserveLine, StockChange};

use super::{Fixture, STAFF, TTL, cart};

/// `Invalid` or `NotFound` (per `code`) naming `field`.
#[track_caller]
fn assert_rejected<T: std::fmt::Debug>(result: Result<T, Error>, code: ErrorCode, field: &str) {
    let err = result.expect_err("bad input must be rejected");
    assert_eq!(err.code(), Some(code), "{err:?}");
    assert_eq!(err.field(), Some(field), "{err:?}");
}

#[tokio::test]
async fn bad_input_is_a_typed_error_and_leaves_everything_untouched() {
    let fx = Fixture::new(4).await;
    let [sku, other] = fx.variants("Scarf", &["SCF-1", "SCF-2"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 5, STAFF, "").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 1)], &cart("held"), TTL, Actor::Guest).await.unwrap();
    let before = fx.counts().await;
    let (inv, owner) = (&fx.inv, cart(1));
    use ErrorCode::{Invalid, NotFound};

    // Reservations.
    let reserve = |lines: Vec<ReserveLine>, ttl: Duration| {
        let owner = owner.clone();
        async move { inv.reserve(&lines, &owner, ttl, Actor::Guest).await }
    };
    assert_rejected(reserve(vec![], TTL).await, Invalid, "lines");
    assert_rejected(reserve(vec![ReserveLine::new(sku, 1); 101], TTL).await, Invalid, "lines");
    for quantity in [0, -1, 10_001, i64::MAX] {
        assert_rejected(reserve(vec![ReserveLine::new(sku, quantity)], TTL).await, Invalid, "quantity");
    }
    assert_rejected(reserve(vec![ReserveLine::new(sku, 6_000), ReserveLine::new(sku, 6_000)], TTL).await, Invalid, "quantity");
    assert_rejected(reserve(vec![ReserveLine::new(0, 1)], TTL).await, Invalid, "variantId");
    assert_rejected(reserve(vec![ReserveLine::new(sku, 1), ReserveLine::new(999_999, 1)], TTL).await, NotFound, "variantId");
    let nowhere = ReserveLine { variant_id: sku, quantity: 1, location_id: Some(999_999) };
    assert_rejected(reserve(vec![nowhere], TTL).await, NotFound, "locationId");
    assert_rejected(reserve(vec![ReserveLine::new(sku, 1)], Duration::from_secs(10)).await, Invalid, "ttl");
    assert_rejected(reserve(vec![ReserveLine::new(sku, 1)], Duration::from_secs(2 * 86_400)).await, Invalid, "ttl");
    let too_many = reserve(vec![ReserveLine::new(sku, 1), ReserveLine::new(other, 1)], TTL).await.unwrap_err();
    assert!(matches!(too_many, Error::OutOfStock { variant_id, requested: 1, available: 0 } if variant_id == other), "{too_many:?}");
    let too_many = reserve(vec![ReserveLine::new(sku, 5)], TTL).await.unwrap_err();
    assert!(matches!(too_many, Error::OutOfStock { requested: 5, available: 4, .. }), "{too_many:?}");
    assert_eq!(too_many.code(), Some(ErrorCode::OutOfStock));
    assert_rejected(Owner::new(OwnerKind::Cart, ""), Invalid, "owner");
    assert_rejected(Owner::new(OwnerKind::Cart, "x".repeat(65)), Invalid, "owner");
    assert_rejected(inv.extend(&owner, Duration::from_secs(1)).await, Invalid, "ttl");
    assert_rejected(inv.release(&ReleaseTarget::Reservations(vec![]), Actor::Guest).await, Invalid, "reservationIds");
    assert_rejected(inv.release(&ReleaseTarget::Reservations(vec![-4]), Actor::Guest).await, Invalid, "reservationIds");
    assert_rejected(inv.commit(&owner, "", Actor::Guest).await, Invalid, "order");
    assert_rejected(inv.commit(&owner, "order-1", Actor::Guest).await, NotFound, "owner");

    // Restock and transfer.
    assert_rejected(inv.restock(sku, main, 0, STAFF, "").await, Invalid, "quantity");
    assert_rejected(inv.restock(sku, main, 1_000_001, STAFF, "").await, Invalid, "quantity");
    assert_rejected(inv.restock(999_999, main, 1, STAFF, "").await, NotFound, "variantId");
    assert_rejected(inv.restock(sku, 999_999, 1, STAFF, "").await, NotFound, "locationId");
    assert_rejected(inv.restock(sku, main, 1, STAFF, &"n".repeat(501)).await, Invalid, "note");
    assert_rejected(inv.transfer(sku, main, main, 1, STAFF, "").await, Invalid, "toLocationId");
    assert_rejected(inv.transfer(sku, main, 999_999, 1, STAFF, "").await, NotFound, "toLocationId");
    assert_rejected(inv.transfer(sku, main, 999_999, -1, STAFF, "").await, Invalid, "quantity");

    // Adjustments.
    let adjust = |change, reason, expected_version| Adjustment {
        variant_id: sku,
        location_id: main,
        change,
        reason,
        expected_version,
        note: String::new(),
    };
    let a = MovementReason::Adjustment;
    assert_rejected(inv.adjust(&adjust(StockChange::Delta(0), a, Some(2)), STAFF).await, Invalid, "delta");
    assert_rejected(inv.adjust(&adjust(StockChange::Delta(-1_000_001), a, Some(2)), STAFF).await, Invalid, "delta");
    assert_rejected(inv.adjust(&adjust(StockChange::SetOnHand(-1), a, Some(2)), STAFF).await, Invalid, "setOnHand");
    assert_rejected(inv.adjust(&adjust(StockChange::Delta(1), MovementReason::Sale, Some(2)), STAFF).await, Invalid, "reason");
    assert_rejected(inv.adjust(&adjust(StockChange::Delta(1), a, Some(-1)), STAFF).await, Invalid, "expectedVersion");
    assert_rejected(MovementReason::parse("shrinkage"), Invalid, "reason");
    assert_rejected(
        inv.adjust(&Adjustment { variant_id: 999_999, ..adjust(StockChange::Delta(1), a, None) }, STAFF).await,
        NotFound,
        "variantId",
    );
    assert_rejected(inv.set_low_stock_threshold(sku, Some(-1)).await, Invalid, "threshold");
    assert_rejected(inv.set_low_stock_threshold(999_999, Some(1)).await, NotFound, "variantId");

    assert_eq!(fx.counts().await, before, "no ledger row, event or reservation was written");
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn errors_shown_to_clients_carry_no_database_text() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Cap", &["CAP-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    let err = fx.inv.reserve(&[ReserveLine::new(sku, 3)], &cart(1), TTL, Actor::Guest).await.unwrap_err();
    assert_eq!(err.to_string(), "not enough stock: 3 requested, 0 available");
    fx.inv.restock(sku, main, 1, STAFF, "").await.unwrap();
    let dup = fx.inv.create_location("main", "Again", 3).await.unwrap_err();
    assert_eq!(dup.field(), Some("code"));
    assert!(!dup.to_string().to_lowercase().contains("unique"), "{dup}");
}
