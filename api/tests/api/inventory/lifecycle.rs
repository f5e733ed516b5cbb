//! One caller at a time: what each operation does to stock, reservations and the ledger.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use stockade_domain::actor::Actor;
use stockade_domain::entity::reservation;
use stockade_domain::error::Error;
use stockade_domain::inventory::{
    Adjustment, MovementReason, Owner, OwnerKind, Reference, ReleaseTarget, ReservationStatus, ReserveLine, StockChange,
};

use super::{Fixture, STAFF, TTL, cart};
use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn reservations_go_to_the_best_location_and_split_only_when_they_must() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Jacket", &["JK-1"]).await[..] else { unreachable!() };
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);
    fx.inv.restock(sku, main, 3, STAFF, "").await.unwrap();
    fx.inv.restock(sku, east, 10, STAFF, "").await.unwrap();

    let r = fx.inv.reserve(&[ReserveLine::new(sku, 2)], &cart(1), TTL, Actor::Guest).await.unwrap();
    assert_eq!(r.iter().map(|r| (r.location_id, r.quantity)).collect::<Vec<_>>(), [(main, 2)], "priority 1 first");
    let r = fx.inv.reserve(&[ReserveLine::new(sku, 5)], &cart(2), TTL, Actor::Guest).await.unwrap();
    assert_eq!(r.iter().map(|r| (r.location_id, r.quantity)).collect::<Vec<_>>(), [(east, 5)], "whole from one location if one can");
    let r = fx.inv.reserve(&[ReserveLine::new(sku, 6)], &cart(3), TTL, Actor::Guest).await.unwrap();
    assert_eq!(r.iter().map(|r| (r.location_id, r.quantity)).collect::<Vec<_>>(), [(main, 1), (east, 5)], "split by priority");
    let err = fx.inv.reserve(&[ReserveLine::new(sku, 1)], &cart(4), TTL, Actor::Guest).await.unwrap_err();
    assert!(matches!(err, Error::OutOfStock { requested: 1, available: 0, .. }), "{err:?}");
    let pinned = ReserveLine { variant_id: sku, quantity: 1, location_id: Some(east) };
    assert!(matches!(fx.inv.reserve(&[pinned], &cart(5), TTL, Actor::Guest).await, Err(Error::OutOfStock { .. })));
    assert_eq!(fx.available(sku).await, 0);
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn duplicate_lines_are_merged_into_one() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Socks", &["SK-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(sku, main, 10, STAFF, "").await.unwrap();
    let r = fx.inv.reserve(&[ReserveLine::new(sku, 2), ReserveLine::new(sku, 3)], &cart(1), TTL, Actor::Guest).await.unwrap();
    assert_eq!(r.iter().map(|r| r.quantity).collect::<Vec<_>>(), [5]);
}

