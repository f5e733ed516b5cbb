//! Every stock change writes one ledger row and one outbox event, in sequence.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use stockade_domain::actor::Actor;
use stockade_domain::entity::{outbox, stock_movement};
use stockade_domain::inventory::{Adjustment, MovementReason, ReleaseTarget, ReserveLine, StockChange, aggregate_id};

use super::{Fixture, STAFF, TTL, cart};

#[tokio::test]
async fn every_change_writes_an_event_whose_sequence_is_the_level_version() {
    let fx = Fixture::new(4).await;
    let [sku] = fx.variants("Boot", &["BT-1"]).await[..] else { unreachable!() };
    let (main, east) = (fx.location("main", 1).await, fx.location("east", 2).await);

    fx.inv.restock(sku, main, 10, STAFF, "delivery 1").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 3)], &cart(1), TTL, Actor::Customer { user_id: 5 }).await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 2)], &cart(2), TTL, Actor::Guest).await.unwrap();
    fx.inv.release(&ReleaseTarget::Owner(cart(2)), Actor::Guest).await.unwrap();
    fx.inv.commit(&cart(1), "order-7", Actor::Customer { user_id: 5 }).await.unwrap();
    let adjustment = Adjustment {
        variant_id: sku,
        location_id: main,
        change: StockChange::Delta(-1),
        reason: MovementReason::Adjustment,
        expected_version: Some(5),
        note: "damaged".into(),
    };
    fx.inv.adjust(&adjustment, STAFF).await.unwrap();
    fx.inv.transfer(sku, main, east, 2, STAFF, "").await.unwrap();
    fx.inv.reserve(&[ReserveLine::new(sku, 1)], &cart(3), TTL, Actor::Guest).await.unwrap();
    fx.inv.sweep_expired_as_of(Utc::now() + chrono::Duration::hours(1), 10).await.unwrap();

    for (location, expected_version) in [(main, 9), (east, 1)] {
        let level = fx.inv.level(sku, location).await.unwrap();
        assert_eq!(level.version, expected_version);
        let events = outbox::Entity::find()
            .filter(outbox::Column::AggregateType.eq("stock_level"))
            .filter(outbox::Column::AggregateId.eq(aggregate_id(sku, location)))
            .order_by_asc(outbox::Column::Sequence)
            .all(fx.db.conn())
            .await
            .unwrap();
        let movements = stock_movement::Entity::find()
            .filter(stock_movement::Column::VariantId.eq(sku))
            .filter(stock_movement::Column::LocationId.eq(location))
            .order_by_asc(stock_movement::Column::Id)
            .all(fx.db.conn())
            .await
            .unwrap();
        assert_eq!(events.iter().map(|e| e.sequence).collect::<Vec<_>>(), (1..=level.version).collect::<Vec<_>>(), "one event per version");
        assert_eq!(movements.len(), events.len(), "one ledger row per event");
        for (e, m) in events.iter().zip(&movements) {
            let p = &e.payload;
            assert_eq!(e.event_type, "stock_level.changed");
            assert_eq!((p["variantId"].as_i64(), p["locationId"].as_i64()), (Some(sku), Some(location)));
            assert_eq!(p["onHand"].as_i64(), Some(m.on_hand_after));
            assert_eq!(p["reserved"].as_i64(), Some(m.reserved_after));
            assert_eq!(p["available"].as_i64(), Some(m.on_hand_after - m.reserved_after));
            assert_eq!(p["version"].as_i64(), Some(e.sequence));
            assert_eq!(p["movement"]["id"].as_i64(), Some(m.id));
            assert_eq!(p["movement"]["reason"].as_str(), Some(m.reason.as_str()));
            assert_eq!(p["movement"]["deltaOnHand"].as_i64(), Some(m.delta_on_hand));
            assert_eq!(p["movement"]["deltaReserved"].as_i64(), Some(m.delta_reserved));
            assert_eq!(p["movement"]["actor"]["type"].as_str(), Some(m.actor_type.as_str()));
            assert_eq!(p["movement"]["reference"]["type"].as_str(), Some(m.reference_type.as_str()));
        }
        if location == main {
            let reasons: Vec<&str> = movements.iter().map(|m| m.reason.as_str()).collect();
            assert_eq!(reasons, ["restock", "reserve", "reserve", "release", "sale", "adjustment", "transfer", "reserve", "expire"]);
            assert_eq!(events[5].payload["movement"]["note"], "damaged");
            assert_eq!(events[4].payload["movement"]["reference"], serde_json::json!({ "type": "order", "id": "order-7" }));
            assert_eq!(events[1].payload["movement"]["actor"], serde_json::json!({ "type": "customer", "id": 5 }));
        }
    }
    fx.assert_reconciles().await;
}
