//! Database migrations for Stockade, one module per schema change.
//!
//! Every migration must produce the same logical schema on SQLite and Postgres.
//! Portable parts are written with the sea-query builder; backend-specific features
//! (full-text search, generated columns) are isolated in clearly marked branches.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_catalog;
mod m20261121_000002_outbox;
mod m20261121_000003_inventory;
mod m20261121_000004_accounts;
mod m20261121_000005_commerce;
mod m20261121_000006_payments;
mod m20261201_000007_payment_issue_queue;
mod m20261207_000008_payment_voids;
mod m20261214_000009_search_dictionary;
mod m20261221_000010_cart_reminders;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_catalog::Migration),
            Box::new(m20261121_000002_outbox::Migration),
            Box::new(m20261121_000003_inventory::Migration),
            Box::new(m20261121_000004_accounts::Migration),
            Box::new(m20261121_000005_commerce::Migration),
            Box::new(m20261121_000006_payments::Migration),
            Box::new(m20261201_000007_payment_issue_queue::Migration),
            Box::new(m20261207_000008_payment_voids::Migration),
            Box::new(m20261214_000009_search_dictionary::Migration),
            Box::new(m20261221_000010_cart_reminders::Migration),
        ]
    }
}