#[tokio::test]
async fn release_commit_and_extend_move_stock_exactly_once() {
    let fx = Fixture::new(4).await;
    let [a, b] = fx.variants("Set", &["SET-A", "SET-B"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    fx.inv.restock(a, main, 10, STAFF, "").await.unwrap();
    fx.inv.restock(b, main, 10, STAFF, "").await.unwrap();
    let checkout = Owner::new(OwnerKind::Checkout, "chk-1").unwrap();
    let customer = Actor::Customer { user_id: 42 };

    let held = fx.inv.reserve(&[ReserveLine::new(a, 2), ReserveLine::new(b, 1)], &checkout, TTL, customer).await.unwrap();
    let extended = fx.inv.extend(&checkout, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(extended.len(), 2);
    assert!(extended.iter().all(|r| r.expires_at > held[0].expires_at));
    assert_eq!(fx.inv.extend(&checkout, Duration::from_secs(60)).await.unwrap()[0].expires_at, extended[0].expires_at, "never shortened");

    // Release one by id (twice: the second is a no-op), commit the rest.
    let released = fx.inv.release(&ReleaseTarget::Reservations(vec![held[1].id]), customer).await.unwrap();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].status, ReservationStatus::Released);
    assert!(fx.inv.release(&ReleaseTarget::Reservations(vec![held[1].id]), customer).await.unwrap().is_empty());
    let sold = fx.inv.commit(&checkout, "order-1001", customer).await.unwrap();
    assert_eq!(sold.iter().map(|r| (r.variant_id, r.quantity, r.status)).collect::<Vec<_>>(), [(a, 2, ReservationStatus::Committed)]);
    assert!(matches!(fx.inv.commit(&checkout, "order-1001", customer).await, Err(Error::NotFound { .. })), "nothing left to commit");
    assert!(fx.inv.release(&ReleaseTarget::Owner(checkout.clone()), customer).await.unwrap().is_empty());

    let level_a = fx.inv.level(a, main).await.unwrap();
    assert_eq!((level_a.on_hand, level_a.reserved), (8, 0), "a sale takes units off the shelf");
    let level_b = fx.inv.level(b, main).await.unwrap();
    assert_eq!((level_b.on_hand, level_b.reserved), (10, 0));

    let page = fx.inv.movements(a, Some(main), &stockade_domain::pagination::PageRequest::first(10)).await.unwrap();
    let sale = &page.items[0].1;
    assert_eq!((sale.reason, sale.delta_on_hand, sale.delta_reserved), (MovementReason::Sale, -2, -2));
    assert_eq!(sale.reference, Reference::Order("order-1001".into()));
    assert_eq!(sale.actor, customer);
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn adjustments_are_versioned_and_never_go_below_reserved() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Mug", &["MUG-1"]).await[..] else { unreachable!() };
    let main = fx.location("main", 1).await;
    let adjust = |change, expected_version| Adjustment {
        variant_id: sku,
        location_id: main,
        change,
        reason: MovementReason::Adjustment,
        expected_version,
        note: "stock take".into(),
    };

    // Version 0: never stocked here. Creating it names version 0.
    let level = fx.inv.adjust(&adjust(StockChange::SetOnHand(7), Some(0)), STAFF).await.unwrap();
    assert_eq!((level.on_hand, level.version), (7, 1));
    let err = fx.inv.adjust(&adjust(StockChange::Delta(1), Some(0)), STAFF).await.unwrap_err();
    let Error::VersionConflict { entity: "stock level", expected: 0, current } = err else { panic!("{err:?}") };
    assert_eq!(current, level.version, "the conflict names the level's version now");

    fx.inv.reserve(&[ReserveLine::new(sku, 5)], &cart(1), TTL, Actor::Guest).await.unwrap();
    let before = fx.counts().await;
    let err = fx.inv.adjust(&adjust(StockChange::SetOnHand(4), Some(2)), STAFF).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid { field: Some(f), .. } if f == "setOnHand"), "{err:?}");
    assert!(err.to_string().contains("5 are reserved"), "{err}");
    assert!(matches!(fx.inv.adjust(&adjust(StockChange::Delta(-3), None), STAFF).await, Err(Error::Invalid { .. })));
    assert_eq!(fx.counts().await, before, "nothing written on error");

    let level = fx.inv.adjust(&adjust(StockChange::SetOnHand(5), Some(2)), STAFF).await.unwrap();
    assert_eq!((level.on_hand, level.reserved, level.available(), level.version), (5, 5, 0, 3));
    let same = fx.inv.adjust(&adjust(StockChange::SetOnHand(5), Some(3)), STAFF).await.unwrap();
    assert_eq!(same.version, 3, "setting the count it has changes nothing");
    let returned = Adjustment { reason: MovementReason::Return, ..adjust(StockChange::Delta(2), None) };
    assert_eq!(fx.inv.adjust(&returned, STAFF).await.unwrap().on_hand, 7);
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn transfers_move_only_unreserved_units_and_record_both_legs() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Lamp", &["LMP-1"]).await[..] else { unreachable!() };
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);
    fx.inv.restock(sku, east, 10, STAFF, "").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 4)], &cart(1), TTL, Actor::Guest).await.unwrap();

    let before = fx.counts().await;
    let err = fx.inv.transfer(sku, east, main, 7, STAFF, "rebalance").await.unwrap_err();
    assert!(matches!(err, Error::OutOfStock { requested: 7, available: 6, .. }), "{err:?}");
    assert_eq!(fx.counts().await, before);

    let t = fx.inv.transfer(sku, east, main, 6, STAFF, "rebalance").await.unwrap();
    assert_eq!((t.from.on_hand, t.from.reserved, t.to.on_hand, t.to.version), (4, 4, 6, 1));
    let page = fx.inv.movements(sku, None, &stockade_domain::pagination::PageRequest::first(2)).await.unwrap();
    let legs: Vec<_> = page.items.iter().map(|(_, m)| (m.location_id, m.delta_on_hand, m.reference.clone())).collect();
    assert!(legs.contains(&(main, 6, Reference::Transfer(t.reference.clone()))), "{legs:?}");
    assert!(legs.contains(&(east, -6, Reference::Transfer(t.reference.clone()))), "{legs:?}");
    // And back the other way (the two levels are locked in the opposite order).
    fx.inv.transfer(sku, main, east, 2, STAFF, "").await.unwrap();
    fx.assert_reconciles().await;
}

#[tokio::test]
async fn the_background_sweeper_runs_with_the_server_and_stops_with_it() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[("RESERVATION_SWEEP_INTERVAL_SECS", "1")]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = crate::helpers::config_for(&app.db.url(), dir.path(), &[]);
    let db = stockade::startup::open_database(&config, None).await.unwrap();
    let inv = stockade_domain::inventory::InventoryService::new(db.clone(), Default::default());

    // A demo variant with stock; its reservation is made to expire at once.
    let available = inv.available_by_variant_ids(&(1..=20).collect::<Vec<_>>()).await.unwrap();
    let (&variant, _) = available.iter().find(|(_, n)| **n > 0).unwrap();
    let r = inv.reserve(&[ReserveLine::new(variant, 1)], &cart("bg"), TTL, Actor::Guest).await.unwrap();
    reservation::Entity::update_many()
        .col_expr(reservation::Column::ExpiresAt, Expr::val(Utc::now()))
        .filter(reservation::Column::Id.eq(r[0].id))
        .exec(db.conn())
        .await
        .unwrap();
    let mut status = ReservationStatus::Active;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = inv.reservations_of(&cart("bg")).await.unwrap()[0].status;
        if status != ReservationStatus::Active {
            break;
        }
    }
    assert_eq!(status, ReservationStatus::Expired, "the server's sweeper expired it");
    assert_eq!(inv.available_by_variant_ids(&[variant]).await.unwrap()[&variant], available[&variant]);
    let database = app.db.clone(); // the test database outlives the server
    app.stop().await;

    // Stopped with the server: an expired hold now stays until something else sweeps it.
    let r = inv.reserve(&[ReserveLine::new(variant, 1)], &cart("after"), TTL, Actor::Guest).await.unwrap();
    reservation::Entity::update_many()
        .col_expr(reservation::Column::ExpiresAt, Expr::val(Utc::now()))
        .filter(reservation::Column::Id.eq(r[0].id))
        .exec(db.conn())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await; // 2.5 sweep intervals
    assert_eq!(inv.reservations_of(&cart("after")).await.unwrap()[0].status, ReservationStatus::Active, "no sweep after stop");
    db.close().await;
    drop(database);
}
