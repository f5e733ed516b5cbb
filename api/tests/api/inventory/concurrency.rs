//! Racing callers: the last unit is sold once, multi-line reservations never deadlock and
//! are all or nothing, one of many same-version edits wins, expiry happens once.

use std::sync::Arc;

use chrono::Utc;
use stockade_domain::actor::Actor;
use stockade_domain::error::Error;
use stockade_domain::inventory::{
    Adjustment, CombineLimits, InventoryService, InventorySettings, MovementReason, ReleaseTarget, ReservationStatus, ReserveLine,
    StockChange,
};

use super::{Fixture, STAFF, TTL, cart};
use crate::helpers::TestDb;

#[tokio::test]
async fn two_hundred_buyers_race_for_ten_units_and_exactly_ten_win() {
    // One transaction per buyer, then batches of up to 64; on one instance, then on
    // four (each combining for itself, so their batches race in the database and the
    // guarded SQL alone decides between them).
    for (max_batch, instances) in [(1, 1), (64, 1), (64, 4)] {
        two_hundred_buyers_for_ten_units(max_batch, instances).await;
    }
}

async fn two_hundred_buyers_for_ten_units(max_batch: usize, instances: usize) {
    let limits = CombineLimits { max_batch, ..InventorySettings::default().combine };
    let fx = Arc::new(Fixture::with_limits(TestDb::empty(), 24, limits).await);
    let services: Arc<Vec<InventoryService>> =
        Arc::new((0..instances).map(|i| if i == 0 { fx.inv.clone() } else { fx.other_instance() }).collect());
    let [sku] = fx.variants("Hot Sneaker", &["HOT-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 10, STAFF, "drop day").await.unwrap();

    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let services = services.clone();
            tokio::spawn(async move {
                let inv = &services[i as usize % services.len()];
                inv.reserve(&[ReserveLine::new(sku, 1)], &cart(i), TTL, Actor::Guest).await
            })
        })
        .collect();
    let (mut won, mut out_of_stock) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(reservations) => {
                assert_eq!(reservations.len(), 1);
                assert_eq!(reservations[0].quantity, 1);
                won += 1;
            }
            Err(Error::OutOfStock { variant_id, requested: 1, available }) => {
                assert_eq!(variant_id, sku);
                assert!(available < 1, "out of stock with {available} available");
                out_of_stock += 1;
            }
            Err(other) => panic!("a caller saw an unexpected error: {other:?}"),
        }
    }
    assert_eq!((won, out_of_stock), (10, 190), "batches of {max_batch} on {instances} instances");
    assert_eq!(fx.available(sku).await, 0);
    let level = fx.inv.level(sku, main).await.unwrap();
    assert_eq!((level.on_hand, level.reserved, level.version), (10, 10, 11));
    assert_eq!(fx.movements_with_reason("reserve").await, 10);
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn multi_line_reservations_in_opposite_orders_are_all_or_nothing_without_deadlocks() {
    let fx = Arc::new(Fixture::new(24).await);
    let skus = fx.variants("Capsule", &["CAP-A", "CAP-B", "CAP-C"]).await;
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);
    for &v in &skus {
        fx.inv.restock(v, main, 20, STAFF, "").await.unwrap();
        fx.inv.restock(v, east, 20, STAFF, "").await.unwrap();
    }

    // 80 buyers of 3 units of each SKU (more than the 40 there are), half listing the
    // lines A, B, C and half C, B, A; 3 units split across locations as stock runs low.
    let tasks: Vec<_> = (0..80)
        .map(|i| {
            let fx = fx.clone();
            let mut lines: Vec<ReserveLine> = skus.iter().map(|&v| ReserveLine::new(v, 3)).collect();
            if i % 2 == 1 {
                lines.reverse();
            }
            tokio::spawn(async move { (i, fx.inv.reserve(&lines, &cart(i), TTL, Actor::Guest).await) })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        let (i, result) = task.await.unwrap();
        let held = fx.inv.reservations_of(&cart(i)).await.unwrap();
        match result {
            Ok(reservations) => {
                winners += 1;
                assert_eq!(reservations, held);
                for &v in &skus {
                    assert_eq!(held.iter().filter(|r| r.variant_id == v).map(|r| r.quantity).sum::<i64>(), 3, "all lines reserved");
                }
            }
            Err(Error::OutOfStock { .. }) => assert!(held.is_empty(), "a failed reservation left {held:?}"),
            Err(other) => panic!("a caller saw an unexpected error: {other:?}"),
        }
    }
    // 40 units of each SKU, 3 per buyer: 13 buyers, then 1 unit is left of each.
    assert_eq!(winners, 13);
    for &v in &skus {
        assert_eq!(fx.available(v).await, 1);
    }
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn of_twenty_adjustments_from_the_same_version_exactly_one_wins() {
    let fx = Arc::new(Fixture::new(24).await);
    let [sku] = fx.variants("Counted", &["CNT-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    let seen = fx.inv.restock(sku, main, 50, STAFF, "").await.unwrap();

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let fx = fx.clone();
            let adjustment = Adjustment {
                variant_id: sku,
                location_id: main,
                change: if i % 2 == 0 { StockChange::Delta(-(i + 1)) } else { StockChange::SetOnHand(40 + i) },
                reason: MovementReason::Adjustment,
                expected_version: Some(seen.version),
                note: format!("count {i}"),
            };
            tokio::spawn(async move { fx.inv.adjust(&adjustment, STAFF).await })
        })
        .collect();
    let (mut won, mut conflicts) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(level) => {
                assert_eq!(level.version, seen.version + 1);
                won += 1;
            }
            Err(Error::VersionConflict { entity, expected, current }) => {
                assert_eq!((entity, expected), ("stock level", seen.version));
                assert_eq!(current, seen.version + 1, "the conflict names the version that won");
                conflicts += 1;
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((won, conflicts), (1, 19));
    assert_eq!(fx.movements_with_reason("adjustment").await, 1);
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn racing_sweepers_and_releases_end_each_expired_reservation_once() {
    let fx = Arc::new(Fixture::new(24).await);
    let skus = fx.variants("Perishable", &["EXP-1", "EXP-2"]).await;
    let main = fx.location("main", 1).await;
    for &v in &skus {
        fx.inv.restock(v, main, 100, STAFF, "").await.unwrap();
    }
    for i in 0..30 {
        fx.inv.reserve(&[ReserveLine::new(skus[i % 2], 2)], &cart(i), TTL, Actor::Guest).await.unwrap();
    }
    assert_eq!(fx.inv.sweep_expired(100).await.unwrap(), 0, "nothing has expired yet");

    // Two sweepers in small batches, and owners releasing, all at once, 20 minutes later.
    let later = Utc::now() + chrono::Duration::minutes(20);
    let sweeper = |fx: Arc<Fixture>| {
        tokio::spawn(async move {
            let mut total = 0;
            loop {
                match fx.inv.sweep_expired_as_of(later, 4).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        })
    };
    let (a, b) = (sweeper(fx.clone()), sweeper(fx.clone()));
    let releases: Vec<_> = (0..30)
        .step_by(3)
        .map(|i| {
            let fx = fx.clone();
            tokio::spawn(async move { fx.inv.release(&ReleaseTarget::Owner(cart(i)), Actor::Guest).await.unwrap().len() })
        })
        .collect();
    let swept = a.await.unwrap() + b.await.unwrap();
    let mut released = 0;
    for r in releases {
        released += r.await.unwrap();
    }
    assert_eq!(swept + released, 30, "each reservation ended once ({swept} expired, {released} released)");
    assert_eq!(fx.movements_with_reason("expire").await as usize, swept);
    assert_eq!(fx.movements_with_reason("release").await as usize, released);
    for i in 0..30 {
        let held = fx.inv.reservations_of(&cart(i)).await.unwrap();
        assert!(held.iter().all(|r| matches!(r.status, ReservationStatus::Expired | ReservationStatus::Released)), "{held:?}");
    }
    for &v in &skus {
        let level = fx.inv.level(v, main).await.unwrap();
        assert_eq!((level.on_hand, level.reserved), (100, 0));
    }
    fx.assert_reconciles().await;
}
