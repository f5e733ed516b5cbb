//! Inventory: stock locations, a stock level per variant and location guarded by CHECK
//! constraints (`0 <= reserved <= on_hand`), reservations with an expiry, the
//! append-only stock ledger (`stock_movements`), and a per-variant low-stock threshold.
//!
//! Everything here is portable sea-query: the same constraints on SQLite and Postgres.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockLocations {
    Table,
    Id,
    Code,
    Name,
    Priority,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockLevels {
    Table,
    Id,
    VariantId,
    LocationId,
    OnHand,
    Reserved,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    VariantId,
    LocationId,
    Quantity,
    OwnerType,
    OwnerId,
    Status,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    VariantId,
    LocationId,
    DeltaOnHand,
    DeltaReserved,
    OnHandAfter,
    ReservedAfter,
    VersionAfter,
    Reason,
    ActorType,
    ActorId,
    ReferenceType,
    ReferenceId,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Variants {
    Table,
    Id,
    LowStockThreshold,
}

const REASONS: [&str; 8] = ["reserve", "release", "expire", "sale", "restock", "adjustment", "transfer", "return"];
const ACTORS: [&str; 5] = ["staff", "customer", "guest", "system", "gateway"];
const REFERENCES: [&str; 5] = ["reservation", "order", "adjustment", "transfer", "note"];
const OWNERS: [&str; 3] = ["cart", "checkout", "order"];
const STATUSES: [&str; 4] = ["active", "committed", "released", "expired"];

fn fk(name: &str, from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Restrict).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StockLocations::Table)
                    .col(big_pk_auto(StockLocations::Id))
                    .col(string_len_uniq(StockLocations::Code, 32))
                    .col(string_len(StockLocations::Name, 200))
                    // Lower is preferred when allocating reservations.
                    .col(integer(StockLocations::Priority).default(100))
                    .col(timestamp_with_time_zone(StockLocations::CreatedAt))
                    .col(timestamp_with_time_zone(StockLocations::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StockLevels::Table)
                    .col(big_pk_auto(StockLevels::Id))
                    .col(big_integer(StockLevels::VariantId))
                    .col(big_integer(StockLevels::LocationId))
                    .col(big_integer(StockLevels::OnHand).default(0))
                    .col(big_integer(StockLevels::Reserved).default(0))
                    .col(big_integer(StockLevels::Version).default(1))
                    .col(timestamp_with_time_zone(StockLevels::UpdatedAt))
                    // The never-oversell invariant, enforced by the database itself.
                    .check(Check::named(
                        "ck_stock_levels_quantities",
                        Expr::col(StockLevels::OnHand)
                            .gte(0)
                            .and(Expr::col(StockLevels::Reserved).gte(0))
                            .and(Expr::col(StockLevels::Reserved).lte(Expr::col(StockLevels::OnHand))),
                    ))
                    .check(Check::named("ck_stock_levels_version", Expr::col(StockLevels::Version).gte(1)))
                    .foreign_key(&mut fk(
                        "fk_stock_levels_variant",
                        (StockLevels::Table, StockLevels::VariantId),
                        (Variants::Table, Variants::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_stock_levels_location",
                        (StockLevels::Table, StockLevels::LocationId),
                        (StockLocations::Table, StockLocations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_stock_levels_variant_location")
                    .table(StockLevels::Table)
                    .col(StockLevels::VariantId)
                    .col(StockLevels::LocationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_stock_levels_location").table(StockLevels::Table).col(StockLevels::LocationId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reservations::Table)
                    .col(big_pk_auto(Reservations::Id))
                    .col(big_integer(Reservations::VariantId))
                    .col(big_integer(Reservations::LocationId))
                    .col(big_integer(Reservations::Quantity).check(Expr::col(Reservations::Quantity).gt(0)))
                    .col(string_len(Reservations::OwnerType, 16).check(Expr::col(Reservations::OwnerType).is_in(OWNERS)))
                    .col(string_len(Reservations::OwnerId, 64))
                    .col(string_len(Reservations::Status, 16).check(Expr::col(Reservations::Status).is_in(STATUSES)))
                    .col(timestamp_with_time_zone(Reservations::ExpiresAt))
                    .col(timestamp_with_time_zone(Reservations::CreatedAt))
                    .col(timestamp_with_time_zone(Reservations::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_reservations_variant",
                        (Reservations::Table, Reservations::VariantId),
                        (Variants::Table, Variants::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_reservations_location",
                        (Reservations::Table, Reservations::LocationId),
                        (StockLocations::Table, StockLocations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The sweeper: active reservations by expiry.
        manager
            .create_index(
                Index::create()
                    .name("idx_reservations_status_expires")
                    .table(Reservations::Table)
                    .col(Reservations::Status)
                    .col(Reservations::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reservations_owner")
                    .table(Reservations::Table)
                    .col(Reservations::OwnerType)
                    .col(Reservations::OwnerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .col(big_pk_auto(StockMovements::Id))
                    .col(big_integer(StockMovements::VariantId))
                    .col(big_integer(StockMovements::LocationId))
                    .col(big_integer(StockMovements::DeltaOnHand))
                    .col(big_integer(StockMovements::DeltaReserved))
                    .col(big_integer(StockMovements::OnHandAfter))
                    .col(big_integer(StockMovements::ReservedAfter))
                    // The stock level's version after this change (= the outbox sequence).
                    .col(big_integer(StockMovements::VersionAfter))
                    .col(string_len(StockMovements::Reason, 16).check(Expr::col(StockMovements::Reason).is_in(REASONS)))
                    .col(string_len(StockMovements::ActorType, 16).check(Expr::col(StockMovements::ActorType).is_in(ACTORS)))
                    .col(big_integer_null(StockMovements::ActorId))
                    .col(string_len(StockMovements::ReferenceType, 16).check(Expr::col(StockMovements::ReferenceType).is_in(REFERENCES)))
                    .col(string_len_null(StockMovements::ReferenceId, 64))
                    .col(text(StockMovements::Note).default(""))
                    .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                    .check(Check::named(
                        "ck_stock_movements_change",
                        Expr::col(StockMovements::DeltaOnHand).ne(0).or(Expr::col(StockMovements::DeltaReserved).ne(0)),
                    ))
                    .foreign_key(&mut fk(
                        "fk_stock_movements_variant",
                        (StockMovements::Table, StockMovements::VariantId),
                        (Variants::Table, Variants::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_stock_movements_location",
                        (StockMovements::Table, StockMovements::LocationId),
                        (StockLocations::Table, StockLocations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_movements_level")
                    .table(StockMovements::Table)
                    .col(StockMovements::VariantId)
                    .col(StockMovements::LocationId)
                    .col(StockMovements::Id)
                    .to_owned(),
            )
            .await?;

        // NULL: the configured default (LOW_STOCK_THRESHOLD) applies.
        manager
            .alter_table(
                Table::alter()
                    .table(Variants::Table)
                    .add_column(integer_null(Variants::LowStockThreshold).check(Expr::col(Variants::LowStockThreshold).gte(0)))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Variants::Table).drop_column(Variants::LowStockThreshold).to_owned()).await?;
        for table in [
            StockMovements::Table.into_iden(),
            Reservations::Table.into_iden(),
            StockLevels::Table.into_iden(),
            StockLocations::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
