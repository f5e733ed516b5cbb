//! Inventory: the service called directly on a real database (SQLite, or Postgres with
//! `TEST_DATABASE_URL`), each test on a fresh database with its own variants and locations.

mod bad_input;
mod combining;
mod concurrency;
mod events;
mod lifecycle;
mod properties;
mod reads;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use stockade_domain::actor::Actor;
use stockade_domain::db::Database;
use stockade_domain::entity::{outbox, product, reservation, stock_movement, variant};
use stockade_domain::inventory::{CombineLimits, InventoryService, InventorySettings, Owner, OwnerKind};

use crate::helpers::{TestDb, config_for};

pub const TTL: Duration = Duration::from_secs(15 * 60);
pub const STAFF: Actor = Actor::Staff { user_id: 1 };

/// A fresh database with no catalog, and the inventory service on it.
pub struct Fixture {
    pub inv: InventoryService,
    pub db: Database,
    _dir: tempfile::TempDir,
    _test_db: TestDb,
}

impl Fixture {
    /// `max_connections` must cover the concurrency of the test on Postgres.
    pub async fn new(max_connections: u32) -> Fixture {
        Self::with_limits(TestDb::empty(), max_connections, InventorySettings::default().combine).await
    }

    pub async fn on(test_db: TestDb, max_connections: u32) -> Fixture {
        Self::with_limits(test_db, max_connections, InventorySettings::default().combine).await
    }

    /// With the given per-SKU batch and queue sizes.
    pub async fn with_limits(test_db: TestDb, max_connections: u32, combine: CombineLimits) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = config_for(&test_db.url(), dir.path(), &[("DATABASE_MAX_CONNECTIONS", &max_connections.to_string())]);
        let db = stockade::startup::open_database(&config, None).await.expect("database opens");
        let inv = InventoryService::new(db.clone(), InventorySettings { default_low_stock_threshold: 5, combine });
        Fixture { inv, db, _dir: dir, _test_db: test_db }
    }

    /// Another instance's inventory service on the same database: its own lanes, so
    /// its batches meet this one's only in the database (as two api processes do).
    pub fn other_instance(&self) -> InventoryService {
        InventoryService::new(self.db.clone(), self.inv.settings())
    }

    /// A product named `name` with one variant per SKU; returns the variant ids.
    pub async fn variants(&self, name: &str, skus: &[&str]) -> Vec<i64> {
        let now = Utc::now();
        let product_id = product::Entity::insert(product::ActiveModel {
            slug: Set(format!("{}-{}", name.to_lowercase().replace(' ', "-"), uuid::Uuid::new_v4().simple())),
            name: Set(name.to_owned()),
            description: Set(String::new()),
            brand: Set("Test".into()),
            tags: Set(serde_json::json!([])),
            status: Set("active".into()),
            currency: Set("USD".into()),
            price_min: Set(1000),
            price_max: Set(1000),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(self.db.conn())
        .await
        .expect("insert product")
        .last_insert_id;
        let mut ids = Vec::new();
        for (i, sku) in skus.iter().enumerate() {
            let id = variant::Entity::insert(variant::ActiveModel {
                product_id: Set(product_id),
                sku: Set((*sku).to_owned()),
                title: Set(format!("Variant {sku}")),
                attributes: Set(serde_json::json!({})),
                price_amount: Set(1000),
                compare_at_amount: Set(None),
                currency: Set("USD".into()),
                position: Set(i as i32),
                status: Set("active".into()),
                version: Set(1),
                low_stock_threshold: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(self.db.conn())
            .await
            .expect("insert variant")
            .last_insert_id;
            ids.push(id);
        }
        ids
    }

    pub async fn location(&self, code: &str, priority: i32) -> i64 {
        self.inv.create_location(code, &format!("Location {code}"), priority).await.expect("create location").id
    }

    /// The ledger replays to every level, and reserved = active reservations.
    pub async fn assert_reconciles(&self) {
        let report = self.inv.verify().await.expect("verify runs");
        assert!(report.is_ok(), "ledger does not reconcile: {report}\n{:#?}", report.discrepancies);
    }

    /// Ledger rows, outbox events and reservations: what a failed operation must not touch.
    pub async fn counts(&self) -> (u64, u64, u64) {
        let conn = self.db.conn();
        (
            stock_movement::Entity::find().count(conn).await.expect("count"),
            outbox::Entity::find().count(conn).await.expect("count"),
            reservation::Entity::find().count(conn).await.expect("count"),
        )
    }

    pub async fn movements_with_reason(&self, reason: &str) -> u64 {
        stock_movement::Entity::find().filter(stock_movement::Column::Reason.eq(reason)).count(self.db.conn()).await.expect("count")
    }

    pub async fn available(&self, variant_id: i64) -> i64 {
        self.inv.available_by_variant_ids(&[variant_id]).await.expect("available")[&variant_id]
    }
}

pub fn cart(id: impl std::fmt::Display) -> Owner {
    Owner::new(OwnerKind::Cart, format!("cart-{id}")).expect("owner")
}
